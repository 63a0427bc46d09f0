//! asyncio's `Lock`, `Semaphore` and `BoundedSemaphore`.
//!
//! Waiters are woken first-in, first-out. A waiter whose task is cancelled
//! leaves the queue and, if it had already been woken, passes its turn on,
//! so no wake-up is lost and none is left behind (CPython 3.11's
//! `locks.py`).

use super::{
    Coroutine, Suspend, coroutine,
    errors::{CancelledError, RuntimeError, ValueError},
    wait_line::{LineWait, WaitLine, wait_in_line},
};
use crate::{AnyError, Delegate, Generator, Step, mailbox::Hinted};
use std::{cell::Cell, convert::Infallible, fmt, rc::Rc};

type Waiters = WaitLine;

/// A mutual-exclusion lock for tasks (Python's `asyncio.Lock`).
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{coroutine, run_with, sleep, ClockKind, Lock};
///
/// let lock = Lock::new();
/// let held = lock.clone();
/// run_with(ClockKind::Virtual, coroutine("main", move |co| async move {
///     let guard = co.yield_from(held.lock()).await?;
///     assert!(held.locked());
///     co.yield_from(sleep(1.0)).await?;
///     drop(guard); // released, as at the end of `async with lock:`
///     assert!(!held.locked());
///     Ok(())
/// }))
/// .unwrap();
/// ```
#[derive(Clone, Default)]
pub struct Lock(Rc<LockInner>);

#[derive(Default)]
struct LockInner {
    locked: Cell<bool>,
    waiters: Waiters,
}

impl Lock {
    /// A new, unlocked lock.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether it is held.
    #[must_use]
    pub fn locked(&self) -> bool {
        self.0.locked.get()
    }

    /// A coroutine that waits until the lock is free, takes it, and
    /// evaluates to `true` (Python's `await lock.acquire()`).
    ///
    /// # Errors
    ///
    /// `CancelledError` if its task is cancelled while it waits (the lock
    /// is not taken then), `RuntimeError` if no loop runs.
    pub fn acquire(&self) -> Coroutine<bool> {
        let acquire = Acquire {
            lock: self.0.clone(),
            line: LineWait::new(),
        };
        Generator::in_place(acquire, || Hinted {
            name: "Lock.acquire",
            level: true,
        })
    }

    /// [`acquire`](Self::acquire), giving a guard that releases the lock
    /// when dropped: Python's `async with lock:`.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    pub fn lock(&self) -> Coroutine<LockGuard> {
        let acquire = self.acquire();
        let lock = self.clone();
        coroutine("Lock.__aenter__", move |co| async move {
            co.yield_from(acquire).await?;
            Ok(LockGuard(Some(lock)))
        })
    }

    /// Frees the lock and wakes the first waiter (Python's
    /// `lock.release()`).
    ///
    /// # Errors
    ///
    /// `RuntimeError("Lock is not acquired.")` if it is not held.
    pub fn release(&self) -> Result<(), AnyError> {
        if !self.0.locked.replace(false) {
            return Err(RuntimeError::new("Lock is not acquired.").into());
        }
        wake_up_first(&self.0.waiters);
        Ok(())
    }
}

/// `Lock::acquire()` as a hand-written delegate, which `yield_from` drives
/// in place: CPython's `Lock.acquire`, which takes a free lock nobody
/// waits for at once, and otherwise waits in line; a waiter cancelled
/// while the lock is free wakes the next.
struct Acquire {
    lock: Rc<LockInner>,
    line: LineWait,
}

impl Acquire {
    /// The wait ended in `error`.
    fn failed(&self, error: AnyError) -> AnyError {
        if error.is::<CancelledError>() && !self.lock.locked.get() {
            wake_up_first(&self.lock.waiters);
        }
        error
    }
}

impl Delegate for Acquire {
    type Yield = Suspend;
    type Send = ();
    type Return = bool;
    type Error = AnyError;

