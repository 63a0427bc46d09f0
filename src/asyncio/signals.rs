//! Unix signals delivered to the loop (tulip's `_UnixSelectorEventLoop`
//! signal handling), and the Ctrl+C handling of `asyncio.run` (3.11's
//! `Runner._on_sigint`).
//!
//! The OS runs a signal handler between any two instructions of the
//! program, where almost nothing may be done; so, as CPython does with
//! `signal.set_wakeup_fd`, the handler (installed through `signal-hook`,
//! whose registration is safe) only writes a byte to a socket pair, and
//! the loop watches the other end with a reader. The reader drains it and
//! queues the user's handler as `call_soon` would, once per signal read: it
//! runs as an ordinary callback, never inside the signal handler.
//!
//! Dispositions are the process's, not a loop's. Invariant of
//! [`DISPOSITIONS`]: a signal has an entry once a loop first tried to take
//! it; its `handlers` counts the loops' registrations for it, and, outside
//! the moment a registration is being made or dropped, its `default` flag
//! is set exactly when that count is 0. signal-hook never gives a
//! signal back to the OS, so an action registered first, when the signal
//! is first taken, carries out the default action whenever `default` is
//! set: removing the last handler restores the default disposition, as
//! Python's `remove_signal_handler` does.

use super::{
    errors::{CancelledError, KeyboardInterrupt, RuntimeError, ValueError},
    event_loop::EventLoop,
    task::TaskRef,
};
use crate::AnyError;
use signal_hook::{
    SigId,
    consts::{FORBIDDEN, SIGINT, SIGKILL, SIGSTOP},
    flag,
    low_level::{pipe, signal_name, unregister},
};
use std::{
    cell::{Cell, RefCell},
    collections::{BTreeMap, HashMap, btree_map::Entry},
    ffi::c_int,
    io::{self, Read},
    os::unix::net::UnixStream,
    rc::Rc,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
};

/// The highest signal number [`EventLoop::remove_signal_handler`] accepts
/// without asking the OS (Linux's real-time signals end at 64).
#[cfg(any(target_os = "linux", target_os = "android"))]
const LAST_SIGNAL: c_int = 64;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const LAST_SIGNAL: c_int = 128;

/// What the process does with a signal a loop has taken.
struct Disposition {
    /// How many loop handlers there are for the signal, in all loops.
    handlers: usize,
    /// Set while `handlers` is 0: the signal then does what it does by
    /// default (ends the process, for most).
    default: Arc<AtomicBool>,
}

static DISPOSITIONS: Mutex<BTreeMap<c_int, Disposition>> = Mutex::new(BTreeMap::new());

fn dispositions() -> MutexGuard<'static, BTreeMap<c_int, Disposition>> {
    // The map is consistent between any two statements: a panic elsewhere
    // cannot have left it half-changed.
    DISPOSITIONS.lock().unwrap_or_else(PoisonError::into_inner)
}

fn invalid(signal: c_int) -> AnyError {
    ValueError::new(format!("invalid signal number {signal}")).into()
}

/// Python's `_check_signal`, and the signals no handler can take.
fn check_signal(signal: c_int) -> Result<(), AnyError> {
    if !(1..=LAST_SIGNAL).contains(&signal) {
        return Err(invalid(signal));
    }
    Ok(())
}

fn check_catchable(signal: c_int) -> Result<(), AnyError> {
    if signal == SIGKILL || signal == SIGSTOP {
        return Err(RuntimeError::new(format!("sig {signal} cannot be caught")).into());
    }
    if FORBIDDEN.contains(&signal) {
        // Python lets a callback "handle" SIGSEGV, SIGILL or SIGFPE, and the
        // faulting instruction runs again at once; signal-hook refuses them.
        return Err(RuntimeError::new(format!(
            "sig {signal} cannot be caught: it reports a fault of the program itself"
        ))
        .into());
    }
    Ok(())
}

