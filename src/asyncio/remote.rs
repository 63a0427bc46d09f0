//! The thread-safe way into a loop: `call_soon_threadsafe`, the bridge
//! from `std::future::Future`, and `run_in_executor`.

use super::{
    errors::{RuntimeError, TaskPanicked},
    event_loop::EventLoop,
    future::Future,
};
use crate::{AnyError, exception::panic_message};
use futures::FutureExt;
use std::{
    any::Any,
    cell::{OnceCell, RefCell},
    collections::{HashMap, VecDeque},
    error::Error,
    fmt,
    future::Future as StdFuture,
    marker::PhantomData,
    panic::{self, AssertUnwindSafe},
    pin::Pin,
    rc::Rc,
    sync::{
        Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError,
        atomic::{AtomicBool, AtomicUsize, Ordering},
        mpsc,
    },
    task::{Context, Poll, Wake, Waker},
    thread,
    time::Duration,
};

/// A call made from another thread, run on the loop's thread.
pub(crate) type RemoteCall = Box<dyn FnOnce(&EventLoop) + Send>;

/// The part of a loop other threads may touch.
struct Inbox {
    mailbox: Mutex<Mailbox>,
    wake: Condvar,
    /// Handles and jobs that may still call in: while any are out, an idle
    /// loop waits for them instead of reporting that it would wait forever.
    expecting: AtomicUsize,
    /// Ends the loop's wait on the OS, once it has a selector.
    os_waker: Mutex<Option<Arc<mio::Waker>>>,
    /// Set, under the lock, whenever a call is queued, and cleared, under
    /// the lock, when the loop takes the calls: the loop looks at it
    /// before taking the lock on each iteration, so that an iteration with
    /// no call from another thread costs one load instead of a lock and
    /// an unlock. A call queued just after the loop looked is taken on the
    /// next iteration, as one queued just after the lock was released
    /// would be; a loop about to wait looks in the queue itself, under the
    /// lock.
    pending: AtomicBool,
}

/// What the inbox's mutex guards.
///
/// Once `closed` is set it stays set, `calls` and `abandoned` stay empty,
/// and nothing is queued again: a call either went in before the loop
/// closed, and was dropped with the queue, or is refused.
#[derive(Default)]
struct Mailbox {
    calls: VecDeque<RemoteCall>,
    /// The ids of setters dropped unused, whose callbacks the loop has yet
    /// to drop.
    abandoned: Vec<u64>,
    /// A call that drops the abandoned callbacks is in `calls`, or taken
    /// but not yet run: no second one is needed.
    forget_queued: bool,
    /// The loop is closed or dropped.
    closed: bool,
}

impl Inbox {
    fn mailbox(&self) -> MutexGuard<'_, Mailbox> {
        self.mailbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the loop, however it waits: on the condition variable, or
    /// on the OS once it has a selector.
    fn notify(&self) {
        self.wake.notify_all();
        let waker = self
            .os_waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(waker) = waker {
            // A failed wake leaves the loop to its timeout; nothing to report
            // to the thread that called in.
            let _ = waker.wake();
        }
    }

    fn push<F: FnOnce(&EventLoop) + Send + 'static>(&self, call: F) -> Result<(), LoopClosed<F>> {
        let mut mailbox = self.mailbox();
        if mailbox.closed {
            return Err(LoopClosed(call));
        }
        mailbox.calls.push_back(Box::new(call));
        self.pending.store(true, Ordering::Release);
        drop(mailbox);
        self.notify();
        Ok(())
    }

    /// Records that the setter `id` was dropped unused, and makes sure a
    /// call is queued that drops its callback on the loop's thread.
    fn abandon(&self, id: u64) {
        let mut mailbox = self.mailbox();
        if mailbox.closed {
            return;
        }
        mailbox.abandoned.push(id);
        if !mailbox.forget_queued {
            mailbox.forget_queued = true;
            mailbox
                .calls
                .push_back(Box::new(|lp: &EventLoop| lp.forget_abandoned(true)));
            self.pending.store(true, Ordering::Release);
            drop(mailbox);
            self.notify();
        }
    }
}

