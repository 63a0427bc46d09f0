//! The event loop: a queue of ready callbacks, a heap of timers, a clock.

#[cfg(unix)]
use super::selector::Selector;
use super::{
    Coroutine,
    alarm::Alarm,
    clock::{Clock, ClockKind},
    delay::Seconds,
    errors::RuntimeError,
    errors::ValueError,
    future::Future,
    handle::{Callback, Handle, HandleInner, Label},
    ready::{Ready, ReadyQueue, Steppable},
    record::{self, Recorder},
    registry::{Key, Registry},
    remote::{Local, Remote},
    report::LoopReport,
    task::{Task, TaskRef},
    timers::{Entry, Timers},
};
use crate::{AnyError, exception::panic_message};
use std::{
    cell::{Cell, RefCell},
    fmt,
    panic::{self, AssertUnwindSafe},
    rc::Rc,
    time::Duration,
};

thread_local! {
    static RUNNING: RefCell<Option<EventLoop>> = const { RefCell::new(None) };
}

/// A single-threaded event loop in the manner of asyncio's: it runs
/// callbacks, fires timers on its clock, and drives tasks.
///
/// One iteration works as CPython's `BaseEventLoop._run_once`: the callbacks
/// that are ready when it starts run in it, in the order they were
/// scheduled; callbacks they schedule run in the next iteration; timers
/// that are due join the queue after them, earliest deadline first and, on
/// a tie, in the order they were scheduled. When nothing is ready the loop
/// waits for its next timer: on the real clock by sleeping, on the virtual
/// clock by jumping to it.
///
/// `EventLoop` is a cheap handle (`Clone` shares the loop).
///
/// # Examples
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use yieldfrom::asyncio::{ClockKind, EventLoop};
///
/// let lp = EventLoop::new(ClockKind::Virtual);
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
/// let stopper = lp.clone();
/// lp.call_later(2.0, move || l1.borrow_mut().push("later")).unwrap();
/// lp.call_soon(move || l2.borrow_mut().push("soon")).unwrap();
/// lp.call_at(1.0, move || l3.borrow_mut().push("at 1.0")).unwrap();
/// lp.call_later(3.0, move || stopper.stop()).unwrap();
/// lp.run_forever().unwrap();
/// assert_eq!(*log.borrow(), ["soon", "at 1.0", "later"]);
/// assert_eq!(lp.time(), 3.0);
/// ```
#[derive(Clone)]
pub struct EventLoop(pub(crate) Rc<LoopInner>);

pub(crate) struct LoopInner {
    pub(super) ready: RefCell<ReadyQueue>,
    pub(crate) timers: RefCell<Timers>,
    pub(crate) clock: Clock,
    running: Cell<bool>,
    pub(super) stopping: Cell<bool>,
    closed: Cell<bool>,
    /// Every task made on this loop that is not done, in creation order.
    tasks: RefCell<Registry<TaskRef>>,
    pub(crate) current_task: Cell<Option<TaskRef>>,
    pub(super) debug: Cell<bool>,
    /// Seconds, as Python keeps it: a NaN threshold is never reached.
    pub(super) slow_callback_duration: Cell<f64>,
    reporter: RefCell<Option<Reporter>>,
    /// What other threads may touch.
    pub(crate) remote: Remote,
    /// What the bridge keeps on the loop's side.
    pub(crate) local: Local,
    /// The descriptors the loop watches; made when the first one is.
    #[cfg(unix)]
    pub(crate) selector: RefCell<Option<Rc<Selector>>>,
    /// What closing the loop closes before its selector: its transports
    /// and servers, each entry closing one.
    #[cfg(unix)]
    pub(crate) closers: RefCell<Registry<Box<dyn Fn()>>>,
    /// The signals the loop handles.
    #[cfg(unix)]
    pub(crate) signals: super::signals::LoopSignals,
    /// Whether the loop records: the one thing each recording hook checks.
    pub(crate) recording: Cell<bool>,
    pub(crate) recorder: RefCell<Option<Box<Recorder>>>,
}

type Reporter = Rc<dyn Fn(&LoopReport)>;

