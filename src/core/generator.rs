//! The generator handle: Python's `next`, `send`, `throw` and `close`.

use super::frame::{FrameRef, Input, Outcome, StateOnExit};
use crate::{
    AnyError, FrameInfo, GenState, Step,
    error::Error,
    exception::Exception,
    hook::{self, UnraisableContext},
};
use std::{
    fmt,
    pin::Pin,
    task::{Context, Poll},
};

/// A Python-style generator: a body that yields values of type `Y`, is sent
/// values of type `S`, returns a value of type `R`, and raises errors of
/// type `E`.
///
/// Build one with `Generator::new`, then drive it with [`next`](Self::next),
/// [`send`](Self::send), [`throw`](Self::throw) and [`close`](Self::close),
/// which behave as CPython 3.11's methods of the same names, state by state
/// (see `docs/semantics.md`). Every operation takes `&self`, so a generator
/// can be shared (`Rc<Generator<..>>`) and a body that resumes its own
/// generator is told "generator already executing" rather than deadlocking.
///
/// Dropping a suspended generator closes it first, so its cleanup runs as
/// under CPython's finaliser; an error from that close goes to the
/// [unraisable hook](crate::set_unraisable_hook).
///
/// As an [`Iterator`] (and a `futures::Stream`), a generator yields its
/// values until it finishes; the return value, or an error that ended it,
/// is kept for [`take_outcome`](Self::take_outcome), and an error left
/// there unread is reported to the unraisable hook on drop.
#[must_use = "a generator does nothing until it is resumed"]
pub struct Generator<Y, S = (), R = (), E = AnyError>
where
    E: Exception<S>,
{
    frame: FrameRef<Y, S, E>,
    outcome: Finished<R, E>,
}

