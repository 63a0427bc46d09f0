//! One generator's shared block, its type-erased body, and the driver that
//! resumes a delegation stack without recursing.
//!
//! Every generator is one [`Shared`] block behind a pointer. The body's
//! future runs on genawaiter, whose channel carries exactly the user's yield
//! type and `Option<S>` (`None` is `next()`); everything else that crosses
//! between the driver and the body (throw, close, a finished delegate, a new
//! delegate) goes through the side channel: a `Copy` [`Mode`] byte that the
//! hot path reads, and a [`Payload`] slot that only the cold paths touch.
//!
//! The outermost generator of a `yield from` chain owns the whole chain as a
//! flat stack of frames above its own body, and resumes the top frame
//! directly: the cost of a resume does not depend on the depth.

use super::engine::{Lock, MaybeSend, Ptr, RawGen, Slot};
use crate::{
    GenState,
    exception::{Exception, IgnoredGeneratorExit, Interrupt},
    hook::{self, UnraisableContext},
    trash,
};
use genawaiter::GeneratorState;
use pin_project_lite::pin_project;
use std::{
    any::Any,
    future::Future,
    mem,
    panic::{self, AssertUnwindSafe},
    pin::Pin,
    task::{Context, Poll},
};

/// What the driver asked of the body on this resume, or what the body did
/// at its last suspension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Resumed with the value in genawaiter's channel.
    Send,
    /// Resumed to raise the error in [`Payload::Thrown`].
    Throw,
    /// Resumed to raise `GeneratorExit`.
    Close,
    /// Resumed because the delegate in [`Payload::Returned`] returned.
    Return,
    /// The body parked at a `co.yield_`.
    Suspended,
    /// The body parked at a `co.yield_from`, leaving the delegate in
    /// [`Payload::Pushed`].
    Delegated,
}

/// The cold half of the side channel. Empty between operations.
#[derive(Default)]
pub(crate) enum Payload<Y, S, E: Exception<S>> {
    #[default]
    Empty,
    Thrown(E),
    Returned(FrameRef<Y, S, E>),
    Pushed(FrameRef<Y, S, E>),
}

/// Everything one generator owns, shared between its handle and its `Co`.
///
/// The body future holds a pointer back to this block (through its `Co`),
/// which is a cycle. [`FrameRef`], the one owning reference, breaks it when
/// dropped by dropping the body; a body that finishes drops its `Co` itself.
pub(crate) struct Shared<Y, S, E: Exception<S>, B: ?Sized> {
    pub(crate) state: Slot<GenState>,
    pub(crate) mode: Slot<Mode>,
    pub(crate) payload: Slot<Payload<Y, S, E>>,
    /// The type name of the plain iterator this body is delegating to, if any.
    pub(crate) iter_delegate: Slot<Option<&'static str>>,
    pub(crate) name: &'static str,
    /// Frames above this body's own, innermost last. Only the outermost
    /// generator of a chain has any.
    pub(crate) stack: Lock<Vec<FrameRef<Y, S, E>>>,
    pub(crate) body: Lock<B>,
}

pub(crate) type SharedDyn<Y, S, E> = Shared<Y, S, E, dyn Body<Y, S, E>>;

/// A body with its return type and future type erased.
pub(crate) trait Body<Y, S, E>: MaybeSend {
    /// Polls the body once; the driver has set the mode and payload.
    fn resume(&mut self, arg: Option<S>) -> Raw<Y, E>;
    /// Moves the stored return value into `out`, an `Option<R>`.
    fn take_return(&mut self, out: &mut dyn Any);
    /// Drops the body future without running any more of it.
    fn kill(&mut self);
}

/// What one poll of one body produced.
pub(crate) enum Raw<Y, E> {
    Yielded(Y),
    Delegated,
    Returned,
    Raised(E),
    ForeignAwait,
}

/// What the body future ends a poll with, as genawaiter's return value.
///
/// genawaiter can only suspend a body that has yielded a value. A body that
/// suspends to hand a delegate to the driver, or that awaited something
/// foreign, instead "completes" this wrapper; the wrapper (unlike an async
/// block) may be polled again, so delegation resumes it where it was.
pub(crate) enum Exit<R, E> {
    Done(Result<R, E>),
    Delegate,
    ForeignAwait,
}

pin_project! {
    /// The body future with the check that it only suspends at our yields.
    pub(crate) struct Guarded<Y, S, E: Exception<S>, F> {
        #[pin]
        fut: F,
        shared: Ptr<SharedDyn<Y, S, E>>,
    }
}

