//! The thread-safe way into a loop: `call_soon_threadsafe`, the bridge
//! from `std::future::Future`, and `run_in_executor`.

use super::{errors::TaskPanicked, event_loop::EventLoop, future::Future};
use crate::{AnyError, exception::panic_message};
use std::{
    any::Any,
    cell::RefCell,
    collections::{HashMap, VecDeque},
    fmt,
    future::Future as StdFuture,
    panic::{self, AssertUnwindSafe},
    pin::Pin,
    sync::{
        Arc, Condvar, Mutex, OnceLock, PoisonError,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    task::{Context, Poll, Wake, Waker},
    thread,
    time::Duration,
};

/// A call made from another thread, run on the loop's thread.
pub(crate) type RemoteCall = Box<dyn FnOnce(&EventLoop) + Send>;

/// The part of a loop other threads may touch.
pub(crate) struct Remote {
    calls: Mutex<VecDeque<RemoteCall>>,
    wake: Condvar,
    /// Handles and jobs that may still call in: while any are out, an idle
    /// loop waits for them instead of reporting that it would wait forever.
    expecting: AtomicUsize,
    /// Ends the loop's wait on the OS, once it has a selector.
    os_waker: Mutex<Option<Arc<mio::Waker>>>,
}

impl Remote {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::new(VecDeque::new()),
            wake: Condvar::new(),
            expecting: AtomicUsize::new(0),
            os_waker: Mutex::new(None),
        })
    }

    /// From now on, waking the loop also ends its wait on the OS.
    pub(crate) fn set_os_waker(&self, waker: Arc<mio::Waker>) {
        *self.os_waker.lock().unwrap_or_else(PoisonError::into_inner) = Some(waker);
    }

    /// Wakes the loop, however it waits.
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

    fn push(&self, call: RemoteCall) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(call);
        self.notify();
    }

    /// Takes every call made so far.
    pub(crate) fn drain(&self) -> VecDeque<RemoteCall> {
        std::mem::take(&mut *self.calls.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether another thread may still call in.
    pub(crate) fn expecting(&self) -> bool {
        self.expecting.load(Ordering::Acquire) > 0
    }

    /// Blocks until a call arrives or `timeout` passes (forever if `None`).
    pub(crate) fn wait(&self, timeout: Option<Duration>) {
        let calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        if !calls.is_empty() {
            return;
        }
        if let Some(timeout) = timeout {
            let (calls, _) = self
                .wake
                .wait_timeout(calls, timeout)
                .unwrap_or_else(PoisonError::into_inner);
            drop(calls);
        } else {
            let calls = self
                .wake
                .wait(calls)
                .unwrap_or_else(PoisonError::into_inner);
            drop(calls);
        }
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
///     std::thread::spawn(move || remote.call_soon_threadsafe(setter.with(42)));
///     co.yield_from(reply.wait()).await
/// }))
/// .unwrap();
/// assert_eq!(answer, 42);
/// ```
pub struct LoopRemote(Arc<Remote>);

impl LoopRemote {
    pub(crate) fn new(remote: Arc<Remote>) -> Self {
        remote.expecting.fetch_add(1, Ordering::AcqRel);
        Self(remote)
    }

    /// Schedules `call` to run on the loop's thread, in the loop's next
    /// iteration, and wakes the loop if it is idle (Python's
    /// `loop.call_soon_threadsafe`). `call` gets the loop.
    pub fn call_soon_threadsafe(&self, call: impl FnOnce(&EventLoop) + Send + 'static) {
        self.0.push(Box::new(call));
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

type Setter = Box<dyn FnOnce(Box<dyn Any>)>;
type Polled = Pin<Box<dyn StdFuture<Output = ()>>>;

/// Loop-local state of the bridge: the callbacks that values sent from
/// other threads complete, and the Rust futures being polled.
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

/// A loop-side callback that another thread can trigger with a value of
/// type `T`: `Send`, though the callback it stands for need not be.
pub struct LocalSetter<T> {
    id: u64,
    _value: std::marker::PhantomData<fn(T)>,
}

impl<T: Send + 'static> LocalSetter<T> {
    /// The call that runs the callback with `value`, for
    /// [`LoopRemote::call_soon_threadsafe`].
    pub fn with(self, value: T) -> impl FnOnce(&EventLoop) + Send + 'static {
        let id = self.id;
        move |lp: &EventLoop| lp.complete_local(id, Box::new(value))
    }
}

impl<T> fmt::Debug for LocalSetter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSetter").field("id", &self.id).finish()
    }
}

impl EventLoop {
    /// A handle other threads can call this loop through.
    #[must_use]
    pub fn remote(&self) -> LoopRemote {
        LoopRemote::new(self.0.remote.clone())
    }

    /// Registers `callback` to run on this loop's thread when another
    /// thread sends it a value through the returned [`LocalSetter`].
    pub fn local_setter<T: 'static>(&self, callback: impl FnOnce(T) + 'static) -> LocalSetter<T> {
        let id = self.0.local.id();
        self.0.local.setters.borrow_mut().insert(
            id,
            Box::new(move |value: Box<dyn Any>| {
                if let Ok(value) = value.downcast::<T>() {
                    callback(*value);
                }
            }),
        );
        LocalSetter {
            id,
            _value: std::marker::PhantomData,
        }
    }

    pub(crate) fn complete_local(&self, id: u64, value: Box<dyn Any>) {
        let setter = self.0.local.setters.borrow_mut().remove(&id);
        if let Some(setter) = setter {
            setter(value);
        }
    }

    /// Runs a Rust future on this loop, polled with a real waker that
    /// schedules it again when it is woken (from any thread), and gives a
    /// loop future for its output: the bridge from async Rust into
    /// coroutines (like `asyncio.wrap_future`).
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
        let setter = result.clone();
        let id = self.0.local.id();
        self.0.local.polled.borrow_mut().insert(
            id,
            Box::pin(async move {
                let value = future.await;
                if !setter.done() {
                    let _ = setter.set_result(value);
                }
            }),
        );
        // The first poll happens soon on the loop, as a woken one would.
        let waker = PollWaker::waker(self, id);
        waker.wake_by_ref();
        result
    }

    pub(crate) fn poll_local(&self, id: u64, waker: &Waker) {
        let future = self.0.local.polled.borrow_mut().remove(&id);
        let Some(mut future) = future else { return };
        let mut cx = Context::from_waker(waker);
        if future.as_mut().poll(&mut cx).is_pending() {
            self.0.local.polled.borrow_mut().insert(id, future);
        }
    }

    /// Runs `job` on the loop's thread pool and gives a loop future for its
    /// result (Python's `loop.run_in_executor(None, job)`). A panic in the
    /// job becomes the future's error.
    ///
    /// The pool is shared by every loop in the process and has as many
    /// threads as the machine has cores, plus four, at most 32 (the size of
    /// Python's default `ThreadPoolExecutor`); jobs beyond that wait for a
    /// free thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{coroutine, run, EventLoop};
    ///
    /// let sum = run(coroutine("main", |co| async move {
    ///     let lp = EventLoop::running()?;
    ///     let job = lp.run_in_executor(|| (1..=100u64).sum::<u64>());
    ///     co.yield_from(job.wait()).await
    /// }))
    /// .unwrap();
    /// assert_eq!(sum, 5050);
    /// ```
    pub fn run_in_executor<T: Clone + Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Future<T> {
        let result: Future<T> = self.create_future();
        let fulfil = result.clone();
        let setter = self.local_setter(move |outcome: Result<T, String>| {
            if fulfil.done() {
                return;
            }
            match outcome {
                Ok(value) => {
                    let _ = fulfil.set_result(value);
                }
                Err(message) => {
                    let _ = fulfil.set_exception(TaskPanicked {
                        task: "run_in_executor job".to_owned(),
                        message,
                    });
                }
            }
        });
        let remote = self.remote();
        executor().submit(Box::new(move || {
            let outcome = panic::catch_unwind(AssertUnwindSafe(job))
                .map_err(|payload| panic_message(&*payload));
            remote.call_soon_threadsafe(setter.with(outcome));
        }));
        result
    }
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
        self.remote.call_soon_threadsafe(move |lp| {
            let waker = Waker::from(me);
            lp.poll_local(id, &waker);
        });
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
impl<T: Clone + 'static> StdFuture for super::Task<T> {
    type Output = Result<T, AnyError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.done() {
            return Poll::Ready(self.result());
        }
        let waker = cx.waker().clone();
        self.future().add_done_callback(move |_| waker.wake());
        Poll::Pending
    }
}
