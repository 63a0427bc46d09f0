//! asyncio's `Future`: a result that will be set later, with callbacks.

use super::{
    Coroutine, Task,
    errors::{CancelledError, InvalidStateError},
    event_loop::{EventLoop, LoopInner},
    handle::{Label, TaskName},
    ready::Steppable,
    record::Outcome,
    registry::Key,
    remote::RustWaiters,
    report::LoopReport,
};
use crate::AnyError;
use std::{
    cell::{Cell, OnceCell, RefCell},
    fmt,
    rc::{Rc, Weak},
};

/// A result that is not there yet (Python's `asyncio.Future`).
///
/// A future is pending until [`set_result`](Self::set_result),
/// [`set_exception`](Self::set_exception) or [`cancel`](Self::cancel) makes
/// it done; then its done callbacks are scheduled on its loop with
/// `call_soon`, in the order they were added. A coroutine waits for it with
/// `future.wait_in(&co)` (Python's `await future`), or with
/// `co.yield_from(future.wait())`, which also makes a coroutine of the
/// wait; either evaluates to the result, or raises the error (or
/// `CancelledError`) at that point.
///
/// `Future` is a cheap handle: clones share the same future.
///
/// # Bounds
///
/// **`T` is `Clone`** (and so is a task's result type): a result is
/// handed to every coroutine that awaits the future, every callback and
/// every call of [`result`](Self::result), as Python hands each the same
/// object; Rust can only do that by cloning. A value that cannot be cloned
/// goes in an `Rc`, which is Python's sharing made explicit:
///
/// ```compile_fail,E0277
/// use yieldfrom::asyncio::{ClockKind, EventLoop};
///
/// struct Connection;
/// let lp = EventLoop::new(ClockKind::Virtual);
/// // Refused: `Connection` is not `Clone`.
/// let fut = lp.create_future::<Connection>();
/// ```
///
/// ```
/// use std::rc::Rc;
/// use yieldfrom::asyncio::{ClockKind, EventLoop};
///
/// struct Connection;
/// let lp = EventLoop::new(ClockKind::Virtual);
/// let fut = lp.create_future::<Rc<Connection>>();
/// fut.set_result(Rc::new(Connection)).unwrap();
/// assert!(fut.result().is_ok());
/// ```
///
/// For several results of different types, [`gather_tuple`](super::gather_tuple)
/// gives a tuple.
///
/// It is also a [`std::future::Future`] of its result, as a [`Task`] is,
/// for async Rust on the loop's thread (in [`EventLoop::wrap_future`], for
/// example): `future.await` evaluates to `Result<T, AnyError>`.
///
/// The name is Python's; `use yieldfrom::asyncio::*` brings it in over the
/// standard prelude's `Future` trait. [`prelude`](super::prelude) leaves it
/// out.
///
/// [`Task`]: super::Task
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{coroutine, ClockKind, EventLoop, Future};
///
/// let lp = EventLoop::new(ClockKind::Virtual);
/// let fut: Future<&str> = lp.create_future();
/// let setter = fut.clone();
/// lp.call_later(1.5, move || setter.set_result("ready").unwrap()).unwrap();
/// let waiter = fut.clone();
/// let answer = lp
///     .run_until_complete(coroutine("main", |co| async move {
///         waiter.wait_in(&co).await
///     }))
///     .unwrap();
/// assert_eq!(answer, "ready");
/// assert_eq!(lp.time(), 1.5);
/// ```
pub struct Future<T>(pub(crate) Rc<FutureInner<T>>);