impl<Y, S, E, F, R> Future for Guarded<Y, S, E, F>
where
    E: Exception<S>,
    F: Future<Output = Result<R, E>>,
{
    type Output = Exit<R, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.fut.poll(cx) {
            Poll::Ready(out) => Poll::Ready(Exit::Done(out)),
            Poll::Pending => match this.shared.mode.get() {
                Mode::Suspended => Poll::Pending,
                Mode::Delegated => Poll::Ready(Exit::Delegate),
                Mode::Send | Mode::Throw | Mode::Close | Mode::Return => {
                    Poll::Ready(Exit::ForeignAwait)
                }
            },
        }
    }
}

/// The concrete body: the genawaiter engine and, once finished, the return
/// value waiting to be handed out.
type Engine<Y, S, E, F> = RawGen<Y, Option<S>, Guarded<Y, S, E, F>>;

pub(crate) struct BodyImpl<Y, S, R, E, F>
where
    E: Exception<S>,
    F: Future<Output = Result<R, E>>,
{
    engine: Option<Engine<Y, S, E, F>>,
    ret: Option<R>,
}

impl<Y, S, R, E, F> Body<Y, S, E> for BodyImpl<Y, S, R, E, F>
where
    Y: MaybeSend + 'static,
    S: MaybeSend + 'static,
    R: MaybeSend + 'static,
    E: Exception<S> + MaybeSend,
    F: Future<Output = Result<R, E>> + MaybeSend + 'static,
{
    #[inline]
    fn resume(&mut self, arg: Option<S>) -> Raw<Y, E> {
        let Some(engine) = self.engine.as_mut() else {
            unreachable!("the driver never resumes a closed generator")
        };
        match engine.resume_with(arg) {
            GeneratorState::Yielded(y) => Raw::Yielded(y),
            GeneratorState::Complete(Exit::Delegate) => Raw::Delegated,
            GeneratorState::Complete(Exit::Done(Ok(r))) => {
                self.ret = Some(r);
                self.kill();
                Raw::Returned
            }
            GeneratorState::Complete(Exit::Done(Err(e))) => {
                self.kill();
                Raw::Raised(e)
            }
            GeneratorState::Complete(Exit::ForeignAwait) => {
                self.kill();
                Raw::ForeignAwait
            }
        }
    }

    fn take_return(&mut self, out: &mut dyn Any) {
        if let Some(out) = out.downcast_mut::<Option<R>>() {
            *out = self.ret.take();
        }
    }

    fn kill(&mut self) {
        if let Some(engine) = self.engine.take() {
            trash::dispose(engine);
        }
    }
}

/// Builds a generator's shared block and starts nothing.
pub(crate) fn new_frame<Y, S, R, E, F, P>(name: &'static str, producer: P) -> FrameRef<Y, S, E>
where
    Y: MaybeSend + 'static,
    S: MaybeSend + 'static,
    R: MaybeSend + 'static,
    E: Exception<S> + MaybeSend,
    F: Future<Output = Result<R, E>> + MaybeSend + 'static,
    P: FnOnce(super::Co<Y, S, E>) -> F,
{
    let typed = Ptr::new(Shared {
        state: Slot::new(GenState::Created),
        mode: Slot::new(Mode::Send),
        payload: Slot::new(Payload::Empty),
        iter_delegate: Slot::new(None),
        name,
        stack: Lock::new(Vec::new()),
        body: Lock::new(BodyImpl {
            engine: None,
            ret: None,
        }),
    });
    let erased: Ptr<SharedDyn<Y, S, E>> = typed.clone();
    let for_co = erased.clone();
    let engine = RawGen::new(move |raw| Guarded {
        fut: producer(super::Co::new(raw, for_co)),
        shared: erased.clone(),
    });
    typed.body.lock().engine = Some(engine);
    FrameRef(typed)
}

/// Sets a state when dropped: the exit state of a step, or `Closed` if the
/// step unwound.
pub(crate) struct StateOnExit<'a> {
    pub(crate) cell: &'a Slot<GenState>,
    pub(crate) exit: GenState,
}

impl Drop for StateOnExit<'_> {
    #[inline]
    fn drop(&mut self) {
        self.cell.set(self.exit);
    }
}

/// What the driver delivers to one frame.
pub(crate) enum Msg<Y, S, E: Exception<S>> {
    Send(Option<S>),
    Throw(E),
    Close,
    Return(FrameRef<Y, S, E>),
}

