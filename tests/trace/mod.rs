//! Helpers for the core-semantics suites: a log that records side effects
//! in the order they happen, a guard that writes to it when dropped (a
//! body's `finally`), and a way to see what reaches the unraisable hook;
//! and, for the event-loop suites, a user's error, loops to test on, and
//! the loop's time.
#![allow(dead_code, reason = "each suite uses only some of these helpers")]

use std::{
    cell::RefCell,
    fmt,
    rc::Rc,
    sync::{Arc, Mutex, PoisonError},
};
use yieldfrom::{
    Generator, Unraisable,
    asyncio::{ClockKind, EventLoop, LoopReport},
    set_unraisable_hook, take_unraisable_hook,
};

/// Side effects in the order they happened. Cheap to clone, and `Send`, so
/// that bodies of both flavours can write to it.
#[derive(Clone, Debug, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&self, entry: impl Into<String>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry.into());
    }

    /// Everything logged since the last `take`.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// A guard that logs `entry` when it is dropped.
    pub fn finally(&self, entry: &str) -> Finally {
        Finally {
            log: self.clone(),
            entry: entry.to_owned(),
        }
    }
}

/// Logs its entry when dropped, like a `finally:` block.
#[derive(Debug)]
pub struct Finally {
    log: Log,
    entry: String,
}

impl Drop for Finally {
    fn drop(&mut self) {
        self.log.push(std::mem::take(&mut self.entry));
    }
}

/// Serialises the tests of one suite that touch the process-wide hook.
static HOOK: Mutex<()> = Mutex::new(());

/// Takes the hook out again even if the test fails inside `f`.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        take_unraisable_hook();
    }
}

/// Runs `f` with a hook that records every unraisable error, and returns
/// what `f` returned with what the hook received, in order.
pub fn unraisable_during<T>(f: impl FnOnce() -> T) -> (T, Vec<Unraisable>) {
    let _serial = HOOK.lock().unwrap_or_else(PoisonError::into_inner);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    set_unraisable_hook(move |u| {
        sink.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(u.clone());
    });
    let restore = Restore;
    let out = f();
    drop(restore);
    let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(PoisonError::into_inner));
    (out, seen)
}

/// Runs `f` with the hook set by `install`, restoring the default after;
/// serialised with `unraisable_during`.
pub fn with_hook<T>(install: impl FnOnce(), f: impl FnOnce() -> T) -> T {
    let _serial = HOOK.lock().unwrap_or_else(PoisonError::into_inner);
    take_unraisable_hook();
    install();
    let _restore = Restore;
    f()
}

thread_local! {
    /// The panics recorded on this thread, while `panics_during` runs.
    static PANICS: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Stops recording this thread's panics even if the test fails inside `f`,
/// and then prints what was recorded, which includes why it failed.
struct StopRecording;

impl Drop for StopRecording {
    fn drop(&mut self) {
        let seen = PANICS.with(|p| p.borrow_mut().take());
        if std::thread::panicking() {
            eprintln!("panics recorded before the test failed: {seen:?}");
        }
    }
}

/// Runs `f` and returns what it returned with the message of every panic
/// raised on this thread meanwhile, caught or not, in order. Other threads'
/// panics (tests run in parallel) are printed as usual.
pub fn panics_during<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let recorded = PANICS
                .try_with(|p| {
                    p.borrow_mut()
                        .as_mut()
                        .map(|seen| seen.push(panic_text(info.payload())))
                        .is_some()
                })
                .unwrap_or(false);
            if !recorded {
                default(info);
            }
        }));
    });
    PANICS.with(|p| *p.borrow_mut() = Some(Vec::new()));
    let stop = StopRecording;
    let out = f();
    let seen = PANICS.with(|p| p.borrow_mut().take()).unwrap_or_default();
    drop(stop);
    (out, seen)
}

/// Counts its own drop.
pub struct Tally(pub Rc<std::cell::Cell<usize>>);

impl Drop for Tally {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// The text a panic payload carries.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("<non-string panic payload>")
    }
}

