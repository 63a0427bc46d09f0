//! Waiting on several things at once: `gather`, `wait`, `wait_for`,
//! `shield` (Python's `asyncio/tasks.py`).

use super::{
    Coroutine, coroutine,
    delay::Timeout,
    errors::{CancelledError, TimeoutError, ValueError},
    event_loop::EventLoop,
    future::Future,
    record,
    task::Task,
};
use crate::AnyError;
use std::{
    cell::{Cell, RefCell},
    collections::{HashMap, HashSet},
    rc::Rc,
};

/// Something a task can wait on: a coroutine (wrapped in a new task), a
/// task, or a future (Python's "awaitable", as `ensure_future` takes it).
pub trait Awaitable<T> {
    /// The future that completes with this awaitable's outcome.
    ///
    /// # Errors
    ///
    /// `RuntimeError` if a coroutine must be wrapped in a task and no loop
    /// runs.
    fn into_future(self) -> Result<Future<T>, AnyError>;
}

impl<T: Clone + 'static> Awaitable<T> for Coroutine<T> {
    fn into_future(self) -> Result<Future<T>, AnyError> {
        Ok(EventLoop::running()?.create_task(self)?.future().clone())
    }
}

impl<T: Clone + 'static> Awaitable<T> for Task<T> {
    fn into_future(self) -> Result<Future<T>, AnyError> {
        Ok(self.future().clone())
    }
}

impl<T: Clone + 'static> Awaitable<T> for Future<T> {
    fn into_future(self) -> Result<Future<T>, AnyError> {
        Ok(self)
    }
}

/// Wraps a coroutine in a task; gives a task's or a future's own future
/// (Python's `asyncio.ensure_future`).
///
/// # Errors
///
/// As [`Awaitable::into_future`].
pub fn ensure_future<T, A: Awaitable<T>>(awaitable: A) -> Result<Future<T>, AnyError> {
    awaitable.into_future()
}

/// Runs the awaitables concurrently and gives their results in argument
/// order, whatever order they finish in (Python's `asyncio.gather`).
///
/// The awaitables share one result type, as a `Vec` holds one type;
/// [`gather_tuple`] takes awaitables of different types and gives a tuple.
///
/// The first error, or `CancelledError` from a child that was cancelled, is
/// the gather's error at once; the other children go on running.
/// Cancelling the returned future cancels every child that is not done, and
/// the gather then ends with `CancelledError` once they all have finished.
///
/// # Errors
///
/// `RuntimeError` if no loop runs.
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{coroutine, gather, run_with, sleep_with, ClockKind};
///
/// let results = run_with(ClockKind::Virtual, coroutine("main", |co| async move {
///     let slow_first = vec![sleep_with(2.0, "a"), sleep_with(1.0, "b"), sleep_with(1.5, "c")];
///     co.yield_from(gather(slow_first)?.wait()).await
/// }))
/// .unwrap();
/// assert_eq!(results, ["a", "b", "c"]);
/// ```
pub fn gather<T, A>(awaitables: impl IntoIterator<Item = A>) -> Result<Future<Vec<T>>, AnyError>
where
    T: Clone + 'static,
    A: Awaitable<T>,
{
    let children = futures_of(awaitables)?;
    let erased = erase(&children);
    gather_into(erased, false, move || {
        children
            .iter()
            .map(Future::result)
            .collect::<Result<Vec<T>, AnyError>>()
    })
}

/// [`gather`] with `return_exceptions=True`: each child's error (or
/// `CancelledError`) takes its place in the results instead of ending the
/// gather.
///
/// # Errors
///
/// `RuntimeError` if no loop runs.
pub fn gather_results<T, A>(
    awaitables: impl IntoIterator<Item = A>,
) -> Result<Future<Vec<Result<T, AnyError>>>, AnyError>
where
    T: Clone + 'static,
    A: Awaitable<T>,
{
    let children = futures_of(awaitables)?;
    let erased = erase(&children);
    gather_into(erased, true, move || {
        Ok(children.iter().map(Future::result).collect())
    })
}