impl<Y, S, R: 'static, E: Exception<S>> Generator<Y, S, R, E> {
    pub(crate) fn from_frame(frame: FrameRef<Y, S, E>) -> Self {
        let name = frame.shared().name;
        Self {
            frame,
            outcome: Finished { name, slot: None },
        }
    }

    pub(crate) fn into_frame(self) -> FrameRef<Y, S, E> {
        self.frame
    }

    /// Resumes the body without a value: Python's `next(g)`, or
    /// `g.send(None)`. Starts a generator that has not started.
    ///
    /// In the body, the pending `co.yield_(..)` evaluates to `Ok(None)`.
    ///
    /// # Errors
    ///
    /// [`Error::Raised`] if the body raised (the generator is then closed),
    /// [`Error::AlreadyExecuting`] if the generator is running,
    /// [`Error::ForeignAwait`] if the body awaited a foreign future.
    ///
    /// # Panics
    ///
    /// A panic in the body propagates to the caller; the generator is then
    /// closed, and later calls behave as on a closed generator.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::{Generator, Step};
    ///
    /// let g: Generator<i32> = Generator::new("one", |co| async move {
    ///     co.yield_(1).await?;
    ///     Ok(())
    /// });
    /// assert_eq!(g.next().unwrap(), Step::Yielded(1));
    /// assert_eq!(g.next().unwrap(), Step::Returned(()));
    /// assert_eq!(g.next().unwrap(), Step::Stopped(()));
    /// ```
    pub fn next(&self) -> Result<Step<Y, R>, Error<E>> {
        let prior = self.frame.shared().state.update(|s| match s {
            GenState::Created | GenState::Suspended => GenState::Running,
            other => other,
        });
        match prior {
            GenState::Created | GenState::Suspended => self.resumed(Input::Send(None)),
            GenState::Running => Err(self.already_executing(())),
            GenState::Closed => Ok(Step::Stopped(())),
        }
    }

    /// Resumes the body with `value`: Python's `g.send(value)`.
    ///
    /// In the body, the pending `co.yield_(..)` evaluates to
    /// `Ok(Some(value))`. On a closed generator nothing runs and the value
    /// comes back in [`Step::Stopped`].
    ///
    /// # Errors
    ///
    /// [`Error::JustStarted`] if the generator has not started (it must be
    /// started with `next()`, as in Python; it stays `GEN_CREATED`),
    /// [`Error::AlreadyExecuting`] if it is running (both hand `value`
    /// back), [`Error::Raised`] if the body raised, [`Error::ForeignAwait`]
    /// if it awaited a foreign future.
    ///
    /// # Panics
    ///
    /// A panic in the body propagates; the generator is then closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::{Generator, Step};
    ///
    /// let g: Generator<String, &str> = Generator::new("greeter", |co| async move {
    ///     let mut reply = String::from("ready");
    ///     loop {
    ///         let name = co.yield_(reply).await?;
    ///         reply = format!("hello, {}", name.unwrap_or("nobody"));
    ///     }
    /// });
    /// g.next().unwrap();
    /// assert_eq!(g.send("Ada").unwrap(), Step::Yielded("hello, Ada".to_owned()));
    /// ```
    pub fn send(&self, value: S) -> Result<Step<Y, R, S>, Error<E, S>> {
        let prior = self.frame.shared().state.update(|s| match s {
            GenState::Suspended => GenState::Running,
            other => other,
        });
        match prior {
            GenState::Suspended => self.resumed(Input::Send(Some(value))),
            GenState::Created => Err(Error::JustStarted {
                name: self.name(),
                value,
            }),
            GenState::Running => Err(self.already_executing(value)),
            GenState::Closed => Ok(Step::Stopped(value)),
        }
    }

    /// Raises `error` inside the body at its suspension point: Python's
    /// `g.throw(error)`.
    ///
    /// If the body catches it and yields, that is the result; if it catches
    /// it and returns, the return value is. A generator that has not
    /// started is closed without running its body, and the error comes
    /// straight back, as it does from a closed generator.
    ///
    /// # Errors
    ///
    /// [`Error::Raised`] with whatever escaped the body (often `error`
    /// itself), [`Error::AlreadyExecuting`] handing `error` back if the
    /// generator is running, [`Error::ForeignAwait`].
    ///
    /// # Panics
    ///
    /// A panic in the body propagates; the generator is then closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::{AnyError, Co, Generator, Step};
    ///
    /// #[derive(Debug)]
    /// struct Retry;
    /// impl std::fmt::Display for Retry {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         f.write_str("retry")
    ///     }
    /// }
    /// impl std::error::Error for Retry {}
    ///
    /// let g: Generator<&str> = Generator::new("worker", |co: Co<_>| async move {
    ///     loop {
    ///         match co.yield_("working").await {
    ///             Err(e) if e.is::<Retry>() => co.yield_("retrying").await.map(drop)?,
    ///             other => other.map(drop)?,
    ///         }
    ///     }
    /// });
    /// g.next().unwrap();
    /// assert_eq!(g.throw(Retry.into()).unwrap(), Step::Yielded("retrying"));
    /// let err = g.throw(AnyError::msg("fatal")).unwrap_err();
    /// assert_eq!(err.to_string(), "fatal");
    /// ```
    pub fn throw(&self, error: E) -> Result<Step<Y, R>, Error<E, E>> {
        let prior = self.frame.shared().state.update(|s| match s {
            GenState::Suspended => GenState::Running,
            GenState::Created => GenState::Closed,
            other => other,
        });
        match prior {
            GenState::Suspended => self.resumed(Input::Throw(error)),
            GenState::Created => {
                self.frame.shared().body.lock().kill();
                Err(Error::Raised(error))
            }
            GenState::Running => Err(self.already_executing(error)),
            GenState::Closed => Err(Error::Raised(error)),
        }
    }

    /// Asks the body to finish by raising `GeneratorExit` at its suspension
    /// point: Python's `g.close()`.
    ///
    /// Succeeds if the body returns or lets `GeneratorExit` propagate; a
    /// value it returns is handed back (CPython 3.11 discards it; 3.13
    /// returns it too). Closing a generator that has not started, or is
    /// closed, runs nothing. Delegates are closed first, innermost first.
    ///
    /// # Errors
    ///
    /// [`Error::Raised`] if the body raised another error;
    /// [`Error::IgnoredGeneratorExit`] if it yielded instead (it stays
    /// suspended at that yield, and a later `close` may succeed);
    /// [`Error::AlreadyExecuting`]; [`Error::ForeignAwait`].
    ///
    /// # Panics
    ///
    /// A panic in the body propagates; the generator is then closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::{Co, Generator};
    ///
    /// let g: Generator<i32, (), &str> = Generator::new("conn", |co: Co<_>| async move {
    ///     match co.yield_(1).await {
    ///         Err(e) if e.is::<yieldfrom::GeneratorExit>() => Ok("disconnected"),
    ///         other => other.map(|_| "finished"),
    ///     }
    /// });
    /// g.next().unwrap();
    /// assert_eq!(g.close().unwrap(), Some("disconnected"));
    /// assert_eq!(g.close().unwrap(), None);
    /// ```
    pub fn close(&self) -> Result<Option<R>, Error<E>> {
        let prior = self.frame.shared().state.update(|s| match s {
            GenState::Suspended => GenState::Running,
            GenState::Created => GenState::Closed,
            other => other,
        });
        match prior {
            GenState::Suspended => match self.run(Input::Close) {
                Outcome::Returned => Ok(Some(self.take_return())),
                Outcome::Raised(e) if e.is_generator_exit() => Ok(None),
                Outcome::Raised(e) => Err(Error::Raised(e)),
                Outcome::IgnoredExit | Outcome::Yielded(_) => {
                    Err(Error::IgnoredGeneratorExit { name: self.name() })
                }
                Outcome::ForeignAwait(name) => Err(Error::ForeignAwait { name }),
            },
            GenState::Created => {
                self.frame.shared().body.lock().kill();
                Ok(None)
            }
            GenState::Running => Err(self.already_executing(())),
            GenState::Closed => Ok(None),
        }
    }

    /// The generator's state, like `inspect.getgeneratorstate(g)`.
    /// Seen from inside its own body (or a delegate's), it is
    /// [`GenState::Running`].
    #[must_use]
    pub fn state(&self) -> GenState {
        self.frame.shared().state.get()
    }

    /// The generator's name, as given to `new` (Python's `__qualname__`).
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.frame.shared().name
    }

    /// Whether the body is executing now: Python's `gi_running`.
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.state() == GenState::Running
    }

    /// Whether the body is parked at a yield: Python's `gi_suspended`.
    #[must_use]
    pub fn is_suspended(&self) -> bool {
        self.state() == GenState::Suspended
    }

    /// The delegate this generator is suspended in a `yield from` on:
    /// Python's `gi_yieldfrom`.
    ///
    /// `None` when not delegating, and (as in CPython 3.11) while running.
    #[doc(alias = "gi_yieldfrom")]
    #[must_use]
    pub fn delegate(&self) -> Option<FrameInfo> {
        if self.state() != GenState::Suspended {
            return None;
        }
        self.delegation_chain().into_iter().nth(1)
    }

    /// This generator and every delegate below it, outermost first: like
    /// asyncio's `Task.get_stack`. A plain iterator delegate, if the
    /// innermost generator has one, comes last with no state.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::{GenState, Generator};
    ///
    /// let leaf: Generator<u8> = Generator::new("leaf", |co| async move {
    ///     co.yield_from_iter([1, 2]).await
    /// });
    /// let root: Generator<u8> = Generator::new("root", |co| async move {
    ///     co.yield_from(leaf).await
    /// });
    /// root.next().unwrap();
    /// let chain = root.delegation_chain();
    /// let names: Vec<_> = chain.iter().map(|f| f.name).collect();
    /// assert_eq!(names[..2], ["root", "leaf"]);
    /// assert!(names[2].contains("IntoIter"));
    /// assert_eq!(chain[1].state, Some(GenState::Suspended));
    /// assert_eq!(chain[2].state, None);
    /// ```
    #[must_use]
    pub fn delegation_chain(&self) -> Vec<FrameInfo> {
        let own = self.frame.shared();
        let outer = own.state.get();
        let stack = own.stack.lock();
        let mut chain = Vec::with_capacity(stack.len() + 2);
        chain.push(FrameInfo {
            name: own.name,
            state: Some(outer),
        });
        for (i, frame) in stack.iter().enumerate() {
            let frame = frame.shared();
            // A frame below the top is waiting on its delegate, so it is
            // running or suspended exactly when the outermost is.
            let state = if i + 1 == stack.len() {
                frame.state.get()
            } else {
                outer
            };
            chain.push(FrameInfo {
                name: frame.name,
                state: Some(state),
            });
        }
        let innermost = stack.last().map_or(own, |f| f.shared());
        if let Some(name) = innermost.iter_delegate.get() {
            chain.push(FrameInfo { name, state: None });
        }
        chain
    }

    /// The return value, or the error, that ended the generator while it
    /// was driven as an [`Iterator`] or `Stream`, which can only say
    /// "no more items". Taking an error marks it as seen.
    pub fn take_outcome(&mut self) -> Option<Result<R, Error<E>>> {
        self.outcome.slot.take().map(|b| *b)
    }

    fn run(&self, input: Input<S, E>) -> Outcome<Y, E> {
        let mut exit = StateOnExit {
            cell: &self.frame.shared().state,
            exit: GenState::Closed,
        };
        let outcome = self.frame.drive(input);
        if matches!(outcome, Outcome::Yielded(_) | Outcome::IgnoredExit) {
            exit.exit = GenState::Suspended;
        }
        outcome
    }

    /// Runs a resume that the state allowed. It never stops without running
    /// and never refuses its input, so the hand-back types are free.
    #[inline]
    fn resumed<V, W>(&self, input: Input<S, E>) -> Result<Step<Y, R, W>, Error<E, V>> {
        match self.run(input) {
            Outcome::Yielded(y) => Ok(Step::Yielded(y)),
            Outcome::Returned => Ok(Step::Returned(self.take_return())),
            Outcome::Raised(e) => Err(Error::Raised(e)),
            Outcome::IgnoredExit => Err(Error::IgnoredGeneratorExit { name: self.name() }),
            Outcome::ForeignAwait(name) => Err(Error::ForeignAwait { name }),
        }
    }

    fn take_return(&self) -> R {
        let mut out: Option<R> = None;
        self.frame.shared().body.lock().take_return(&mut out);
        match out {
            Some(r) => r,
            None => unreachable!("a body that returned holds its return value"),
        }
    }

    fn already_executing<V>(&self, value: V) -> Error<E, V> {
        Error::AlreadyExecuting {
            name: self.name(),
            value,
        }
    }
}