/// The one allocation behind a future, and behind a task: a task is a
/// future with a coroutine to drive, so `Task<T>` and its `Future<T>` are
/// handles to the same `FutureInner<T>`. A plain future leaves the task
/// fields empty (`name` is `None`).
///
/// In declaration order (`repr(C)`): what every step of a task reads first
/// (its state, its flags, its coroutine), next to the `Rc`'s counts, then
/// what a wake-up reads (what the task waits on, the loop, the first done
/// callback), then what only a cancellation, a rename or a recording
/// reads. A step that gives up its turn so touches two or three cache
/// lines of the task, and no other allocation for its state. What few
/// futures use (callbacks beyond the first, a custom cancel handler, a
/// task's cancel message, async Rust waiters) is in `cold`, made on first
/// use (docs/performance.md, "A task in one allocation").
#[repr(C)]
pub(crate) struct FutureInner<T> {
    state: RefCell<State<T>>,
    /// A task is to throw `CancelledError` into its coroutine at its next
    /// step (Python's `Task._must_cancel`).
    pub(super) must_cancel: Cell<bool>,
    /// An error is set and nobody has looked at it yet.
    unretrieved: Cell<bool>,
    /// It is a task's (whose `cancel` cancels the task).
    task: Cell<bool>,
    /// A task's coroutine; `None` once the task is done, and for a plain
    /// future.
    pub(super) coroutine: RefCell<Option<Coroutine<T>>>,
    /// What a task waits on (Python's `Task._fut_waiter`).
    pub(super) waiting_on: Cell<Option<Rc<dyn Waitable>>>,
    /// Weak, so that a loop nobody holds any more is dropped, and its
    /// pending tasks with it, though they name it.
    pub(super) lp: Weak<LoopInner>,
    /// The first done callback not yet scheduled, by id. Most futures get
    /// exactly one, the wake-up of the task waiting on them, so it costs no
    /// allocation; the others are in `cold`.
    first_callback: RefCell<Option<(u64, OnDone<T>)>>,
    next_callback: Cell<u64>,
    /// What waiting on it means, for a recording of the loop.
    label: Cell<Option<&'static str>>,
    /// Where the loop keeps a task while it is pending.
    pub(super) key: Cell<Option<Key>>,
    /// A task's name, which a "never retrieved" report and a recording
    /// name it by; `None` for a plain future. A `Cell`, taken out to be
    /// read ([`with_name`](Self::with_name)): no borrow flag to store.
    name: Cell<Option<TaskName>>,
    cold: OnceCell<Box<Cold<T>>>,
}

/// What few futures use, out of the way of those that do not.
struct Cold<T> {
    /// Done callbacks added after `first_callback`, in the order added.
    more_callbacks: RefCell<Vec<(u64, OnDone<T>)>>,
    /// What `cancel` does instead of cancelling the future itself: a
    /// gather cancels its children (Python's subclasses override
    /// `cancel`). A task's future needs none: it is the task.
    cancel_handler: RefCell<Option<CancelHandler>>,
    /// The message a task is to be cancelled with at its next step.
    cancel_message: RefCell<Option<String>>,
    /// The async Rust code awaiting it.
    rust_waiters: RustWaiters,
}

impl<T> Default for Cold<T> {
    fn default() -> Self {
        Self {
            more_callbacks: RefCell::new(Vec::new()),
            cancel_handler: RefCell::new(None),
            cancel_message: RefCell::new(None),
            rust_waiters: RustWaiters::default(),
        }
    }
}

type DoneCallback<T> = Box<dyn FnOnce(&Future<T>)>;

/// A done callback: one given to `add_done_callback`, or the wake-up of a
/// task waiting on the future, which needs no closure.
enum OnDone<T> {
    Call(DoneCallback<T>),
    Wake(Rc<dyn Steppable>),
}

/// What `cancel` does instead of cancelling the future itself (a gather
/// cancels its children).
pub(crate) type CancelHandler = Rc<dyn Fn(Option<String>) -> bool>;

/// Names a done callback, to remove it (Python's
/// `remove_done_callback`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallbackId(u64);

enum State<T> {
    Pending,
    Finished(T),
    Failed(AnyError),
    Cancelled(Option<String>),
}

