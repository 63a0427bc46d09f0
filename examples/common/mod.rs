//! What the event-loop examples share: the clock they run on, printing a
//! line the way CPython's transcripts do, and `--timeline`/`--trace`.
#![allow(dead_code, reason = "each example uses only some of these")]

#[cfg(unix)]
pub mod serve;

use std::{
    fmt::Display,
    path::{Path, PathBuf},
};
use yieldfrom::{
    AnyError,
    asyncio::{ClockKind, Coroutine, EventLoop, Runner},
};

/// `--virtual` on the command line: run on the virtual clock.
pub fn clock_from_args() -> ClockKind {
    if std::env::args().any(|a| a == "--virtual") {
        ClockKind::Virtual
    } else {
        ClockKind::Real
    }
}

/// Prints a line; on the virtual clock, after the loop time, as the
/// transcripts of `tests/python/seed_programs.py` do.
pub fn say_at(lp: &EventLoop, text: impl Display) {
    match lp.clock() {
        ClockKind::Virtual => println!("{:.3} {text}", lp.time()),
        ClockKind::Real => println!("{text}"),
    }
}

/// [`say_at`] the running loop.
pub fn say(text: impl Display) -> Result<(), AnyError> {
    say_at(&EventLoop::running()?, text);
    Ok(())
}

/// Where `--timeline FILE.svg` and `--trace FILE.json` on the command line
/// ask for a recording of the loop to go.
#[derive(Default)]
pub struct Outputs {
    timeline: Option<PathBuf>,
    trace: Option<PathBuf>,
}

impl Outputs {
    /// Reads `--timeline FILE` and `--trace FILE` (or `--timeline=FILE`).
    pub fn from_args() -> Self {
        let mut outputs = Self::default();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                None => (arg, None),
            };
            let slot = match flag.as_str() {
                "--timeline" => &mut outputs.timeline,
                "--trace" => &mut outputs.trace,
                _ => continue,
            };
            *slot = inline.or_else(|| args.next()).map(PathBuf::from);
        }
        outputs
    }

    fn wanted(&self) -> bool {
        self.timeline.is_some() || self.trace.is_some()
    }

    /// Starts recording on `lp` if a picture or a trace was asked for.
    pub fn start(&self, lp: &EventLoop) {
        if self.wanted() {
            lp.start_recording();
        }
    }

    /// Writes what `lp` recorded. An example that runs several programs
    /// names each: `--timeline t.svg` then writes `t.NAME.svg` for each.
    pub fn write(&self, lp: &EventLoop, program: Option<&str>) -> Result<(), AnyError> {
        if !self.wanted() {
            return Ok(());
        }
        let record = lp.take_record();
        if let Some(path) = &self.timeline {
            std::fs::write(named(path, program), record.to_svg())?;
        }
        if let Some(path) = &self.trace {
            std::fs::write(named(path, program), record.to_chrome_trace())?;
        }
        Ok(())
    }

    /// `asyncio.run(main)` on `clock` (as `run_with`), recorded if asked.
    pub fn run<T: Clone + 'static>(
        &self,
        clock: ClockKind,
        program: Option<&str>,
        main: Coroutine<T>,
    ) -> Result<T, AnyError> {
        let runner = Runner::new(clock);
        self.start(runner.event_loop());
        let result = runner.run(main);
        let lp = runner.event_loop().clone();
        let closed = runner.close();
        self.write(&lp, program)?;
        let value = result?;
        closed?;
        Ok(value)
    }
}

/// `path` with `.program` put before its extension, if a program is named.
fn named(path: &Path, program: Option<&str>) -> PathBuf {
    let Some(program) = program else {
        return path.to_owned();
    };
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let file = match path.extension() {
        Some(ext) => format!("{stem}.{program}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{program}"),
    };
    path.with_file_name(file)
}