/// Awaitables of different result types, as [`gather_tuple`] takes them:
/// a tuple of two to six coroutines, tasks or futures, whose results come
/// back as a tuple of the same shape.
pub trait GatherTuple<O> {
    /// [`gather`] of the tuple's awaitables, with their results as a tuple.
    ///
    /// # Errors
    ///
    /// `RuntimeError` if no loop runs.
    fn gather(self) -> Result<Future<O>, AnyError>;
}

macro_rules! gather_tuple_impl {
    ($(($a:ident, $t:ident, $f:ident)),+) => {
        impl<$($t, $a),+> GatherTuple<($($t,)+)> for ($($a,)+)
        where
            $($t: Clone + 'static, $a: Awaitable<$t>),+
        {
            fn gather(self) -> Result<Future<($($t,)+)>, AnyError> {
                let ($($f,)+) = self;
                $(let $f = $f.into_future()?;)+
                let erased: Vec<Rc<dyn Child>> = vec![$(Rc::new($f.clone())),+];
                gather_into(erased, false, move || Ok(($($f.result()?,)+)))
            }
        }
    };
}

gather_tuple_impl!((A1, T1, f1), (A2, T2, f2));
gather_tuple_impl!((A1, T1, f1), (A2, T2, f2), (A3, T3, f3));
gather_tuple_impl!((A1, T1, f1), (A2, T2, f2), (A3, T3, f3), (A4, T4, f4));
gather_tuple_impl!(
    (A1, T1, f1),
    (A2, T2, f2),
    (A3, T3, f3),
    (A4, T4, f4),
    (A5, T5, f5)
);
gather_tuple_impl!(
    (A1, T1, f1),
    (A2, T2, f2),
    (A3, T3, f3),
    (A4, T4, f4),
    (A5, T5, f5),
    (A6, T6, f6)
);

/// Python's `asyncio.gather` of awaitables with different result types:
/// `a, b = await asyncio.gather(fa(), fb())`. Runs a tuple of two to six
/// coroutines, tasks or futures concurrently and gives their results as a
/// tuple; errors and cancellation behave as in [`gather`].
///
/// # Errors
///
/// `RuntimeError` if no loop runs.
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{coroutine, gather_tuple, run_with, sleep_with, ClockKind};
///
/// let (n, name, flag) = run_with(ClockKind::Virtual, coroutine("main", |co| async move {
///     // n, name, flag = await asyncio.gather(count(), fetch_name(), check())
///     let all = gather_tuple((sleep_with(2.0, 42), sleep_with(1.0, "worker-3".to_owned()), sleep_with(0.5, true)))?;
///     co.yield_from(all.wait()).await
/// }))
/// .unwrap();
/// assert_eq!((n, name.as_str(), flag), (42, "worker-3", true));
/// ```
pub fn gather_tuple<O, G>(awaitables: G) -> Result<Future<O>, AnyError>
where
    G: GatherTuple<O>,
{
    awaitables.gather()
}

/// The futures of the awaitables, in order; coroutines become tasks.
fn futures_of<T, A>(awaitables: impl IntoIterator<Item = A>) -> Result<Vec<Future<T>>, AnyError>
where
    T: Clone + 'static,
    A: Awaitable<T>,
{
    EventLoop::running()?;
    awaitables.into_iter().map(Awaitable::into_future).collect()
}

fn erase<T: Clone + 'static>(children: &[Future<T>]) -> Vec<Rc<dyn Child>> {
    children
        .iter()
        .map(|child| Rc::new(child.clone()) as Rc<dyn Child>)
        .collect()
}

/// What a gather does when one of its children is done.
type ChildCallback = Box<dyn FnOnce(&dyn Child)>;

/// A gathered future with its result type erased: what `gather_into`
/// needs of it, so that one gather may hold children of several types.
trait Child {
    fn id(&self) -> *const ();
    fn cancel_message(&self, message: Option<String>) -> bool;
    /// Runs `callback` with the child once it is done, as a done callback.
    fn on_done(&self, callback: ChildCallback);
    fn cancelled(&self) -> bool;
    /// Its error, marked retrieved; `None` if it succeeded.
    fn error(&self) -> Option<AnyError>;
    fn cancelled_error(&self) -> AnyError;
}

