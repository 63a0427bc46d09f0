//! asyncio's `Task`: a coroutine driven by the loop.

use super::{
    Coroutine, Suspend,
    errors::{CancelledError, RuntimeError, TaskPanicked},
    event_loop::EventLoop,
    future::{Future, FutureInner},
    handle::{Label, TaskName},
    ready::Steppable,
    record,
    remote::RustWaiters,
};
use crate::{AnyError, Error, Step, exception::panic_message};
use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    fmt,
    panic::{self, AssertUnwindSafe},
    rc::Rc,
    sync::atomic::{AtomicU64, Ordering},
};

/// Numbers the tasks that are not given a name, as CPython's `Task-N`.
static TASK_COUNTER: AtomicU64 = AtomicU64::new(1);

/// How deep cancellation recurses through tasks waiting on tasks before
/// the rest is queued.
const MAX_CANCEL_DEPTH: usize = 256;

thread_local! {
    /// How many `cancel_message` calls are on this thread's stack.
    static CANCEL_DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Cancellations past `MAX_CANCEL_DEPTH`, for the outermost call to run.
    static DEFERRED_CANCELS: RefCell<VecDeque<Box<dyn FnOnce()>>> =
        const { RefCell::new(VecDeque::new()) };
}

/// A coroutine run by the event loop (Python's `asyncio.Task`).
///
/// The task starts on the loop's next iteration. Each step resumes the
/// coroutine until it yields: a future to wait on, after which the task is
/// stepped again once that future is done (with its error thrown in, if it
/// failed), or nothing, after which it is stepped again on the next
/// iteration. When the coroutine returns or raises, the task is done with
/// that result or error; a task is itself a [`Future`] for anyone waiting
/// on it.
///
/// [`cancel`](Self::cancel) throws `CancelledError` into the coroutine at
/// the point where it waits (or, for a task that has not started, cancels
/// it without running its body). The coroutine may catch it and go on.
///
/// A panic in the coroutine becomes the task's error ([`TaskPanicked`]),
/// and the loop goes on.
///
/// A task and its future are one allocation: `Task<T>` is a handle to
/// the future whose task fields (coroutine, what it waits on, name) are
/// filled in, and [`future`](Self::future) hands that future out as it is.
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{coroutine, run_with, sleep, ClockKind};
///
/// let total = run_with(ClockKind::Virtual, coroutine("main", |co| async move {
///     let lp = yieldfrom::asyncio::EventLoop::running()?;
///     let worker = lp.create_task(coroutine("worker", |co| async move {
///         co.yield_from(sleep(1.0)).await?;
///         Ok(21)
///     }))?;
///     let half = co.yield_from(worker.wait()).await?;
///     Ok(half * 2)
/// }))
/// .unwrap();
/// assert_eq!(total, 42);
/// ```
pub struct Task<T>(pub(super) Future<T>);