/// One loop's handler for one signal. Dropping it gives the signal back:
/// its signal action is unregistered (which closes the write end) and the
/// process-wide count goes down.
struct Registration {
    signal: c_int,
    action: SigId,
    /// The read end, which the loop watches.
    pipe: Rc<UnixStream>,
    /// Tells this registration from a later one for the same signal.
    generation: u64,
}

impl Registration {
    /// Takes `signal` for a new handler: its byte goes to a new socket
    /// pair.
    fn new(signal: c_int, generation: u64) -> Result<Self, AnyError> {
        let (read, write) = UnixStream::pair().map_err(AnyError::new)?;
        read.set_nonblocking(true).map_err(AnyError::new)?;
        let mut dispositions = dispositions();
        let disposition = match dispositions.entry(signal) {
            Entry::Occupied(taken) => taken.into_mut(),
            Entry::Vacant(first) => {
                // Unset until the pipe's action is in place or has failed:
                // a signal that comes meanwhile is lost, rather than ending
                // a process in which it was ignored until now.
                let default = Arc::new(AtomicBool::new(false));
                // Real-time signals are not in signal-hook's table of
                // default actions: once their last handler goes they stay
                // caught and are dropped, where the OS would end the
                // process.
                if signal_name(signal).is_some() {
                    flag::register_conditional_default(signal, default.clone())
                        .map_err(|e| os_error(signal, e))?;
                }
                first.insert(Disposition {
                    handlers: 0,
                    default,
                })
            }
        };
        disposition.default.store(false, Ordering::SeqCst);
        let action = match pipe::register(signal, write) {
            Ok(action) => action,
            Err(e) => {
                let unheld = disposition.handlers == 0;
                disposition.default.store(unheld, Ordering::SeqCst);
                return Err(os_error(signal, e));
            }
        };
        disposition.handlers += 1;
        Ok(Self {
            signal,
            action,
            pipe: Rc::new(read),
            generation,
        })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        unregister(self.action);
        let mut dispositions = dispositions();
        if let Some(disposition) = dispositions.get_mut(&self.signal) {
            disposition.handlers -= 1;
            if disposition.handlers == 0 {
                disposition.default.store(true, Ordering::SeqCst);
            }
        }
    }
}

/// The OS refusing a signal number (`EINVAL`) is Python's `ValueError`.
fn os_error(signal: c_int, error: io::Error) -> AnyError {
    if error.kind() == io::ErrorKind::InvalidInput {
        invalid(signal)
    } else {
        AnyError::new(error)
    }
}

/// A loop's signal handlers, one per signal.
#[derive(Default)]
pub(crate) struct LoopSignals {
    handlers: RefCell<HashMap<c_int, Registration>>,
    generations: Cell<u64>,
    /// The registration of `run`'s Ctrl+C handling, if the loop has it: it
    /// is no reason to wait when nothing else can happen.
    passive: Cell<Option<(c_int, u64)>>,
}

impl LoopSignals {
    /// How many of the loop's watched descriptors only `run`'s Ctrl+C
    /// handling watches (0 or 1).
    pub(crate) fn passive_watches(&self) -> usize {
        let Some((signal, generation)) = self.passive.get() else {
            return 0;
        };
        let handlers = self.handlers.borrow();
        usize::from(
            handlers
                .get(&signal)
                .is_some_and(|r| r.generation == generation),
        )
    }

    /// Gives back every signal the loop took (closing the loop does).
    pub(crate) fn clear(&self) {
        let handlers = std::mem::take(&mut *self.handlers.borrow_mut());
        drop(handlers);
    }
}

/// Drains the socket pair; how many signals it carried.
fn drain(pipe: &UnixStream) -> usize {
    let mut received = 0;
    let mut buf = [0; 64];
    loop {
        match (&*pipe).read(&mut buf) {
            Ok(0) => return received,
            Ok(n) => received += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return received,
        }
    }
}