/// The loop's own end of its inbox. Dropping it, with the loop, closes the
/// inbox: a loop dropped without `close` refuses calls as a closed one
/// does, and keeps none.
pub(crate) struct Remote(Arc<Inbox>);

impl Remote {
    pub(crate) fn new() -> Self {
        Self(Arc::new(Inbox {
            mailbox: Mutex::new(Mailbox::default()),
            wake: Condvar::new(),
            expecting: AtomicUsize::new(0),
            os_waker: Mutex::new(None),
            pending: AtomicBool::new(false),
        }))
    }

    /// From now on, waking the loop also ends its wait on the OS.
    pub(crate) fn set_os_waker(&self, waker: Arc<mio::Waker>) {
        *self
            .0
            .os_waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(waker);
    }

    /// Takes every call made so far; `None` when there is none, which is
    /// every iteration of a loop nobody calls into, at the cost of one
    /// atomic load.
    #[inline]
    pub(crate) fn drain(&self) -> Option<VecDeque<RemoteCall>> {
        if self.0.pending.load(Ordering::Acquire) {
            Some(self.take_calls())
        } else {
            None
        }
    }

    #[cold]
    fn take_calls(&self) -> VecDeque<RemoteCall> {
        let mut mailbox = self.0.mailbox();
        self.0.pending.store(false, Ordering::Relaxed);
        std::mem::take(&mut mailbox.calls)
    }

    /// Whether another thread may still call in.
    pub(crate) fn expecting(&self) -> bool {
        self.0.expecting.load(Ordering::Acquire) > 0
    }

    /// Blocks until a call arrives or `timeout` passes (forever if `None`).
    pub(crate) fn wait(&self, timeout: Option<Duration>) {
        let mailbox = self.0.mailbox();
        if !mailbox.calls.is_empty() {
            return;
        }
        if let Some(timeout) = timeout {
            let (mailbox, _) = self
                .0
                .wake
                .wait_timeout(mailbox, timeout)
                .unwrap_or_else(PoisonError::into_inner);
            drop(mailbox);
        } else {
            let mailbox = self
                .0
                .wake
                .wait(mailbox)
                .unwrap_or_else(PoisonError::into_inner);
            drop(mailbox);
        }
    }

    /// Refuses every call from now on, and gives back the calls that were
    /// queued, for the caller to drop once the lock is released (dropping a
    /// call may drop a setter, which takes the lock).
    fn close(&self) -> VecDeque<RemoteCall> {
        let mut mailbox = self.0.mailbox();
        mailbox.closed = true;
        mailbox.abandoned = Vec::new();
        std::mem::take(&mut mailbox.calls)
    }

    /// Takes the ids of the setters dropped unused; `queued_call` says
    /// whether the queued call that forgets them is the one asking.
    fn take_abandoned(&self, queued_call: bool) -> Vec<u64> {
        let mut mailbox = self.0.mailbox();
        if queued_call {
            mailbox.forget_queued = false;
        }
        std::mem::take(&mut mailbox.abandoned)
    }

    fn is(&self, inbox: &Arc<Inbox>) -> bool {
        Arc::ptr_eq(&self.0, inbox)
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        drop(self.close());
    }
}

/// A handle to a loop that other threads can use (the thread-safe half of
/// asyncio's loop API). `Send`, `Sync` and cheap to clone.
///
/// While a `LoopRemote` exists, a loop with nothing else to do waits for
/// it, rather than reporting that it would wait forever.
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{coroutine, run, EventLoop};
///
/// let answer = run(coroutine("main", |co| async move {
///     let lp = EventLoop::running()?;
///     let reply = lp.create_future::<u32>();
///     let remote = lp.remote();
///     let fulfil = reply.clone();
///     let setter = lp.local_setter(move |v: u32| {
///         let _ = fulfil.set_result(v);
///     });
///     std::thread::spawn(move || {
///         if let Err(closed) = remote.call_soon_threadsafe(setter.with(42)) {
///             eprintln!("the reply was not sent: {closed}");
///         }
///     });
///     co.yield_from(reply.wait()).await
/// }))
/// .unwrap();
/// assert_eq!(answer, 42);
/// ```
pub struct LoopRemote(Arc<Inbox>);