impl<T> Clone for Task<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Clone + 'static> Task<T> {
    pub(crate) fn spawn(
        lp: &EventLoop,
        coroutine: Coroutine<T>,
        name: Option<String>,
    ) -> Result<Self, AnyError> {
        if lp.is_closed() {
            return Err(RuntimeError::new("Event loop is closed").into());
        }
        let name = match name {
            Some(name) => TaskName::Given(name.into()),
            None => TaskName::Numbered(TASK_COUNTER.fetch_add(1, Ordering::Relaxed)),
        };
        let coroutine_name = coroutine.name();
        let task = Self(Future::with_task_part(lp, Some(name), Some(coroutine)));
        task.inner()
            .key
            .set(Some(lp.register_task(task.as_ref_erased())));
        if lp.0.recording.get() {
            task.with_name(|name| record::task_created(&lp.0, task.id(), name, coroutine_name));
        }
        task.schedule_step(None)?;
        Ok(task)
    }

    /// The allocation the task and its future share.
    fn inner(&self) -> &FutureInner<T> {
        &self.0.0
    }

    /// Runs `f` on the task's name, borrowed.
    fn with_name<R>(&self, f: impl FnOnce(&TaskName) -> R) -> R {
        with_name(self.inner(), f)
    }

    fn event_loop(&self) -> Result<EventLoop, AnyError> {
        self.0
            .get_loop()
            .ok_or_else(|| RuntimeError::new("Event loop is closed").into())
    }

    fn steppable(&self) -> Rc<dyn Steppable> {
        self.0.0.clone()
    }

    fn schedule_step(&self, error: Option<AnyError>) -> Result<(), AnyError> {
        self.event_loop()?.schedule_step(self.steppable(), error)
    }

    /// One step, as CPython's `Task.__step`, run by `lp`, its loop.
    // Measured: inlined into its two callers (the ready queue's step and a
    // wake-up), a task switch took 2–4% less at 100 and 1000 tasks
    // (docs/performance.md, "The step's outcome through memory, and the
    // switch at tokio's").
    #[inline]
    fn step(&self, lp: &EventLoop, error: Option<AnyError>) {
        let inner = self.inner();
        if self.0.done() {
            return;
        }
        let mut error = error;
        if inner.must_cancel.replace(false)
            && !error.as_ref().is_some_and(AnyError::is::<CancelledError>)
        {
            error = Some(self.cancelled_error());
        }
        // CPython clears `_fut_waiter` here; ours is already clear: a step
        // is queued only for a task that waits on nothing, and `wakeup`
        // takes what it waited on. Not touching it keeps the step off the
        // cache line past the coroutine.
        #[cfg(debug_assertions)]
        {
            let waiting_on = inner.waiting_on.take();
            debug_assert!(waiting_on.is_none(), "a task stepped while it waits");
            inner.waiting_on.set(waiting_on);
        }
        let previous = lp.swap_current_task(Some(self.as_ref_erased()));
        let recording = lp.0.recording.get();
        let stepped = {
            let coroutine = inner.coroutine.borrow();
            let Some(coroutine) = coroutine.as_ref() else {
                lp.swap_current_task(previous);
                return;
            };
            if recording {
                self.with_name(|name| {
                    record::step_started(&lp.0, self.id(), name, coroutine.name());
                });
            }
            // The name is a `String` made only for a subscriber that wants
            // the span: the coroutine may rename its task as it runs.
            #[cfg(feature = "tracing")]
            let _span = tracing::info_span!("task step", task = %self.name()).entered();
            // A yield is dealt with inside the closure, so that what the
            // coroutine yielded does not cross `catch_unwind`'s result:
            // written there in halves and read back whole, it stalled the
            // step (docs/performance.md, "Stores the processor cannot
            // forward").
            panic::catch_unwind(AssertUnwindSafe(|| {
                let outcome = match error {
                    Some(e) => coroutine.throw(e).map_err(Error::without_value),
                    None => coroutine.next_inlined(),
                };
                match outcome {
                    Ok(Step::Yielded(suspend)) => {
                        self.suspend(lp, suspend);
                        None
                    }
                    ended => Some(ended),
                }
            }))
        };
        lp.swap_current_task(previous);
        match stepped {
            Ok(None) => {}
            Ok(Some(Ok(Step::Yielded(_)))) => unreachable!("a yield is dealt with as it is made"),
            Ok(Some(Ok(Step::Returned(value)))) => {
                if inner.must_cancel.replace(false) {
                    self.0.base_cancel(inner.cancel_message());
                } else {
                    let _ = self.0.set_result(value);
                }
                self.finish();
            }
            Ok(Some(Ok(Step::Stopped(())))) => {
                let _ = self
                    .0
                    .set_exception(RuntimeError::new("cannot reuse already awaited coroutine"));
                self.finish();
            }
            Ok(Some(Err(Error::Raised(e)))) => {
                match e.downcast_ref::<CancelledError>() {
                    Some(cancelled) => {
                        self.0.base_cancel(cancelled.message.clone());
                    }
                    None => {
                        let _ = self.0.set_exception(e);
                    }
                }
                self.finish();
            }
            Ok(Some(Err(other))) => {
                let _ = self.0.set_exception(AnyError::from(other));
                self.finish();
            }
            Err(payload) => {
                let _ = self.0.set_exception(TaskPanicked {
                    task: self.name(),
                    message: panic_message(&*payload),
                });
                self.finish();
            }
        }
        if recording {
            self.record_step_ended(lp);
        }
    }

    /// Kept out of line, so that a loop that does not record runs the
    /// same `step` as before recording existed (its size decides what the
    /// compiler inlines into it).
    #[cold]
    #[inline(never)]
    fn record_step_ended(&self, lp: &EventLoop) {
        let inner = self.inner();
        let waiting_on = inner.waiting_on.take();
        inner.waiting_on.set(waiting_on.clone());
        self.with_name(|name| {
            record::step_ended(&lp.0, self.id(), name, &self.0, waiting_on.as_deref());
        });
    }

    /// The task's identity, as its recording knows it.
    fn id(&self) -> *const () {
        self.0.id()
    }

    /// What follows a yield: wait on the future, or give up the turn.
    /// `lp` is the task's loop, which the step already holds.
    #[allow(
        clippy::inline_always,
        reason = "measured: as a call it costs a task step 23 instructions (docs/scheduler.md, \"Recording the loop\")"
    )]
    #[inline(always)]
    fn suspend(&self, lp: &EventLoop, suspend: Suspend) {
        let inner = self.inner();
        let Some(waitable) = suspend.0 else {
            let _ = lp.schedule_step(self.steppable(), None);
            return;
        };
        if waitable.loop_identity() != inner.lp.as_ptr().cast() {
            let _ = self.schedule_step(Some(
                RuntimeError::new(format!(
                    "Task {self:?} got Future attached to a different loop"
                ))
                .into(),
            ));
            return;
        }
        if waitable.id() == self.id() {
            let _ = self.schedule_step(Some(
                RuntimeError::new(format!("Task cannot await on itself: {self:?}")).into(),
            ));
            return;
        }
        waitable.clone().wake_on_done(self.steppable());
        if !inner.must_cancel.get() {
            inner.waiting_on.set(Some(waitable));
            return;
        }
        inner.waiting_on.set(Some(waitable.clone()));
        if waitable.cancel_for_waiter(inner.cancel_message()) {
            inner.must_cancel.set(false);
        }
    }

    /// The future this task waits on is done: step with its outcome, as
    /// CPython's `Task.__wakeup`.
    fn wakeup(&self, lp: &EventLoop) {
        // Taken here, not by the step: a step runs only for a task that
        // waits on nothing.
        let waited = self.inner().waiting_on.take();
        let error = waited.and_then(|w| w.error_for_waiter());
        self.step(lp, error);
    }

    fn finish(&self) {
        let inner = self.inner();
        let coroutine = inner.coroutine.borrow_mut().take();
        drop(coroutine);
        drop(inner.waiting_on.take());
        if let (Some(key), Some(lp)) = (inner.key.take(), inner.lp.upgrade()) {
            lp.unregister_task(key);
        }
    }

    fn cancelled_error(&self) -> AnyError {
        CancelledError {
            message: self.inner().cancel_message(),
        }
        .into()
    }

    /// Asks the task to cancel (Python's `task.cancel()`): `CancelledError`
    /// is thrown into its coroutine where it waits, on its next step.
    /// Returns `false` if the task is already done.
    ///
    /// Python's one `cancel(msg=None)` is two methods here, the same on
    /// [`Task`], [`TaskRef`] and [`Future`]: `cancel()` and
    /// [`cancel_with(msg)`](Self::cancel_with).
    ///
    /// Cancelling a task that waits on another task cancels that one too,
    /// and so on down the chain, as in Python. Past a depth of
    /// `MAX_CANCEL_DEPTH` the rest of the chain is cancelled from a queue
    /// once the outermost cancel is done, instead of from the stack: a
    /// chain of any length is cancelled without overflowing it (CPython
    /// raises `RecursionError` near a thousand).
    pub fn cancel(&self) -> bool {
        self.cancel_message(None)
    }

    /// [`cancel`](Self::cancel) with a message for the `CancelledError`
    /// (Python's `task.cancel(msg)`).
    pub fn cancel_with(&self, message: impl Into<String>) -> bool {
        self.cancel_message(Some(message.into()))
    }

    /// Python's `cancel(msg)`, with the message optional.
    pub(crate) fn cancel_message(&self, message: Option<String>) -> bool {
        if self.0.done() {
            return false;
        }
        let depth = CANCEL_DEPTH.get();
        if depth >= MAX_CANCEL_DEPTH {
            let task = self.clone();
            DEFERRED_CANCELS.with_borrow_mut(|queue| {
                queue.push_back(Box::new(move || {
                    task.cancel_here(message);
                }));
            });
            // Pending now, so the deferred cancel will take: it returns
            // true, as the direct one would.
            return true;
        }
        CANCEL_DEPTH.set(depth + 1);
        let cancelled = self.cancel_here(message);
        CANCEL_DEPTH.set(depth);
        if depth == 0 {
            while let Some(cancel) = DEFERRED_CANCELS.with_borrow_mut(VecDeque::pop_front) {
                CANCEL_DEPTH.set(1);
                cancel();
                CANCEL_DEPTH.set(0);
            }
        }
        cancelled
    }

    /// One task's part of `cancel_message`: cancel what it waits on, or mark
    /// it to be cancelled at its next step.
    fn cancel_here(&self, message: Option<String>) -> bool {
        let inner = self.inner();
        if self.0.done() {
            return false;
        }
        if let Some(lp) = inner.lp.upgrade() {
            if lp.recording.get() {
                self.with_name(|name| {
                    record::cancel_requested(&lp, self.id(), name, message.as_ref());
                });
            }
        }
        let waited = inner.waiting_on.take();
        inner.waiting_on.set(waited.clone());
        if let Some(waited) = waited {
            if waited.cancel_for_waiter(message.clone()) {
                // The wake-up will throw CancelledError in.
                return true;
            }
        }
        inner.must_cancel.set(true);
        inner.set_cancel_message(message);
        true
    }

    /// The task's own future: its result, error or cancellation.
    #[must_use]
    pub fn future(&self) -> &Future<T> {
        &self.0
    }

    /// Whether it is done.
    #[must_use]
    pub fn done(&self) -> bool {
        self.0.done()
    }

    /// Whether it was cancelled.
    #[must_use]
    pub fn cancelled(&self) -> bool {
        self.0.cancelled()
    }

    /// The coroutine's return value.
    ///
    /// # Errors
    ///
    /// As [`Future::result`].
    pub fn result(&self) -> Result<T, AnyError> {
        self.0.result()
    }

    /// The coroutine's error, if it raised one.
    ///
    /// # Errors
    ///
    /// As [`Future::exception`].
    pub fn exception(&self) -> Result<Option<AnyError>, AnyError> {
        self.0.exception()
    }

    /// A coroutine that waits for the task and evaluates to its result:
    /// `await task`.
    pub fn wait(&self) -> Coroutine<T> {
        self.0.wait()
    }

    /// The task's name.
    #[must_use]
    pub fn name(&self) -> String {
        self.with_name(ToString::to_string)
    }

    /// Renames the task.
    pub fn set_name(&self, name: impl Into<String>) {
        self.inner().set_name(TaskName::Given(name.into().into()));
    }

    /// Who awaits the task from async Rust.
    pub(crate) fn rust_waiters(&self) -> &RustWaiters {
        self.inner().rust_waiters()
    }

    /// This task with its result type erased, as `all_tasks` lists it.
    #[must_use]
    pub fn as_ref_erased(&self) -> TaskRef {
        TaskRef(self.0.0.clone())
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_name(&self.0.0, |name| write!(f, "<Task {name} {:?}>", self.0))
    }
}