/// Unix signals, as tulip's selector loop handles them (Unix only).
///
/// A signal's handler runs as a callback of the loop, queued when the
/// loop's selector sees the signal: any code may run in it. Dispositions
/// belong to the process: a loop on any thread may take a signal (Python
/// allows only the main thread's), and a signal taken by several loops
/// runs the handler of each.
impl EventLoop {
    /// Runs `handler` on the loop each time the process receives `signal`
    /// (Python's `loop.add_signal_handler`). A second handler for the same
    /// signal replaces the first. The handler is queued behind the
    /// callbacks already ready, once per signal received (the OS merges a
    /// signal sent again before the first was delivered).
    ///
    /// Signal numbers are the C library's (`libc::SIGTERM`, or
    /// `signal_hook::consts::SIGTERM`).
    ///
    /// # Errors
    ///
    /// With Python's messages: `ValueError("invalid signal number N")`;
    /// `RuntimeError("sig 9 cannot be caught")` for `SIGKILL` and
    /// `SIGSTOP`; `RuntimeError("Event loop is closed")`. Unlike Python,
    /// `SIGSEGV`, `SIGILL` and `SIGFPE` are refused with a `RuntimeError`
    /// too: they report a fault of the program, which a callback run later
    /// cannot mend. The OS's `io::Error` if the socket pair or the watch
    /// cannot be made.
    ///
    /// # Examples
    ///
    /// ```
    /// use signal_hook::{consts::SIGUSR1, low_level::raise};
    /// use std::{cell::Cell, rc::Rc};
    /// use yieldfrom::asyncio::{ClockKind, EventLoop};
    ///
    /// let lp = EventLoop::new(ClockKind::Real);
    /// let received = Rc::new(Cell::new(0));
    /// let (count, stopper) = (received.clone(), lp.clone());
    /// lp.add_signal_handler(SIGUSR1, move || {
    ///     count.set(count.get() + 1);
    ///     stopper.stop();
    /// })
    /// .unwrap();
    /// raise(SIGUSR1).unwrap();
    /// lp.run_forever().unwrap();
    /// assert_eq!(received.get(), 1);
    /// assert!(lp.remove_signal_handler(SIGUSR1).unwrap());
    /// ```
    pub fn add_signal_handler(
        &self,
        signal: c_int,
        handler: impl FnMut() + 'static,
    ) -> Result<(), AnyError> {
        self.install_signal_handler(signal, handler).map(|_| ())
    }

    /// [`add_signal_handler`](Self::add_signal_handler), telling which
    /// registration this is.
    fn install_signal_handler(
        &self,
        signal: c_int,
        handler: impl FnMut() + 'static,
    ) -> Result<u64, AnyError> {
        check_signal(signal)?;
        check_catchable(signal)?;
        if self.is_closed() {
            return Err(RuntimeError::new("Event loop is closed").into());
        }
        let signals = &self.0.signals;
        let generation = signals.generations.get() + 1;
        signals.generations.set(generation);
        let registration = Registration::new(signal, generation)?;
        let handler: Rc<RefCell<dyn FnMut()>> = Rc::new(RefCell::new(handler));
        let reading = registration.pipe.clone();
        // Weak: the reader lives in the loop, and must not keep it alive.
        let lp = Rc::downgrade(&self.0);
        self.add_reader(&*registration.pipe, move || {
            let received = drain(&reading);
            let Some(lp) = lp.upgrade().map(EventLoop) else {
                return;
            };
            for _ in 0..received {
                let handler = handler.clone();
                let _ = lp.call_soon(move || (handler.borrow_mut())());
            }
        })?;
        // The new one is in place before the old one goes, so that the
        // signal never falls back to its default action meanwhile.
        let replaced = signals.handlers.borrow_mut().insert(signal, registration);
        if let Some(replaced) = replaced {
            // Its descriptor is closed with it: the OS forgets the watch.
            self.remove_reader(&*replaced.pipe);
        }
        Ok(generation)
    }