impl EventLoop {
    /// Makes a loop on the given clock. Nothing runs until it is run.
    #[must_use]
    pub fn new(clock: ClockKind) -> Self {
        Self(Rc::new(LoopInner {
            ready: RefCell::new(ReadyQueue::default()),
            timers: RefCell::new(Timers::default()),
            clock: Clock::new(clock),
            running: Cell::new(false),
            stopping: Cell::new(false),
            closed: Cell::new(false),
            tasks: RefCell::new(Registry::default()),
            current_task: Cell::new(None),
            debug: Cell::new(false),
            slow_callback_duration: Cell::new(0.1),
            reporter: RefCell::new(None),
            remote: Remote::new(),
            local: Local::default(),
            #[cfg(unix)]
            selector: RefCell::new(None),
            #[cfg(unix)]
            closers: RefCell::new(Registry::default()),
            #[cfg(unix)]
            signals: super::signals::LoopSignals::default(),
            recording: Cell::new(false),
            recorder: RefCell::new(None),
        }))
    }

    /// The loop running on this thread (Python's `asyncio.get_running_loop`).
    ///
    /// # Errors
    ///
    /// `RuntimeError("no running event loop")` when none is running.
    pub fn running() -> Result<Self, AnyError> {
        RUNNING
            .with(|r| r.borrow().clone())
            .ok_or_else(|| RuntimeError::new("no running event loop").into())
    }

    /// The loop's time in seconds (Python's `loop.time()`): monotonic time
    /// since the loop was made, or the virtual time.
    #[must_use]
    pub fn time(&self) -> f64 {
        self.0.clock.now()
    }

    /// Which clock the loop runs on.
    #[must_use]
    pub fn clock(&self) -> ClockKind {
        self.0.clock.kind()
    }

    /// Schedules `callback` to run in the next iteration, after the
    /// callbacks already scheduled (Python's `loop.call_soon`).
    ///
    /// # Errors
    ///
    /// `RuntimeError("Event loop is closed")` on a closed loop.
    pub fn call_soon(&self, callback: impl FnOnce() + 'static) -> Result<Handle, AnyError> {
        self.schedule_soon(Box::new(callback), Label::Callback)
    }

    /// Schedules `callback` to run `delay` seconds from now (Python's
    /// `loop.call_later`): `f64` or whole seconds, or a `Duration`
    /// ([`Seconds`]). A negative delay, `-inf` included, is a delay of
    /// 0; a delay of `+inf` schedules a timer that never fires (it can
    /// still be cancelled).
    ///
    /// # Errors
    ///
    /// `RuntimeError("Event loop is closed")` on a closed loop;
    /// `ValueError("Invalid value NaN (not a number)")` for a NaN delay, as
    /// Python's `time.sleep` says (asyncio itself files a NaN timer at a
    /// random place in its heap, where it may fire at once or never).
    pub fn call_later(
        &self,
        delay: impl Into<Seconds>,
        callback: impl FnOnce() + 'static,
    ) -> Result<Handle, AnyError> {
        let delay = delay.into().get();
        self.schedule_timer(self.time() + delay, Some(delay), callback)
    }

    /// Schedules `callback` to run at loop time `when` (Python's
    /// `loop.call_at`): a point on the loop's clock, as [`time`](Self::time)
    /// gives it, so an `f64` and not a delay. Timers with equal deadlines run in the order they
    /// were scheduled; a deadline in the past is due at once, and one at
    /// `+inf` never is.
    ///
    /// # Errors
    ///
    /// `RuntimeError("Event loop is closed")` on a closed loop;
    /// `ValueError` for a NaN deadline, as [`call_later`](Self::call_later).
    pub fn call_at(
        &self,
        when: f64,
        callback: impl FnOnce() + 'static,
    ) -> Result<Handle, AnyError> {
        self.schedule_timer(when, None, callback)
    }

    /// A timer at `when`, set `delay` seconds from now if it was set so.
    fn schedule_timer(
        &self,
        when: f64,
        delay: Option<f64>,
        callback: impl FnOnce() + 'static,
    ) -> Result<Handle, AnyError> {
        self.check_closed()?;
        check_not_nan(when)?;
        let handle = HandleInner::new_timer(Box::new(callback), when, Rc::downgrade(&self.0));
        self.file_timer(when, delay, Entry::Handle(handle.clone()));
        Ok(Handle(handle))
    }

