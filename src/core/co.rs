//! The handle a generator body suspends through.

use super::{
    Generator,
    engine::{Byte, RawCo},
    frame::{BoxFrame, Call, Delegation},
    generator::{drop_delegation, finalise_abandoned},
};
use crate::{
    AnyError, GenState,
    exception::{Exception, Exhausted, GeneratorExit, Interrupt, NoSend, UnawaitedYield},
    mailbox::{self, Hint, Hinted, Mode, Token},
};
use pin_project_lite::pin_project;
use std::{
    fmt,
    future::Future,
    marker::PhantomData,
    mem,
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
    mark: Mark,
    _raises: PhantomData<fn() -> E>,
}

/// What a `Co` knows of its yields: whether one is under way, and whose
/// body they suspend. It takes the space the `Co` had spare.
pub(crate) struct Mark {
    /// [`IDLE`], [`HANDED`] or [`DELEGATING`].
    state: Byte,
    /// What each yield leaves in the mailbox, naming this body; the body's
    /// frame holds it too.
    token: Token,
}

/// No yield of this `Co` is under way.
const IDLE: u8 = 0;
/// A yield has handed its value to genawaiter and not yet been resumed.
/// Another yield (or a delegation) now would overwrite that value in
/// genawaiter's channel, which panics on it in debug builds and loses the
/// value in release builds; so it is refused.
const HANDED: u8 = 1;
/// The body is parked in a `yield_from`. It cannot make a yield until that
/// ends, so a yield through this `Co` meanwhile is made by some other body
/// (one that got hold of this `Co`): a foreign await, refused before it
/// reaches genawaiter, which would panic on it in debug builds.
const DELEGATING: u8 = 2;

impl<Y: 'static, S: 'static, E: Exception<S>> Co<Y, S, E> {
    pub(crate) fn new(raw: RawCo<Y, Option<S>>, token: Token) -> Self {
        Self {
            raw,
            mark: Mark {
                state: Byte::new(),
                token,
            },
            _raises: PhantomData,
        }
    }

    /// Yields `value` to the caller and suspends until resumed: Python's
    /// `x = yield value`.
    ///
    /// Evaluates to `Ok(None)` after `next()`, `Ok(Some(v))` after
    /// `send(v)`, and `Err(e)` after `throw(e)` or, with `GeneratorExit`,
    /// after `close()`.
    ///
    /// Await the future at once, as `x = yield value` does: the value is
    /// handed over when `yield_` is called. A second `yield_` made before
    /// the first has been awaited (or after it was dropped unawaited)
    /// hands nothing over, drops its value, and evaluates to
    /// [`Interrupt::UnawaitedYield`] when awaited.
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
    pub fn yield_(&self, value: Y) -> Yield<'_, S, E, impl Future<Output = Option<S>> + '_> {
        let barrier = if self.mark.state.get() == IDLE && mailbox::is_polling(self.mark.token) {
            self.mark.state.set(HANDED);
            Some(self.raw.yield_(value))
        } else {
            drop(value);
            None
        };
        Yield {
            barrier,
            mark: &self.mark,
            _raises: PhantomData,
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
    /// able to take it; [`Interrupt::Exhausted`] if `sub` had already
    /// finished; [`Interrupt::UnawaitedYield`] (with `sub` dropped, and so
    /// finalised) if an earlier `yield_` of this body has not been awaited.
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
    pub fn yield_from<R: 'static>(
        &self,
        mut sub: Generator<Y, S, R, E>,
    ) -> YieldFrom<'_, Y, S, R, E, impl Future<Output = Option<S>> + Unpin + '_> {
        // The delegate's frames leave its generator here, and only they go
        // into the future: the generator, built just before, would
        // otherwise be copied into the body's state whole, in wider pieces
        // than it was written in, which stalled (docs/performance.md,
        // "Stores the processor cannot forward"), and would make every
        // body that delegates larger by its size.
        let sub = if let Some((frame, hint)) = sub.take_in_place() {
            debug_assert!(sub.owns_nothing());
            // It owns nothing now; forgetting it costs nothing.
            mem::forget(sub);
            Sub::InPlace(frame, hint)
        } else {
            Sub::held(sub)
        };
        YieldFrom {
            sub,
            co: self,
            yield_: Self::yield_,
            pending: None,
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
    /// assert_eq!(g.into_iter().collect::<Vec<_>>(), [0, 1, 2]);
    /// ```
    pub fn yield_from_iter<'a, I>(&'a self, iter: I) -> impl Future<Output = Result<(), E>> + 'a
    where
        I: IntoIterator<Item = Y> + 'a,
    {
        let delegate = std::any::type_name::<I::IntoIter>();
        let hint: Hint = || Hinted {
            name: std::any::type_name::<I::IntoIter>(),
            level: false,
        };
        async move {
            for item in iter {
                // Read by the frame once this yield has suspended, for
                // `delegate()`.
                mailbox::hint(hint);
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
}

impl<Y, S, E: Exception<S>> fmt::Debug for Co<Y, S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Co").finish_non_exhaustive()
    }
}

/// What a resume delivers at a suspension point that is not waiting for a
/// delegate's return.
#[inline]
fn received<S, E: Exception<S>>(sent: Option<S>) -> Result<Option<S>, E> {
    match mailbox::mode() {
        Mode::Send => Ok(sent),
        Mode::Throw => Err(thrown()),
        Mode::Close => Err(E::from_interrupt(Interrupt::GeneratorExit(GeneratorExit))),
        Mode::Return => unreachable!("only a yield_from is resumed with a delegate's return"),
    }
}

fn thrown<E: 'static>() -> E {
    match mailbox::collect::<E>() {
        Some(e) => e,
        None => unreachable!("Mode::Throw always comes with a thrown error"),
    }
}

pin_project! {
    /// The future of [`Co::yield_`]: resolves to what the body was resumed with.
    #[must_use = "a yield does nothing unless awaited"]
    pub struct Yield<'a, S, E, B> {
        // `None` when the yield was refused: an earlier one is outstanding.
        #[pin]
        barrier: Option<B>,
        mark: &'a Mark,
        _raises: PhantomData<fn() -> (S, E)>,
    }
}

impl<S, E, B> Future for Yield<'_, S, E, B>
where
    E: Exception<S>,
    B: Future<Output = Option<S>>,
{
    type Output = Result<Option<S>, E>;

    // Measured: left to the compiler, a `yield_from` driving a wait in place
    // called it, and read what it returned through memory at once, which
    // stalled (docs/performance.md, "Stores the processor cannot forward").
    #[allow(clippy::inline_always, reason = "measured: see above")]
    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(barrier) = this.barrier.as_pin_mut() else {
            return if acknowledged_as_own(this.mark) {
                unawaited_yield()
            } else {
                Poll::Pending
            };
        };
        match barrier.poll(cx) {
            Poll::Pending => {
                mailbox::set_token(this.mark.token);
                Poll::Pending
            }
            Poll::Ready(sent) => {
                this.mark.state.set(IDLE);
                Poll::Ready(received(sent))
            }
        }
    }
}

