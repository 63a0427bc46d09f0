//! asyncio's `Queue`.

use super::{
    Coroutine, CoroutineCo, Suspend, coroutine, errors::ValueError, event::Event,
    event_loop::EventLoop, turn::Turn, wait_line::WaitLine,
};
use crate::{AnyError, Delegate, Generator, Step, mailbox::Hinted};
use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    convert::Infallible,
    error::Error,
    fmt,
    rc::Rc,
};

/// A first-in, first-out queue for tasks (Python's `asyncio.Queue`).
///
/// A queue made with a `maxsize` of 0 is unbounded. `put` waits while the
/// queue is full and `get` while it is empty; waiting getters and putters
/// are served first-in, first-out, and one that is cancelled while waiting
/// takes no item and leaves its wake-up to the next. `task_done` and `join`
/// count the items handed out that are not finished with yet.
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{coroutine, run_with, ClockKind, EventLoop, Queue};
///
/// let queue: Queue<u32> = Queue::new(1);
/// let (producer_q, consumer_q) = (queue.clone(), queue.clone());
/// let received = run_with(ClockKind::Virtual, coroutine("main", move |co| async move {
///     let lp = EventLoop::running()?;
///     lp.create_task(coroutine("producer", move |co| async move {
///         for n in 1..=3 {
///             co.yield_from(producer_q.put(n)).await?;
///         }
///         Ok(())
///     }))?;
///     let mut got = Vec::new();
///     for _ in 0..3 {
///         got.push(co.yield_from(consumer_q.get()).await?);
///     }
///     Ok(got)
/// }))
/// .unwrap();
/// assert_eq!(received, [1, 2, 3]);
/// ```
pub struct Queue<T>(Rc<QueueInner<T>>);

struct QueueInner<T> {
    maxsize: usize,
    items: RefCell<VecDeque<T>>,
    getters: WaitLine,
    putters: WaitLine,
    unfinished: Cell<usize>,
    finished: Event,
    /// The turn of the last wait that ended with it, kept to be renewed
    /// for the next (`Turn::renew`): a ping-pong between two tasks makes
    /// no turn per wait.
    spare: Cell<Option<Rc<Turn>>>,
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

/// `put_nowait` on a full queue (Python's `asyncio.QueueFull`); the item
/// comes back inside.
pub struct QueueFull<T>(pub T);

impl<T> fmt::Debug for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueFull")
    }
}

impl<T> fmt::Display for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is full")
    }
}

impl<T> Error for QueueFull<T> {}

/// `get_nowait` on an empty queue (Python's `asyncio.QueueEmpty`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueEmpty;

impl fmt::Display for QueueEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is empty")
    }
}

impl Error for QueueEmpty {}

/// Gives the first waiter that is not done its turn, dropping the ones
/// before it.
fn wakeup_next(waiters: &WaitLine) {
    while let Some(waiter) = waiters.pop_first() {
        if !waiter.done() {
            waiter.give();
            return;
        }
    }
}

/// Which line of a queue a wait is in.
#[derive(Clone, Copy)]
enum End {
    /// A getter's, blocked while the queue is empty.
    Get,
    /// A putter's, blocked while the queue is full.
    Put,
}

impl<T: 'static> Queue<T> {
    fn line(&self, end: End) -> &WaitLine {
        match end {
            End::Get => &self.0.getters,
            End::Put => &self.0.putters,
        }
    }

    fn blocked(&self, end: End) -> bool {
        match end {
            End::Get => self.empty(),
            End::Put => self.full(),
        }
    }

    /// One turn of the loop of CPython's `Queue.get` (`while
    /// self.empty(): getter = ...; await getter`) and `Queue.put` (while
    /// full), for a wait whose current waiter is `waiter`: after a wait,
    /// checks how it ended (an error leaves the line, as
    /// [`abandon`](Self::abandon) says); then `Some` with what to yield
    /// to wait, in line, while still blocked, or `None` when not.
    fn wait_turn(
        &self,
        waiter: &mut Option<Rc<Turn>>,
        end: End,
    ) -> Result<Option<Suspend>, AnyError> {
        if let Some(woken) = waiter.as_ref() {
            if let Err(e) = woken.outcome() {
                self.abandon(waiter, end);
                return Err(e);
            }
            self.0.spare.set(waiter.take());
        }
        if !self.blocked(end) {
            return Ok(None);
        }
        let label = match end {
            End::Get => "Queue.get",
            End::Put => "Queue.put",
        };
        let mut spare = self.0.spare.take();
        let next = Turn::renew(&mut spare, &EventLoop::running()?, label);
        // One not reused is dropped here, outside the queue's cells.
        drop(spare);
        self.line(end).join(next.clone());
        let suspend = Suspend(Some(next.clone()));
        *waiter = Some(next);
        Ok(Some(suspend))
    }

    /// A wait that ends in an error (thrown in, `GeneratorExit`, its
    /// waiter cancelled) leaves the line and, if it had been woken and the
    /// queue could serve the next waiter, passes its turn on: the `except`
    /// clause of CPython's `Queue.get` and `Queue.put`.
    fn abandon(&self, waiter: &mut Option<Rc<Turn>>, end: End) {
        if let Some(waiter) = waiter.take() {
            waiter.cancel();
            let line = self.line(end);
            line.leave(&waiter);
            if !self.blocked(end) && !waiter.cancelled() {
                wakeup_next(line);
            }
        }
    }

    /// Waits in line in the body of `co` for as long as the queue is
    /// blocked at `end`.
    async fn wait_in_line(&self, co: &CoroutineCo, end: End) -> Result<(), AnyError> {
        let mut waiter = None;
        while let Some(suspend) = self.wait_turn(&mut waiter, end)? {
            if let Err(e) = co.yield_(suspend).await {
                self.abandon(&mut waiter, end);
                return Err(e);
            }
        }
        Ok(())
    }
}

