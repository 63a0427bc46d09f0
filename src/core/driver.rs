//! The driver of one generator: the frames it owns (its own body and the
//! `yield from` chain below it, flattened) and the trampoline that runs an
//! operation through them, as CPython's `gen_send_ex`, `_gen_throw` and
//! `gen_close` do through their recursion.

use super::{
    frame::{BoxFrame, Delegation, Frame, Raw},
    generator::finalise_chain,
};
use crate::{
    exception::{Exception, IgnoredGeneratorExit, Interrupt},
    hook::{self, UnraisableContext},
    mailbox::{self, Mode},
};
use std::{any::Any, pin::Pin};

/// The frames a generator owns.
pub(super) struct Core<Y, S, E> {
    /// The own body; `None` once it is dropped.
    pub(super) frame: Option<BoxFrame<Y, S, E>>,
    /// The delegates the own body is suspended on, innermost last: the
    /// whole `yield from` chain below this generator, flattened.
    pub(super) stack: Vec<BoxFrame<Y, S, E>>,
}

impl<Y: 'static, S: 'static, E: Exception<S>> Core<Y, S, E> {
    /// Runs one operation; the state has been checked and set to `Running`.
    ///
    /// Resumes the innermost frame directly and walks the stack only when a
    /// frame finishes, as CPython's `gen_send_ex`, `_gen_throw` and
    /// `gen_close` would through their recursion.
    // Measured: inlining the operation path into each public method cut a
    // send from ~192 to ~155 instructions (benches/send.rs).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub(super) fn drive(&mut self, name: &'static str, input: Input<S, E>) -> Outcome<Y, E> {
        match input {
            // The hot path: a resume with a value or `next()`, which goes
            // straight to the innermost frame and usually ends in a yield.
            Input::Send(arg) => {
                mailbox::set_mode(Mode::Send);
                let raw = match self.stack.last_mut() {
                    Some(top) => top.as_mut().resume(arg),
                    None => self.own().resume(arg),
                };
                match raw {
                    Raw::Yielded(y) => Outcome::Yielded(y),
                    raw => self.finish_own(name, raw),
                }
            }
            input => self.drive_cold(name, input),
        }
    }

    /// What follows a resume of the innermost frame that did not simply
    /// yield.
    #[cold]
    #[inline(never)]
    fn finish_own(&mut self, name: &'static str, raw: Raw<Y>) -> Outcome<Y, E> {
        self.trampoline(name, Start::Stepped(raw), false, None, None)
    }

    /// Every operation but a resume with a value or `next()`.
    #[inline(never)]
    fn drive_cold(&mut self, name: &'static str, input: Input<S, E>) -> Outcome<Y, E> {
        match input {
            Input::Send(arg) => {
                self.trampoline(name, Start::Deliver(Msg::Send(arg)), false, None, None)
            }
            Input::Close => {
                let depth = self.stack.len();
                self.trampoline(name, Start::Deliver(Msg::Close), true, Some(depth), None)
            }
            Input::Throw(e) => {
                let depth = self.stack.len();
                if depth > 0 && e.is_generator_exit() {
                    // `throw(GeneratorExit)` into a delegating generator
                    // closes the delegates, then throws the original error
                    // into the own body (CPython's `_gen_throw`).
                    self.trampoline(
                        name,
                        Start::Deliver(Msg::Close),
                        false,
                        Some(depth),
                        Some(e),
                    )
                } else {
                    self.trampoline(name, Start::Deliver(Msg::Throw(e)), false, None, None)
                }
            }
        }
    }

    #[inline]
    fn own(&mut self) -> Pin<&mut dyn Frame<Y, S, E>> {
        match self.frame.as_mut() {
            Some(frame) => frame.as_mut(),
            None => unreachable!("a generator that is not closed has its frame"),
        }
    }

    /// Puts a delegate handed over by `yield_from`, with the delegates it
    /// was already suspended on, on top of the stack.
    fn splice(&mut self, delegation: Delegation<Y, S, E>) {
        // Most chains are one level deep (a task awaiting `sleep`, a
        // queue's `get()`): the first delegate gets room for exactly what
        // it brings, not the four frames a first push would reserve.
        if self.stack.capacity() == 0 {
            self.stack.reserve_exact(1 + delegation.stack.len());
        }
        self.stack.push(delegation.frame);
        self.stack.extend(delegation.stack);
    }

    /// Delivers a message to the top frame (or takes the result of a step
    /// already made) and keeps going down the stack until a frame yields or
    /// the own body finishes.
    ///
    /// `closing` is the depth (stack length while it is on top; 0 for the
    /// own body) of the frame being closed while a close works its way
    /// down; `close_op` says whether the operation itself is `close`, so
    /// that the own body is being closed too. `deferred_exit` is the error
    /// of a `throw(GeneratorExit)`, thrown into the own body once the
    /// delegates are closed.
    #[inline(never)]
    fn trampoline(
        &mut self,
        name: &'static str,
        mut start: Start<Y, S, E>,
        close_op: bool,
        mut closing: Option<usize>,
        mut deferred_exit: Option<E>,
    ) -> Outcome<Y, E> {
        loop {
            let depth = self.stack.len();
            if depth == 0 {
                if !close_op {
                    closing = None;
                    if let Some(e) = deferred_exit.take() {
                        if matches!(start, Start::Deliver(Msg::Close)) {
                            start = Start::Deliver(Msg::Throw(e));
                        }
                    }
                }
                let raw = match start {
                    Start::Deliver(msg) => deliver(self.own(), msg),
                    Start::Stepped(raw) => raw,
                };
                match raw {
                    Raw::Yielded(y) if closing.is_some() => {
                        drop(y);
                        return Outcome::IgnoredExit;
                    }
                    Raw::Yielded(y) => return Outcome::Yielded(y),
                    Raw::Delegated => {
                        self.splice(delegation());
                        start = Start::Deliver(Msg::Send(None));
                        continue;
                    }
                    Raw::Returned => return Outcome::Returned,
                    Raw::Raised => return Outcome::Raised(raised()),
                    Raw::ForeignAwait => return Outcome::ForeignAwait(name),
                }
            }
            let raw = match start {
                Start::Deliver(msg) => deliver(self.stack[depth - 1].as_mut(), msg),
                Start::Stepped(raw) => raw,
            };
            let msg = match raw {
                Raw::Yielded(y) => {
                    let Some(closed) = closing else {
                        return Outcome::Yielded(y);
                    };
                    drop(y);
                    if closed == 0 {
                        return Outcome::IgnoredExit;
                    }
                    // The frame being closed yielded (itself, or through a
                    // delegate it started while cleaning up). CPython raises
                    // RuntimeError in its delegator and lets it go; its
                    // finaliser closes it again.
                    let delegate = self.stack[closed - 1].name();
                    self.release_above(closed - 1);
                    closing = Some(closed - 1);
                    Msg::Throw(E::from_interrupt(Interrupt::IgnoredGeneratorExit(
                        IgnoredGeneratorExit { delegate },
                    )))
                }
                Raw::Delegated => {
                    self.splice(delegation());
                    Msg::Send(None)
                }
                Raw::Returned => {
                    let Some(mut done) = self.stack.pop() else {
                        unreachable!("the frame that returned is on top")
                    };
                    if closing == Some(depth) {
                        // A delegate's return value during close is
                        // discarded, and the close goes on below it.
                        closing = Some(depth - 1);
                        Msg::Close
                    } else {
                        Msg::Return(done.as_mut().take_return_boxed())
                    }
                }
                Raw::Raised => {
                    let e: E = raised();
                    drop(self.stack.pop());
                    if closing == Some(depth) {
                        closing = Some(depth - 1);
                        if e.is_generator_exit() {
                            Msg::Close
                        } else {
                            Msg::Throw(e)
                        }
                    } else {
                        Msg::Throw(e)
                    }
                }
                Raw::ForeignAwait => {
                    // The culprit is dead; the rest of the chain is closed
                    // as if it had been dropped.
                    let culprit = self.stack[depth - 1].name();
                    drop(self.stack.pop());
                    self.release_above(0);
                    let outcome =
                        self.trampoline(name, Start::Deliver(Msg::Close), true, Some(0), None);
                    report_close_failure(name, outcome);
                    return Outcome::ForeignAwait(culprit);
                }
            };
            start = Start::Deliver(msg);
        }
    }

    /// Takes every stack frame deeper than `depth` off the stack and
    /// finalises them as one abandoned generator: the shallowest is its own
    /// body and the rest its delegates, so that its close follows PEP 380
    /// as CPython's finaliser of that frame would (a delegate that fails to
    /// close raises its error in the frame above it). Frames that have
    /// finished (one that panicked) are only dropped.
    pub(super) fn release_above(&mut self, depth: usize) {
        if self.stack.len() <= depth {
            return;
        }
        let mut chain = self.stack.split_off(depth);
        while chain.last().is_some_and(|frame| frame.is_finished()) {
            drop(chain.pop());
        }
        if chain.is_empty() {
            return;
        }
        let own = chain.remove(0);
        finalise_chain(own, chain);
    }
}

