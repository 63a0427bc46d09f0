//! Waiting on a future: from a coroutine, as CPython's `Future.__await__`
//! ([`Future::wait`], or [`Future::wait_in`] without a coroutine of its
//! own), and from async Rust (`std::future::Future`).

use super::{Coroutine, CoroutineCo, Suspend, errors::RuntimeError, future::Future};
use crate::{AnyError, Delegate, Generator, Step, mailbox::Hinted};
use std::{
    convert::Infallible,
    pin::Pin,
    task::{Context, Poll},
};

impl<T: Clone + 'static> Future<T> {
    /// A coroutine that waits for the future and evaluates to its result:
    /// what `await future` (or `yield from future`) is in Python.
    ///
    /// # Errors
    ///
    /// The coroutine raises the future's error, or `CancelledError`.
    pub fn wait(&self) -> Coroutine<T> {
        let wait = Wait {
            future: self.clone(),
            yielded: false,
        };
        Generator::in_place(wait, || Hinted {
            name: "Future.__await__",
            level: true,
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

/// `Future::wait()` as a hand-written delegate, which `yield_from` drives
/// in place: CPython's `Future.__await__`, which yields the future to the
/// task unless it is done, and then evaluates to its result.
struct Wait<T> {
    future: Future<T>,
    yielded: bool,
}

impl<T: Clone + 'static> Delegate for Wait<T> {
    type Yield = Suspend;
    type Send = ();
    type Return = T;
    type Error = AnyError;

    fn name(&self) -> &'static str {
        "Future.__await__"
    }

    #[inline]
    fn send(&mut self, _: Option<()>) -> Result<Step<Suspend, T, Infallible>, AnyError> {
        if !self.future.done() {
            if self.yielded {
                return Err(RuntimeError::new("await wasn't used with future").into());
            }
            self.yielded = true;
            return Ok(Step::Yielded(Suspend(Some(self.future.0.clone()))));
        }
        self.future.result().map(Step::Returned)
    }

    fn throw(&mut self, error: AnyError) -> Result<Step<Suspend, T, Infallible>, AnyError> {
        Err(error)
    }

    fn close(&mut self) -> Result<(), AnyError> {
        Ok(())
    }
}

/// Lets async Rust code await a future, as it awaits a task: on the
/// loop's thread, for example in a future given to
/// [`EventLoop::wrap_future`](super::EventLoop::wrap_future).
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{coroutine, run_with, ClockKind, EventLoop, Future};
///
/// let answer = run_with(ClockKind::Virtual, coroutine("main", |co| async move {
///     let lp = EventLoop::running()?;
///     let reply: Future<u32> = lp.create_future();
///     let setter = reply.clone();
///     lp.call_later(1.0, move || drop(setter.set_result(41)))?;
///     let plus_one = lp.wrap_future(async move { reply.await.map(|n| n + 1) });
///     co.yield_from(plus_one.wait()).await?
/// }))
/// .unwrap();
/// assert_eq!(answer, 42);
/// ```
impl<T: Clone + 'static> std::future::Future for Future<T> {
    type Output = Result<T, AnyError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.done() {
            return Poll::Ready(self.result());
        }
        let future: &Self = &self;
        future.0.rust_waiters().keep(future, cx.waker());
        Poll::Pending
    }
}