/// Runs `f` on the name of the task whose future `inner` is. A task's
/// name is always there; a plain future, which is never stepped nor
/// listed as a task, has none.
fn with_name<T, R>(inner: &FutureInner<T>, f: impl FnOnce(&TaskName) -> R) -> R {
    inner.with_name(|name| match name {
        Some(name) => f(name),
        None => f(&TaskName::Numbered(0)),
    })
}

impl<T: Clone + 'static> Steppable for FutureInner<T> {
    fn step(self: Rc<Self>, lp: &EventLoop, error: Option<AnyError>) {
        Task(Future(self)).step(lp, error);
    }

    fn wakeup(self: Rc<Self>, lp: &EventLoop) {
        Task(Future(self)).wakeup(lp);
    }

    fn label(&self) -> Label {
        with_name(self, |name| Label::TaskStep(name.clone()))
    }
}

/// A task of any result type, as [`EventLoop::all_tasks`] and
/// [`EventLoop::current_task`] give it.
#[derive(Clone)]
pub struct TaskRef(Rc<dyn AnyTask>);

trait AnyTask {
    fn name(&self) -> String;
    fn done(&self) -> bool;
    fn cancelled(&self) -> bool;
    fn cancel(self: Rc<Self>, message: Option<String>) -> bool;
    fn on_done(self: Rc<Self>, callback: Box<dyn FnOnce()>);
    fn id(&self) -> *const ();
    /// Destroys a pending task whose loop is going away: its coroutine is
    /// closed and it lets go of what it waits on. It stays pending.
    fn abandon(&self);
}