    fn name(&self) -> &'static str {
        "Lock.acquire"
    }

    #[inline]
    fn send(&mut self, _: Option<()>) -> Result<Step<Suspend, bool, Infallible>, AnyError> {
        let lock = &self.lock;
        if self.line.waiting() {
            if let Err(e) = self.line.outcome(&lock.waiters) {
                return Err(self.failed(e));
            }
            lock.locked.set(true);
            return Ok(Step::Returned(true));
        }
        if !lock.locked.get() && lock.waiters.find(|w| !w.cancelled()).is_none() {
            lock.locked.set(true);
            return Ok(Step::Returned(true));
        }
        self.line
            .join(&lock.waiters, "Lock.acquire")
            .map(Step::Yielded)
    }

    fn throw(&mut self, error: AnyError) -> Result<Step<Suspend, bool, Infallible>, AnyError> {
        self.line.leave(&self.lock.waiters);
        Err(self.failed(error))
    }

    fn close(&mut self) -> Result<(), AnyError> {
        self.line.leave(&self.lock.waiters);
        Ok(())
    }
}

fn wake_up_first(waiters: &Waiters) {
    if let Some(first) = waiters.first() {
        if !first.done() {
            first.give();
        }
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.locked())
            .field("waiters", &self.0.waiters.len())
            .finish()
    }
}

/// Holds a [`Lock`] until dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
#[derive(Clone)]
pub struct LockGuard(Option<Lock>);

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Some(lock) = self.0.take() {
            // The guard was made by taking the lock, and only it releases
            // through this path; a lock released by hand meanwhile is a
            // misuse that CPython would raise on, and is ignored here.
            let _ = lock.release();
        }
    }
}

impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LockGuard")
    }
}

/// A counter of permits for tasks (Python's `asyncio.Semaphore`); with
/// [`Semaphore::bounded`], Python's `asyncio.BoundedSemaphore`.
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{coroutine, run_with, ClockKind, Semaphore};
///
/// let permits = Semaphore::new(2);
/// let sem = permits.clone();
/// run_with(ClockKind::Virtual, coroutine("main", move |co| async move {
///     co.yield_from(sem.acquire()).await?;
///     co.yield_from(sem.acquire()).await?;
///     assert!(sem.locked());
///     sem.release()?;
///     assert!(!sem.locked());
///     Ok(())
/// }))
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct Semaphore(Rc<SemaphoreInner>);

struct SemaphoreInner {
    value: Cell<usize>,
    bound: Option<usize>,
    waiters: Waiters,
}

impl Semaphore {
    /// A semaphore with `value` permits.
    #[must_use]
    pub fn new(value: usize) -> Self {
        Self(Rc::new(SemaphoreInner {
            value: Cell::new(value),
            bound: None,
            waiters: WaitLine::default(),
        }))
    }

    /// A semaphore whose `release` refuses to go above `value` (Python's
    /// `asyncio.BoundedSemaphore`).
    #[must_use]
    pub fn bounded(value: usize) -> Self {
        Self(Rc::new(SemaphoreInner {
            value: Cell::new(value),
            bound: Some(value),
            waiters: WaitLine::default(),
        }))
    }

    /// The permits left.
    #[must_use]
    pub fn value(&self) -> usize {
        self.0.value.get()
    }

    /// Whether `acquire` would wait.
    #[must_use]
    pub fn locked(&self) -> bool {
        self.0.value.get() == 0 || self.0.waiters.find(|w| !w.cancelled()).is_some()
    }

    /// A coroutine that waits for a permit, takes it, and evaluates to
    /// `true` (Python's `await sem.acquire()`).
    ///
    /// # Errors
    ///
    /// `CancelledError` if its task is cancelled while it waits (no permit
    /// is taken then), `RuntimeError` if no loop runs.
    pub fn acquire(&self) -> Coroutine<bool> {
        let acquire = SemaphoreAcquire {
            sem: self.clone(),
            line: LineWait::new(),
        };
        Generator::in_place(acquire, || Hinted {
            name: "Semaphore.acquire",
            level: true,
        })
    }

