//! Errors that a generator operation reports to its caller.

use crate::exception::{AlreadyExecuting, ForeignAwait, IgnoredGeneratorExit, JustStarted};
use std::fmt;

/// Why a `next`, `send`, `throw` or `close` did not produce a [`Step`].
///
/// `E` is the generator's error type. `V` is the input handed back when the
/// operation refused it, so that nothing the caller tried to deliver is
/// lost: the sent value for `send`, the thrown error for `throw`, `()` for
/// `next` and `close`.
///
/// The `Display` text of each variant other than [`Raised`](Error::Raised)
/// is CPython's message for the same situation.
///
/// Propagated with `?` into an [`AnyError`](crate::AnyError) (a body's
/// error, for one) or a `Box<dyn Error + Send + Sync>`, it becomes the
/// error the body raised, so that it is still caught by its type; each
/// other variant becomes the error type of the same name, such as
/// [`AlreadyExecuting`].
///
/// [`Step`]: crate::Step
///
/// # Examples
///
/// ```
/// use yieldfrom::{Error, Generator};
///
/// let g: Generator<i32, i32> = Generator::new("echo", |co| async move {
///     loop {
///         co.yield_(0).await?;
///     }
/// });
/// match g.send(5) {
///     Err(Error::JustStarted { value, .. }) => assert_eq!(value, 5),
///     other => panic!("unexpected {other:?}"),
/// }
/// let err = g.send(5).unwrap_err();
/// assert_eq!(err.to_string(), "can't send non-None value to a just-started generator");
/// ```
#[non_exhaustive]
pub enum Error<E, V = ()> {
    /// The body raised this error, or let it propagate; for `throw`, this
    /// may be the thrown error itself.
    Raised(E),
    /// A value was sent to a generator that has not started (CPython:
    /// `TypeError: can't send non-None value to a just-started generator`).
    /// The generator is unchanged and still `GEN_CREATED`.
    JustStarted {
        /// The generator's name.
        name: &'static str,
        /// The value that was not sent.
        value: V,
    },
    /// The generator was resumed while it was running, for example from
    /// inside its own body (CPython: `ValueError: generator already
    /// executing`). The generator is unchanged.
    AlreadyExecuting {
        /// The generator's name.
        name: &'static str,
        /// The input that was not delivered.
        value: V,
    },
    /// `close` delivered `GeneratorExit` and the body yielded instead of
    /// finishing (CPython: `RuntimeError: generator ignored
    /// GeneratorExit`). The generator stays suspended at that yield; the
    /// value it yielded is dropped, as in CPython.
    IgnoredGeneratorExit {
        /// The generator's name.
        name: &'static str,
    },
    /// The body awaited a future that is not one of its `Co` operations.
    /// Generator bodies are polled without a real waker, so such a future
    /// could never be woken; the body was dropped at that await and the
    /// generator is closed. This has no Python counterpart: it is a mistake
    /// in the Rust body.
    ForeignAwait {
        /// The name of the generator whose body made the mistake.
        name: &'static str,
    },
}

impl<E, V> Error<E, V> {
    /// The error the body raised, if that is what this is.
    #[must_use]
    pub fn raised(self) -> Option<E> {
        match self {
            Self::Raised(e) => Some(e),
            _ => None,
        }
    }

    /// The input this error hands back undelivered, if any.
    #[must_use]
    pub fn into_value(self) -> Option<V> {
        match self {
            Self::JustStarted { value, .. } | Self::AlreadyExecuting { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The name of the generator that reported this error, when the crate
    /// itself raised it (every variant but [`Raised`](Error::Raised)).
    #[must_use]
    pub const fn generator_name(&self) -> Option<&'static str> {
        match self {
            Self::Raised(_) => None,
            Self::JustStarted { name, .. }
            | Self::AlreadyExecuting { name, .. }
            | Self::IgnoredGeneratorExit { name }
            | Self::ForeignAwait { name } => Some(name),
        }
    }

    /// The same error with the handed-back input replaced by `()`.
    #[must_use]
    pub fn without_value(self) -> Error<E> {
        match self {
            Self::Raised(e) => Error::Raised(e),
            Self::JustStarted { name, .. } => Error::JustStarted { name, value: () },
            Self::AlreadyExecuting { name, .. } => Error::AlreadyExecuting { name, value: () },
            Self::IgnoredGeneratorExit { name } => Error::IgnoredGeneratorExit { name },
            Self::ForeignAwait { name } => Error::ForeignAwait { name },
        }
    }
}

impl<E: fmt::Display, V> fmt::Display for Error<E, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Raised(e) => e.fmt(f),
            Self::JustStarted { name, .. } => JustStarted { generator: name }.fmt(f),
            Self::AlreadyExecuting { name, .. } => AlreadyExecuting { generator: name }.fmt(f),
            Self::IgnoredGeneratorExit { name } => IgnoredGeneratorExit { delegate: name }.fmt(f),
            Self::ForeignAwait { name } => ForeignAwait { generator: name }.fmt(f),
        }
    }
}

// Written by hand so that `V` needs no `Debug`: a handed-back value is shown
// as a placeholder.
impl<E: fmt::Debug, V> fmt::Debug for Error<E, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Raised(e) => f.debug_tuple("Raised").field(e).finish(),
            Self::JustStarted { name, .. } => f
                .debug_struct("JustStarted")
                .field("name", name)
                .finish_non_exhaustive(),
            Self::AlreadyExecuting { name, .. } => f
                .debug_struct("AlreadyExecuting")
                .field("name", name)
                .finish_non_exhaustive(),
            Self::IgnoredGeneratorExit { name } => f
                .debug_struct("IgnoredGeneratorExit")
                .field("name", name)
                .finish(),
            Self::ForeignAwait { name } => {
                f.debug_struct("ForeignAwait").field("name", name).finish()
            }
        }
    }
}

/// An operation's error is a `std::error::Error` when the generator's error
/// type is one. With the default [`AnyError`](crate::AnyError), which is not
/// (so that any error converts into it), it converts instead into
/// `AnyError` and `Box<dyn Error + Send + Sync>` as the error the body
/// raised, so that `?` keeps its type.
impl<E: std::error::Error, V> std::error::Error for Error<E, V> {}
