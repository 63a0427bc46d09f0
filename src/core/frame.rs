//! One generator body with its return type and future type erased: what a
//! delegation stack holds.
//!
//! A frame is one pinned allocation: the body future itself, the airlock
//! it yields through (genawaiter's channel, an allocation of its own that
//! the body's `Co` shares), the name, and the return value once there is
//! one. It holds no pointer back to anything, so dropping it is all it
//! takes to free a generator; the handle that owns it decides first
//! whether the body must be closed, and hands a body that is still alive
//! to the trashcan with its frame (a pinned body cannot be moved out).

use super::engine::{Airlock, MaybeSend, RawCo};
use crate::{
    exception::Exception,
    mailbox::{self, Hint, Hinted, Token},
    trash,
};
use genawaiter::{
    GeneratorState,
    core::{Airlock as _, Next, advance},
};
use pin_project_lite::pin_project;
use std::{
    any::Any,
    future::Future,
    mem,
    pin::Pin,
    task::{Context, Poll, Waker},
};

/// A boxed frame, as the stack of an outermost generator holds it: pinned,
/// as a body future is polled where it lies.
pub(crate) type BoxFrame<Y, S, E> = Pin<Box<dyn Frame<Y, S, E>>>;

/// A generator handed to a driver by `yield_from`: its frame and the
/// delegates it was itself suspended on, innermost last.
pub(crate) struct Delegation<Y, S, E> {
    pub(crate) frame: BoxFrame<Y, S, E>,
    pub(crate) stack: Vec<BoxFrame<Y, S, E>>,
}

/// A body with its return type and future type erased.
pub(crate) trait Frame<Y, S, E>: MaybeSend {
    /// Polls the body once; the driver has set the mailbox's mode.
    fn resume(self: Pin<&mut Self>, arg: Option<S>) -> Raw<Y>;
    /// Moves the stored return value into `out`, an `Option<R>`.
    fn take_return(self: Pin<&mut Self>, out: &mut dyn Any);
    /// Moves the stored return value out, boxed as an `Option<R>`, for a
    /// delegator that knows `R`.
    fn take_return_boxed(self: Pin<&mut Self>) -> Box<dyn Any>;
    /// The generator's name.
    fn name(&self) -> &'static str;
    /// What the body is suspended in without a frame of its own: a plain
    /// iterator (`yield_from_iter`) or a hand-written delegate driven in
    /// place.
    fn hinted(&self) -> Option<Hinted>;
    /// For a fresh frame of a hand-written delegate that a `yield_from`
    /// may drive in place, in its delegator's body, instead of putting it
    /// on the stack: the hint that names it there.
    fn in_place(&self) -> Option<Hint> {
        None
    }
    /// One call of a hand-written delegate driven in place, without the
    /// mailbox: `Ok(Some(y))` if it yielded `y`, `Ok(None)` if it returned
    /// (the frame keeps the value for `take_return`), `Err` with what it
    /// raised. Only a frame that answers [`in_place`](Self::in_place) is
    /// called so.
    fn call(self: Pin<&mut Self>, call: Call<S, E>) -> Result<Option<Y>, E> {
        drop(call);
        unreachable!("only a hand-written delegate is driven in place")
    }
    /// Whether the body has ended: returned, raised, awaited something
    /// foreign or panicked. A finished frame is never resumed.
    fn is_finished(&self) -> bool;
    /// Disposes of a frame driven in place that has finished and given up
    /// its return value: dropped, or kept for the next frame of its kind.
    fn recycle(self: Pin<Box<Self>>) {}
    /// [`take_return`](Self::take_return), then [`recycle`](Self::recycle):
    /// how a frame driven in place that returned is done with, in one
    /// dynamic call instead of two (this body is compiled for each frame
    /// type, so the two calls in it are static).
    fn finish_in_place(mut self: Pin<Box<Self>>, out: &mut dyn Any) {
        self.as_mut().take_return(out);
        self.recycle();
    }
}

/// What [`Frame::call`] delivers: `send`, `throw` or `close`.
pub(crate) enum Call<S, E> {
    Send(Option<S>),
    Throw(E),
    Close,
}

