//! The errors a body can receive, and the default error type.

use crate::Error;
use std::{any::Any, error::Error as StdError, fmt, sync::Arc};

/// An error type a generator body can raise and receive.
///
/// At each suspension point a body may be handed an error instead of a
/// value: one the caller threw in, or one the crate raises on Python's
/// behalf, such as `GeneratorExit` on `close`. The crate builds the latter
/// through [`from_interrupt`](Exception::from_interrupt), so every error type
/// must be able to represent them. [`AnyError`] does so out of the box; a
/// typed error enum implements this trait with a variant or two.
///
/// `S` is the generator's send type: sending a value to a plain iterator
/// delegate hands that value back inside [`Interrupt::NoSend`].
///
/// # Examples
///
/// ```
/// use yieldfrom::{Exception, Generator, Interrupt};
///
/// #[derive(Debug)]
/// enum MyError {
///     Exit,
///     Bad(String),
///     Other(String),
/// }
///
/// impl<S> Exception<S> for MyError {
///     fn from_interrupt(interrupt: Interrupt<S>) -> Self {
///         match interrupt {
///             Interrupt::GeneratorExit(_) => MyError::Exit,
///             other => MyError::Other(other.to_string()),
///         }
///     }
///     fn is_generator_exit(&self) -> bool {
///         matches!(self, MyError::Exit)
///     }
/// }
///
/// let g: Generator<i32, (), (), MyError> = Generator::new("typed", |co| async move {
///     match co.yield_(1).await {
///         Err(MyError::Bad(why)) => co.yield_(why.len() as i32).await.map(drop),
///         other => other.map(drop),
///     }
/// });
/// g.next().unwrap();
/// let step = g.throw(MyError::Bad("four".into())).unwrap();
/// assert_eq!(step.yielded(), Some(4));
/// ```
pub trait Exception<S = ()>: Sized + fmt::Debug + 'static {
    /// Builds the error that the crate raises inside a body.
    fn from_interrupt(interrupt: Interrupt<S>) -> Self;

    /// Whether this error is `GeneratorExit`: a body that lets it propagate
    /// out of `close` has closed cleanly.
    fn is_generator_exit(&self) -> bool;
}

/// An error the crate raises inside a generator body on Python's behalf.
#[non_exhaustive]
pub enum Interrupt<S> {
    /// `close` was called, or the generator is being dropped while
    /// suspended (Python's `GeneratorExit`).
    GeneratorExit(GeneratorExit),
    /// A value was sent to a plain iterator delegate, which cannot receive
    /// one (CPython: `AttributeError: ... object has no attribute 'send'`).
    NoSend(NoSend<S>),
    /// Closing a delegate failed because it yielded instead of finishing
    /// (CPython raises this `RuntimeError` in the delegator).
    IgnoredGeneratorExit(IgnoredGeneratorExit),
    /// `co.yield_from` was given a generator that had already finished
    /// (Python evaluates `yield from` of an exhausted generator to `None`;
    /// a typed return value cannot be invented, so this is raised instead).
    Exhausted(Exhausted),
    /// `co.yield_` was called while an earlier yield had handed over its
    /// value and not been awaited to the end; the later yield delivered
    /// nothing. (A Python `yield` is one expression, so this has no
    /// CPython counterpart.)
    UnawaitedYield(UnawaitedYield),
}

impl<S> fmt::Display for Interrupt<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GeneratorExit(e) => e.fmt(f),
            Self::NoSend(e) => e.fmt(f),
            Self::IgnoredGeneratorExit(e) => e.fmt(f),
            Self::Exhausted(e) => e.fmt(f),
            Self::UnawaitedYield(e) => e.fmt(f),
        }
    }
}

impl<S> fmt::Debug for Interrupt<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GeneratorExit(e) => f.debug_tuple("GeneratorExit").field(e).finish(),
            Self::NoSend(e) => f.debug_tuple("NoSend").field(e).finish(),
            Self::IgnoredGeneratorExit(e) => {
                f.debug_tuple("IgnoredGeneratorExit").field(e).finish()
            }
            Self::Exhausted(e) => f.debug_tuple("Exhausted").field(e).finish(),
            Self::UnawaitedYield(e) => f.debug_tuple("UnawaitedYield").field(e).finish(),
        }
    }
}

/// Python's `GeneratorExit`: the request to finish that `close` delivers.
///
/// A body that receives it may clean up and return, or let it propagate;
/// either way `close` succeeds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct GeneratorExit;

