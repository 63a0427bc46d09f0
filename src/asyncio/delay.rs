//! Delays and timeouts: Python's seconds or Rust's `Duration`, alike.

use std::time::Duration;

/// A delay in seconds, as every function that waits takes it: `f64`
/// seconds as Python writes them (`sleep(0.5)`), whole seconds
/// (`sleep(2)`), or a [`Duration`].
///
/// An `f64` is kept as it is, so the loop's rules for odd values hold
/// whichever way a delay is written: a negative delay (`-inf` included) is
/// a delay of 0, `+inf` never ends, and NaN is refused with `ValueError`
/// by the function that takes it (docs/scheduler.md, "Bad deadlines").
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use yieldfrom::asyncio::{coroutine, run_with, sleep, ClockKind, EventLoop};
///
/// let t = run_with(ClockKind::Virtual, coroutine("main", |co| async move {
///     co.yield_from(sleep(0.5)).await?;                        // asyncio.sleep(0.5)
///     co.yield_from(sleep(1)).await?;                          // asyncio.sleep(1)
///     co.yield_from(sleep(Duration::from_millis(250))).await?; // a Duration
///     Ok(EventLoop::running()?.time())
/// }))
/// .unwrap();
/// assert_eq!(t, 1.75);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Seconds(pub f64);

impl Seconds {
    /// The delay in seconds.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }
}

impl From<f64> for Seconds {
    fn from(seconds: f64) -> Self {
        Self(seconds)
    }
}

impl From<u32> for Seconds {
    fn from(seconds: u32) -> Self {
        Self(f64::from(seconds))
    }
}

impl From<Duration> for Seconds {
    fn from(duration: Duration) -> Self {
        Self(duration.as_secs_f64())
    }
}

/// A timeout, as `wait_for`, `wait` and `as_completed` take it: `None` for
/// none (Python's `timeout=None`), or a delay written as [`Seconds`] takes
/// it: `1.5`, `Some(1.5)`, `2`, or a [`Duration`].
///
/// Only `Option<f64>` is taken as an option, so that a bare `None` needs
/// no type annotation; a `Duration` is given bare.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use yieldfrom::asyncio::{coroutine, run_with, sleep, wait_for, ClockKind};
///
/// let outcomes = run_with(ClockKind::Virtual, coroutine("main", |co| async move {
///     let in_time = |outcome: Result<(), _>| outcome.is_ok();
///     Ok([
///         in_time(co.yield_from(wait_for(sleep(1.0), None)).await),
///         in_time(co.yield_from(wait_for(sleep(1.0), Some(5.0))).await),
///         in_time(co.yield_from(wait_for(sleep(1.0), 0.5)).await),
///         in_time(co.yield_from(wait_for(sleep(1.0), Duration::from_millis(500))).await),
///     ])
/// }))
/// .unwrap();
/// assert_eq!(outcomes, [true, true, false, false]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Timeout(pub Option<f64>);

impl Timeout {
    /// No timeout.
    pub const NONE: Self = Self(None);

    /// The timeout in seconds, if any.
    #[must_use]
    pub fn get(self) -> Option<f64> {
        self.0
    }
}

impl From<Option<f64>> for Timeout {
    fn from(seconds: Option<f64>) -> Self {
        Self(seconds)
    }
}

impl From<f64> for Timeout {
    fn from(seconds: f64) -> Self {
        Self(Some(seconds))
    }
}

impl From<u32> for Timeout {
    fn from(seconds: u32) -> Self {
        Self(Some(f64::from(seconds)))
    }
}

impl From<Duration> for Timeout {
    fn from(duration: Duration) -> Self {
        Self(Some(duration.as_secs_f64()))
    }
}

impl From<Seconds> for Timeout {
    fn from(seconds: Seconds) -> Self {
        Self(Some(seconds.0))
    }
}