/// What one poll of one body produced. Kept as small as the yielded
/// value, so that it comes back in registers; the cold payloads (a new
/// delegate, an error raised) wait in the mailbox.
pub(crate) enum Raw<Y> {
    Yielded(Y),
    /// The body handed over a delegate: a `Delegation` in the mailbox.
    Delegated,
    /// The body returned; the frame holds the value.
    Returned,
    /// The body raised: the error is in the mailbox.
    Raised,
    ForeignAwait,
}

/// What the body future ends a poll with, as genawaiter's return value.
///
/// genawaiter can only suspend a body that has yielded a value. A body that
/// suspends to hand a delegate to the driver, or that awaited something
/// foreign, instead "completes" this wrapper; the wrapper, unlike an async
/// block, may be polled again, so delegation resumes it where it was.
///
/// The body's result waits in the mailbox: `Ok(r)` as an `R`, `Err(e)` as
/// an `E`.
pub(crate) enum Exit {
    Returned,
    Raised,
    Delegate,
    ForeignAwait,
}

pin_project! {
    /// The body future, with the check that it suspends only at its own
    /// `Co`'s yields; `own` is what such a yield leaves in the mailbox.
    pub(crate) struct Guarded<F> {
        #[pin]
        fut: F,
        own: Token,
    }
}

impl<F, R, E> Future for Guarded<F>
where
    F: Future<Output = Result<R, E>>,
    R: 'static,
    E: 'static,
{
    type Output = Exit;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        #[cfg(debug_assertions)]
        let _polling = mailbox::Polling::enter(*this.own);
        settle(this.fut, *this.own, cx)
    }
}