impl<T: Clone + 'static> Child for Future<T> {
    fn id(&self) -> *const () {
        Future::id(self)
    }
    fn cancel_message(&self, message: Option<String>) -> bool {
        Future::cancel_message(self, message)
    }
    fn on_done(&self, callback: ChildCallback) {
        // The child is handed to the callback rather than captured by it:
        // a captured clone would keep the child alive through its own
        // callback list.
        self.add_done_callback(move |fut| callback(fut));
    }
    fn cancelled(&self) -> bool {
        Future::cancelled(self)
    }
    fn error(&self) -> Option<AnyError> {
        self.exception().ok().flatten()
    }
    fn cancelled_error(&self) -> AnyError {
        cancelled_error_of(self)
    }
}

/// The machinery of `gather`, as CPython's `gather` and
/// `_GatheringFuture`: `collect` reads the children's results once all
/// are done.
fn gather_into<O>(
    children: Vec<Rc<dyn Child>>,
    return_exceptions: bool,
    collect: impl Fn() -> Result<O, AnyError> + 'static,
) -> Result<Future<O>, AnyError>
where
    O: Clone + 'static,
{
    let lp = EventLoop::running()?;
    let outer: Future<O> = lp.create_future();
    outer.set_label("gather");
    if children.is_empty() {
        let _ = outer.set_result(collect()?);
        return Ok(outer);
    }
    let mut seen = HashSet::with_capacity(children.len());
    let unique: Vec<Rc<dyn Child>> = children
        .iter()
        .filter(|child| seen.insert(child.id()))
        .cloned()
        .collect();
    drop(seen);
    let total = unique.len();
    let finished = Rc::new(Cell::new(0usize));
    let cancel_requested = Rc::new(Cell::new(false));
    let collect = Rc::new(collect);
    {
        let cancel_requested = cancel_requested.clone();
        outer.set_cancel_handler(Rc::new(move |message| {
            let mut any = false;
            for child in &children {
                any |= child.cancel_message(message.clone());
            }
            if any {
                cancel_requested.set(true);
            }
            any
        }));
    }
    for child in &unique {
        let (outer, finished, cancel_requested, collect) = (
            outer.clone(),
            finished.clone(),
            cancel_requested.clone(),
            collect.clone(),
        );
        child.on_done(Box::new(move |fut| {
            finished.set(finished.get() + 1);
            if outer.done() {
                if !fut.cancelled() {
                    // Mark the error as retrieved: the gather has it.
                    let _ = fut.error();
                }
                return;
            }
            if !return_exceptions {
                if fut.cancelled() {
                    let _ = outer.set_exception(fut.cancelled_error());
                    return;
                }
                if let Some(e) = fut.error() {
                    let _ = outer.set_exception(e);
                    return;
                }
            }
            if finished.get() == total {
                if cancel_requested.get() {
                    let _ = outer.set_exception(fut.cancelled_error());
                } else {
                    match collect() {
                        Ok(results) => {
                            let _ = outer.set_result(results);
                        }
                        Err(e) => {
                            let _ = outer.set_exception(e);
                        }
                    }
                }
            }
        }));
    }
    Ok(outer)
}

/// The `CancelledError` a cancelled future raises, with its message.
fn cancelled_error_of<T: Clone + 'static>(future: &Future<T>) -> AnyError {
    match future.result() {
        Err(e) if e.is::<CancelledError>() => e,
        _ => CancelledError::default().into(),
    }
}