    /// Gives a permit back and wakes the first waiter.
    ///
    /// # Errors
    ///
    /// For a bounded semaphore, `ValueError("BoundedSemaphore released too
    /// many times")` past its initial value.
    pub fn release(&self) -> Result<(), AnyError> {
        if let Some(bound) = self.0.bound {
            if self.0.value.get() >= bound {
                return Err(ValueError::new("BoundedSemaphore released too many times").into());
            }
        }
        self.0.value.set(self.0.value.get() + 1);
        self.wake_up_next();
        Ok(())
    }

    fn wake_up_next(&self) {
        let next = self.0.waiters.find(|w| !w.done());
        if let Some(next) = next {
            self.0.value.set(self.0.value.get() - 1);
            next.give();
        }
    }
}

/// `Semaphore::acquire()` as a hand-written delegate, which `yield_from`
/// drives in place: CPython's `Semaphore.acquire`, which takes a permit at
/// once while there is one and nobody waits, and otherwise waits in line;
/// a waiter cancelled after being woken gives its permit on.
struct SemaphoreAcquire {
    sem: Semaphore,
    line: LineWait,
}

impl Delegate for SemaphoreAcquire {
    type Yield = Suspend;
    type Send = ();
    type Return = bool;
    type Error = AnyError;

    fn name(&self) -> &'static str {
        "Semaphore.acquire"
    }

    #[inline]
    fn send(&mut self, _: Option<()>) -> Result<Step<Suspend, bool, Infallible>, AnyError> {
        let sem = &self.sem;
        if self.line.waiting() {
            // An error here is the waiter's own: it was cancelled, and
            // holds no permit to give on.
            self.line.outcome(&sem.0.waiters)?;
            if sem.0.value.get() > 0 {
                sem.wake_up_next();
            }
            return Ok(Step::Returned(true));
        }
        if !sem.locked() {
            sem.0.value.set(sem.0.value.get() - 1);
            return Ok(Step::Returned(true));
        }
        self.line
            .join(&sem.0.waiters, "Semaphore.acquire")
            .map(Step::Yielded)
    }

    fn throw(&mut self, error: AnyError) -> Result<Step<Suspend, bool, Infallible>, AnyError> {
        // A waiter that was not itself cancelled was woken, its permit
        // taken for it, and then cancelled before it ran: the permit goes
        // on to the next waiter (CPython tests `not fut.cancelled()`).
        let not_cancelled = self.line.waiter().is_some_and(|w| !w.cancelled());
        self.line.leave(&self.sem.0.waiters);
        if not_cancelled && error.is::<CancelledError>() {
            self.sem.0.value.set(self.sem.0.value.get() + 1);
            self.sem.wake_up_next();
        }
        Err(error)
    }

    fn close(&mut self) -> Result<(), AnyError> {
        self.line.leave(&self.sem.0.waiters);
        Ok(())
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("value", &self.value())
            .field("bound", &self.0.bound)
            .field("waiters", &self.0.waiters.len())
            .finish()
    }
}

/// A condition variable for tasks, over a [`Lock`] (Python's
/// `asyncio.Condition`).
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{coroutine, run_with, ClockKind, Condition, EventLoop};
/// use std::{cell::Cell, rc::Rc};
///
/// let cond = Condition::new();
/// let ready = Rc::new(Cell::new(false));
/// let (c, r) = (cond.clone(), ready.clone());
/// let seen = run_with(ClockKind::Virtual, coroutine("main", move |co| async move {
///     let (c2, r2) = (c.clone(), r.clone());
///     EventLoop::running()?.create_task(coroutine("notifier", move |co| async move {
///         let _guard = co.yield_from(c2.lock()).await?;
///         r2.set(true);
///         c2.notify_all()
///     }))?;
///     let _guard = co.yield_from(c.lock()).await?;
///     let r3 = r.clone();
///     co.yield_from(c.wait_for(move || r3.get())).await
/// }))
/// .unwrap();
/// assert!(seen);
/// ```
#[derive(Clone, Default)]
pub struct Condition(Rc<ConditionInner>);