/// `Queue::get()`: the wait of [`Queue::get_in`] as a hand-written
/// delegate, which `yield_from` drives in place.
struct Get<T: 'static> {
    queue: Queue<T>,
    waiter: Option<Rc<Turn>>,
}

impl<T: 'static> Delegate for Get<T> {
    type Yield = Suspend;
    type Send = ();
    type Return = T;
    type Error = AnyError;

    fn name(&self) -> &'static str {
        "Queue.get"
    }

    #[inline]
    fn send(&mut self, _: Option<()>) -> Result<Step<Suspend, T, Infallible>, AnyError> {
        match self.queue.wait_turn(&mut self.waiter, End::Get)? {
            Some(suspend) => Ok(Step::Yielded(suspend)),
            None => Ok(Step::Returned(self.queue.get_nowait()?)),
        }
    }

    fn throw(&mut self, error: AnyError) -> Result<Step<Suspend, T, Infallible>, AnyError> {
        self.queue.abandon(&mut self.waiter, End::Get);
        Err(error)
    }

    fn close(&mut self) -> Result<(), AnyError> {
        self.queue.abandon(&mut self.waiter, End::Get);
        Ok(())
    }
}

/// `Queue::put(item)`: the wait of [`Queue::put_in`] as a hand-written
/// delegate, which `yield_from` drives in place. The item is dropped with
/// it if it never goes in.
struct Put<T: 'static> {
    queue: Queue<T>,
    item: Option<T>,
    waiter: Option<Rc<Turn>>,
}

impl<T: 'static> Delegate for Put<T> {
    type Yield = Suspend;
    type Send = ();
    type Return = ();
    type Error = AnyError;

    fn name(&self) -> &'static str {
        "Queue.put"
    }

    #[inline]
    fn send(&mut self, _: Option<()>) -> Result<Step<Suspend, (), Infallible>, AnyError> {
        if let Some(suspend) = self.queue.wait_turn(&mut self.waiter, End::Put)? {
            return Ok(Step::Yielded(suspend));
        }
        // The wait ended with room for it.
        if let Some(item) = self.item.take() {
            self.queue.push(item);
        }
        Ok(Step::Returned(()))
    }

    fn throw(&mut self, error: AnyError) -> Result<Step<Suspend, (), Infallible>, AnyError> {
        self.queue.abandon(&mut self.waiter, End::Put);
        Err(error)
    }

    fn close(&mut self) -> Result<(), AnyError> {
        self.queue.abandon(&mut self.waiter, End::Put);
        Ok(())
    }
}

