//! `asyncio.run` and `asyncio.Runner`.

#[cfg(unix)]
use super::signals::Interrupt;
use super::{Coroutine, clock::ClockKind, errors::RuntimeError, event_loop::EventLoop};
use crate::AnyError;

/// Runs `main` on a new loop on the real clock, and returns its result
/// (Python's `asyncio.run`).
///
/// When `main` is done, the tasks still pending are cancelled, in the order
/// they were made, and run until they finish; then the loop is closed.
///
/// Ctrl+C is handled as Python 3.11 handles it, when `run` is called on
/// the main thread and `SIGINT` has its default disposition (Unix): the
/// first `SIGINT` cancels `main`; if `main` then ends cancelled, `run`
/// returns [`KeyboardInterrupt`](super::KeyboardInterrupt) (a `main` that
/// catches the cancellation and returns a value or another error returns
/// that instead). A second `SIGINT` before `main` is done ends the run at
/// once with `KeyboardInterrupt`; the tasks still pending are then
/// cancelled and run to their end as usual, with `SIGINT` back at its
/// default, so that a third one ends the process. Handling a signal takes
/// a turn of the loop: a callback that blocks the thread delays it.
/// Elsewhere Ctrl+C is left alone.
///
/// # Errors
///
/// `main`'s error, or `CancelledError`, or `KeyboardInterrupt`, or the
/// loop's `RuntimeError`.
pub fn run<T: Clone + 'static>(main: Coroutine<T>) -> Result<T, AnyError> {
    run_with(ClockKind::Real, main)
}

/// [`run`] on the clock of your choice: [`ClockKind::Virtual`] runs a
/// program with sleeps in no time, with exact timestamps.
///
/// # Errors
///
/// As [`run`].
pub fn run_with<T: Clone + 'static>(clock: ClockKind, main: Coroutine<T>) -> Result<T, AnyError> {
    if EventLoop::any_running() {
        return Err(
            RuntimeError::new("asyncio.run() cannot be called from a running event loop").into(),
        );
    }
    let runner = Runner::new(clock);
    let result = runner.run(main);
    let closed = runner.close();
    let value = result?;
    closed?;
    Ok(value)
}

/// A loop for several runs (Python's `asyncio.Runner`).
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{coroutine, sleep, ClockKind, Runner};
///
/// let runner = Runner::new(ClockKind::Virtual);
/// let one = runner.run(coroutine("one", |co| async move {
///     co.yield_from(sleep(1.0)).await?;
///     Ok(1)
/// }));
/// let two = runner.run(coroutine("two", |co| async move {
///     co.yield_from(sleep(1.0)).await?;
///     Ok(2)
/// }));
/// assert_eq!((one.unwrap(), two.unwrap()), (1, 2));
/// assert_eq!(runner.time(), 2.0);
/// runner.close().unwrap();
/// ```
#[derive(Debug)]
pub struct Runner {
    lp: EventLoop,
}

impl Runner {
    /// A runner with a new loop on `clock`.
    #[must_use]
    pub fn new(clock: ClockKind) -> Self {
        Self {
            lp: EventLoop::new(clock),
        }
    }

    /// Turns the loop's debug mode on or off, as a builder: Python's
    /// `asyncio.run(main(), debug=True)` is
    /// `Runner::new(clock).with_debug(true).run(main)`, the runner closing
    /// its loop when it is dropped at the end of the statement.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{coroutine, sleep, ClockKind, EventLoop, Runner};
    ///
    /// // asyncio.run(main(), debug=True)
    /// let debug = Runner::new(ClockKind::Virtual).with_debug(true).run(coroutine("main", |_co| async move {
    ///     Ok(EventLoop::running()?.debug())
    /// }));
    /// assert!(debug.unwrap());
    /// ```
    #[must_use]
    pub fn with_debug(self, on: bool) -> Self {
        self.lp.set_debug(on);
        self
    }

    /// The runner's loop.
    #[must_use]
    pub fn event_loop(&self) -> &EventLoop {
        &self.lp
    }

    /// The loop's time (Python's `runner.get_loop().time()`), readable
    /// after a run and after [`close`](Self::close)'s work is done, as long
    /// as the runner is kept: on the virtual clock, how long the program
    /// took.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{coroutine, sleep, ClockKind, Runner};
    ///
    /// let runner = Runner::new(ClockKind::Virtual);
    /// runner.run(coroutine("main", |co| async move { co.yield_from(sleep(2.5)).await })).unwrap();
    /// assert_eq!(runner.time(), 2.5);
    /// ```
    #[must_use]
    pub fn time(&self) -> f64 {
        self.lp.time()
    }

    /// Runs `main` as a task on the runner's loop until it is done,
    /// handling Ctrl+C as [`run`] does.
    ///
    /// # Errors
    ///
    /// As [`EventLoop::run_until_complete`], and
    /// [`KeyboardInterrupt`](super::KeyboardInterrupt) as for [`run`].
    pub fn run<T: Clone + 'static>(&self, main: Coroutine<T>) -> Result<T, AnyError> {
        if EventLoop::any_running() {
            return Err(RuntimeError::new(
                "Runner.run() cannot be called from a running event loop",
            )
            .into());
        }
        let task = self.lp.create_task(main)?;
        #[cfg(unix)]
        let interrupt = Interrupt::install(&self.lp, task.as_ref_erased());
        let outcome = self.lp.run_until_done(task.future());
        #[cfg(unix)]
        if let Some(interrupt) = interrupt {
            return interrupt.finish(outcome);
        }
        outcome
    }

    /// Cancels the tasks still pending, in creation order, runs them until
    /// they finish, and closes the loop. Dropping a runner does the same.
    ///
    /// # Errors
    ///
    /// A `RuntimeError` from the loop. The loop is closed all the same,
    /// unless it is running.
    pub fn close(self) -> Result<(), AnyError> {
        self.shut_down()
    }

    fn shut_down(&self) -> Result<(), AnyError> {
        let pending = self.lp.all_tasks();
        let mut finished = Ok(());
        if !pending.is_empty() {
            for task in &pending {
                task.cancel();
            }
            finished = self.lp.run_until_done(&self.lp.all_done(&pending));
        }
        // Closed even when the tasks could not be run to the end: what is
        // still pending is destroyed and reported, not leaked.
        let closed = self.lp.close();
        finished.and(closed)
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        if !self.lp.is_closed() {
            let _ = self.shut_down();
        }
    }
}