/// Whether a yield or `yield_from` refused by its `Co` (a yield of that
/// `Co` outstanding, or its body parked in a `yield_from`) is the mistake
/// of the body being polled, which then raises `UnawaitedYield`, or a
/// foreign await. Only the guard of the body being polled knows whether
/// the `Co` is its own: the refusal asks it with a token and pends; the
/// guard acknowledges its own and polls again. A `Co` whose body is parked
/// in a `yield_from` cannot be its polling body's own, so that one is a
/// foreign await outright.
#[cold]
fn acknowledged_as_own(mark: &Mark) -> bool {
    let delegating = mark.state.get() == DELEGATING;
    if !delegating && mailbox::take_own_refusal() {
        return true;
    }
    mailbox::set_token(if delegating {
        Token::NONE
    } else {
        mark.token.refused_instead()
    });
    false
}

fn unawaited_yield<T, S, E: Exception<S>>() -> Poll<Result<T, E>> {
    Poll::Ready(Err(E::from_interrupt(Interrupt::UnawaitedYield(
        UnawaitedYield,
    ))))
}

/// The future of [`Co::yield_from`]: resolves to the delegate's return value.
///
/// `B` is the future of one yield of the delegator's own, made when a
/// delegate is driven in place (below).
#[must_use = "a yield from does nothing unless awaited"]
pub struct YieldFrom<'a, Y: 'static, S: 'static, R, E: Exception<S>, B> {
    sub: Sub<Y, S, R, E>,
    co: &'a Co<Y, S, E>,
    /// [`Co::yield_`], by which a delegate driven in place yields.
    yield_: MakeYield<'a, Y, S, E, B>,
    /// The yield a delegate driven in place is suspended at.
    pending: Option<Yield<'a, S, E, B>>,
}

/// [`Co::yield_`], as a `yield_from` holds it.
type MakeYield<'a, Y, S, E, B> = fn(&'a Co<Y, S, E>, Y) -> Yield<'a, S, E, B>;