    /// Puts a timer due at `when` in the queue, in the lane of its delay
    /// if it was set with one, and records it.
    fn file_timer(&self, when: f64, delay: Option<f64>, entry: Entry) {
        let mut timers = self.0.timers.borrow_mut();
        match delay {
            Some(delay) => timers.push_after(when, delay, entry),
            None => timers.push(when, entry),
        }
        drop(timers);
        if self.0.recording.get() {
            record::timer_scheduled(&self.0, when);
        }
    }

    /// Sets an alarm `delay` seconds from now, for `sleep`: a timer, as
    /// [`call_later`](Self::call_later) schedules, that wakes the task
    /// waiting on it.
    pub(crate) fn alarm_later(&self, delay: f64) -> Result<Rc<Alarm>, AnyError> {
        self.check_closed()?;
        let when = self.time() + delay;
        check_not_nan(when)?;
        let alarm = Alarm::new(when, self);
        self.file_timer(when, Some(delay), Entry::Alarm(alarm.clone()));
        Ok(alarm)
    }

    pub(crate) fn schedule_soon(
        &self,
        callback: Callback,
        label: Label,
    ) -> Result<Handle, AnyError> {
        self.check_closed()?;
        let handle = HandleInner::new(callback, label);
        self.0
            .ready
            .borrow_mut()
            .push_back(Ready::Handle(handle.clone()));
        Ok(Handle(handle))
    }

    /// Queues a task's next step.
    // Measured: inlined into a task's step, a switch took 1–3% less.
    #[inline]
    pub(crate) fn schedule_step(
        &self,
        task: Rc<dyn Steppable>,
        error: Option<AnyError>,
    ) -> Result<(), AnyError> {
        self.check_closed()?;
        self.0
            .ready
            .borrow_mut()
            .push_back(Ready::Step(task, error));
        Ok(())
    }

    /// Queues a task's wake-up, as `call_soon(task.__wakeup)`; a closed
    /// loop drops it.
    pub(crate) fn schedule_wakeup(&self, task: Rc<dyn Steppable>) {
        if !self.0.closed.get() {
            self.0.ready.borrow_mut().push_back(Ready::Wakeup(task));
        }
    }

    /// Whether `run_forever` may start: CPython's `_check_closed` and
    /// `_check_running`.
    fn check_can_run(&self) -> Result<(), AnyError> {
        self.check_closed()?;
        if self.0.running.get() {
            return Err(RuntimeError::new("This event loop is already running").into());
        }
        if Self::any_running() {
            return Err(RuntimeError::new(
                "Cannot run the event loop while another loop is running",
            )
            .into());
        }
        Ok(())
    }

    /// Whether a loop is running on this thread.
    pub(crate) fn any_running() -> bool {
        RUNNING.with(|r| r.borrow().is_some())
    }

    fn check_closed(&self) -> Result<(), AnyError> {
        if self.0.closed.get() {
            return Err(RuntimeError::new("Event loop is closed").into());
        }
        Ok(())
    }

    /// Runs until [`stop`](Self::stop) is called (Python's
    /// `loop.run_forever`).
    ///
    /// # Errors
    ///
    /// `RuntimeError` if the loop is closed or already running, or another
    /// loop runs on this thread, or nothing is left that could ever run
    /// (no ready callback, no timer): CPython would wait forever there.
    pub fn run_forever(&self) -> Result<(), AnyError> {
        self.check_can_run()?;
        let _running = Running::enter(self);
        loop {
            self.run_once()?;
            if self.0.stopping.get() {
                break;
            }
        }
        Ok(())
    }