impl<Y, S, R: 'static, E: Exception<S>> Iterator for Generator<Y, S, R, E> {
    type Item = Y;

    /// The next yielded value, or `None` once the generator has finished;
    /// see [`Generator::take_outcome`] for how it finished.
    fn next(&mut self) -> Option<Y> {
        match Generator::next(self) {
            Ok(Step::Yielded(y)) => Some(y),
            Ok(Step::Returned(r)) => {
                self.outcome.slot = Some(Box::new(Ok(r)));
                None
            }
            Ok(Step::Stopped(())) => None,
            Err(e) => {
                self.outcome.slot = Some(Box::new(Err(e)));
                None
            }
        }
    }
}

impl<Y, S, R: 'static, E: Exception<S>> futures::Stream for Generator<Y, S, R, E> {
    type Item = Y;

    /// Always ready: a generator body never waits on anything but its
    /// caller.
    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Y>> {
        Poll::Ready(Iterator::next(self.get_mut()))
    }
}

impl<Y, S, R: 'static, E: Exception<S>> fmt::Debug for Generator<Y, S, R, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("name", &self.name())
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// How an iterated generator ended, kept until taken.
struct Finished<R, E: fmt::Debug> {
    name: &'static str,
    slot: Option<Box<Result<R, Error<E>>>>,
}

impl<R, E: fmt::Debug> Drop for Finished<R, E> {
    fn drop(&mut self) {
        if let Some(outcome) = self.slot.take() {
            if let Err(e) = *outcome {
                hook::report(
                    self.name,
                    UnraisableContext::NeverRetrieved,
                    format!("{e:?}"),
                );
            }
        }
    }
}