    /// Removes the handler for `signal` (Python's
    /// `loop.remove_signal_handler`); whether there was one. The signal
    /// gets its default disposition back once no loop has a handler for it
    /// (for most signals, it ends the process again). A closed loop has
    /// none.
    ///
    /// # Errors
    ///
    /// `ValueError("invalid signal number N")`.
    pub fn remove_signal_handler(&self, signal: c_int) -> Result<bool, AnyError> {
        check_signal(signal)?;
        let removed = self.0.signals.handlers.borrow_mut().remove(&signal);
        Ok(match removed {
            Some(registration) => {
                self.remove_reader(&*registration.pipe);
                true
            }
            None => false,
        })
    }

    /// The registration of this loop's handler for `signal`, if any.
    fn signal_generation(&self, signal: c_int) -> Option<u64> {
        self.0
            .signals
            .handlers
            .borrow()
            .get(&signal)
            .map(|r| r.generation)
    }
}

/// Whether this is the thread the program started on: Rust names it
/// "main", and only there does `asyncio.run` take Ctrl+C.
fn on_main_thread() -> bool {
    std::thread::current().name() == Some("main")
}

/// Whether `SIGINT` does what it does by default: no loop holds it, and
/// (as far as Linux tells) no other code caught or ignored it before a
/// loop first took it. A shell's background job starts with it ignored.
fn sigint_is_default() -> bool {
    match dispositions().get(&SIGINT) {
        Some(disposition) => disposition.handlers == 0,
        None => !caught_or_ignored(SIGINT),
    }
}

/// Linux lists the signals a process ignores and catches in
/// `/proc/self/status`; elsewhere nothing is known, and nothing is assumed.
fn caught_or_ignored(signal: c_int) -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .filter_map(|line| {
            line.strip_prefix("SigIgn:")
                .or_else(|| line.strip_prefix("SigCgt:"))
        })
        .filter_map(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .any(|mask| mask >> (signal - 1) & 1 == 1)
}

/// Ctrl+C during one run, as 3.11's `asyncio.Runner` handles it: the
/// first `SIGINT` cancels the main task, and a run that then ends with the
/// main task cancelled ends with [`KeyboardInterrupt`]; a second `SIGINT`
/// (or a first one after the main task is done) ends the run at once with
/// it.
pub(crate) struct Interrupt {
    lp: EventLoop,
    generation: u64,
    count: Rc<Cell<u32>>,
    raised: Rc<Cell<bool>>,
}

impl Interrupt {
    /// Takes `SIGINT` for the run of `main`, if the run is on the main
    /// thread and `SIGINT` has its default disposition (Python: the
    /// default handler); otherwise Ctrl+C is left alone.
    pub(crate) fn install(lp: &EventLoop, main: TaskRef) -> Option<Self> {
        if !on_main_thread() || !sigint_is_default() {
            return None;
        }
        let count = Rc::new(Cell::new(0));
        let raised = Rc::new(Cell::new(false));
        let (counting, raising) = (count.clone(), raised.clone());
        let generation = lp
            .install_signal_handler(SIGINT, move || {
                counting.set(counting.get() + 1);
                if counting.get() == 1 && !main.done() {
                    main.cancel();
                    return;
                }
                raising.set(true);
                if let Ok(lp) = EventLoop::running() {
                    lp.stop();
                }
            })
            .ok()?;
        lp.0.signals.passive.set(Some((SIGINT, generation)));
        Some(Self {
            lp: lp.clone(),
            generation,
            count,
            raised,
        })
    }

    /// Gives `SIGINT` back (unless the run took it over with a handler of
    /// its own), and turns what the run gave into [`KeyboardInterrupt`]
    /// where Ctrl+C ended it.
    pub(crate) fn finish<T>(self, outcome: Result<T, AnyError>) -> Result<T, AnyError> {
        if self.lp.signal_generation(SIGINT) == Some(self.generation) {
            let _ = self.lp.remove_signal_handler(SIGINT);
        }
        if self.raised.get() {
            return Err(KeyboardInterrupt.into());
        }
        match outcome {
            Err(e) if self.count.get() > 0 && e.is::<CancelledError>() => {
                Err(KeyboardInterrupt.into())
            }
            outcome => outcome,
        }
    }
}