/// Python's `core()` from the probe, on which the state suites run every
/// operation; every line it runs is logged:
///
/// ```python
/// def core():
///     log("body: start")
///     x = yield 1
///     log(f"body: x={x!r}")
///     yield x
///     log("body: before return 5")
///     return 5
/// ```
pub fn core(log: &Log) -> Generator<Option<i32>, i32, i32> {
    let log = log.clone();
    Generator::new("core", move |co| async move {
        log.push("body: start");
        let x = co.yield_(Some(1)).await?;
        log.push(format!("body: x={x:?}"));
        co.yield_(x).await?;
        log.push("body: before return 5");
        Ok(5)
    })
}

/// An error that can be told apart from every other by its number.
#[derive(Debug, PartialEq, Eq)]
pub struct Thrown(pub u32);

impl fmt::Display for Thrown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "thrown #{}", self.0)
    }
}

impl std::error::Error for Thrown {}

/// Python's `ValueError(message)`, printed as Python's `str(e)` prints it.
#[derive(Debug, PartialEq, Eq)]
pub struct ValueError(pub &'static str);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for ValueError {}

/// Python's `KeyError(key)`, printed as Python's `str(e)` prints it: the
/// key in quotes.
#[derive(Debug, PartialEq, Eq)]
pub struct KeyError(pub &'static str);

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.0)
    }
}

impl std::error::Error for KeyError {}

/// The generators of the `yield from` suites: they yield and return
/// strings.
pub type Gen = Generator<&'static str, (), &'static str>;

/// ```python
/// def <name>():
///     try:
///         yield <yielded>
///         return <ret>
///     finally:
///         log(<finally>)
/// ```
pub fn yields_then_finally(
    trace: &Log,
    name: &'static str,
    yielded: &'static str,
    finally: &'static str,
    ret: &'static str,
) -> Gen {
    let trace = trace.clone();
    Generator::new(name, move |co| async move {
        let _finally = trace.finally(finally);
        co.yield_(yielded).await?;
        Ok(ret)
    })
}

/// ```python
/// def <name>(sub):
///     try:
///         return (yield from sub)
///     finally:
///         log(<finally>)
/// ```
pub fn passes(name: &'static str, finally: &'static str, trace: &Log, sub: Gen) -> Gen {
    let trace = trace.clone();
    Generator::new(name, move |co| async move {
        let _finally = trace.finally(finally);
        co.yield_from(sub).await
    })
}

/// An error of the test's own, as a user's `ValueError` would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boom(pub &'static str);

impl fmt::Display for Boom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "boom: {}", self.0)
    }
}

impl std::error::Error for Boom {}

/// A loop on the virtual clock.
pub fn virtual_loop() -> EventLoop {
    EventLoop::new(ClockKind::Virtual)
}

/// A virtual loop whose reports are collected.
pub fn reporting_loop() -> (EventLoop, Rc<RefCell<Vec<LoopReport>>>) {
    let lp = virtual_loop();
    let reports: Rc<RefCell<Vec<LoopReport>>> = Rc::default();
    let sink = reports.clone();
    lp.set_reporter(move |r| sink.borrow_mut().push(r.clone()));
    (lp, reports)
}

/// Makes `lp` run exactly one iteration.
pub fn run_one_iteration(lp: &EventLoop) {
    lp.stop();
    lp.run_forever().unwrap();
}

/// The running loop's time, or NaN outside a running loop.
pub fn now() -> f64 {
    EventLoop::running().map_or(f64::NAN, |lp| lp.time())
}

/// Makes the programs this process starts begin with `SIGINT` at its
/// default disposition, as a program started from a terminal does. A
/// process started from a shell's background job inherits `SIGINT`
/// ignored (and `run` then leaves Ctrl+C alone, as Python does); a signal
/// this process catches is reset to its default in a program it starts, so
/// it catches `SIGINT` here, with the default action.
#[cfg(unix)]
pub fn children_start_with_default_sigint() {
    signal_hook::flag::register_conditional_default(
        signal_hook::consts::SIGINT,
        Arc::new(std::sync::atomic::AtomicBool::new(true)),
    )
    .unwrap();
}