impl<Y, S, E: Exception<S>> SharedDyn<Y, S, E> {
    /// Delivers `msg` to this frame's body and polls it once. Keeps the
    /// frame's state unless `own` (the outermost body, whose state the
    /// operation manages).
    #[inline]
    fn step(&self, msg: Msg<Y, S, E>, own: bool) -> Raw<Y, E> {
        let arg = match msg {
            Msg::Send(arg) => {
                self.mode.set(Mode::Send);
                arg
            }
            Msg::Throw(e) => {
                self.payload.set(Payload::Thrown(e));
                self.mode.set(Mode::Throw);
                None
            }
            Msg::Close => {
                self.mode.set(Mode::Close);
                None
            }
            Msg::Return(done) => {
                self.payload.set(Payload::Returned(done));
                self.mode.set(Mode::Return);
                None
            }
        };
        if own {
            return self.body.lock().resume(arg);
        }
        self.state.set(GenState::Running);
        let mut exit = StateOnExit {
            cell: &self.state,
            exit: GenState::Closed,
        };
        let raw = self.body.lock().resume(arg);
        if matches!(raw, Raw::Yielded(_) | Raw::Delegated) {
            exit.exit = GenState::Suspended;
        }
        raw
    }

    fn take_pushed(&self) -> Option<FrameRef<Y, S, E>> {
        match self.payload.take() {
            Payload::Pushed(sub) => Some(sub),
            _ => None,
        }
    }
}

/// How an operation on the outermost generator ended.
pub(crate) enum Outcome<Y, E> {
    Yielded(Y),
    Returned,
    Raised(E),
    /// `close`: the body yielded instead of finishing.
    IgnoredExit,
    /// The named body awaited something foreign.
    ForeignAwait(&'static str),
}

/// What an operation delivers to the outermost generator.
pub(crate) enum Input<S, E> {
    Send(Option<S>),
    Throw(E),
    Close,
}

/// The owning reference to a generator's shared block.
///
/// Dropping it finalises the generator as CPython's finaliser does: a
/// suspended generator is closed (errors go to the unraisable hook), then
/// its body is dropped through the trashcan.
pub(crate) struct FrameRef<Y, S, E: Exception<S>>(pub(crate) Ptr<SharedDyn<Y, S, E>>);

impl<Y, S, E: Exception<S>> FrameRef<Y, S, E> {
    pub(crate) fn shared(&self) -> &SharedDyn<Y, S, E> {
        &self.0
    }