/// Reports a failed close to the unraisable hook.
pub(super) fn report_close_failure<Y, E: Exception<S>, S>(
    name: &'static str,
    outcome: Outcome<Y, E>,
) {
    let message = match outcome {
        Outcome::Raised(e) if !e.is_generator_exit() => format!("{e:?}"),
        Outcome::IgnoredExit => "RuntimeError: generator ignored GeneratorExit".to_owned(),
        Outcome::ForeignAwait(culprit) => {
            format!("generator {culprit} awaited a foreign future while closing")
        }
        Outcome::Raised(_) | Outcome::Returned | Outcome::Yielded(_) => return,
    };
    hook::report(name, UnraisableContext::Finalizing, message);
}

/// What an operation delivers to the outermost generator.
pub(super) enum Input<S, E> {
    Send(Option<S>),
    Throw(E),
    Close,
}

/// Where the trampoline starts: a message to deliver to the top frame, or
/// the result of a resume the hot path already made.
enum Start<Y, S, E> {
    Deliver(Msg<S, E>),
    Stepped(Raw<Y>),
}

/// What the driver delivers to one frame.
enum Msg<S, E> {
    Send(Option<S>),
    Throw(E),
    Close,
    /// A delegate finished; its return value, boxed as an `Option<R>`.
    Return(Box<dyn Any>),
}

