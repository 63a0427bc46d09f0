//! asyncio's `Future`: a result that will be set later, with callbacks.

use super::{
    Coroutine, CoroutineCo, Suspend,
    errors::{CancelledError, InvalidStateError, RuntimeError},
    event_loop::{EventLoop, LoopInner, LoopReport},
    handle::{Label, TaskName},
    record::Outcome,
};
use crate::{AnyError, Generator};
use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
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
/// `Future` is a cheap handle: clones share the same future. Its result is
/// handed to every reader, so `T` is `Clone`.
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

pub(crate) struct FutureInner<T> {
    lp: Weak<LoopInner>,
    state: RefCell<State<T>>,
    callbacks: RefCell<Vec<(u64, DoneCallback<T>)>>,
    next_callback: Cell<u64>,
    /// What `cancel` does instead of cancelling the future itself: a task
    /// cancels its coroutine, a gather its children (Python's subclasses
    /// override `cancel`).
    cancel_handler: RefCell<Option<CancelHandler>>,
    /// An error is set and nobody has looked at it yet.
    unretrieved: Cell<bool>,
    /// Who to name in a "never retrieved" report.
    owner: RefCell<Option<TaskName>>,
    /// What waiting on it means, for a recording of the loop.
    label: Cell<Option<&'static str>>,
}