impl<T: Clone + 'static> AnyTask for FutureInner<T> {
    fn name(&self) -> String {
        with_name(self, ToString::to_string)
    }
    fn done(&self) -> bool {
        self.is_done()
    }
    fn cancelled(&self) -> bool {
        self.is_cancelled()
    }
    fn cancel(self: Rc<Self>, message: Option<String>) -> bool {
        Task(Future(self)).cancel_message(message)
    }
    fn on_done(self: Rc<Self>, callback: Box<dyn FnOnce()>) {
        Future(self).add_done_callback(move |_| callback());
    }
    fn id(&self) -> *const () {
        std::ptr::from_ref(self).cast()
    }
    fn abandon(&self) {
        self.key.take();
        let coroutine = self.coroutine.borrow_mut().take();
        drop(coroutine);
        let waited = self.waiting_on.take();
        drop(waited);
    }
}

impl TaskRef {
    /// The task's name.
    #[must_use]
    pub fn name(&self) -> String {
        self.0.name()
    }

    /// Whether it is done.
    #[must_use]
    pub fn done(&self) -> bool {
        self.0.done()
    }

    /// Whether it was cancelled.
    #[must_use]
    pub fn cancelled(&self) -> bool {
        self.0.cancelled()
    }

    /// Asks the task to cancel, as [`Task::cancel`].
    pub fn cancel(&self) -> bool {
        self.0.clone().cancel(None)
    }

    /// [`cancel`](Self::cancel) with a message for the `CancelledError`,
    /// as [`Task::cancel_with`].
    pub fn cancel_with(&self, message: impl Into<String>) -> bool {
        self.0.clone().cancel(Some(message.into()))
    }

    /// Runs `callback` with `call_soon` once the task is done.
    pub fn add_done_callback(&self, callback: impl FnOnce() + 'static) {
        self.0.clone().on_done(Box::new(callback));
    }

    /// Whether both refer to the same task.
    #[must_use]
    pub fn same(&self, other: &Self) -> bool {
        self.0.id() == other.0.id()
    }

    pub(crate) fn abandon(&self) {
        self.0.abandon();
    }

    /// The task's identity, as its recording knows it.
    pub(crate) fn id(&self) -> *const () {
        self.0.id()
    }
}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Task {}>", self.0.name())
    }
}