/// Waits for `awaitable` for at most `timeout` seconds (Python's
/// `asyncio.wait_for`).
///
/// On time-out it cancels the awaitable and waits for it to finish
/// cancelling, then raises [`TimeoutError`]; if the awaitable swallows the
/// cancellation and returns a value, that value is the result. A timeout of
/// `None` waits as long as it takes; a timeout of 0 or less gives up at
/// once unless the awaitable is already done, and so does `-inf`; `+inf`
/// waits as long as `None` does. If the task waiting is cancelled, the
/// awaitable is cancelled too.
///
/// # Errors
///
/// The coroutine raises `TimeoutError`, the awaitable's error, or
/// `CancelledError`; `ValueError` for a NaN timeout, before the awaitable
/// is started.
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{coroutine, run_with, sleep, wait_for, ClockKind, TimeoutError};
///
/// let outcome = run_with(ClockKind::Virtual, coroutine("main", |co| async move {
///     let slow = coroutine("slow", |co| async move {
///         co.yield_from(sleep(10.0)).await?;
///         Ok("too late")
///     });
///     match co.yield_from(wait_for(slow, Some(1.0))).await {
///         Err(e) if e.is::<TimeoutError>() => Ok("timed out"),
///         other => other,
///     }
/// }))
/// .unwrap();
/// assert_eq!(outcome, "timed out");
/// ```
pub fn wait_for<T, A>(awaitable: A, timeout: impl Into<Timeout>) -> Coroutine<T>
where
    T: Clone + 'static,
    A: Awaitable<T> + 'static,
{
    let timeout = timeout.into().get();
    coroutine("wait_for", move |co| async move {
        check_timeout(timeout)?;
        let fut = awaitable.into_future()?;
        let Some(timeout) = timeout else {
            return fut.wait_in(&co).await;
        };
        if timeout <= 0.0 {
            if fut.done() {
                return fut.result();
            }
            record::timed_out();
            co.yield_from(cancel_and_wait(fut.clone())).await?;
            return timed_out(&fut);
        }
        // The loop is not held across the wait (see `sleep`).
        let lp = EventLoop::running()?;
        let waiter: Future<()> = lp.create_future();
        waiter.set_label("wait_for");
        let release = waiter.clone();
        let timeout_handle = lp.call_later(timeout, move || release_waiter(&release))?;
        drop(lp);
        let release = waiter.clone();
        let callback = fut.add_done_callback(move |_| release_waiter(&release));
        let outcome = waiter.wait_in(&co).await;
        timeout_handle.cancel();
        if let Err(e) = outcome {
            if e.is::<CancelledError>() {
                if fut.done() {
                    return fut.result();
                }
                fut.remove_done_callback(callback);
                co.yield_from(cancel_and_wait(fut.clone())).await?;
            }
            return Err(e);
        }
        if fut.done() {
            return fut.result();
        }
        fut.remove_done_callback(callback);
        record::timed_out();
        co.yield_from(cancel_and_wait(fut.clone())).await?;
        timed_out(&fut)
    })
}

/// Refuses a NaN timeout, as `EventLoop::call_later` refuses a NaN delay.
fn check_timeout(timeout: Option<f64>) -> Result<(), AnyError> {
    if timeout.is_some_and(f64::is_nan) {
        return Err(ValueError::new("Invalid value NaN (not a number)").into());
    }
    Ok(())
}

/// The result of a future cancelled on time-out: its value if it swallowed
/// the cancellation, otherwise `TimeoutError`.
fn timed_out<T: Clone + 'static>(fut: &Future<T>) -> Result<T, AnyError> {
    match fut.result() {
        Err(e) if e.is::<CancelledError>() => Err(TimeoutError::new().into()),
        other => other,
    }
}

fn release_waiter(waiter: &Future<()>) {
    if !waiter.done() {
        let _ = waiter.set_result(());
    }
}

/// Cancels `fut` and waits until it is done (CPython's `_cancel_and_wait`).
fn cancel_and_wait<T: Clone + 'static>(fut: Future<T>) -> Coroutine<()> {
    coroutine("_cancel_and_wait", move |co| async move {
        let waiter: Future<()> = EventLoop::running()?.create_future();
        waiter.set_label("cancel and wait");
        let release = waiter.clone();
        let callback = fut.add_done_callback(move |_| release_waiter(&release));
        fut.cancel();
        let outcome = waiter.wait_in(&co).await;
        fut.remove_done_callback(callback);
        outcome
    })
}