impl LoopRemote {
    fn new(inbox: Arc<Inbox>) -> Self {
        inbox.expecting.fetch_add(1, Ordering::AcqRel);
        Self(inbox)
    }

    /// Schedules `call` to run on the loop's thread, in the loop's next
    /// iteration, and wakes the loop if it is idle (Python's
    /// `loop.call_soon_threadsafe`). `call` gets the loop.
    ///
    /// A call made before the loop closes either runs or, if the loop
    /// closes first, is dropped with the loop's other pending callbacks;
    /// none is kept past the close.
    ///
    /// # Errors
    ///
    /// [`LoopClosed`], with `call` inside, unrun, when the loop is closed
    /// or has been dropped (CPython raises
    /// `RuntimeError('Event loop is closed')`; `RuntimeError::from` turns
    /// the error into that).
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{ClockKind, EventLoop, RuntimeError};
    ///
    /// let lp = EventLoop::new(ClockKind::Virtual);
    /// let remote = lp.remote();
    /// lp.close().unwrap();
    /// let refused = remote.call_soon_threadsafe(|_| println!("never runs")).unwrap_err();
    /// assert_eq!(refused.to_string(), "Event loop is closed");
    /// let call = refused.0; // the call, handed back
    /// # drop(call);
    /// assert_eq!(RuntimeError::from(refused).message, "Event loop is closed");
    /// ```
    pub fn call_soon_threadsafe<F>(&self, call: F) -> Result<(), LoopClosed<F>>
    where
        F: FnOnce(&EventLoop) + Send + 'static,
    {
        self.0.push(call)
    }
}

impl Clone for LoopRemote {
    fn clone(&self) -> Self {
        Self::new(self.0.clone())
    }
}

impl Drop for LoopRemote {
    fn drop(&mut self) {
        self.0.expecting.fetch_sub(1, Ordering::AcqRel);
        // An idle loop may be waiting only for this handle.
        self.0.notify();
    }
}

impl fmt::Debug for LoopRemote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoopRemote")
    }
}

/// [`LoopRemote::call_soon_threadsafe`] on a loop that is closed or was
/// dropped, or [`EventLoop::run_in_executor`] on a closed loop (Python's
/// `RuntimeError('Event loop is closed')`). The call or job is handed back
/// inside, unrun: `.0` takes it out.
///
/// `RuntimeError::from` turns it into the `RuntimeError` CPython raises,
/// dropping the call, for code that reports errors as `AnyError`.
pub struct LoopClosed<F>(pub F);

impl<F> fmt::Debug for LoopClosed<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoopClosed")
    }
}

impl<F> fmt::Display for LoopClosed<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Event loop is closed")
    }
}

impl<F> Error for LoopClosed<F> {}

impl<F> From<LoopClosed<F>> for RuntimeError {
    fn from(closed: LoopClosed<F>) -> Self {
        Self::new(closed.to_string())
    }
}

type Setter = Box<dyn FnOnce(Box<dyn Any>)>;
type Polled = Pin<Box<dyn StdFuture<Output = ()>>>;

/// Loop-local state of the bridge: the callbacks of the live setters, and
/// the Rust futures being polled.
#[derive(Default)]
pub(crate) struct Local {
    next: RefCell<u64>,
    setters: RefCell<HashMap<u64, Setter>>,
    polled: RefCell<HashMap<u64, Polled>>,
}

impl Local {
    fn id(&self) -> u64 {
        let mut next = self.next.borrow_mut();
        *next += 1;
        *next
    }
}

/// Removes `id`'s entry, and gives back the room of a map that has
/// become mostly empty: a burst of setters or futures leaves no more
/// behind than the ones still live need.
fn remove_and_shrink<V>(map: &mut HashMap<u64, V>, id: u64) -> Option<V> {
    let removed = map.remove(&id);
    if map.capacity() > 64 && map.capacity() > 4 * map.len() {
        map.shrink_to(2 * map.len());
    }
    removed
}

