//! Transcripts compared with CPython's, for the toolkit and seed suites.
//!
//! A program prints lines stamped with its loop's time, `"{time:.3} {text}"`,
//! through a [`Transcript`]. Its Python original, in
//! `tests/python/<script>.py`, prints the same lines when CPython 3.11 runs
//! it on a virtual clock (`tests/python/virtual_loop.py`), and
//! [`assert_matches_cpython`] compares the two line by line. One `python3`
//! process per script serves a whole test binary. Without CPython 3.11 the
//! comparison is skipped with a loud message, except in CI (`CI=true`),
//! where it fails.
#![allow(dead_code, reason = "each suite uses only some of these helpers")]

use std::{
    cell::RefCell,
    collections::HashMap,
    fmt::Write as _,
    io::Write as _,
    path::Path,
    process::Command,
    rc::Rc,
    sync::{Arc, Mutex, PoisonError},
};
use yieldfrom::{
    AnyError,
    asyncio::{
        CancelledError, ClockKind, Coroutine, EventLoop, InvalidStateError, QueueEmpty,
        RuntimeError, TaskPanicked, TimeoutError, ValueError, coroutine, run_with, sleep,
    },
};

/// Runs `main` on a virtual loop, expecting it to succeed.
pub fn run_main(main: Coroutine<()>) {
    run_with(ClockKind::Virtual, main).expect("main succeeds");
}

/// The Python `child(name, delay, result, fail)` of the gather and shield
/// scripts: sleeps, saying what happens to it, then returns `result` or
/// raises `ValueError(fail)`.
pub fn child(
    out: &Transcript,
    name: &'static str,
    delay: f64,
    outcome: Result<&'static str, &'static str>,
) -> Coroutine<&'static str> {
    let out = out.clone();
    coroutine(name, move |co| async move {
        out.say(format!("{name} starts"));
        if let Err(e) = co.yield_from(sleep(delay)).await {
            out.say(format!("{name} {}", describe(&e)));
            return Err(e);
        }
        match outcome {
            Ok(result) => {
                out.say(format!("{name} finishes"));
                Ok(result)
            }
            Err(message) => {
                out.say(format!("{name} raises"));
                Err(value_error(message))
            }
        }
    })
}

/// `utils.delay` of "Python Concurrency with asyncio", which the seed
/// programs use: says it sleeps, sleeps `seconds`, says it finished, and
/// returns `seconds`.
pub fn delay(out: &Transcript, seconds: u32) -> Coroutine<u32> {
    let out = out.clone();
    coroutine("delay", move |co| async move {
        out.say(format!("sleeping for {seconds} second(s)"));
        co.yield_from(sleep(f64::from(seconds))).await?;
        out.say(format!("finished sleeping for {seconds} second(s)"));
        Ok(seconds)
    })
}

/// Lines printed by a program, each stamped with the loop's time. Cheap to
/// clone; clones print to the same transcript.
#[derive(Clone, Default)]
pub struct Transcript(Rc<RefCell<Vec<String>>>);

impl Transcript {
    pub fn new() -> Self {
        Self::default()
    }

    /// Prints `text` at the running loop's time.
    pub fn say(&self, text: impl AsRef<str>) {
        let lp = EventLoop::running().expect("say() is called while a loop runs");
        self.say_at(&lp, text);
    }

    /// Prints `text` at `lp`'s time, from outside the loop.
    pub fn say_at(&self, lp: &EventLoop, text: impl AsRef<str>) {
        self.0
            .borrow_mut()
            .push(format!("{:.3} {}", lp.time(), text.as_ref()));
    }