impl fmt::Display for GeneratorExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GeneratorExit")
    }
}

impl StdError for GeneratorExit {}

/// A value sent to a delegate that cannot receive one: a plain iterator
/// given to `co.yield_from_iter`. Raised in the delegator at its
/// `yield_from_iter`, carrying the value back.
pub struct NoSend<S> {
    /// The value that was not delivered.
    pub value: S,
    /// The iterator's type name.
    pub delegate: &'static str,
}

impl<S> fmt::Display for NoSend<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' object has no attribute 'send'", self.delegate)
    }
}

impl<S> fmt::Debug for NoSend<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoSend")
            .field("delegate", &self.delegate)
            .finish_non_exhaustive()
    }
}

impl<S> StdError for NoSend<S> {}

/// A generator yielded when it was closed (CPython's `RuntimeError:
/// generator ignored GeneratorExit`).
///
/// Raised in the delegator of a delegate that ignored `GeneratorExit`; and
/// what an [`Error::IgnoredGeneratorExit`]
/// from `close()` becomes when it is propagated with `?` into an
/// [`AnyError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IgnoredGeneratorExit {
    /// The name of the generator that ignored `GeneratorExit`: the
    /// delegate, when raised in its delegator.
    pub delegate: &'static str,
}

impl fmt::Display for IgnoredGeneratorExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("generator ignored GeneratorExit")
    }
}

impl StdError for IgnoredGeneratorExit {}

/// `co.yield_from` was given a generator that had already finished, so
/// there is no return value to evaluate to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Exhausted {
    /// The name of the finished generator.
    pub delegate: &'static str,
}

impl fmt::Display for Exhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "yield from generator {}, which has already finished: it has no return value left",
            self.delegate
        )
    }
}

impl StdError for Exhausted {}

/// A value was sent to a generator that had not started (CPython's
/// `TypeError: can't send non-None value to a just-started generator`).
///
/// What an [`Error::JustStarted`] becomes when it
/// is propagated with `?` into an [`AnyError`]; the value that was not sent
/// is dropped then.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JustStarted {
    /// The name of the generator that had not started.
    pub generator: &'static str,
}

impl fmt::Display for JustStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("can't send non-None value to a just-started generator")
    }
}

impl StdError for JustStarted {}

/// A generator was resumed while it was running (CPython's `ValueError:
/// generator already executing`).
///
/// What an [`Error::AlreadyExecuting`]
/// becomes when it is propagated with `?` into an [`AnyError`]; the input
/// that was not delivered is dropped then.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AlreadyExecuting {
    /// The name of the running generator.
    pub generator: &'static str,
}

impl fmt::Display for AlreadyExecuting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("generator already executing")
    }
}

impl StdError for AlreadyExecuting {}

/// A generator body awaited a future that is not one of its `Co`
/// operations, and was dropped there.
///
/// What an [`Error::ForeignAwait`] becomes when
/// it is propagated with `?` into an [`AnyError`]. It has no Python
/// counterpart: it is a mistake in the Rust body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ForeignAwait {
    /// The name of the generator whose body made the mistake.
    pub generator: &'static str,
}

impl fmt::Display for ForeignAwait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "generator {} awaited a future that is not a yield of its own Co; \
             generator bodies may only await co.yield_, co.yield_from and co.yield_from_iter",
            self.generator
        )
    }
}

impl StdError for ForeignAwait {}

/// A second `co.yield_` was made while the first had not been awaited to
/// the end (or had been dropped unawaited): the second delivered nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct UnawaitedYield;

impl fmt::Display for UnawaitedYield {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "co.yield_ was called while an earlier yield was not yet awaited; \
             await each yield at once",
        )
    }
}

impl StdError for UnawaitedYield {}