type DoneCallback<T> = Box<dyn FnOnce(&Future<T>)>;

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
        Self(Rc::new(FutureInner {
            lp: Rc::downgrade(&lp.0),
            state: RefCell::new(State::Pending),
            callbacks: RefCell::new(Vec::new()),
            next_callback: Cell::new(0),
            cancel_handler: RefCell::new(None),
            unretrieved: Cell::new(false),
            owner: RefCell::new(None),
            label: Cell::new(None),
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
        *self.0.cancel_handler.borrow_mut() = Some(handler);
    }

    pub(crate) fn set_owner(&self, name: TaskName) {
        *self.0.owner.borrow_mut() = Some(name);
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
        !matches!(*self.0.state.borrow(), State::Pending)
    }

    /// Whether it was cancelled.
    #[must_use]
    pub fn cancelled(&self) -> bool {
        matches!(*self.0.state.borrow(), State::Cancelled(_))
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
    pub fn cancel(&self) -> bool {
        self.cancel_with(None)
    }

    /// [`cancel`](Self::cancel) with a message for the `CancelledError`.
    ///
    /// The future of a task cancels the task (its coroutine gets the
    /// `CancelledError`), and the future of a `gather` cancels its
    /// children, as in Python.
    pub fn cancel_with(&self, message: Option<String>) -> bool {
        let handler = self.0.cancel_handler.borrow().clone();
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
        let callbacks = std::mem::take(&mut *self.0.callbacks.borrow_mut());
        let Some(lp) = self.get_loop() else { return };
        for (_, callback) in callbacks {
            self.schedule_callback(&lp, callback);
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
            let mut callbacks = self.0.callbacks.borrow_mut();
            // Most futures have one waiter: room for one, not Vec's four.
            callbacks.reserve_exact(1);
            callbacks.push((id, Box::new(callback)));
        }
        CallbackId(id)
    }

    /// Removes a done callback that has not been scheduled yet; returns
    /// whether it was there.
    pub fn remove_done_callback(&self, id: CallbackId) -> bool {
        let mut callbacks = self.0.callbacks.borrow_mut();
        let before = callbacks.len();
        callbacks.retain(|(i, _)| *i != id.0);
        callbacks.len() != before
    }

    /// A coroutine that waits for the future and evaluates to its result:
    /// what `await future` (or `yield from future`) is in Python.
    ///
    /// # Errors
    ///
    /// The coroutine raises the future's error, or `CancelledError`.
    pub fn wait(&self) -> Coroutine<T> {
        let future = self.clone();
        Generator::new("Future.__await__", move |co| async move {
            future.wait_in(&co).await
        })
    }

    /// Waits for the future right in the body of the coroutine whose `co`
    /// this is, and evaluates to its result: `co.yield_from(f.wait())`
    /// without making the `wait()` coroutine (three allocations, and a
    /// delegation, fewer).
    ///
    /// # Errors
    ///
    /// The future's error, `CancelledError`, or what is thrown into the
    /// coroutine while it waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{ClockKind, EventLoop, coroutine, run_with};
    ///
    /// let answer = run_with(ClockKind::Virtual, coroutine("main", |co| async move {
    ///     let lp = EventLoop::running()?;
    ///     let reply = lp.create_future::<u32>();
    ///     let setter = reply.clone();
    ///     lp.call_later(1.0, move || {
    ///         let _ = setter.set_result(42);
    ///     })?;
    ///     reply.wait_in(&co).await
    /// }));
    /// assert_eq!(answer.unwrap(), 42);
    /// ```
    pub async fn wait_in(&self, co: &CoroutineCo) -> Result<T, AnyError> {
        if !self.done() {
            co.yield_(Suspend(Some(self.0.clone()))).await?;
            if !self.done() {
                return Err(RuntimeError::new("await wasn't used with future").into());
            }
        }
        self.result()
    }
}

/// Queues a new future of the running loop in `waiters`, waits on it in
/// the body of `co`, and takes it out of the queue again however the wait
/// ended: the waiting part of asyncio's `Lock`, `Semaphore`, `Condition`
/// and `Event`. Gives back the future and the outcome of the wait.
///
/// # Errors
///
/// `RuntimeError` if no loop runs; nothing is queued then.
pub(crate) async fn wait_in_line<T: Clone + 'static>(
    co: &CoroutineCo,
    waiters: &RefCell<VecDeque<Future<T>>>,
    label: &'static str,
) -> Result<(Future<T>, Result<T, AnyError>), AnyError> {
    let waiter: Future<T> = EventLoop::running()?.create_future();
    waiter.set_label(label);
    waiters.borrow_mut().push_back(waiter.clone());
    let outcome = waiter.wait_in(co).await;
    forget_waiter(waiters, &waiter);
    Ok((waiter, outcome))
}

/// Takes `waiter` out of a queue of waiters, once it has stopped waiting.
pub(crate) fn forget_waiter<T: Clone + 'static>(
    waiters: &RefCell<VecDeque<Future<T>>>,
    waiter: &Future<T>,
) {
    waiters.borrow_mut().retain(|w| !w.same(waiter));
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

impl<T> Drop for FutureInner<T> {
    fn drop(&mut self) {
        if !self.unretrieved.get() {
            return;
        }
        let (Some(lp), State::Failed(error)) = (self.lp.upgrade(), &*self.state.borrow()) else {
            return;
        };
        let task = self
            .owner
            .borrow()
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
    /// Runs `callback` with `call_soon` once done.
    fn on_done(self: Rc<Self>, callback: Box<dyn FnOnce()>);
    /// Cancels it on behalf of a cancelled waiter; whether it was pending.
    fn cancel_for_waiter(self: Rc<Self>, message: Option<String>) -> bool;
    /// What to throw into a waiter that it woke: its error, or
    /// `CancelledError`; `None` if it has a result.
    fn error_for_waiter(&self) -> Option<AnyError>;
    /// Identity, to catch a task waiting on itself.
    fn id(&self) -> *const ();
    /// The identity of its loop.
    fn loop_identity(&self) -> *const ();
    /// What waiting on it means, for a recording: its label, or the name
    /// of the task whose future it is.
    fn describe(&self) -> String;
}

impl<T: Clone + 'static> Waitable for FutureInner<T> {
    fn on_done(self: Rc<Self>, callback: Box<dyn FnOnce()>) {
        Future(self).add_done_callback(move |_| callback());
    }

    fn cancel_for_waiter(self: Rc<Self>, message: Option<String>) -> bool {
        Future(self).cancel_with(message)
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

    fn id(&self) -> *const () {
        std::ptr::from_ref(self).cast()
    }

    fn loop_identity(&self) -> *const () {
        self.lp.as_ptr().cast()
    }

    fn describe(&self) -> String {
        match (self.label.get(), &*self.owner.borrow()) {
            (Some(label), _) => label.to_owned(),
            (None, Some(task)) => task.to_string(),
            (None, None) => "future".to_owned(),
        }
    }
}