/// A loop-side callback that another thread can trigger with a value of
/// type `T`: `Send`, though the callback it stands for need not be.
///
/// The callback lives on the loop until the value arrives. A setter
/// dropped unused, or whose call is dropped unsent, has its callback
/// dropped on the loop's thread soon after, wherever it was dropped; the
/// loop keeps nothing for it.
pub struct LocalSetter<T> {
    registration: Registration,
    _value: PhantomData<fn(T)>,
}

/// A setter's hold on its callback: unless the value is delivered, its
/// drop tells the loop to drop the callback.
struct Registration {
    id: u64,
    inbox: Arc<Inbox>,
    delivered: bool,
}

impl Registration {
    /// Runs the callback with `value` on `lp`, if `lp` is the loop the
    /// setter was made on; a value sent to another loop is dropped, and
    /// the callback with it.
    fn deliver(mut self, lp: &EventLoop, value: Box<dyn Any>) {
        if lp.0.remote.is(&self.inbox) {
            self.delivered = true;
            lp.complete_local(self.id, value);
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if !self.delivered {
            self.inbox.abandon(self.id);
        }
    }
}

impl<T: Send + 'static> LocalSetter<T> {
    /// The call that runs the callback with `value`, for
    /// [`LoopRemote::call_soon_threadsafe`].
    pub fn with(self, value: T) -> impl FnOnce(&EventLoop) + Send + 'static {
        let registration = self.registration;
        move |lp: &EventLoop| registration.deliver(lp, Box::new(value))
    }
}

impl<T> fmt::Debug for LocalSetter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSetter")
            .field("id", &self.registration.id)
            .finish()
    }
}

impl EventLoop {
    /// A handle other threads can call this loop through.
    #[must_use]
    pub fn remote(&self) -> LoopRemote {
        LoopRemote::new(self.0.remote.0.clone())
    }