    /// Runs `main` as a task until it is done, and returns its result
    /// (Python's `loop.run_until_complete`).
    ///
    /// # Errors
    ///
    /// The task's error, or `CancelledError` if it was cancelled; a
    /// `RuntimeError` as for [`run_forever`](Self::run_forever), or
    /// "Event loop stopped before Future completed." if `stop` ended the
    /// loop first.
    pub fn run_until_complete<T: Clone + 'static>(
        &self,
        main: Coroutine<T>,
    ) -> Result<T, AnyError> {
        // Refuse before the task exists, so that `main` never runs.
        self.check_can_run()?;
        let task = self.create_task(main)?;
        self.run_until_done(task.future())
    }

    /// Runs until `future` is done, and returns its result.
    ///
    /// # Errors
    ///
    /// As [`run_until_complete`](Self::run_until_complete).
    pub fn run_until_done<T: Clone + 'static>(&self, future: &Future<T>) -> Result<T, AnyError> {
        self.check_can_run()?;
        let stopper = self.clone();
        let stop = future.add_done_callback(move |_| stopper.stop());
        let ran = self.run_forever();
        // A future still pending must not stop a later run.
        future.remove_done_callback(stop);
        ran?;
        if !future.done() {
            return Err(RuntimeError::new("Event loop stopped before Future completed.").into());
        }
        future.result()
    }

    /// Makes the loop stop once the current iteration is done (Python's
    /// `loop.stop`). Calling it before the loop runs makes the next run do
    /// one iteration.
    pub fn stop(&self) {
        self.0.stopping.set(true);
    }

    /// Whether the loop is running.
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.0.running.get()
    }

    /// Whether the loop is closed.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.0.closed.get()
    }

    /// Closes the loop: it drops every pending callback and timer, and can
    /// no longer run or schedule (Python's `loop.close`). Closing twice
    /// does nothing.
    ///
    /// A task still pending is destroyed, oldest first: it is reported
    /// ([`LoopReport::TaskDestroyedPending`]) and its coroutine is closed,
    /// so that its `finally` blocks and `GeneratorExit` handlers run, as
    /// CPython does when it collects such a task. Dropping the last handle
    /// to a loop that was not closed does the same. (A coroutine that keeps
    /// an `EventLoop` in a local across a wait keeps its loop alive; only
    /// `close` reaches it then, as only the garbage collector would in
    /// Python.) To let pending tasks finish instead, cancel them and run
    /// the loop until they are done first, as [`Runner::close`](super::Runner::close) does.
    ///
    /// # Errors
    ///
    /// `RuntimeError("Cannot close a running event loop")`.
    pub fn close(&self) -> Result<(), AnyError> {
        if self.0.running.get() {
            return Err(RuntimeError::new("Cannot close a running event loop").into());
        }
        if self.0.closed.replace(true) {
            return Ok(());
        }
        self.0.shut_down();
        self.close_bridge();
        Ok(())
    }

    /// Wraps `coroutine` in a task scheduled to start on the next
    /// iteration (Python's `loop.create_task`), named `Task-N`.
    ///
    /// # Errors
    ///
    /// `RuntimeError("Event loop is closed")` on a closed loop.
    pub fn create_task<T: Clone + 'static>(
        &self,
        coroutine: Coroutine<T>,
    ) -> Result<Task<T>, AnyError> {
        Task::spawn(self, coroutine, None)
    }

    /// As [`create_task`](Self::create_task), with a name (Python's
    /// `create_task(coro, name=...)`), which may be made at run time; the
    /// coroutine's own name is its function's, a `&'static str` (see
    /// [`Generator`](crate::Generator#bounds)).
    ///
    /// # Errors
    ///
    /// `RuntimeError("Event loop is closed")` on a closed loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{coroutine, sleep, ClockKind, EventLoop};
    ///
    /// let lp = EventLoop::new(ClockKind::Virtual);
    /// let workers: Vec<_> = (1..=3)
    ///     .map(|i| lp.create_named_task(coroutine("worker", |co| co_sleep(co)), format!("worker-{i}")).unwrap())
    ///     .collect();
    /// # async fn co_sleep(co: yieldfrom::asyncio::CoroutineCo) -> Result<(), yieldfrom::AnyError> {
    /// #     co.yield_from(sleep(1.0)).await
    /// # }
    /// assert_eq!(workers[2].name(), "worker-3");
    /// ```
    pub fn create_named_task<T: Clone + 'static>(
        &self,
        coroutine: Coroutine<T>,
        name: impl Into<String>,
    ) -> Result<Task<T>, AnyError> {
        Task::spawn(self, coroutine, Some(name.into()))
    }

    /// Makes a future bound to this loop (Python's `loop.create_future`).
    #[must_use]
    pub fn create_future<T: Clone + 'static>(&self) -> Future<T> {
        Future::new(self)
    }

    /// Turns debug mode on or off (Python's `loop.set_debug`). In debug
    /// mode a callback or task step that runs for at least
    /// [`slow_callback_duration`](Self::set_slow_callback_duration) is
    /// reported, with its duration and the task's name.
    pub fn set_debug(&self, on: bool) {
        self.0.debug.set(on);
    }

    /// Whether debug mode is on.
    #[must_use]
    pub fn debug(&self) -> bool {
        self.0.debug.get()
    }

    /// The threshold for slow-callback reports (Python's
    /// `loop.slow_callback_duration`, default 0.1 s), in seconds or as a
    /// `Duration` ([`Seconds`]). As in Python, an entry is reported when it
    /// ran for at least that long: never for a NaN or `+inf` threshold,
    /// always for one of 0 or less.
    pub fn set_slow_callback_duration(&self, duration: impl Into<Seconds>) {
        self.0.slow_callback_duration.set(duration.into().get());
    }

    /// Accounts for `duration` of work done by the callback or task step
    /// that is running, as if it had kept the CPU that long ("this step
    /// takes 0.3 s"), so that a simulation shows what busy work does to
    /// the loop.
    ///
    /// On the virtual clock the clock moves forward by `duration` at once:
    /// [`time`](Self::time) says so, timers that fall due meanwhile run
    /// late, timeouts around the work see it, and in debug mode the entry
    /// is reported as slow if the simulated work (plus the real time it
    /// took) reaches [`set_slow_callback_duration`](Self::set_slow_callback_duration).
    /// On the real clock the thread sleeps for `duration`: the work takes
    /// real time, as the same program's busy step would, and the loop
    /// sees it as it sees any blocking call.
    ///
    /// A duration of 0 or less does nothing.
    ///
    /// # Errors
    ///
    /// `ValueError` for a NaN or infinite duration: a step that never ends
    /// cannot be simulated.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use yieldfrom::asyncio::{coroutine, ClockKind, EntryKind, EventLoop, LoopReport};
    ///
    /// let lp = EventLoop::new(ClockKind::Virtual);
    /// lp.set_debug(true);
    /// let reports = Rc::new(RefCell::new(Vec::new()));
    /// let sink = reports.clone();
    /// lp.set_reporter(move |report| sink.borrow_mut().push(report.clone()));
    /// lp.run_until_complete(coroutine("cruncher", |_co| async move {
    ///     EventLoop::running()?.simulate_work(0.3)?; // 0.3 s of CPU
    ///     Ok(())
    /// }))
    /// .unwrap();
    /// assert_eq!(lp.time(), 0.3);
    /// let reports = reports.borrow();
    /// let LoopReport::SlowCallback { kind, duration, .. } = &reports[0] else { panic!() };
    /// assert!(matches!(kind, EntryKind::TaskStep { .. }));
    /// assert!(duration.as_secs_f64() >= 0.3);
    /// ```
    pub fn simulate_work(&self, duration: impl Into<Seconds>) -> Result<(), AnyError> {
        let seconds = duration.into().get();
        if !seconds.is_finite() {
            return Err(ValueError::new(format!(
                "simulated work must take a finite time, not {seconds}"
            ))
            .into());
        }
        if seconds <= 0.0 {
            return Ok(());
        }
        match &self.0.clock {
            Clock::Virtual(_) => self.0.clock.jump_to(self.time() + seconds),
            Clock::Real(_) => std::thread::sleep(Duration::from_secs_f64(seconds)),
        }
        Ok(())
    }

    /// Where the loop's reports go (Python's
    /// `loop.set_exception_handler`); by default one line each on stderr,
    /// like asyncio's logger. A reporter that panics does not stop the
    /// loop: the panic and the report it was given go to stderr, as
    /// CPython logs "Unhandled error in exception handler", and the
    /// reporter stays in place for the next report.
    pub fn set_reporter(&self, reporter: impl Fn(&LoopReport) + 'static) {
        *self.0.reporter.borrow_mut() = Some(Rc::new(reporter));
    }

    pub(crate) fn report(&self, report: &LoopReport) {
        self.0.report(report);
    }

    pub(crate) fn register_task(&self, task: TaskRef) -> Key {
        self.0.tasks.borrow_mut().insert(task)
    }

    /// The tasks made on this loop that are not done, in creation order
    /// (Python's `asyncio.all_tasks`).
    #[must_use]
    pub fn all_tasks(&self) -> Vec<TaskRef> {
        self.0.tasks.borrow().iter().cloned().collect()
    }

    /// A future of this loop that becomes done once every task in `tasks`
    /// is done, however each ended: what Python's shutdown code awaits as
    /// `gather(*tasks, return_exceptions=True)`, with the results left in
    /// the tasks. Done at once if `tasks` is empty.
    ///
    /// # Examples
    ///
    /// Cancel whatever is still pending and let it unwind, as
    /// `asyncio.run` does on its way out:
    ///
    /// ```
    /// use yieldfrom::asyncio::{ClockKind, EventLoop, coroutine, sleep};
    ///
    /// let lp = EventLoop::new(ClockKind::Virtual);
    /// for name in ["a", "b"] {
    ///     lp.create_task(coroutine(name, |co| async move {
    ///         co.yield_from(sleep(60.0)).await?;
    ///         Ok(())
    ///     }))
    ///     .unwrap();
    /// }
    /// lp.run_until_complete(coroutine("main", |co| async move {
    ///     co.yield_from(sleep(1.0)).await
    /// }))
    /// .unwrap();
    /// let pending = lp.all_tasks();
    /// for task in &pending {
    ///     task.cancel();
    /// }
    /// lp.run_until_done(&lp.all_done(&pending)).unwrap();
    /// assert!(pending.iter().all(|t| t.cancelled()));
    /// ```
    #[must_use]
    pub fn all_done(&self, tasks: &[TaskRef]) -> Future<()> {
        let all_done: Future<()> = self.create_future();
        let pending: Vec<&TaskRef> = tasks.iter().filter(|t| !t.done()).collect();
        if pending.is_empty() {
            let _ = all_done.set_result(());
            return all_done;
        }
        let remaining = Rc::new(Cell::new(pending.len()));
        for task in pending {
            let (remaining, all_done) = (remaining.clone(), all_done.clone());
            task.add_done_callback(move || {
                remaining.set(remaining.get() - 1);
                if remaining.get() == 0 {
                    let _ = all_done.set_result(());
                }
            });
        }
        all_done
    }

    /// The task whose step is running (Python's `asyncio.current_task`).
    #[must_use]
    pub fn current_task(&self) -> Option<TaskRef> {
        let current = self.0.current_task.take();
        self.0.current_task.set(current.clone());
        current
    }

    pub(crate) fn swap_current_task(&self, task: Option<TaskRef>) -> Option<TaskRef> {
        self.0.current_task.replace(task)
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("clock", &self.clock())
            .field("running", &self.is_running())
            .field("closed", &self.is_closed())
            .field("debug", &self.debug())
            .finish_non_exhaustive()
    }
}

