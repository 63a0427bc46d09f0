//! The loop's clock: real monotonic time, or virtual time for tests and
//! simulations.

use std::{cell::Cell, time::Instant};

/// Which time an [`EventLoop`](super::EventLoop) runs on.
///
/// The same program runs on either. On the real clock an idle loop sleeps
/// until its next timer; on the virtual clock it jumps straight there, so
/// an hour of `sleep` calls takes no time at all and every timestamp is
/// exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ClockKind {
    /// `time.monotonic()`, starting from 0 when the loop is made.
    #[default]
    Real,
    /// Starts at 0 and moves only when the loop is idle, to the next
    /// deadline.
    Virtual,
}

pub(crate) enum Clock {
    Real(Instant),
    Virtual(Cell<f64>),
}

impl Clock {
    pub(crate) fn new(kind: ClockKind) -> Self {
        match kind {
            ClockKind::Real => Self::Real(Instant::now()),
            ClockKind::Virtual => Self::Virtual(Cell::new(0.0)),
        }
    }

    pub(crate) fn kind(&self) -> ClockKind {
        match self {
            Self::Real(_) => ClockKind::Real,
            Self::Virtual(_) => ClockKind::Virtual,
        }
    }

    /// Seconds since the loop was made (real), or the virtual time.
    pub(crate) fn now(&self) -> f64 {
        match self {
            Self::Real(start) => start.elapsed().as_secs_f64(),
            Self::Virtual(now) => now.get(),
        }
    }

    /// The virtual time, or `None` on the real clock.
    pub(crate) fn virtual_now(&self) -> Option<f64> {
        match self {
            Self::Real(_) => None,
            Self::Virtual(now) => Some(now.get()),
        }
    }

    /// The clock's resolution: a timer is due once `now + resolution`
    /// passes its deadline (CPython's `_clock_resolution`).
    pub(crate) fn resolution(&self) -> f64 {
        match self {
            Self::Real(_) => 1e-9,
            Self::Virtual(_) => 0.0,
        }
    }

    /// Moves the virtual clock forward to `when` (never back).
    pub(crate) fn jump_to(&self, when: f64) {
        if let Self::Virtual(now) = self {
            now.set(now.get().max(when));
        }
    }
}