    /// Registers `callback` to run on this loop's thread when another
    /// thread sends it a value through the returned [`LocalSetter`]. On a
    /// closed loop no value can arrive: `callback` is dropped at once.
    pub fn local_setter<T: 'static>(&self, callback: impl FnOnce(T) + 'static) -> LocalSetter<T> {
        // Setters made and dropped on this thread are forgotten here, so
        // that making them in a loop holds no more than one.
        self.forget_abandoned(false);
        let id = self.0.local.id();
        if !self.is_closed() {
            self.0.local.setters.borrow_mut().insert(
                id,
                Box::new(move |value: Box<dyn Any>| {
                    if let Ok(value) = value.downcast::<T>() {
                        callback(*value);
                    }
                }),
            );
        }
        LocalSetter {
            registration: Registration {
                id,
                inbox: self.0.remote.0.clone(),
                delivered: false,
            },
            _value: PhantomData,
        }
    }

    fn complete_local(&self, id: u64, value: Box<dyn Any>) {
        let setter = remove_and_shrink(&mut self.0.local.setters.borrow_mut(), id);
        if let Some(setter) = setter {
            setter(value);
        }
    }

    /// Drops the callbacks of the setters dropped unused.
    fn forget_abandoned(&self, queued_call: bool) {
        let ids = self.0.remote.take_abandoned(queued_call);
        if ids.is_empty() {
            return;
        }
        let forgotten: Vec<Setter> = {
            let mut setters = self.0.local.setters.borrow_mut();
            ids.iter()
                .filter_map(|&id| remove_and_shrink(&mut setters, id))
                .collect()
        };
        // Dropped outside the borrow: a callback's drop may make a setter.
        drop(forgotten);
    }

    /// Closes the bridge with the loop: calls from other threads are
    /// refused from now on, and the calls still queued, the callbacks of
    /// the setters and the Rust futures being polled are dropped, since
    /// none of them can run any more.
    pub(crate) fn close_bridge(&self) {
        let calls = self.0.remote.close();
        let setters = std::mem::take(&mut *self.0.local.setters.borrow_mut());
        let polled = std::mem::take(&mut *self.0.local.polled.borrow_mut());
        // Dropped outside the borrows: their drops may call the loop.
        drop((calls, setters, polled));
    }

    /// Runs a Rust future on this loop, polled with a real waker that
    /// schedules it again when it is woken (from any thread), and gives a
    /// loop future for its output: the bridge from async Rust into
    /// coroutines (like `asyncio.wrap_future`). A panic in the future
    /// becomes the loop future's error, [`TaskPanicked`], as a panicking
    /// job of [`run_in_executor`](Self::run_in_executor) does.
    ///
    /// On a closed loop, `future` is dropped unpolled and the loop future
    /// stays pending, as CPython's does when its loop is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{coroutine, run, EventLoop};
    ///
    /// let (tx, rx) = futures::channel::oneshot::channel::<&str>();
    /// let got = run(coroutine("main", move |co| async move {
    ///     let lp = EventLoop::running()?;
    ///     let reply = lp.wrap_future(async move { rx.await.unwrap_or("dropped") });
    ///     std::thread::spawn(move || tx.send("from a thread"));
    ///     co.yield_from(reply.wait()).await
    /// }))
    /// .unwrap();
    /// assert_eq!(got, "from a thread");
    /// ```
    pub fn wrap_future<T: Clone + 'static>(
        &self,
        future: impl StdFuture<Output = T> + 'static,
    ) -> Future<T> {
        let result: Future<T> = self.create_future();
        if self.is_closed() {
            return result;
        }
        let setter = result.clone();
        let id = self.0.local.id();
        self.0.local.polled.borrow_mut().insert(
            id,
            Box::pin(async move {
                let outcome = AssertUnwindSafe(future).catch_unwind().await;
                let outcome = outcome.map_err(|payload| panic_message(&*payload));
                settle(&setter, outcome, "wrap_future future");
            }),
        );
        // The first poll happens soon on the loop, as a woken one would.
        let waker = PollWaker::waker(self, id);
        waker.wake_by_ref();
        result
    }

    fn poll_local(&self, id: u64, waker: &Waker) {
        let future = remove_and_shrink(&mut self.0.local.polled.borrow_mut(), id);
        let Some(mut future) = future else { return };
        let mut cx = Context::from_waker(waker);
        if future.as_mut().poll(&mut cx).is_pending() {
            self.0.local.polled.borrow_mut().insert(id, future);
        }
    }

    /// Runs `job` on the loop's thread pool and gives a loop future for its
    /// result (Python's `loop.run_in_executor(None, job)`). A panic in the
    /// job becomes the future's error. A job that finishes after the loop
    /// closed has no one to hand its result to: the result is dropped on
    /// the pool's thread.
    ///
    /// The pool is shared by every loop in the process and has as many
    /// threads as the machine has cores, plus four, at most 32 (the size of
    /// Python's default `ThreadPoolExecutor`); jobs beyond that wait for a
    /// free thread.
    ///
    /// # Errors
    ///
    /// [`LoopClosed`], with `job` inside, not run, on a closed loop (CPython
    /// raises `RuntimeError('Event loop is closed')`; `RuntimeError::from`
    /// turns the error into that, and `?` into an `AnyError` when `job` is
    /// `Sync`). Its future could never complete: nothing runs a closed
    /// loop's callbacks.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{coroutine, run, EventLoop};
    ///
    /// let sum = run(coroutine("main", |co| async move {
    ///     let lp = EventLoop::running()?;
    ///     let job = lp.run_in_executor(|| (1..=100u64).sum::<u64>())?;
    ///     co.yield_from(job.wait()).await
    /// }))
    /// .unwrap();
    /// assert_eq!(sum, 5050);
    /// ```
    pub fn run_in_executor<T, F>(&self, job: F) -> Result<Future<T>, LoopClosed<F>>
    where
        T: Clone + Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        if self.is_closed() {
            return Err(LoopClosed(job));
        }
        let result: Future<T> = self.create_future();
        let fulfil = result.clone();
        let setter = self.local_setter(move |outcome: Result<T, String>| {
            settle(&fulfil, outcome, "run_in_executor job");
        });
        let remote = self.remote();
        executor().submit(Box::new(move || {
            let outcome = panic::catch_unwind(AssertUnwindSafe(job))
                .map_err(|payload| panic_message(&*payload));
            // A closed loop hands the result back; it is dropped here.
            drop(remote.call_soon_threadsafe(setter.with(outcome)));
        }));
        Ok(result)
    }
}