/// Refuses a NaN delay or deadline: it has no place among the others.
fn check_not_nan(when: f64) -> Result<(), AnyError> {
    if when.is_nan() {
        return Err(ValueError::new("Invalid value NaN (not a number)").into());
    }
    Ok(())
}

impl LoopInner {
    pub(crate) fn report(&self, report: &LoopReport) {
        let reporter = self.reporter.borrow().clone();
        let Some(reporter) = reporter else {
            eprintln!("{report}");
            return;
        };
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| reporter(report))) {
            eprintln!(
                "Unhandled error in exception handler: panicked: {}\ncontext: {report}",
                panic_message(&*payload)
            );
        }
    }

    pub(crate) fn unregister_task(&self, key: Key) {
        // Taken out before it is dropped: dropping a task may run code
        // that looks at the registry.
        let task = self.tasks.borrow_mut().remove(key);
        drop(task);
    }

    /// A timer still in the heap was cancelled (see `Timers::cancelled_one`).
    pub(crate) fn timer_cancelled(&self) {
        if let Ok(mut timers) = self.timers.try_borrow_mut() {
            timers.cancelled_one();
        }
    }

    /// What closing (or dropping) the loop leaves behind: nothing. Queued
    /// callbacks and timers are dropped, and every pending task is
    /// reported and its coroutine closed, oldest first.
    fn shut_down(&self) {
        let ready = self.ready.borrow_mut().take();
        let timers = self.timers.borrow_mut().take_all();
        drop((ready, timers));
        #[cfg(unix)]
        self.signals.clear();
        #[cfg(unix)]
        {
            let closers = self.closers.borrow_mut().drain();
            for close in closers {
                close();
            }
        }
        #[cfg(unix)]
        if let Some(selector) = self.selector.borrow_mut().take() {
            selector.clear();
        }
        let pending = self.tasks.borrow_mut().drain();
        for task in pending {
            self.report(&LoopReport::TaskDestroyedPending { task: task.name() });
            task.abandon();
        }
    }
}