impl<T> Clone for Future<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Clone + 'static> Future<T> {
    pub(crate) fn new(lp: &EventLoop) -> Self {
        Self::with_task_part(lp, None, None)
    }

    /// A pending future on `lp`; with a name and a coroutine, the future
    /// of a task (which the task module drives).
    pub(super) fn with_task_part(
        lp: &EventLoop,
        name: Option<TaskName>,
        coroutine: Option<Coroutine<T>>,
    ) -> Self {
        Self(Rc::new(FutureInner {
            state: RefCell::new(State::Pending),
            must_cancel: Cell::new(false),
            unretrieved: Cell::new(false),
            task: Cell::new(name.is_some()),
            waiting_on: Cell::new(None),
            coroutine: RefCell::new(coroutine),
            lp: Rc::downgrade(&lp.0),
            first_callback: RefCell::new(None),
            next_callback: Cell::new(0),
            label: Cell::new(None),
            key: Cell::new(None),
            name: Cell::new(name),
            cold: OnceCell::new(),
        }))
    }

    /// Names what waiting on this future means (`"sleep"`,
    /// `"Lock.acquire"`, ...): a [recording](EventLoop::start_recording) of
    /// the loop shows a task waiting on it with this label. The crate's
    /// own futures are labelled; a task's future is named after the task.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{ClockKind, EventLoop, Future};
    ///
    /// let lp = EventLoop::new(ClockKind::Virtual);
    /// let reply: Future<u32> = lp.create_future();
    /// reply.set_label("reply");
    /// assert_eq!(reply.label(), Some("reply"));
    /// ```
    pub fn set_label(&self, label: &'static str) {
        self.0.label.set(Some(label));
    }

    /// The label given with [`set_label`](Self::set_label).
    #[must_use]
    pub fn label(&self) -> Option<&'static str> {
        self.0.label.get()
    }

    /// How it ended, for a recording; `None` while pending. Unlike
    /// `exception()`, it does not count as retrieving the error.
    pub(crate) fn outcome(&self) -> Option<Outcome> {
        match &*self.0.state.borrow() {
            State::Pending => None,
            State::Finished(_) => Some(Outcome::Returned),
            State::Failed(e) => Some(Outcome::Raised(format!("{e:?}"))),
            State::Cancelled(message) => Some(Outcome::Cancelled(message.clone())),
        }
    }

    pub(crate) fn set_cancel_handler(&self, handler: CancelHandler) {
        *self.0.cold().cancel_handler.borrow_mut() = Some(handler);
    }

    /// Whether both handles are the same future.
    pub(crate) fn same(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// The future's identity, to put it in a set.
    pub(crate) fn id(&self) -> *const () {
        Rc::as_ptr(&self.0).cast()
    }

    /// The loop this future belongs to, if it still exists.
    #[must_use]
    pub fn get_loop(&self) -> Option<EventLoop> {
        self.0.lp.upgrade().map(EventLoop)
    }

    /// Whether it is done: it has a result or an error, or was cancelled.
    #[must_use]
    pub fn done(&self) -> bool {
        self.0.is_done()
    }

    /// Whether it was cancelled.
    #[must_use]
    pub fn cancelled(&self) -> bool {
        self.0.is_cancelled()
    }

    /// The result (Python's `future.result()`).
    ///
    /// # Errors
    ///
    /// `InvalidStateError("Result is not set.")` while pending;
    /// `CancelledError` if cancelled; the error it was given.
    pub fn result(&self) -> Result<T, AnyError> {
        match &*self.0.state.borrow() {
            State::Pending => Err(InvalidStateError {
                message: "Result is not set.".into(),
            }
            .into()),
            State::Finished(value) => Ok(value.clone()),
            State::Failed(e) => {
                self.0.unretrieved.set(false);
                Err(e.clone())
            }
            State::Cancelled(message) => Err(CancelledError {
                message: message.clone(),
            }
            .into()),
        }
    }

    /// The error, or `None` if it has a result (Python's
    /// `future.exception()`).
    ///
    /// # Errors
    ///
    /// `InvalidStateError("Exception is not set.")` while pending;
    /// `CancelledError` if cancelled.
    pub fn exception(&self) -> Result<Option<AnyError>, AnyError> {
        match &*self.0.state.borrow() {
            State::Pending => Err(InvalidStateError {
                message: "Exception is not set.".into(),
            }
            .into()),
            State::Finished(_) => Ok(None),
            State::Failed(e) => {
                self.0.unretrieved.set(false);
                Ok(Some(e.clone()))
            }
            State::Cancelled(message) => Err(CancelledError {
                message: message.clone(),
            }
            .into()),
        }
    }

    /// Sets the result and schedules the done callbacks.
    ///
    /// # Errors
    ///
    /// `InvalidStateError` if it is already done; the value is dropped, as
    /// CPython drops it.
    pub fn set_result(&self, value: T) -> Result<(), AnyError> {
        self.finish(State::Finished(value))
    }

    /// Sets an error and schedules the done callbacks.
    ///
    /// # Errors
    ///
    /// `InvalidStateError` if it is already done.
    pub fn set_exception(&self, error: impl Into<AnyError>) -> Result<(), AnyError> {
        self.finish(State::Failed(error.into()))?;
        self.0.unretrieved.set(true);
        Ok(())
    }

    /// Cancels it, if pending, and schedules the done callbacks. Returns
    /// whether it was pending.
    ///
    /// The future of a task cancels the task (its coroutine gets the
    /// `CancelledError`), and the future of a `gather` cancels its
    /// children, as in Python.
    pub fn cancel(&self) -> bool {
        self.cancel_message(None)
    }

    /// [`cancel`](Self::cancel) with a message for the `CancelledError`
    /// (Python's `fut.cancel(msg)`).
    pub fn cancel_with(&self, message: impl Into<String>) -> bool {
        self.cancel_message(Some(message.into()))
    }

    /// Python's `cancel(msg)`, with the message optional.
    pub(crate) fn cancel_message(&self, message: Option<String>) -> bool {
        // A task's future is the task: cancelling it cancels the task, as
        // `Task.cancel` overrides `Future.cancel` in Python.
        if self.0.is_task() {
            return Task(self.clone()).cancel_message(message);
        }
        let handler = self
            .0
            .cold
            .get()
            .and_then(|cold| cold.cancel_handler.borrow().clone());
        match handler {
            Some(handler) => !self.done() && handler(message),
            None => self.base_cancel(message),
        }
    }

    /// Marks the future itself cancelled (Python's `Future.cancel`, which
    /// subclasses call as `super().cancel()`).
    pub(crate) fn base_cancel(&self, message: Option<String>) -> bool {
        self.finish(State::Cancelled(message)).is_ok()
    }

    fn finish(&self, state: State<T>) -> Result<(), AnyError> {
        {
            let mut current = self.0.state.borrow_mut();
            let refused = match &*current {
                State::Pending => None,
                State::Finished(_) => Some("FINISHED: <Future finished>"),
                State::Failed(_) => Some("FINISHED: <Future finished with an exception>"),
                State::Cancelled(_) => Some("CANCELLED: <Future cancelled>"),
            };
            if let Some(message) = refused {
                return Err(InvalidStateError {
                    message: message.to_owned(),
                }
                .into());
            }
            *current = state;
        }
        self.schedule_callbacks();
        Ok(())
    }

    fn schedule_callbacks(&self) {
        let first = self.0.first_callback.borrow_mut().take();
        // Most futures have no more than the first: no vector to take,
        // iterate and drop for them.
        let more = self
            .0
            .cold
            .get()
            .map(|cold| std::mem::take(&mut *cold.more_callbacks.borrow_mut()));
        let Some(lp) = self.get_loop() else { return };
        let schedule = |callback| match callback {
            OnDone::Call(callback) => self.schedule_callback(&lp, callback),
            OnDone::Wake(task) => lp.schedule_wakeup(task),
        };
        if let Some((_, first)) = first {
            schedule(first);
        }
        if let Some(more) = more {
            for (_, callback) in more {
                schedule(callback);
            }
        }
    }

    /// Schedules one done callback on `lp`, with this future as its
    /// argument. A closed loop drops it, as it would drop it had it been
    /// scheduled just before the loop closed.
    fn schedule_callback(&self, lp: &EventLoop, callback: DoneCallback<T>) {
        let me = self.clone();
        let _ = lp.schedule_soon(Box::new(move || callback(&me)), Label::Callback);
    }

    /// Adds a callback to run, with `call_soon`, once the future is done
    /// (at once, if it is done already). Callbacks run in the order they
    /// were added.
    pub fn add_done_callback(&self, callback: impl FnOnce(&Self) + 'static) -> CallbackId {
        let id = self.0.next_callback.get();
        self.0.next_callback.set(id + 1);
        if self.done() {
            if let Some(lp) = self.get_loop() {
                self.schedule_callback(&lp, Box::new(callback));
            }
        } else {
            self.0
                .push_callback(id, || OnDone::Call(Box::new(callback)));
        }
        CallbackId(id)
    }

    /// Removes a done callback that has not been scheduled yet; returns
    /// whether it was there.
    pub fn remove_done_callback(&self, id: CallbackId) -> bool {
        // Dropped after the borrow ends: its drop may run a callback's
        // captures' `Drop`, which may add or remove callbacks.
        let removed = self
            .0
            .first_callback
            .borrow_mut()
            .take_if(|(i, _)| *i == id.0);
        if removed.is_some() {
            return true;
        }
        let Some(cold) = self.0.cold.get() else {
            return false;
        };
        let mut more = cold.more_callbacks.borrow_mut();
        let before = more.len();
        more.retain(|(i, _)| *i != id.0);
        more.len() != before
    }
}

impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &*self.0.state.borrow() {
            State::Pending => "pending",
            State::Finished(_) => "finished",
            State::Failed(_) => "finished with an exception",
            State::Cancelled(_) => "cancelled",
        };
        write!(f, "<Future {state}>")
    }
}

impl<T> FutureInner<T> {
    pub(super) fn is_done(&self) -> bool {
        !matches!(*self.state.borrow(), State::Pending)
    }

    pub(super) fn is_cancelled(&self) -> bool {
        matches!(*self.state.borrow(), State::Cancelled(_))
    }

    /// Whether it is a task's (whose `cancel` cancels the task).
    pub(super) fn is_task(&self) -> bool {
        self.task.get()
    }

    /// Runs `f` on the task's name (`None` for a plain future).
    pub(super) fn with_name<R>(&self, f: impl FnOnce(Option<&TaskName>) -> R) -> R {
        let name = self.name.take();
        let result = f(name.as_ref());
        self.name.set(name);
        result
    }

    pub(super) fn set_name(&self, name: TaskName) {
        self.name.set(Some(name));
    }

    /// The rarely used fields, made now if they were not there.
    fn cold(&self) -> &Cold<T> {
        self.cold.get_or_init(Box::default)
    }

    /// The message a task is to be cancelled with.
    pub(super) fn cancel_message(&self) -> Option<String> {
        self.cold
            .get()
            .and_then(|cold| cold.cancel_message.borrow().clone())
    }