/// The default error type: holds any error, and can be caught by type.
///
/// Any `std::error::Error + Send + Sync + 'static` converts into it with `?`
/// or `.into()`; [`is`](AnyError::is), [`downcast_ref`](AnyError::downcast_ref)
/// and [`downcast`](AnyError::downcast) play the part of Python's
/// `except SomeError`.
///
/// Like `anyhow::Error`, it does not implement `std::error::Error` itself, so
/// that the blanket conversion above can exist. It works with the rest of
/// the ecosystem through conversions both ways, and derefs, as
/// `anyhow::Error` does, to the `dyn Error` it holds (so `e.source()` works,
/// and a `thiserror` `#[from] AnyError` field is a valid source):
///
/// - into `Box<dyn Error + Send + Sync>` (and `Box<dyn Error>`) with `?` or
///   `.into()`, the error itself when this is its only holder;
/// - from any `std::error::Error + Send + Sync + 'static` with `?` or
///   `.into()`, and from such a box with [`from_boxed`](AnyError::from_boxed);
///   a round trip keeps the error's type;
/// - into `anyhow::Error` through the box: `anyhow::Error::from_boxed(e.into())`.
///   anyhow then holds the box, so finding the error's type takes two
///   steps: `downcast_ref::<Box<dyn Error + Send + Sync>>()`, then
///   `downcast_ref::<T>()` on it.
///
/// Cloning is cheap and shares the error, as Python shares an exception
/// object: a failed future hands the same error to every task awaiting it.
///
/// # Examples
///
/// ```
/// use yieldfrom::{AnyError, GeneratorExit};
///
/// let e = AnyError::from(GeneratorExit);
/// assert!(e.is::<GeneratorExit>());
/// let e = AnyError::msg("boom");
/// assert_eq!(e.to_string(), "boom");
/// ```
#[derive(Clone)]
pub struct AnyError(Arc<Boxed>);

type Boxed = Box<dyn StdError + Send + Sync + 'static>;

impl AnyError {
    /// Wraps an error.
    pub fn new(error: impl StdError + Send + Sync + 'static) -> Self {
        Self(Arc::new(Box::new(error)))
    }

    /// An error that is only a message.
    pub fn msg(message: impl fmt::Display) -> Self {
        Self(Arc::new(message.to_string().into()))
    }

    /// Whether the error held is a `T`, like `isinstance(e, T)`.
    #[must_use]
    pub fn is<T: StdError + 'static>(&self) -> bool {
        self.0.is::<T>()
    }

    /// The error held, if it is a `T`.
    #[must_use]
    pub fn downcast_ref<T: StdError + 'static>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }

    /// Takes the error out, if it is a `T` and this is its only holder.
    ///
    /// # Errors
    ///
    /// Gives `self` back unchanged when the error held is not a `T`, or is
    /// shared with a clone of this `AnyError` (a `GeneratorExit`, which
    /// holds nothing, always comes out).
    pub fn downcast<T: StdError + Send + Sync + 'static>(self) -> Result<T, Self> {
        if !self.0.is::<T>() {
            return Err(self);
        }
        // `close` raises one `GeneratorExit` shared per thread; it holds
        // nothing, so a copy is as good as taking it out.
        let mut unit = Some(GeneratorExit);
        if let Some(exit) = (&mut unit as &mut dyn Any).downcast_mut::<Option<T>>() {
            if let Some(exit) = exit.take() {
                return Ok(exit);
            }
        }
        let boxed = Arc::try_unwrap(self.0).map_err(Self)?;
        boxed
            .downcast::<T>()
            .map(|b| *b)
            .map_err(|boxed| Self(Arc::new(boxed)))
    }

    /// The error inside, as a `std::error::Error`.
    #[must_use]
    pub fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &**self.0
    }

    /// Takes a boxed error, the interchange form of `std` error handling,
    /// keeping its type: a box made from an `AnyError` gives back that
    /// `AnyError`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::error::Error;
    /// use yieldfrom::{AnyError, GeneratorExit};
    ///
    /// fn rust_side() -> Result<(), Box<dyn Error + Send + Sync>> {
    ///     let from_a_body: Result<(), AnyError> = Err(GeneratorExit.into());
    ///     from_a_body?;
    ///     Ok(())
    /// }
    /// let back = AnyError::from_boxed(rust_side().unwrap_err());
    /// assert!(back.is::<GeneratorExit>());
    /// ```
    pub fn from_boxed(error: Box<dyn StdError + Send + Sync + 'static>) -> Self {
        match error.downcast::<Shared>() {
            Ok(shared) => Self(shared.0),
            Err(error) => Self(Arc::new(error)),
        }
    }
}

impl std::ops::Deref for AnyError {
    type Target = dyn StdError + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        &**self.0
    }
}

impl AsRef<dyn StdError + Send + Sync + 'static> for AnyError {
    fn as_ref(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &**self.0
    }
}

impl AsRef<dyn StdError + 'static> for AnyError {
    fn as_ref(&self) -> &(dyn StdError + 'static) {
        &**self.0
    }
}