/// Where a `yield_from`'s delegate is.
enum Sub<Y: 'static, S: 'static, R, E: Exception<S>> {
    /// A generator's frames, taken out of it when the `yield_from` was
    /// made, and not handed over yet: before the first poll, or kept when
    /// the `yield_from` is refused as foreign (and dropped with it, as the
    /// generator would have been: [`drop_held`](Self::drop_held)).
    Held {
        delegation: Delegation<Y, S, E>,
        /// The generator had started; else it had not.
        suspended: bool,
    },
    /// A generator that had finished: the first poll raises
    /// [`Exhausted`]. Boxed, so that this rare case does not make every
    /// `yield_from` the size of a generator.
    Exhausted(Box<Generator<Y, S, R, E>>),
    /// Handed to the driver, which splices it onto its stack and starts
    /// it; this body stays parked here until it finishes.
    Spliced,
    /// One of the crate's own waits (a queue's `get()`, ...), taken out of
    /// its generator when the `yield_from` is made and started at its
    /// first poll (until then `pending` is `None`), which this
    /// future drives itself, in the delegator's body, as PEP 380's
    /// expansion of `yield from` does: its yields are the delegator's own,
    /// and what the delegator is resumed with is forwarded to it. It costs
    /// no splice, no return value through the mailbox, and no resume of
    /// the delegator at its end; `gi_yieldfrom` still names it, by the
    /// hint.
    InPlace(BoxFrame<Y, S, E>, Hint),
    /// Finished.
    Done,
}

impl<Y: 'static, S: 'static, R: 'static, E: Exception<S>> Sub<Y, S, R, E> {
    /// What a generator that is not a crate-made wait leaves a
    /// `yield_from`: its frames, or itself if it has finished. Kept out
    /// of line: inlined, it made the crate's waits, which never come here,
    /// slower.
    #[inline(never)]
    fn held(mut sub: Generator<Y, S, R, E>) -> Self {
        let suspended = sub.state() == GenState::Suspended;
        match sub.take_delegation() {
            Some(delegation) => Sub::Held {
                delegation,
                suspended,
            },
            None => Sub::Exhausted(Box::new(sub)),
        }
    }
}

impl<Y: 'static, S: 'static, R, E: Exception<S>> Sub<Y, S, R, E> {
    /// Ends here, dropping a delegate still held as its generator would
    /// have been dropped.
    fn drop_held(&mut self) {
        match mem::replace(self, Sub::Done) {
            Sub::Held {
                delegation,
                suspended,
            } => drop_delegation(delegation, suspended),
            Sub::Exhausted(sub) => drop(sub),
            _ => {}
        }
    }
}

impl<Y: 'static, S: 'static, R, E: Exception<S>, B> Drop for YieldFrom<'_, Y, S, R, E, B> {
    /// A `yield_from` dropped while its delegate is out (its body dropped
    /// at it, or a foreign one whose body was) leaves the `Co` able to
    /// yield again; a delegate it was driving in place, dropped suspended,
    /// is finalised as a suspended generator is. A body cannot drop one
    /// while it is parked in another.
    fn drop(&mut self) {
        // A finished one, the common case, has nothing to let go of: not
        // even the generic drop of the `Sub` it would otherwise swap out.
        if matches!(self.sub, Sub::Done) {
            return;
        }
        match mem::replace(&mut self.sub, Sub::Done) {
            Sub::Spliced if self.co.mark.state.get() == DELEGATING => {
                self.co.mark.state.set(IDLE);
            }
            Sub::InPlace(frame, _) => {
                if self.pending.take().is_some() {
                    self.co.mark.state.set(IDLE);
                    finalise_abandoned(frame);
                } else {
                    // Not parked at a yield: it never started, and is
                    // dropped as a generator that has not started is, or a
                    // call into it panicked, which left it finished.
                    drop(frame);
                }
            }
            Sub::Held {
                delegation,
                suspended,
            } => drop_delegation(delegation, suspended),
            _ => {}
        }
    }
}