#[derive(Default)]
struct ConditionInner {
    lock: Lock,
    waiters: Waiters,
}

impl Condition {
    /// A condition over a new lock.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A condition over `lock`.
    #[must_use]
    pub fn with_lock(lock: Lock) -> Self {
        Self(Rc::new(ConditionInner {
            lock,
            waiters: WaitLine::default(),
        }))
    }

    /// Whether the lock is held.
    #[must_use]
    pub fn locked(&self) -> bool {
        self.0.lock.locked()
    }

    /// The lock's [`acquire`](Lock::acquire).
    pub fn acquire(&self) -> Coroutine<bool> {
        self.0.lock.acquire()
    }

    /// The lock's [`lock`](Lock::lock): `async with condition:`.
    pub fn lock(&self) -> Coroutine<LockGuard> {
        self.0.lock.lock()
    }

    /// The lock's [`release`](Lock::release).
    ///
    /// # Errors
    ///
    /// `RuntimeError("Lock is not acquired.")`.
    pub fn release(&self) -> Result<(), AnyError> {
        self.0.lock.release()
    }

    /// A coroutine that releases the lock, waits to be notified, takes the
    /// lock again, and evaluates to `true` (Python's `await cond.wait()`).
    /// The lock is held again when it ends, even if its task was cancelled.
    ///
    /// # Errors
    ///
    /// `RuntimeError("cannot wait on un-acquired lock")` if the lock is not
    /// held; `CancelledError` if its task is cancelled.
    pub fn wait(&self) -> Coroutine<bool> {
        let cond = self.0.clone();
        coroutine("Condition.wait", move |co| async move {
            if !cond.lock.locked() {
                return Err(RuntimeError::new("cannot wait on un-acquired lock").into());
            }
            cond.lock.release()?;
            let notified = match wait_in_line(&co, &cond.waiters, "Condition.wait").await {
                Ok(waited) => waited,
                Err(e) => {
                    co.yield_from(cond.lock.acquire()).await?;
                    return Err(e);
                }
            };
            // The lock must be held again, even if the wait was cancelled.
            let mut cancelled = false;
            loop {
                match co.yield_from(cond.lock.acquire()).await {
                    Ok(_) => break,
                    Err(e) if e.is::<CancelledError>() => cancelled = true,
                    Err(e) => return Err(e),
                }
            }
            if cancelled {
                return Err(CancelledError::default().into());
            }
            notified.map(|()| true)
        })
    }

    /// A coroutine that waits until `predicate` is true, checking it first
    /// and after each notification (Python's `await cond.wait_for(pred)`).
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    pub fn wait_for(&self, mut predicate: impl FnMut() -> bool + 'static) -> Coroutine<bool> {
        let cond = self.clone();
        coroutine("Condition.wait_for", move |co| async move {
            while !predicate() {
                co.yield_from(cond.wait()).await?;
            }
            Ok(true)
        })
    }

    /// Wakes up to `n` waiters, first-in, first-out.
    ///
    /// # Errors
    ///
    /// `RuntimeError("cannot notify on un-acquired lock")`.
    pub fn notify(&self, n: usize) -> Result<(), AnyError> {
        if !self.0.lock.locked() {
            return Err(RuntimeError::new("cannot notify on un-acquired lock").into());
        }
        let mut woken = 0;
        self.0.waiters.each_while(|waiter| {
            if woken >= n {
                return false;
            }
            if !waiter.done() {
                woken += 1;
                waiter.give();
            }
            true
        });
        Ok(())
    }

    /// Wakes every waiter.
    ///
    /// # Errors
    ///
    /// `RuntimeError("cannot notify on un-acquired lock")`.
    pub fn notify_all(&self) -> Result<(), AnyError> {
        let n = self.0.waiters.len();
        self.notify(n)
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("locked", &self.locked())
            .field("waiters", &self.0.waiters.len())
            .finish()
    }
}