/// Protects `awaitable` from the cancellation of whoever waits for it
/// (Python's `asyncio.shield`): cancelling the returned future (or the task
/// waiting on it) leaves the awaitable running.
///
/// # Errors
///
/// `RuntimeError` if a coroutine must be wrapped in a task and no loop runs.
pub fn shield<T, A>(awaitable: A) -> Result<Future<T>, AnyError>
where
    T: Clone + 'static,
    A: Awaitable<T>,
{
    let inner = awaitable.into_future()?;
    if inner.done() {
        return Ok(inner);
    }
    let Some(lp) = inner.get_loop() else {
        return Ok(inner);
    };
    let outer: Future<T> = lp.create_future();
    outer.set_label("shield");
    let forward = outer.clone();
    let callback = inner.add_done_callback(move |inner| {
        if forward.cancelled() {
            if !inner.cancelled() {
                let _ = inner.exception();
            }
            return;
        }
        if inner.cancelled() {
            forward.cancel();
        } else {
            match inner.exception() {
                Ok(Some(e)) => {
                    let _ = forward.set_exception(e);
                }
                _ => {
                    if let Ok(value) = inner.result() {
                        let _ = forward.set_result(value);
                    }
                }
            }
        }
    });
    let watched = inner.clone();
    outer.add_done_callback(move |_| {
        if !watched.done() {
            watched.remove_done_callback(callback);
        }
    });
    Ok(outer)
}

/// What [`wait`] evaluates to: the futures that are done, and those still
/// pending, each in argument order.
pub type DoneAndPending<T> = (Vec<Future<T>>, Vec<Future<T>>);

/// When [`wait`] returns (Python's `asyncio.FIRST_COMPLETED`,
/// `FIRST_EXCEPTION`, `ALL_COMPLETED`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ReturnWhen {
    /// As soon as any future is done.
    FirstCompleted,
    /// As soon as any future raises, or when all are done.
    FirstException,
    /// When all are done.
    #[default]
    AllCompleted,
}

/// Waits for the futures until `return_when` or the timeout, and gives
/// `(done, pending)`, each in argument order (Python's `asyncio.wait`, which
/// gives sets). Nothing is cancelled on time-out. A timeout of 0 or less
/// gives what is done at once; `+inf` waits as long as `None` does.
///
/// # Errors
///
/// The coroutine raises `ValueError("Set of Tasks/Futures is empty.")` if
/// `futures` is empty, `ValueError` for a NaN timeout, and
/// `CancelledError` if its task is cancelled.
pub fn wait<T>(
    futures: Vec<Future<T>>,
    timeout: impl Into<Timeout>,
    return_when: ReturnWhen,
) -> Coroutine<DoneAndPending<T>>
where
    T: Clone + 'static,
{
    let timeout = timeout.into().get();
    coroutine("wait", move |co| async move {
        if futures.is_empty() {
            return Err(ValueError::new("Set of Tasks/Futures is empty.").into());
        }
        check_timeout(timeout)?;
        let lp = EventLoop::running()?;
        let waiter: Future<()> = lp.create_future();
        waiter.set_label("wait");
        let timeout_handle = match timeout {
            Some(t) => {
                let release = waiter.clone();
                Some(lp.call_later(t, move || release_waiter(&release))?)
            }
            None => None,
        };
        drop(lp);
        let counter = Rc::new(Cell::new(futures.len()));
        let mut callbacks = Vec::with_capacity(futures.len());
        for f in &futures {
            let (counter, release, handle) =
                (counter.clone(), waiter.clone(), timeout_handle.clone());
            callbacks.push(f.add_done_callback(move |f| {
                counter.set(counter.get().saturating_sub(1));
                let raised = !f.cancelled() && matches!(f.exception(), Ok(Some(_)));
                if counter.get() == 0
                    || return_when == ReturnWhen::FirstCompleted
                    || (return_when == ReturnWhen::FirstException && raised)
                {
                    if let Some(handle) = &handle {
                        handle.cancel();
                    }
                    release_waiter(&release);
                }
            }));
        }
        let outcome = waiter.wait_in(&co).await;
        if let Some(handle) = &timeout_handle {
            handle.cancel();
        }
        for (f, id) in futures.iter().zip(callbacks) {
            f.remove_done_callback(id);
        }
        outcome?;
        let (done, pending) = futures.into_iter().partition(Future::done);
        Ok((done, pending))
    })
}