impl<Y, S, R, E, B> YieldFrom<'_, Y, S, R, E, B>
where
    Y: 'static,
    S: 'static,
    R: 'static,
    E: Exception<S>,
    B: Future<Output = Option<S>> + Unpin,
{
    /// Drives a delegate in place, from what the delegator was resumed
    /// with (`Ok(None)` to start it), until it suspends at a yield of the
    /// delegator's own or finishes.
    ///
    /// It takes what to forward, not what the delegate's last call
    /// produced: that result is read here, where it is made, instead of
    /// being handed over through memory and read back at once, which
    /// stalled (docs/performance.md, "Stores the processor cannot
    /// forward").
    fn drive_in_place(
        &mut self,
        mut got: Result<Option<S>, E>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<R, E>> {
        loop {
            got = match self.forward(got) {
                Ok(Some(y)) => {
                    let Sub::InPlace(_, hint) = &self.sub else {
                        unreachable!("driven in place only while it is")
                    };
                    // Read by the delegator's frame once this yield has
                    // suspended, for `delegate()`.
                    mailbox::hint(*hint);
                    let mut pending = (self.yield_)(self.co, y);
                    match Pin::new(&mut pending).poll(cx) {
                        Poll::Pending => {
                            self.pending = Some(pending);
                            return Poll::Pending;
                        }
                        Poll::Ready(got) => got,
                    }
                }
                Ok(None) => {
                    let Sub::InPlace(frame, _) = mem::replace(&mut self.sub, Sub::Done) else {
                        unreachable!("driven in place only while it is")
                    };
                    let mut out: Option<R> = None;
                    frame.finish_in_place(&mut out);
                    return match out {
                        Some(r) => Poll::Ready(Ok(r)),
                        None => unreachable!("a delegate that returned holds its return value"),
                    };
                }
                Err(e) => {
                    if let Sub::InPlace(frame, _) = mem::replace(&mut self.sub, Sub::Done) {
                        frame.recycle();
                    }
                    return Poll::Ready(Err(e));
                }
            };
        }
    }

    /// The first poll of a `yield_from` of a crate-made wait: refused as
    /// any yield is while another is outstanding, else the wait starts.
    fn start_in_place(&mut self, cx: &mut Context<'_>) -> Poll<Result<R, E>> {
        if self.co.mark.state.get() != IDLE {
            if acknowledged_as_own(&self.co.mark) {
                // Dropped unstarted, as the generator it came from would be.
                self.sub = Sub::Done;
                return unawaited_yield();
            }
            // Dropped with this future, when the foreign await ends the
            // body that made it.
            return Poll::Pending;
        }
        // `yield from` starts its delegate with `next()`.
        self.drive_in_place(Ok(None), cx)
    }

    /// Forwards what the delegator's yield was resumed with to the
    /// delegate driven in place: a value to `send`, an error to `throw`.
    /// `GeneratorExit` closes it, and is then raised in the delegator
    /// (PEP 380) unless closing it raised another error.
    fn forward(&mut self, got: Result<Option<S>, E>) -> Result<Option<Y>, E> {
        let Sub::InPlace(frame, _) = &mut self.sub else {
            unreachable!("driven in place only while it is")
        };
        match got {
            Ok(sent) => frame.as_mut().call(Call::Send(sent)),
            Err(exit) if exit.is_generator_exit() => match frame.as_mut().call(Call::Close) {
                Err(raised) if !raised.is_generator_exit() => Err(raised),
                _ => Err(exit),
            },
            Err(e) => frame.as_mut().call(Call::Throw(e)),
        }
    }
}

impl<Y, S, R, E, B> Future for YieldFrom<'_, Y, S, R, E, B>
where
    Y: 'static,
    S: 'static,
    R: 'static,
    E: Exception<S>,
    B: Future<Output = Option<S>> + Unpin,
{
    type Output = Result<R, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mark = &this.co.mark;
        match &mut this.sub {
            Sub::Held { .. } | Sub::Exhausted(_) => {}
            Sub::InPlace(..) => {
                let Some(pending) = this.pending.as_mut() else {
                    return this.start_in_place(cx);
                };
                let Poll::Ready(got) = Pin::new(pending).poll(cx) else {
                    return Poll::Pending;
                };
                this.pending = None;
                return this.drive_in_place(got, cx);
            }
            Sub::Spliced => {
                this.sub = Sub::Done;
                mark.state.set(IDLE);
                return Poll::Ready(match mailbox::mode() {
                    Mode::Return => match mailbox::collect::<Option<R>>() {
                        Some(Some(r)) => Ok(r),
                        _ => unreachable!("a finished delegate posts its return value"),
                    },
                    Mode::Throw => Err(thrown()),
                    Mode::Close => Err(E::from_interrupt(Interrupt::GeneratorExit(GeneratorExit))),
                    Mode::Send => {
                        unreachable!("a delegating body is resumed only when its delegate ends")
                    }
                });
            }
            Sub::Done => unreachable!("a finished `yield_from` is not polled again"),
        }
        if mark.state.get() != IDLE {
            if acknowledged_as_own(mark) {
                // The delegate's yields would overwrite the value an
                // earlier yield handed over; it is finalised as dropped.
                this.sub.drop_held();
                return unawaited_yield();
            }
            // Dropped with this future, when the foreign await ends the
            // body that made it.
            return Poll::Pending;
        }
        match mem::replace(&mut this.sub, Sub::Spliced) {
            Sub::Held { delegation, .. } => {
                // Hand the delegate to the driver, which splices it onto
                // its stack and starts it; this body stays parked here
                // meanwhile.
                mailbox::post::<Delegation<Y, S, E>>(delegation);
                mailbox::set_token(mark.token.delegated_instead());
                mark.state.set(DELEGATING);
                Poll::Pending
            }
            Sub::Exhausted(sub) => {
                this.sub = Sub::Done;
                let delegate = sub.name();
                drop(sub);
                Poll::Ready(Err(E::from_interrupt(Interrupt::Exhausted(Exhausted {
                    delegate,
                }))))
            }
            _ => unreachable!("matched above"),
        }
    }
}
