//! The generator handle: Python's `next`, `send`, `throw` and `close`.

use super::{
    driver::{Core, Input, Outcome, report_close_failure},
    engine::{Lock, Slot},
    frame::{BoxFrame, Delegation},
    iter::Iter,
};
use crate::{
    AnyError, FrameInfo, GenState, Step,
    error::Error,
    exception::Exception,
    hook::{self, UnraisableContext},
    mailbox::Hint,
    trash,
};
use std::{
    fmt, mem,
    panic::{self, AssertUnwindSafe},
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
/// [`next`](Self::next) is Python's `next(g)`: it reports every step and
/// every error. A generator is not itself an [`Iterator`], so that
/// `g.next()` can never mean anything else; a `for` loop takes it, or
/// `&g`, through [`IntoIterator`] (and [`iter`](Self::iter) gives the same
/// iterator, which is also a `futures::Stream`). Iterating yields the
/// values until the generator finishes; the return value, or an error that
/// ended it, is kept for [`take_outcome`](Self::take_outcome), and an error
/// left there unread is reported to the unraisable hook on drop.
///
/// ```compile_fail
/// # use yieldfrom::Generator;
/// // `g.next()` is Python's `next(g)`, a `Result<Step, Error>`, whatever
/// // the receiver: never `Iterator::next`'s `Option`, which would drop
/// // the step and the error.
/// fn first(g: &mut Generator<i32>) -> Option<i32> {
///     g.next()
/// }
/// ```
///
/// ```compile_fail
/// # use yieldfrom::Generator;
/// // The iterator methods are on `g.iter()` / `g.into_iter()`.
/// fn all(g: Generator<i32>) -> Vec<i32> {
///     g.collect()
/// }
/// ```
///
/// # Bounds
///
/// **The send type with the default error type is `Send + Sync`**, on
/// this flavour too. [`AnyError`] is `Send + Sync`, so that errors cross
/// threads (the [`sync`](crate::sync) flavour, the loop's bridge to
/// threads), and a value sent to a plain iterator delegate comes back
/// inside it ([`NoSend`](crate::NoSend)), so it must be `Send + Sync`
/// too; Rust has no way to require that only of the values that end up
/// there. A generator whose send type is not (an `Rc`, a `RefCell`) takes
/// an error type of its own, which [`Exception`] lets be generic over
/// every send type:
///
/// ```compile_fail,E0277
/// use std::rc::Rc;
/// use yieldfrom::Generator;
///
/// // Refused: `Rc<str>` is not `Send + Sync`, which `AnyError` needs.
/// let g: Generator<usize, Rc<str>> = Generator::new("lengths", |co| async move {
///     co.yield_(0).await?;
///     Ok(())
/// });
/// ```
///
/// ```
/// use std::rc::Rc;
/// use yieldfrom::{Co, Exception, Generator, Interrupt};
///
/// #[derive(Debug)]
/// enum MyError { Exit, Other(String) }
///
/// impl<S> Exception<S> for MyError {
///     fn from_interrupt(interrupt: Interrupt<S>) -> Self {
///         match interrupt {
///             Interrupt::GeneratorExit(_) => MyError::Exit,
///             other => MyError::Other(other.to_string()),
///         }
///     }
///     fn is_generator_exit(&self) -> bool { matches!(self, MyError::Exit) }
/// }
///
/// let g: Generator<usize, Rc<str>, (), MyError> = Generator::new("lengths", |co: Co<_, Rc<str>, MyError>| async move {
///     let mut len = 0;
///     while let Some(s) = co.yield_(len).await? {
///         len = s.len();
///     }
///     Ok(())
/// });
/// g.next().unwrap();
/// assert_eq!(g.send(Rc::from("four")).unwrap().yielded(), Some(4));
/// ```
///
/// **A generator's name is a `&'static str`**: it is the name of its
/// generator function, fixed in the source as Python's `__name__` comes
/// from the `def`, and every error and [`FrameInfo`] that names the
/// generator carries it without allocating. A name made at run time
/// ("worker-3") is a task's name in Python, and is one here:
/// `create_named_task(coroutine, format!("worker-{i}"))` and
/// `Task::set_name` take a `String`.
///
/// ```compile_fail,E0716
/// use yieldfrom::Generator;
///
/// let i = 3;
/// // Refused: a `String` made at run time is not a `&'static str`.
/// let g: Generator<i32> = Generator::new(&format!("worker-{i}"), |co| async move {
///     co.yield_(i).await?;
///     Ok(())
/// });
/// ```
#[must_use = "a generator does nothing until it is resumed"]
// In declaration order (`repr(C)`): the state and the frames, which every
// resumption reads, together in one cache line; the name and the outcome
// after them.
#[repr(C)]
pub struct Generator<Y, S = (), R = (), E = AnyError>
where
    Y: 'static,
    S: 'static,
    E: Exception<S>,
{
    state: Slot,
    /// Held for the whole of an operation; the state already keeps a second
    /// operation out, so it is never contended.
    core: Lock<Core<Y, S, E>>,
    name: &'static str,
    /// How it ended, when driven as an iterator or stream. Apart from
    /// `core`, so that an iterator that is refused by a running generator
    /// can keep the refusal.
    outcome: Lock<Option<Box<Kept<R, E>>>>,
}

/// How a generator driven as an iterator ended.
type Kept<R, E> = Result<R, Error<E>>;

impl<Y: 'static, S: 'static, R: 'static, E: Exception<S>> Generator<Y, S, R, E> {
    pub(crate) fn from_frame(frame: BoxFrame<Y, S, E>) -> Self {
        Self::with_state(frame, GenState::Created)
    }

    /// [`from_frame`](Self::from_frame) with the frame's name already
    /// known: no dynamic call for it.
    pub(crate) fn from_named_frame(name: &'static str, frame: BoxFrame<Y, S, E>) -> Self {
        Self::named(name, frame, GenState::Created)
    }

    fn with_state(frame: BoxFrame<Y, S, E>, state: GenState) -> Self {
        Self::named(frame.name(), frame, state)
    }

    fn named(name: &'static str, frame: BoxFrame<Y, S, E>, state: GenState) -> Self {
        Self {
            state: Slot::new(state),
            name,
            core: Lock::new(Core {
                frame: Some(frame),
                stack: Vec::new(),
            }),
            outcome: Lock::new(None),
        }
    }

    /// Gives up this generator's frames to a delegator's driver, leaving it
    /// closed and empty; `None` if it has finished.
    pub(crate) fn take_delegation(&mut self) -> Option<Delegation<Y, S, E>> {
        if !matches!(self.state.get(), GenState::Created | GenState::Suspended) {
            return None;
        }
        let core = self.core.get_mut();
        let frame = core.frame.take()?;
        let stack = mem::take(&mut core.stack);
        self.state.set(GenState::Closed);
        Some(Delegation { frame, stack })
    }

    /// Gives up the frame of a hand-written delegate that `yield_from` may
    /// drive in place, with the hint naming it there; `None` (and nothing
    /// taken) for any other generator, or one that has finished.
    pub(crate) fn take_in_place(&mut self) -> Option<(BoxFrame<Y, S, E>, Hint)> {
        if !matches!(self.state.get(), GenState::Created | GenState::Suspended) {
            return None;
        }
        let core = self.core.get_mut();
        let hint = core.frame.as_deref()?.in_place()?;
        let frame = core.frame.take()?;
        self.state.set(GenState::Closed);
        Some((frame, hint))
    }

    /// Whether it holds no frame, no stack and no outcome: nothing that
    /// dropping it would free or report.
    pub(crate) fn owns_nothing(&mut self) -> bool {
        let core = self.core.get_mut();
        core.frame.is_none() && core.stack.capacity() == 0 && self.outcome.get_mut().is_none()
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
        self.next_inlined()
    }

    /// [`next`](Self::next), inlined into its caller: for a task's step,
    /// which matches what it returns at once. Returned through memory and
    /// read back whole, that result stalled every task switch, which took
    /// 10–13% longer (docs/performance.md, "The step's outcome through
    /// memory, and the switch at tokio's").
    #[inline]
    pub(crate) fn next_inlined(&self) -> Result<Step<Y, R>, Error<E>> {
        let prior = self.state.update(|s| match s {
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
        let prior = self.state.update(|s| match s {
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
        let prior = self.state.update(|s| match s {
            GenState::Suspended => GenState::Running,
            GenState::Created => GenState::Closed,
            other => other,
        });
        match prior {
            GenState::Suspended => self.resumed(Input::Throw(error)),
            GenState::Created => {
                drop(self.core.lock().frame.take());
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
        let prior = self.state.update(|s| match s {
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
                drop(self.core.lock().frame.take());
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
        self.state.get()
    }

    /// The generator's name, as given to `new` (Python's `__qualname__`).
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
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
    /// innermost generator has one, comes last with no state; so does one
    /// of the crate's own waits (a queue's `get()`, ...) that the innermost
    /// body drives in place, with the state of a generator.
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
        let outer = self.state.get();
        let mut chain = vec![FrameInfo {
            name: self.name,
            state: Some(outer),
        }];
        // While an operation runs, its frames are out of reach.
        let Some(core) = self.core.try_lock() else {
            return chain;
        };
        // Every delegate waits on the next, so each is running or suspended
        // exactly when the outermost is.
        chain.extend(core.stack.iter().map(|frame| FrameInfo {
            name: frame.name(),
            state: Some(outer),
        }));
        let innermost = core.stack.last().or(core.frame.as_ref());
        if let Some(hinted) = innermost.and_then(|f| f.hinted()) {
            chain.push(FrameInfo {
                name: hinted.name,
                state: hinted.level.then_some(outer),
            });
        }
        chain
    }

    /// The return value, or the error, that ended the generator while it
    /// was driven as an [`Iterator`] or `Stream`, which can only say
    /// "no more items". Taking an error marks it as seen.
    pub fn take_outcome(&self) -> Option<Result<R, Error<E>>> {
        self.outcome.lock().take().map(|b| *b)
    }

    /// The generator as an [`Iterator`] (and a `futures::Stream`) of what it
    /// yields: Python's `for x in g`, which `for x in &g` also is. Each
    /// step is a [`next`](Self::next); when the generator finishes, or an
    /// operation fails, the iterator ends for good and the generator keeps
    /// how for [`take_outcome`](Self::take_outcome).
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::{Generator, Step};
    ///
    /// let g: Generator<u32, (), &str> = Generator::new("count", |co| async move {
    ///     for n in 1..=3 {
    ///         co.yield_(n).await?;
    ///     }
    ///     Ok("counted")
    /// });
    /// assert_eq!(g.next().unwrap(), Step::Yielded(1)); // next(g)
    /// assert_eq!(g.iter().collect::<Vec<_>>(), [2, 3]); // list(g)
    /// assert!(matches!(g.take_outcome(), Some(Ok("counted"))));
    /// ```
    pub fn iter(&self) -> Iter<'_, Y, S, R, E> {
        Iter::new(self)
    }

    /// One step of an iterator that has not ended (`done` is set at its
    /// first `None`): the yielded value, or `None` with the outcome kept.
    pub(super) fn next_fused(&self, done: &mut bool) -> Option<Y> {
        if *done {
            return None;
        }
        let item = self.next_item();
        *done = item.is_none();
        item
    }

    fn next_item(&self) -> Option<Y> {
        let kept = match self.next() {
            Ok(Step::Yielded(y)) => return Some(y),
            Ok(Step::Returned(r)) => Ok(r),
            Ok(Step::Stopped(())) => return None,
            Err(e) => Err(e),
        };
        *self.outcome.lock() = Some(Box::new(kept));
        None
    }

    /// Runs a resume that the state allowed. It never stops without running
    /// and never refuses its input, so the hand-back types are free.
    // Measured: inlining the operation path into each public method cut a
    // send from ~192 to ~155 instructions (benches/send.rs).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn resumed<V, W>(&self, input: Input<S, E>) -> Result<Step<Y, R, W>, Error<E, V>> {
        match self.run(input) {
            Outcome::Yielded(y) => Ok(Step::Yielded(y)),
            Outcome::Returned => Ok(Step::Returned(self.take_return())),
            Outcome::Raised(e) => Err(Error::Raised(e)),
            Outcome::IgnoredExit => Err(Error::IgnoredGeneratorExit { name: self.name }),
            Outcome::ForeignAwait(name) => Err(Error::ForeignAwait { name }),
        }
    }

    fn take_return(&self) -> R {
        let mut out: Option<R> = None;
        if let Some(frame) = self.core.lock().frame.as_mut() {
            frame.as_mut().take_return(&mut out);
        }
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

impl<Y: 'static, S: 'static, R: 'static, E: Exception<S>> fmt::Debug for Generator<Y, S, R, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("name", &self.name())
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl<Y: 'static, S: 'static, R, E: Exception<S>> Drop for Generator<Y, S, R, E> {
    /// Closes a suspended generator, as CPython's finaliser does; what goes
    /// wrong goes to the unraisable hook. Delegates left by a panic are
    /// finalised innermost first (the one that panicked is only dropped),
    /// then every body is dropped. Beyond the trashcan's depth (a
    /// generator dropped by the finalisation of one dropped by the
    /// finalisation of another, and so on), the close waits for the
    /// outermost finalisation on this thread, so that no chain of
    /// generators held in bodies can overflow the stack.
    fn drop(&mut self) {
        if self.state.get() == GenState::Suspended {
            match trash::enter() {
                Some(level) => {
                    self.close_on_drop();
                    drop(level);
                }
                None => trash::defer(Box::new(self.take_suspended())),
            }
        }
        let core = self.core.get_mut();
        if !core.stack.is_empty() {
            core.release_above(0);
        }
        let frame = core.frame.take();
        if let Some(outcome) = self.outcome.get_mut().take() {
            if let Err(e) = *outcome {
                hook::report(
                    self.name,
                    UnraisableContext::NeverRetrieved,
                    format!("{e:?}"),
                );
            }
        }
        if let Some(frame) = frame.filter(|frame| !frame.is_finished()) {
            // A body that never started, or that would not close: what it
            // holds may be the next generator of a chain.
            trash::dispose(self.name, frame);
        }
    }
}

impl<Y: 'static, S: 'static, R, E: Exception<S>> Generator<Y, S, R, E> {
    /// The close of [`Drop`], on a suspended generator.
    fn close_on_drop(&mut self) {
        self.state.set(GenState::Running);
        let _closed_after = StateOnExit {
            cell: &self.state,
            exit: GenState::Closed,
        };
        let name = self.name;
        let closed = panic::catch_unwind(AssertUnwindSafe(|| self.finalize()));
        if let Err(payload) = closed {
            hook::report(
                name,
                UnraisableContext::FinalizerPanicked,
                crate::exception::panic_message(&*payload),
            );
        }
    }

    /// Moves the frames of a suspended generator into a generator of their
    /// own, to be finalised later; this one is left closed and empty.
    fn take_suspended(&mut self) -> Generator<Y, S, (), E> {
        let core = mem::replace(
            &mut *self.core.lock(),
            Core {
                frame: None,
                stack: Vec::new(),
            },
        );
        self.state.set(GenState::Closed);
        Generator {
            state: Slot::new(GenState::Suspended),
            name: self.name,
            core: Lock::new(core),
            outcome: Lock::new(None),
        }
    }
}

impl<Y: 'static, S: 'static, E: Exception<S>> Generator<Y, S, (), E> {
    /// Finalises a suspended generator now, whatever the trashcan's depth:
    /// for a delegate abandoned by its driver, which must be closed before
    /// the driver goes on, and for a finalisation whose turn has come.
    fn finalise_now(mut self) {
        let level = trash::enter_anyway();
        self.close_on_drop();
        drop(self);
        drop(level);
    }
}

/// Finalises the frame of a delegate that was being driven in place and is
/// abandoned suspended (its delegator's body dropped at it), as a
/// suspended generator of its own is finalised when dropped.
pub(crate) fn finalise_abandoned<Y: 'static, S: 'static, E: Exception<S>>(
    frame: BoxFrame<Y, S, E>,
) {
    if !frame.is_finished() {
        drop(Generator::<Y, S, (), E>::with_state(
            frame,
            GenState::Suspended,
        ));
    }
}

/// Drops the frames that [`Generator::take_delegation`] took from a
/// generator, as dropping that generator would have: closed first if it
/// was `suspended`, only dropped if it had not started.
pub(crate) fn drop_delegation<Y: 'static, S: 'static, E: Exception<S>>(
    delegation: Delegation<Y, S, E>,
    suspended: bool,
) {
    let state = if suspended {
        GenState::Suspended
    } else {
        GenState::Created
    };
    drop(rebuilt(delegation.frame, delegation.stack, state));
}

/// Finalises `own`, suspended on the delegates in `chain` (innermost
/// last), as one abandoned generator now.
pub(super) fn finalise_chain<Y: 'static, S: 'static, E: Exception<S>>(
    own: BoxFrame<Y, S, E>,
    chain: Vec<BoxFrame<Y, S, E>>,
) {
    rebuilt(own, chain, GenState::Suspended).finalise_now();
}

/// A generator around frames taken from one: `own`, in `state`, delegating
/// to `chain` (innermost last), so that it is finalised as that one was.
fn rebuilt<Y: 'static, S: 'static, E: Exception<S>>(
    own: BoxFrame<Y, S, E>,
    chain: Vec<BoxFrame<Y, S, E>>,
    state: GenState,
) -> Generator<Y, S, (), E> {
    let generator = Generator::<Y, S, (), E>::with_state(own, state);
    generator.core.lock().stack = chain;
    generator
}

impl<Y: 'static, S: 'static, E: Exception<S>> trash::Deferred for Generator<Y, S, (), E> {
    fn release(self: Box<Self>) {
        (*self).finalise_now();
    }

    fn name(&self) -> &'static str {
        self.name
    }
}

/// The driver: none of it depends on the return type.
impl<Y: 'static, S: 'static, R, E: Exception<S>> Generator<Y, S, R, E> {
    // Measured: inlining the operation path into each public method cut a
    // send from ~192 to ~155 instructions (benches/send.rs).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn run(&self, input: Input<S, E>) -> Outcome<Y, E> {
        let mut exit = StateOnExit {
            cell: &self.state,
            exit: GenState::Closed,
        };
        let outcome = self.core.lock().drive(self.name, input);
        if matches!(outcome, Outcome::Yielded(_) | Outcome::IgnoredExit) {
            exit.exit = GenState::Suspended;
        }
        outcome
    }

    /// The close of [`Drop`].
    fn finalize(&self) {
        let outcome = self.core.lock().drive(self.name, Input::Close);
        report_close_failure(self.name, outcome);
    }
}

/// Sets a state when dropped: the exit state of an operation, or `Closed`
/// if it unwound.
struct StateOnExit<'a> {
    cell: &'a Slot,
    exit: GenState,
}

impl Drop for StateOnExit<'_> {
    #[inline]
    fn drop(&mut self) {
        self.cell.set(self.exit);
    }
}
