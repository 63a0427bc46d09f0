//! The handle a generator body suspends through.

use super::{
    Generator,
    engine::{Ptr, RawCo},
    frame::{Mode, Payload, SharedDyn},
};
use crate::{
    AnyError, GenState,
    exception::{Exception, Exhausted, GeneratorExit, Interrupt, NoSend},
};
use pin_project_lite::pin_project;
use std::{
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

/// The body's side of a generator: how it yields, delegates, and learns
/// what it was resumed with.
///
/// A body receives its `Co` as the argument of the closure passed to
/// `Generator::new`, and may await only the futures that `Co` returns. Each
/// of them evaluates to `Ok` with what the caller sent, or to `Err` with the
/// error the caller threw in or `GeneratorExit` from `close`; propagating
/// that `Err` with `?` behaves as a Python body with no `try` around the
/// `yield`.
pub struct Co<Y, S = (), E = AnyError>
where
    E: Exception<S>,
{
    raw: RawCo<Y, Option<S>>,
    shared: Ptr<SharedDyn<Y, S, E>>,
}

impl<Y, S, E: Exception<S>> Co<Y, S, E> {
    pub(crate) fn new(raw: RawCo<Y, Option<S>>, shared: Ptr<SharedDyn<Y, S, E>>) -> Self {
        Self { raw, shared }
    }

    /// Yields `value` to the caller and suspends until resumed: Python's
    /// `x = yield value`.
    ///
    /// Evaluates to `Ok(None)` after `next()`, `Ok(Some(v))` after
    /// `send(v)`, and `Err(e)` after `throw(e)` or, with `GeneratorExit`,
    /// after `close()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::{Generator, Step};
    ///
    /// let g: Generator<i32, i32> = Generator::new("running_total", |co| async move {
    ///     let mut total = 0;
    ///     loop {
    ///         if let Some(n) = co.yield_(total).await? {
    ///             total += n;
    ///         }
    ///     }
    /// });
    /// assert_eq!(g.next().unwrap(), Step::Yielded(0));
    /// assert_eq!(g.send(5).unwrap(), Step::Yielded(5));
    /// assert_eq!(g.next().unwrap(), Step::Yielded(5));
    /// assert_eq!(g.send(2).unwrap(), Step::Yielded(7));
    /// ```
    #[inline]
    pub fn yield_(&self, value: Y) -> Yield<'_, Y, S, E, impl Future<Output = Option<S>> + '_> {
        Yield {
            barrier: self.raw.yield_(value),
            shared: &self.shared,
        }
    }

    /// Delegates to another generator until it finishes, and evaluates to
    /// its return value: Python's `r = yield from sub`.
    ///
    /// While `sub` runs, `next`, `send`, `throw` and `close` on the
    /// outermost generator reach `sub` directly, however deep the chain. An
    /// error `sub` raises comes out of this call, where it can be caught.
    /// `sub` may be fresh or partly run; it is taken by value, so nothing
    /// else can resume it meanwhile.
    ///
    /// # Errors
    ///
    /// Whatever `sub` raises, or what the caller throws while `sub` is not
    /// able to take it, and [`Interrupt::Exhausted`] if `sub` had already
    /// finished.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::{Generator, Step};
    ///
    /// fn inner() -> Generator<i32, (), &'static str> {
    ///     Generator::new("inner", |co| async move {
    ///         co.yield_(1).await?;
    ///         co.yield_(2).await?;
    ///         Ok("inner done")
    ///     })
    /// }
    ///
    /// let outer: Generator<i32, (), usize> = Generator::new("outer", |co| async move {
    ///     let r = co.yield_from(inner()).await?;
    ///     Ok(r.len())
    /// });
    /// assert_eq!(outer.next().unwrap(), Step::Yielded(1));
    /// assert_eq!(outer.delegate().unwrap().name, "inner");
    /// assert_eq!(outer.next().unwrap(), Step::Yielded(2));
    /// assert_eq!(outer.next().unwrap(), Step::Returned(10));
    /// ```
    pub fn yield_from<R>(&self, sub: Generator<Y, S, R, E>) -> YieldFrom<'_, Y, S, R, E> {
        YieldFrom {
            shared: &self.shared,
            sub: Some(sub),
        }
    }

    /// Yields every item of `iter`: Python's `yield from iterable` for an
    /// iterable that is not a generator.
    ///
    /// A plain iterator has no `send`, `throw` or `close`. As in CPython, a
    /// thrown error and `GeneratorExit` are raised here, in the delegator,
    /// and a value sent to the iterator is an error raised here too:
    /// [`Interrupt::NoSend`], which carries the value back.
    ///
    /// # Errors
    ///
    /// The error thrown in, `GeneratorExit`, or [`Interrupt::NoSend`].
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::Generator;
    ///
    /// let g: Generator<u32> = Generator::new("first_three", |co| async move {
    ///     co.yield_from_iter(0..3).await
    /// });
    /// assert_eq!(g.collect::<Vec<_>>(), [0, 1, 2]);
    /// ```
    pub fn yield_from_iter<'a, I>(&'a self, iter: I) -> impl Future<Output = Result<(), E>> + 'a
    where
        I: IntoIterator<Item = Y> + 'a,
    {
        let delegate = std::any::type_name::<I::IntoIter>();
        async move {
            let iter = iter.into_iter();
            let _mark = IterMark::new(&self.shared, delegate);
            for item in iter {
                if let Some(value) = self.yield_(item).await? {
                    return Err(E::from_interrupt(Interrupt::NoSend(NoSend {
                        value,
                        delegate,
                    })));
                }
            }
            Ok(())
        }
    }

    /// The name of the generator this body belongs to.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.shared.name
    }
}