/// What `as_completed` still waits for: each future, by identity, with its
/// done callback.
type Pending<T> = HashMap<*const (), (Future<T>, super::CallbackId)>;

/// One coroutine per awaitable, each evaluating to the next result to
/// arrive, in the order they finish (Python's `asyncio.as_completed`).
///
/// With a timeout, the coroutines still waiting when it passes raise
/// [`TimeoutError`] (at once for a timeout of 0 or less; never for
/// `+inf`).
///
/// # Errors
///
/// `RuntimeError` if no loop runs; `ValueError` for a NaN timeout, before
/// any awaitable is started.
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{as_completed, coroutine, run_with, sleep_with, ClockKind};
///
/// let order = run_with(ClockKind::Virtual, coroutine("main", |co| async move {
///     let mut order = Vec::new();
///     for next in as_completed(vec![sleep_with(3.0, 3), sleep_with(1.0, 1), sleep_with(2.0, 2)], None)? {
///         order.push(co.yield_from(next).await?);
///     }
///     Ok(order)
/// }))
/// .unwrap();
/// assert_eq!(order, [1, 2, 3]);
/// ```
pub fn as_completed<T, A>(
    awaitables: impl IntoIterator<Item = A>,
    timeout: impl Into<Timeout>,
) -> Result<Vec<Coroutine<T>>, AnyError>
where
    T: Clone + 'static,
    A: Awaitable<T>,
{
    let timeout = timeout.into().get();
    check_timeout(timeout)?;
    let lp = EventLoop::running()?;
    let mut todo: Vec<Future<T>> = Vec::new();
    let mut seen = HashSet::new();
    for awaitable in awaitables {
        let fut = awaitable.into_future()?;
        if seen.insert(fut.id()) {
            todo.push(fut);
        }
    }
    drop(seen);
    // `None` in the queue is the time-out's dummy value.
    let done: super::Queue<Option<Future<T>>> = super::Queue::new(0);
    let pending: Rc<RefCell<Pending<T>>> =
        Rc::new(RefCell::new(HashMap::with_capacity(todo.len())));
    let timeout_handle: Rc<RefCell<Option<super::Handle>>> = Rc::default();
    for fut in &todo {
        let (done, pending_ref, handle) = (done.clone(), pending.clone(), timeout_handle.clone());
        let id = fut.add_done_callback(move |f| {
            let mut pending = pending_ref.borrow_mut();
            if pending.remove(&f.id()).is_none() {
                return; // the time-out was here first
            }
            let _ = done.put_nowait(Some(f.clone()));
            if pending.is_empty() {
                if let Some(handle) = handle.borrow().as_ref() {
                    handle.cancel();
                }
            }
        });
        pending.borrow_mut().insert(fut.id(), (fut.clone(), id));
    }
    if let (Some(timeout), false) = (timeout, todo.is_empty()) {
        let (done, pending) = (done.clone(), pending.clone());
        let handle = lp.call_later(timeout, move || {
            for (_, (fut, id)) in pending.borrow_mut().drain() {
                fut.remove_done_callback(id);
                let _ = done.put_nowait(None);
            }
        })?;
        *timeout_handle.borrow_mut() = Some(handle);
    }
    Ok((0..todo.len())
        .map(|_| {
            let done = done.clone();
            coroutine("as_completed._wait_for_one", move |co| async move {
                match co.yield_from(done.get()).await? {
                    Some(fut) => fut.result(),
                    None => Err(TimeoutError::new().into()),
                }
            })
        })
        .collect())
}