/// Completes `future` with what a job or a Rust future gave, a panic's
/// message becoming [`TaskPanicked`] for `what`; a future already done
/// (cancelled, say) is left as it is.
fn settle<T: Clone + 'static>(future: &Future<T>, outcome: Result<T, String>, what: &str) {
    if future.done() {
        return;
    }
    let _ = match outcome {
        Ok(value) => future.set_result(value),
        Err(message) => future.set_exception(TaskPanicked {
            task: what.to_owned(),
            message,
        }),
    };
}

/// Wakes a Rust future polled by a loop: schedules its next poll there.
struct PollWaker {
    remote: LoopRemote,
    id: u64,
}

impl PollWaker {
    fn waker(lp: &EventLoop, id: u64) -> Waker {
        Waker::from(Arc::new(Self {
            remote: lp.remote(),
            id,
        }))
    }
}

impl Wake for PollWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let (id, me) = (self.id, self.clone());
        // A closed loop polls nothing more: the refused call is dropped.
        drop(self.remote.call_soon_threadsafe(move |lp| {
            let waker = Waker::from(me);
            lp.poll_local(id, &waker);
        }));
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// The process-wide thread pool behind `run_in_executor`.
struct Executor {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl Executor {
    fn submit(&self, job: Job) {
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(job);
        // The workers live as long as the process; a send cannot fail.
        drop(sent);
    }
}

/// The pool's size: Python's `ThreadPoolExecutor` default.
pub(crate) fn executor_threads() -> usize {
    let cores = thread::available_parallelism().map_or(1, std::num::NonZero::get);
    (cores + 4).min(32)
}

fn executor() -> &'static Executor {
    static EXECUTOR: OnceLock<Executor> = OnceLock::new();
    EXECUTOR.get_or_init(|| {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..executor_threads() {
            let receiver = receiver.clone();
            let spawned = thread::Builder::new()
                .name(format!("yieldfrom-executor-{n}"))
                .spawn(move || {
                    loop {
                        let job = receiver
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            // A pool that could not start every thread runs on those it has.
            drop(spawned);
        }
        Executor {
            jobs: Mutex::new(sender),
        }
    })
}

/// Lets async Rust code await a task (on the loop's thread, for example in
/// a future given to [`EventLoop::wrap_future`]).
///
/// A pending task keeps one waker per place awaiting it, however often it
/// is polled: a poll whose waker would wake one already kept
/// ([`Waker::will_wake`]) stores nothing, and one done callback wakes
/// them all when the task is done.
impl<T: Clone + 'static> StdFuture for super::Task<T> {
    type Output = Result<T, AnyError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.done() {
            return Poll::Ready(self.result());
        }
        self.rust_waiters().keep(self.future(), cx.waker());
        Poll::Pending
    }
}

/// The wakers of the async Rust code awaiting a task or a future.
///
/// Nothing is allocated until the first poll while pending; from then until
/// the task is done it holds at least one waker, and a done callback is
/// registered that takes them all.
#[derive(Default)]
pub(crate) struct RustWaiters(OnceCell<Rc<RefCell<Vec<Waker>>>>);

impl RustWaiters {
    pub(crate) fn keep<T: Clone + 'static>(&self, future: &Future<T>, waker: &Waker) {
        let kept = self.0.get_or_init(Rc::default);
        if kept.borrow().iter().any(|k| k.will_wake(waker)) {
            return;
        }
        if kept.borrow().is_empty() {
            let wakers = kept.clone();
            future.add_done_callback(move |_| {
                let wakers = std::mem::take(&mut *wakers.borrow_mut());
                for waker in wakers {
                    waker.wake();
                }
            });
        }
        kept.borrow_mut().push(waker.clone());
    }
}