    pub(super) fn set_cancel_message(&self, message: Option<String>) {
        if message.is_some() || self.cold.get().is_some() {
            *self.cold().cancel_message.borrow_mut() = message;
        }
    }

    /// Who awaits it from async Rust.
    pub(crate) fn rust_waiters(&self) -> &RustWaiters {
        &self.cold().rust_waiters
    }

    /// Adds a done callback, made by `make`, after those already there.
    ///
    /// The callback is made only once its place is known, and written
    /// straight into it. Made by the caller, it waited on the stack in
    /// case a borrow here panicked, and was copied from there in wider
    /// pieces than it had been written in, which stalled; so did a `Cell`
    /// taken and put back, which read the whole slot just after writing
    /// part of it (docs/performance.md, "Stores the processor cannot
    /// forward").
    #[allow(clippy::inline_always, reason = "measured: see above")]
    #[inline(always)]
    fn push_callback(&self, id: u64, make: impl FnOnce() -> OnDone<T>) {
        let more_empty = self
            .cold
            .get()
            .is_none_or(|cold| cold.more_callbacks.borrow().is_empty());
        let mut first = self.first_callback.borrow_mut();
        if first.is_none() && more_empty {
            *first = Some((id, make()));
        } else {
            drop(first);
            self.cold().more_callbacks.borrow_mut().push((id, make()));
        }
    }
}