impl<T: 'static> Queue<T> {
    /// A queue that `put` never waits on (Python's `asyncio.Queue()`):
    /// [`Queue::new(0)`](Queue::new), named.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::Queue;
    ///
    /// let q: Queue<u32> = Queue::unbounded();
    /// for n in 0..1000 {
    ///     q.put_nowait(n).unwrap();
    /// }
    /// assert_eq!((q.qsize(), q.maxsize(), q.full()), (1000, 0, false));
    /// ```
    #[must_use]
    pub fn unbounded() -> Self {
        Self::new(0)
    }

    /// A queue holding at most `maxsize` items; 0 means no limit, as in
    /// Python (see also [`Queue::unbounded`]).
    #[must_use]
    pub fn new(maxsize: usize) -> Self {
        let finished = Event::new();
        finished.set();
        Self(Rc::new(QueueInner {
            maxsize,
            items: RefCell::new(VecDeque::new()),
            getters: WaitLine::default(),
            putters: WaitLine::default(),
            unfinished: Cell::new(0),
            finished,
            spare: Cell::new(None),
        }))
    }

    /// The number of items in the queue.
    #[must_use]
    pub fn qsize(&self) -> usize {
        self.0.items.borrow().len()
    }

    /// The limit given to `new`.
    #[must_use]
    pub fn maxsize(&self) -> usize {
        self.0.maxsize
    }

    /// Whether the queue is empty.
    #[must_use]
    pub fn empty(&self) -> bool {
        self.0.items.borrow().is_empty()
    }

    /// Whether the queue is at its limit.
    #[must_use]
    pub fn full(&self) -> bool {
        self.0.maxsize > 0 && self.qsize() >= self.0.maxsize
    }

    /// Adds an item without waiting.
    ///
    /// # Errors
    ///
    /// [`QueueFull`], carrying the item back, when the queue is full.
    pub fn put_nowait(&self, item: T) -> Result<(), QueueFull<T>> {
        if self.full() {
            return Err(QueueFull(item));
        }
        self.push(item);
        Ok(())
    }

    /// Adds `item`, for which there is room, and wakes the first getter.
    fn push(&self, item: T) {
        self.0.items.borrow_mut().push_back(item);
        self.0.unfinished.set(self.0.unfinished.get() + 1);
        self.0.finished.clear();
        wakeup_next(&self.0.getters);
    }

    /// Takes an item without waiting.
    ///
    /// # Errors
    ///
    /// [`QueueEmpty`] when the queue is empty.
    pub fn get_nowait(&self) -> Result<T, QueueEmpty> {
        let item = self.0.items.borrow_mut().pop_front().ok_or(QueueEmpty)?;
        wakeup_next(&self.0.putters);
        Ok(item)
    }

    /// A coroutine that waits for room, then adds `item` (Python's
    /// `await queue.put(item)`).
    ///
    /// # Errors
    ///
    /// `CancelledError` if its task is cancelled while it waits (the item
    /// is dropped, as in CPython), `RuntimeError` if no loop runs.
    pub fn put(&self, item: T) -> Coroutine<()> {
        let put = Put {
            queue: self.clone(),
            item: Some(item),
            waiter: None,
        };
        Generator::in_place(put, || Hinted {
            name: "Queue.put",
            level: true,
        })
    }

    /// Waits for room right in the body of the coroutine whose `co` this
    /// is, then adds `item`: `co.yield_from(queue.put(item))` without
    /// making the `put` coroutine, as [`Future::wait_in`](super::Future::wait_in) is to
    /// `Future::wait`.
    ///
    /// # Errors
    ///
    /// As [`put`](Self::put).
    pub async fn put_in(&self, co: &CoroutineCo, item: T) -> Result<(), AnyError> {
        self.wait_in_line(co, End::Put).await?;
        self.put_nowait(item)
            .map_err(|_| AnyError::msg("queue full after waiting for room"))
    }

    /// A coroutine that waits for an item and evaluates to it (Python's
    /// `await queue.get()`).
    ///
    /// # Errors
    ///
    /// `CancelledError` if its task is cancelled while it waits (no item is
    /// taken then), `RuntimeError` if no loop runs.
    pub fn get(&self) -> Coroutine<T> {
        let get = Get {
            queue: self.clone(),
            waiter: None,
        };
        Generator::in_place(get, || Hinted {
            name: "Queue.get",
            level: true,
        })
    }

    /// Waits for an item right in the body of the coroutine whose `co`
    /// this is, and evaluates to it: `co.yield_from(queue.get())` without
    /// making the `get` coroutine (its allocations and its delegation), as
    /// [`Future::wait_in`](super::Future::wait_in) is to `Future::wait`. The waiting, the order of
    /// getters and what a cancellation does are the same.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get).
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{ClockKind, Queue, coroutine, run_with};
    ///
    /// let queue: Queue<u32> = Queue::new(0);
    /// let q = queue.clone();
    /// let got = run_with(ClockKind::Virtual, coroutine("main", move |co| async move {
    ///     q.put_nowait(7)?;
    ///     q.get_in(&co).await
    /// }));
    /// assert_eq!(got.unwrap(), 7);
    /// ```
    pub async fn get_in(&self, co: &CoroutineCo) -> Result<T, AnyError> {
        self.wait_in_line(co, End::Get).await?;
        self.get_nowait().map_err(AnyError::from)
    }

    /// Marks one item handed out by `get` as finished with; `join` returns
    /// once every item put has been.
    ///
    /// # Errors
    ///
    /// `ValueError("task_done() called too many times")`.
    pub fn task_done(&self) -> Result<(), AnyError> {
        let unfinished = self.0.unfinished.get();
        if unfinished == 0 {
            return Err(ValueError::new("task_done() called too many times").into());
        }
        self.0.unfinished.set(unfinished - 1);
        if unfinished == 1 {
            self.0.finished.set();
        }
        Ok(())
    }

    /// A coroutine that waits until every item put has been marked done
    /// (Python's `await queue.join()`).
    ///
    /// # Errors
    ///
    /// `CancelledError` if its task is cancelled while it waits.
    pub fn join(&self) -> Coroutine<()> {
        let queue = self.clone();
        coroutine("Queue.join", move |co| async move {
            if queue.0.unfinished.get() > 0 {
                co.yield_from(queue.0.finished.wait()).await?;
            }
            Ok(())
        })
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("maxsize", &self.0.maxsize)
            .field("qsize", &self.0.items.borrow().len())
            .field("getters", &self.0.getters.len())
            .field("putters", &self.0.putters.len())
            .field("unfinished", &self.0.unfinished.get())
            .finish()
    }
}