impl<Y, S, E: Exception<S>> fmt::Debug for Co<Y, S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Co")
            .field("generator", &self.shared.name)
            .finish_non_exhaustive()
    }
}

/// Records, for `delegate()`, that the body is inside `yield_from_iter`.
struct IterMark<'a, Y, S, E: Exception<S>>(&'a SharedDyn<Y, S, E>);

impl<'a, Y, S, E: Exception<S>> IterMark<'a, Y, S, E> {
    fn new(shared: &'a SharedDyn<Y, S, E>, delegate: &'static str) -> Self {
        shared.iter_delegate.set(Some(delegate));
        Self(shared)
    }
}

impl<Y, S, E: Exception<S>> Drop for IterMark<'_, Y, S, E> {
    fn drop(&mut self) {
        self.0.iter_delegate.set(None);
    }
}

fn take_thrown<Y, S, E: Exception<S>>(shared: &SharedDyn<Y, S, E>) -> E {
    match shared.payload.take() {
        Payload::Thrown(e) => e,
        _ => unreachable!("Mode::Throw always comes with a thrown error"),
    }
}

/// What a resume delivers at a suspension point that is not waiting for a
/// delegate's return.
fn received<Y, S, E: Exception<S>>(
    shared: &SharedDyn<Y, S, E>,
    sent: Option<S>,
) -> Result<Option<S>, E> {
    match shared.mode.get() {
        Mode::Send => Ok(sent),
        Mode::Throw => Err(take_thrown(shared)),
        Mode::Close => Err(E::from_interrupt(Interrupt::GeneratorExit(GeneratorExit))),
        Mode::Return | Mode::Suspended | Mode::Delegated => {
            unreachable!("only a yield_from is resumed with a delegate's return")
        }
    }
}

pin_project! {
    /// The future of [`Co::yield_`]: resolves to what the body was resumed with.
    #[must_use = "a yield does nothing unless awaited"]
    pub struct Yield<'a, Y, S, E: Exception<S>, B> {
        #[pin]
        barrier: B,
        shared: &'a SharedDyn<Y, S, E>,
    }
}

impl<Y, S, E, B> Future for Yield<'_, Y, S, E, B>
where
    E: Exception<S>,
    B: Future<Output = Option<S>>,
{
    type Output = Result<Option<S>, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.barrier.poll(cx) {
            Poll::Pending => {
                this.shared.mode.set(Mode::Suspended);
                Poll::Pending
            }
            Poll::Ready(sent) => Poll::Ready(received(this.shared, sent)),
        }
    }
}

/// The future of [`Co::yield_from`]: resolves to the delegate's return value.
#[must_use = "a yield from does nothing unless awaited"]
pub struct YieldFrom<'a, Y, S, R, E: Exception<S>> {
    shared: &'a SharedDyn<Y, S, E>,
    sub: Option<Generator<Y, S, R, E>>,
}

impl<Y, S, R: 'static, E: Exception<S>> Future for YieldFrom<'_, Y, S, R, E> {
    type Output = Result<R, E>;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(sub) = this.sub.take() {
            if sub.state() == GenState::Closed {
                return Poll::Ready(Err(E::from_interrupt(Interrupt::Exhausted(Exhausted {
                    delegate: sub.name(),
                }))));
            }
            // Hand the delegate to the driver, which splices it onto its
            // stack and starts it; this body stays parked here meanwhile.
            this.shared.payload.set(Payload::Pushed(sub.into_frame()));
            this.shared.mode.set(Mode::Delegated);
            return Poll::Pending;
        }
        Poll::Ready(match this.shared.mode.get() {
            Mode::Return => match this.shared.payload.take() {
                Payload::Returned(done) => {
                    let mut out: Option<R> = None;
                    done.shared().body.lock().take_return(&mut out);
                    drop(done);
                    match out {
                        Some(r) => Ok(r),
                        None => unreachable!("a returned delegate holds its return value"),
                    }
                }
                _ => unreachable!("Mode::Return always comes with the finished delegate"),
            },
            _ => received(this.shared, None).map(|_| {
                unreachable!("a delegating body is resumed only by its delegate finishing")
            }),
        })
    }
}