impl Drop for LoopInner {
    fn drop(&mut self) {
        if !self.closed.replace(true) {
            self.shut_down();
        }
    }
}

/// Marks a loop as running on this thread until dropped, even by a panic.
struct Running(EventLoop);

impl Running {
    fn enter(lp: &EventLoop) -> Self {
        lp.0.running.set(true);
        RUNNING.with(|r| *r.borrow_mut() = Some(lp.clone()));
        Self(lp.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.0.stopping.set(false);
        self.0.0.running.set(false);
        RUNNING.with(|r| r.borrow_mut().take());
    }
}

#[cfg(test)]
mod tests {
    use super::{ClockKind, EventLoop};
    use crate::asyncio::timers::MIN_CANCELLED_TO_PURGE;
    use std::{cell::RefCell, rc::Rc};

    #[test]
    fn a_million_cancelled_timers_leave_the_heap_near_empty() {
        let lp = EventLoop::new(ClockKind::Virtual);
        let live = lp.call_later(1.0, || {}).unwrap();
        let mut most = 0;
        for i in 0..1_000_000_u32 {
            let handle = lp.call_later(2.0 + f64::from(i), || {}).unwrap();
            handle.cancel();
            most = most.max(lp.0.timers.borrow().len());
        }
        assert!(!live.cancelled());
        assert!(
            most <= 2 * MIN_CANCELLED_TO_PURGE + 2,
            "the heap held {most} timers at its largest"
        );
    }

