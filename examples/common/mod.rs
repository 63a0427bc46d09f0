//! What the event-loop examples share: the clock they run on, and printing
//! a line the way CPython's transcripts do.
#![allow(dead_code, reason = "each example uses only some of these")]

use std::fmt::Display;
use yieldfrom::{
    AnyError,
    asyncio::{ClockKind, EventLoop},
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