    pub fn lines(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

/// An error as the Python side's `describe` prints it: `ValueError(bad)`,
/// `CancelledError()`, `TimeoutError()`.
pub fn describe(e: &AnyError) -> String {
    if let Some(c) = e.downcast_ref::<CancelledError>() {
        return format!("CancelledError({})", c.message.as_deref().unwrap_or(""));
    }
    if e.is::<TimeoutError>() {
        return "TimeoutError()".to_owned();
    }
    if let Some(v) = e.downcast_ref::<ValueError>() {
        return format!("ValueError({})", v.message);
    }
    if let Some(r) = e.downcast_ref::<RuntimeError>() {
        return format!("RuntimeError({})", r.message);
    }
    if let Some(i) = e.downcast_ref::<InvalidStateError>() {
        return format!("InvalidStateError({})", i.message);
    }
    if e.is::<QueueEmpty>() {
        return "QueueEmpty()".to_owned();
    }
    if let Some(p) = e.downcast_ref::<TaskPanicked>() {
        return format!("TaskPanicked({})", p.message);
    }
    format!("<unexpected {e:?}>")
}

/// A user's `raise ValueError(message)`.
pub fn value_error(message: &str) -> AnyError {
    ValueError {
        message: message.to_owned(),
    }
    .into()
}

/// `True` or `False`, as Python prints a bool.
pub fn flag(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

type Transcripts = Result<HashMap<String, Vec<String>>, String>;

/// Every transcript `script` prints, from one `python3` run per script and
/// test binary, or why there are none.
fn cpython_transcripts(script: &str) -> Arc<Transcripts> {
    static CACHE: Mutex<Vec<(String, Arc<Transcripts>)>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, found)) = cache.iter().find(|(s, _)| s == script) {
        return found.clone();
    }
    let found = Arc::new(run_script(script));
    if let Err(why) = &*found {
        // Past the test harness's capture, so that a skip is seen.
        let _ = writeln!(
            std::io::stderr(),
            "WARNING: {why}\nWARNING: the transcripts of {script} are NOT compared with CPython"
        );
    }
    cache.push((script.to_owned(), found.clone()));
    found
}

fn run_script(script: &str) -> Transcripts {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    let output = Command::new("python3")
        .args([script, "--all"])
        .current_dir(&dir)
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{script} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let stdout = String::from_utf8(output.stdout).map_err(|e| e.to_string())?;
    let mut transcripts: HashMap<String, Vec<String>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in stdout.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            transcripts.entry(name.to_owned()).or_default();
            current = Some(name.to_owned());
        } else if let Some(name) = &current {
            transcripts
                .get_mut(name)
                .expect("entry made at its header")
                .push(line.to_owned());
        }
    }
    Ok(transcripts)
}

/// CPython's transcript of `program` in `script`, or `None` if there is no
/// CPython 3.11 to ask (outside CI).
///
/// # Panics
///
/// If the script has no such program, or in CI without CPython.
pub fn cpython_transcript(script: &str, program: &str) -> Option<Vec<String>> {
    match &*cpython_transcripts(script) {
        Ok(transcripts) => Some(
            transcripts
                .get(program)
                .unwrap_or_else(|| panic!("{script} has no program {program}"))
                .clone(),
        ),
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CPython 3.11 is required in CI: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED: {why}; {program} is not compared with CPython");
            None
        }
    }
}

/// Fails, showing both transcripts side by side, unless `ours` is what
/// CPython prints for `program` of `script`.
///
/// # Panics
///
/// When the transcripts differ, or ours is empty.
pub fn assert_matches_cpython(script: &str, program: &str, ours: &Transcript) {
    let ours = ours.lines();
    assert!(!ours.is_empty(), "{program} printed nothing");
    let Some(cpython) = cpython_transcript(script, program) else {
        return;
    };
    if ours == cpython {
        return;
    }
    let mut report = format!(
        "{program}: transcripts differ\n  {:<50} | ours\n",
        "CPython 3.11"
    );
    for i in 0..ours.len().max(cpython.len()) {
        let theirs = cpython.get(i).map_or("", String::as_str);
        let mine = ours.get(i).map_or("", String::as_str);
        let mark = if theirs == mine { ' ' } else { '!' };
        let _ = writeln!(report, "{mark} {theirs:<50} | {mine}");
    }
    panic!("{report}");
}