/// Polls the body once and says how the poll ended.
#[inline]
fn settle<F, R, E>(mut fut: Pin<&mut F>, own: Token, cx: &mut Context<'_>) -> Poll<Exit>
where
    F: Future<Output = Result<R, E>>,
    R: 'static,
    E: 'static,
{
    match fut.as_mut().poll(cx) {
        Poll::Ready(Ok(r)) => {
            mailbox::post(r);
            Poll::Ready(Exit::Returned)
        }
        Poll::Ready(Err(e)) => {
            mailbox::post(e);
            Poll::Ready(Exit::Raised)
        }
        Poll::Pending => {
            let token = mailbox::take_token();
            if token == own {
                Poll::Pending
            } else {
                not_a_yield(fut, own, token)
            }
        }
    }
}

/// How a poll that did not end at a yield of the body's own `Co` ends: at
/// its own `yield_from`, or at a foreign await (which includes a yield or
/// `yield_from` through another body's `Co`). When its own `Co` refused a
/// yield, the refusal is acknowledged and the body polled again, to raise
/// `UnawaitedYield` there. (With a waker of its own: a body wakes nothing,
/// and handing this function the caller's context would keep the compiler
/// from optimising that context away on the hot path.)
#[cold]
#[inline(never)]
fn not_a_yield<F, R, E>(fut: Pin<&mut F>, own: Token, token: Token) -> Poll<Exit>
where
    F: Future<Output = Result<R, E>>,
    R: 'static,
    E: 'static,
{
    let own_refusal = token == own.refused_instead();
    mailbox::acknowledge_own_refusal(own_refusal);
    if own_refusal {
        settle(fut, own, &mut Context::from_waker(Waker::noop()))
    } else if token == own.delegated_instead() {
        Poll::Ready(Exit::Delegate)
    } else {
        Poll::Ready(Exit::ForeignAwait)
    }
}

pin_project! {
    /// The concrete frame: the body future, pinned in the frame's own
    /// allocation, beside the airlock it yields through.
    // In declaration order (`repr(C)`): what each resumption reads and
    // writes (the airlock, the hint) first, next to the body's start.
    #[repr(C)]
    pub(crate) struct FrameImpl<Y, S, R, E, F>
    where
        Y: 'static,
        S: 'static,
        R: 'static,
        E: 'static,
        F: Future<Output = Result<R, E>>,
        F: 'static,
    {
        airlock: Airlock<Y, Option<S>>,
        hint: Option<Hint>,
        name: &'static str,
        ret: Option<R>,
        // `None` once the body has finished or been killed.
        #[pin]
        body: Option<Guarded<F>>,
    }
}

impl<Y, S, R, E, F> FrameImpl<Y, S, R, E, F>
where
    Y: MaybeSend + 'static,
    S: MaybeSend + 'static,
    R: MaybeSend + 'static,
    E: Exception<S> + MaybeSend,
    F: Future<Output = Result<R, E>> + MaybeSend + 'static,
{
    /// Builds the frame of a body; nothing runs.
    pub(crate) fn boxed<P>(name: &'static str, producer: P) -> BoxFrame<Y, S, E>
    where
        P: FnOnce(super::Co<Y, S, E>) -> F,
    {
        let own = Token::for_new_body();
        let airlock = Airlock::default();
        let co = super::Co::new(RawCo::new(airlock.clone()), own);
        Box::pin(Self {
            airlock,
            hint: None,
            name,
            ret: None,
            body: Some(Guarded {
                fut: producer(co),
                own,
            }),
        })
    }
}

/// Drops a body that will not be polled again, in place: it returned or
/// raised, so there is nothing left in it, or it awaited something foreign,
/// and its locals go now, at a finalisation level of their own.
// Kept out of `resume`, whose hot path (a yield) never reaches it.
#[cold]
#[inline(never)]
fn kill<T>(mut body: Pin<&mut Option<T>>) {
    let level = trash::enter_anyway();
    body.set(None);
    drop(level);
}

impl<Y, S, R, E, F> Frame<Y, S, E> for FrameImpl<Y, S, R, E, F>
where
    Y: MaybeSend + 'static,
    S: MaybeSend + 'static,
    R: MaybeSend + 'static,
    E: Exception<S> + MaybeSend,
    F: Future<Output = Result<R, E>> + MaybeSend + 'static,
{
    #[inline]
    fn resume(self: Pin<&mut Self>, arg: Option<S>) -> Raw<Y> {
        let this = self.project();
        let mut body = this.body;
        let mut unwinding = DropOnUnwind(body.as_mut());
        let Some(running) = unwinding.0.as_mut().as_pin_mut() else {
            unreachable!("a driver never resumes a finished frame")
        };
        this.airlock.replace(Next::Resume(arg));
        let step = advance(running, &*this.airlock);
        mem::forget(unwinding);
        match step {
            GeneratorState::Yielded(y) => {
                *this.hint = mailbox::take_hint();
                Raw::Yielded(y)
            }
            GeneratorState::Complete(Exit::Delegate) => Raw::Delegated,
            GeneratorState::Complete(Exit::Returned) => {
                *this.ret = mailbox::collect::<R>();
                kill(body);
                Raw::Returned
            }
            GeneratorState::Complete(Exit::Raised) => {
                kill(body);
                Raw::Raised
            }
            GeneratorState::Complete(Exit::ForeignAwait) => {
                // A `yield_from` through another body's `Co` posted a
                // delegate that no driver will take.
                mailbox::discard_parcel();
                kill(body);
                Raw::ForeignAwait
            }
        }
    }

    fn take_return(self: Pin<&mut Self>, out: &mut dyn Any) {
        if let Some(out) = out.downcast_mut::<Option<R>>() {
            *out = self.project().ret.take();
        }
    }

    fn take_return_boxed(self: Pin<&mut Self>) -> Box<dyn Any> {
        Box::new(self.project().ret.take())
    }

    fn name(&self) -> &'static str {
        self.name
    }

    fn hinted(&self) -> Option<Hinted> {
        self.hint.map(|hint| hint())
    }

    fn is_finished(&self) -> bool {
        self.body.is_none()
    }
}

/// Drops a body whose poll is unwinding, so that the frame counts as
/// finished: an `async` block that panicked must never be polled again
/// (it would panic a second time), and nothing in it is left to clean up.
pub(crate) struct KillOnUnwind<'a, T>(pub(crate) &'a mut Option<T>);

impl<T> Drop for KillOnUnwind<'_, T> {
    #[cold]
    fn drop(&mut self) {
        drop(self.0.take());
    }
}

/// [`KillOnUnwind`] for a body pinned in its frame, dropped in place.
struct DropOnUnwind<'a, T>(Pin<&'a mut Option<T>>);

impl<T> Drop for DropOnUnwind<'_, T> {
    #[cold]
    fn drop(&mut self) {
        self.0.set(None);
    }
}