    #[test]
    fn timers_left_after_a_purge_still_fire_in_deadline_order() {
        let lp = EventLoop::new(ClockKind::Virtual);
        let fired = Rc::new(RefCell::new(Vec::new()));
        for i in (0..300_u32).rev() {
            let fired = fired.clone();
            let handle = lp
                .call_later(f64::from(i), move || fired.borrow_mut().push(i))
                .unwrap();
            if i % 3 != 0 {
                handle.cancel();
            }
        }
        assert!(lp.0.timers.borrow().len() < 300, "no purge happened");
        let stopper = lp.clone();
        lp.call_later(1000.0, move || stopper.stop()).unwrap();
        lp.run_forever().unwrap();
        let expected: Vec<u32> = (0..300).filter(|i| i % 3 == 0).collect();
        assert_eq!(*fired.borrow(), expected);
    }

    #[test]
    fn cancelling_a_timer_that_already_fired_does_not_count_towards_a_purge() {
        let lp = EventLoop::new(ClockKind::Virtual);
        let fired: Vec<_> = (0..200)
            .map(|_| lp.call_later(0.0, || {}).unwrap())
            .collect();
        let stopper = lp.clone();
        lp.call_later(0.0, move || stopper.stop()).unwrap();
        lp.run_forever().unwrap();
        for handle in &fired {
            handle.cancel();
        }
        assert_eq!(lp.0.timers.borrow().cancelled(), 0);
    }
}