impl<T: StdError + Send + Sync + 'static> From<T> for AnyError {
    fn from(error: T) -> Self {
        Self(Arc::new(Box::new(error)))
    }
}

/// An operation's error, propagated with `?` out of a body (or any function
/// returning `Result<_, AnyError>`), is the error the generator raised, not
/// a wrapper around it: `target.send(x)?` raises what `target` raised, so
/// that it is still caught by its type, as Python's `except ValueError`
/// around `target.send(x)` catches it. The crate's own refusals become the
/// error types named for them: [`JustStarted`], [`AlreadyExecuting`],
/// [`IgnoredGeneratorExit`] and [`ForeignAwait`]. The input an error hands
/// back is dropped: take it out with [`Error::into_value`] first if it is
/// wanted.
///
/// # Examples
///
/// ```
/// use yieldfrom::{AnyError, Co, Generator};
///
/// #[derive(Debug)]
/// struct ValueError;
/// impl std::fmt::Display for ValueError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("ValueError")
///     }
/// }
/// impl std::error::Error for ValueError {}
///
/// let target: Generator<(), i32> = Generator::new("target", |co| async move {
///     co.yield_(()).await?;
///     Err(ValueError.into())
/// });
/// target.next().unwrap();
/// let relay: Generator<()> = Generator::new("relay", |co: Co<_>| async move {
///     target.send(1)?;
///     co.yield_(()).await?;
///     Ok(())
/// });
/// let e: AnyError = relay.next().unwrap_err().into();
/// assert!(e.is::<ValueError>());
/// ```
///
/// [`Error::into_value`]: crate::Error::into_value
impl<V> From<Error<AnyError, V>> for AnyError {
    fn from(error: Error<AnyError, V>) -> Self {
        match error {
            Error::Raised(e) => e,
            Error::JustStarted { name, .. } => Self::new(JustStarted { generator: name }),
            Error::AlreadyExecuting { name, .. } => Self::new(AlreadyExecuting { generator: name }),
            Error::IgnoredGeneratorExit { name } => {
                Self::new(IgnoredGeneratorExit { delegate: name })
            }
            Error::ForeignAwait { name } => Self::new(ForeignAwait { generator: name }),
        }
    }
}

/// As the conversion into [`AnyError`]: the raised error itself, boxed.
impl<V> From<Error<AnyError, V>> for Box<dyn StdError + Send + Sync + 'static> {
    fn from(error: Error<AnyError, V>) -> Self {
        AnyError::from(error).into()
    }
}

/// As the conversion into [`AnyError`]: the raised error itself, boxed.
impl<V> From<Error<AnyError, V>> for Box<dyn StdError + 'static> {
    fn from(error: Error<AnyError, V>) -> Self {
        AnyError::from(error).into()
    }
}

impl From<AnyError> for Box<dyn StdError + Send + Sync + 'static> {
    fn from(error: AnyError) -> Self {
        match Arc::try_unwrap(error.0) {
            Ok(boxed) => boxed,
            Err(shared) => Box::new(Shared(shared)),
        }
    }
}

impl From<AnyError> for Box<dyn StdError + 'static> {
    fn from(error: AnyError) -> Self {
        let boxed: Box<dyn StdError + Send + Sync + 'static> = error.into();
        boxed
    }
}

/// A shared `AnyError`'s error, boxed for code that wants a `Box<dyn Error>`.
struct Shared(Arc<Boxed>);

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl StdError for Shared {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}

impl fmt::Debug for AnyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for AnyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

thread_local! {
    static GENERATOR_EXIT: AnyError = AnyError::new(GeneratorExit);
}

impl<S: Send + Sync + 'static> Exception<S> for AnyError {
    fn from_interrupt(interrupt: Interrupt<S>) -> Self {
        match interrupt {
            // One shared `GeneratorExit` per thread: `close` raises it on
            // every call, and it carries nothing of its own.
            Interrupt::GeneratorExit(e) => GENERATOR_EXIT
                .try_with(Clone::clone)
                .unwrap_or_else(|_| Self::new(e)),
            Interrupt::NoSend(e) => Self::new(e),
            Interrupt::IgnoredGeneratorExit(e) => Self::new(e),
            Interrupt::Exhausted(e) => Self::new(e),
            Interrupt::UnawaitedYield(e) => Self::new(e),
        }
    }

    fn is_generator_exit(&self) -> bool {
        self.is::<GeneratorExit>()
    }
}

/// Turns a panic payload into the text it carries, for reports.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