/// How an operation on the outermost generator ended.
pub(super) enum Outcome<Y, E> {
    Yielded(Y),
    Returned,
    Raised(E),
    /// The body (or a delegate being closed) yielded instead of finishing.
    IgnoredExit,
    /// The named body awaited something foreign.
    ForeignAwait(&'static str),
}

/// The error a body just raised, from the mailbox.
fn raised<E: 'static>() -> E {
    match mailbox::collect::<E>() {
        Some(e) => e,
        None => unreachable!("a body that raised posts its error"),
    }
}

/// The delegate a body just handed over, from the mailbox.
fn delegation<Y: 'static, S: 'static, E: 'static>() -> Delegation<Y, S, E> {
    match mailbox::collect::<Delegation<Y, S, E>>() {
        Some(d) => d,
        None => unreachable!("a delegating body posts its delegate"),
    }
}

/// Posts `msg` in the mailbox and resumes `frame` once.
#[inline]
fn deliver<Y, S, E: 'static>(
    frame: Pin<&mut dyn super::frame::Frame<Y, S, E>>,
    msg: Msg<S, E>,
) -> Raw<Y> {
    let arg = match msg {
        Msg::Send(arg) => {
            mailbox::set_mode(Mode::Send);
            arg
        }
        Msg::Throw(e) => {
            mailbox::post(e);
            mailbox::set_mode(Mode::Throw);
            None
        }
        Msg::Close => {
            mailbox::set_mode(Mode::Close);
            None
        }
        Msg::Return(ret) => {
            mailbox::post_boxed(ret);
            mailbox::set_mode(Mode::Return);
            None
        }
    };
    frame.resume(arg)
}