impl<T> Drop for FutureInner<T> {
    fn drop(&mut self) {
        if !self.unretrieved.get() {
            return;
        }
        let (Some(lp), State::Failed(error)) = (self.lp.upgrade(), &*self.state.borrow()) else {
            return;
        };
        let task = self
            .name
            .get_mut()
            .as_ref()
            .map_or_else(|| "<Future>".to_owned(), ToString::to_string);
        EventLoop(lp).report(&LoopReport::ExceptionNeverRetrieved {
            task,
            error: format!("{error:?}"),
        });
    }
}

/// What a task can wait on, with the result type erased.
pub(crate) trait Waitable {
    /// Wakes `task` with `call_soon` once done, in line with the done
    /// callbacks.
    fn wake_on_done(self: Rc<Self>, task: Rc<dyn Steppable>);
    /// Cancels it on behalf of a cancelled waiter; whether it was pending.
    fn cancel_for_waiter(self: Rc<Self>, message: Option<String>) -> bool;
    /// What to throw into a waiter that it woke: its error, or
    /// `CancelledError`; `None` if it has a result.
    fn error_for_waiter(&self) -> Option<AnyError>;
    /// Identity, to catch a task waiting on itself: where it lies, which
    /// for a future is where its task lies too.
    fn id(&self) -> *const () {
        std::ptr::from_ref(self).cast()
    }
    /// The identity of its loop.
    fn loop_identity(&self) -> *const ();
    /// What waiting on it means, for a recording: its label, or the name
    /// of the task whose future it is.
    fn describe(&self) -> String;
}

impl<T: Clone + 'static> Waitable for FutureInner<T> {
    fn wake_on_done(self: Rc<Self>, task: Rc<dyn Steppable>) {
        let id = self.next_callback.get();
        self.next_callback.set(id + 1);
        if matches!(*self.state.borrow(), State::Pending) {
            self.push_callback(id, || OnDone::Wake(task));
        } else if let Some(lp) = self.lp.upgrade() {
            EventLoop(lp).schedule_wakeup(task);
        }
    }

    fn cancel_for_waiter(self: Rc<Self>, message: Option<String>) -> bool {
        Future(self).cancel_message(message)
    }

    fn error_for_waiter(&self) -> Option<AnyError> {
        match &*self.state.borrow() {
            State::Pending | State::Finished(_) => None,
            State::Failed(e) => {
                self.unretrieved.set(false);
                Some(e.clone())
            }
            State::Cancelled(message) => Some(
                CancelledError {
                    message: message.clone(),
                }
                .into(),
            ),
        }
    }

    fn loop_identity(&self) -> *const () {
        self.lp.as_ptr().cast()
    }

    fn describe(&self) -> String {
        self.with_name(|name| match (self.label.get(), name) {
            (Some(label), _) => label.to_owned(),
            (None, Some(task)) => task.to_string(),
            (None, None) => "future".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Future;
    use crate::asyncio::{ClockKind, EventLoop};
    use std::{cell::RefCell, rc::Rc};

    #[test]
    fn done_callbacks_run_in_the_order_added_whichever_were_removed() {
        let lp = EventLoop::new(ClockKind::Virtual);
        let ran = Rc::new(RefCell::new(Vec::new()));
        let add = |future: &Future<()>, name: &'static str| {
            let ran = ran.clone();
            future.add_done_callback(move |_| ran.borrow_mut().push(name))
        };
        // The first callback is kept apart from the others: removing it
        // must not let a later one jump ahead of those still waiting.
        let several: Future<()> = lp.create_future();
        let a = add(&several, "a");
        add(&several, "b");
        let c = add(&several, "c");
        assert!(several.remove_done_callback(a));
        add(&several, "d");
        assert!(several.remove_done_callback(c));
        assert!(!several.remove_done_callback(c), "already removed");
        let alone: Future<()> = lp.create_future();
        let x = add(&alone, "x");
        assert!(alone.remove_done_callback(x));
        add(&alone, "y");
        several.set_result(()).unwrap();
        alone.set_result(()).unwrap();
        let stopper = lp.clone();
        lp.call_soon(move || stopper.stop()).unwrap();
        lp.run_forever().unwrap();
        assert_eq!(*ran.borrow(), ["b", "d", "y"]);
    }
}