    /// Runs one operation on this outermost generator, whose state the
    /// caller has checked and set to `Running`.
    ///
    /// Resumes the innermost frame directly and walks the stack only when a
    /// frame finishes, as CPython's `gen_send_ex`, `_gen_throw` and
    /// `gen_close` would through their recursion.
    pub(crate) fn drive(&self, input: Input<S, E>) -> Outcome<Y, E> {
        let own = &*self.0;
        let close_op = matches!(input, Input::Close);
        let mut msg = match input {
            Input::Send(arg) => Msg::Send(arg),
            Input::Throw(e) => Msg::Throw(e),
            Input::Close => Msg::Close,
        };
        // The depth (stack length when it is on top; 0 for the own body) of
        // the frame being closed, while a close works its way down.
        let mut closing: Option<usize> = None;
        // `throw(GeneratorExit)` into a delegating generator closes the
        // delegates, then throws the original error into the own body.
        let mut deferred_exit: Option<E> = None;
        let depth = own.stack.lock().len();
        if close_op {
            closing = Some(depth);
        } else if depth > 0 && matches!(&msg, Msg::Throw(e) if e.is_generator_exit()) {
            if let Msg::Throw(e) = mem::replace(&mut msg, Msg::Close) {
                deferred_exit = Some(e);
            }
            closing = Some(depth);
        }
        loop {
            let (top, depth) = {
                let stack = own.stack.lock();
                (stack.last().map(|f| f.0.clone()), stack.len())
            };
            let is_own = top.is_none();
            let frame: &SharedDyn<Y, S, E> = top.as_deref().unwrap_or(own);
            if is_own && !close_op {
                closing = None;
                if let Some(e) = deferred_exit.take() {
                    if matches!(msg, Msg::Close) {
                        msg = Msg::Throw(e);
                    }
                }
            }
            match frame.step(msg, is_own) {
                Raw::Yielded(y) => {
                    let Some(closed) = closing else {
                        return Outcome::Yielded(y);
                    };
                    if closed == 0 {
                        return Outcome::IgnoredExit;
                    }
                    // The frame being closed yielded (itself, or through a
                    // delegate it started while cleaning up). CPython raises
                    // RuntimeError in its delegator and releases it; its
                    // finaliser will close it again.
                    let delegate = self.stack_frame_name(closed);
                    self.release_above(closed - 1);
                    msg = Msg::Throw(E::from_interrupt(Interrupt::IgnoredGeneratorExit(
                        IgnoredGeneratorExit { delegate },
                    )));
                    closing = Some(closed - 1);
                }
                Raw::Delegated => {
                    if let Some(sub) = frame.take_pushed() {
                        let spliced = mem::take(&mut *sub.0.stack.lock());
                        let mut stack = own.stack.lock();
                        stack.push(sub);
                        stack.extend(spliced);
                    }
                    msg = Msg::Send(None);
                }
                Raw::Returned => {
                    if is_own {
                        return Outcome::Returned;
                    }
                    let Some(done) = own.stack.lock().pop() else {
                        unreachable!("a stack frame was just resumed")
                    };
                    if closing == Some(depth) {
                        // A delegate's return value during close is discarded.
                        drop(done);
                        msg = Msg::Close;
                        closing = Some(depth - 1);
                    } else {
                        msg = Msg::Return(done);
                    }
                }
                Raw::Raised(e) => {
                    if is_own {
                        return Outcome::Raised(e);
                    }
                    drop(own.stack.lock().pop());
                    if closing == Some(depth) {
                        closing = Some(depth - 1);
                        msg = if e.is_generator_exit() {
                            Msg::Close
                        } else {
                            Msg::Throw(e)
                        };
                    } else {
                        msg = Msg::Throw(e);
                    }
                }
                Raw::ForeignAwait => {
                    let culprit = frame.name;
                    if !is_own {
                        // The rest of the chain is closed as if dropped.
                        drop(own.stack.lock().pop());
                        self.release_above(0);
                        match self.drive(Input::Close) {
                            Outcome::Raised(e) if !e.is_generator_exit() => {
                                report_unraisable(own.name, &e);
                            }
                            Outcome::IgnoredExit => report_unraisable(
                                own.name,
                                &format_args!("generator ignored GeneratorExit"),
                            ),
                            _ => {}
                        }
                    }
                    return Outcome::ForeignAwait(culprit);
                }
            }
        }
    }

    fn stack_frame_name(&self, depth: usize) -> &'static str {
        self.0
            .stack
            .lock()
            .get(depth - 1)
            .map_or(self.0.name, |f| f.0.name)
    }

    /// Pops and drops, innermost first, every stack frame deeper than
    /// `depth`; each is finalised as it goes.
    fn release_above(&self, depth: usize) {
        loop {
            let popped = {
                let mut stack = self.0.stack.lock();
                if stack.len() <= depth {
                    break;
                }
                stack.pop()
            };
            drop(popped);
        }
    }

    /// Closes this generator as the finaliser of an abandoned generator.
    fn finalize(&self) {
        let own = &*self.0;
        if own.state.get() != GenState::Suspended {
            return;
        }
        own.state.set(GenState::Running);
        let mut exit = StateOnExit {
            cell: &own.state,
            exit: GenState::Closed,
        };
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| self.drive(Input::Close)));
        match outcome {
            Ok(Outcome::Raised(e)) if !e.is_generator_exit() => report_unraisable(own.name, &e),
            Ok(Outcome::IgnoredExit) => {
                exit.exit = GenState::Suspended;
                report_unraisable(own.name, &format_args!("generator ignored GeneratorExit"));
            }
            Ok(Outcome::ForeignAwait(name)) => report_unraisable(
                own.name,
                &format_args!("generator {name} awaited a foreign future while closing"),
            ),
            Ok(_) => {}
            Err(payload) => hook::report(
                own.name,
                UnraisableContext::FinalizerPanicked,
                crate::exception::panic_message(&*payload),
            ),
        }
    }
}

fn report_unraisable(name: &'static str, error: &dyn std::fmt::Debug) {
    hook::report(name, UnraisableContext::Finalizing, format!("{error:?}"));
}

impl<Y, S, E: Exception<S>> Drop for FrameRef<Y, S, E> {
    fn drop(&mut self) {
        self.finalize();
        // Delegates first, innermost first, each finalised on its own.
        self.release_above(0);
        self.0.state.set(GenState::Closed);
        self.0.body.lock().kill();
    }
}
