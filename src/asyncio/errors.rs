//! asyncio's exceptions, as error types an `AnyError` can hold.

use super::os_errors::python_message;
use std::{error::Error, fmt, io, sync::Arc};

/// The operation was cancelled (Python's `asyncio.CancelledError`).
///
/// Thrown into a task's coroutine at its suspension point by
/// [`Task::cancel`](super::Task::cancel), and raised by awaiting a
/// cancelled future. A coroutine may catch it and go on, as in Python.
///
/// It displays as its message, Python's `str(e)`; without one, as
/// `CancelledError`, where Python's `str(e)` is `''`: an empty line would
/// tell a reader nothing, and the class name is what Python's traceback
/// shows, as [`TimeoutError`] and [`KeyboardInterrupt`] display here.
///
/// ```
/// use yieldfrom::{AnyError, asyncio::CancelledError};
///
/// assert_eq!(CancelledError::default().to_string(), "CancelledError");
/// let e = AnyError::from(CancelledError { message: Some("shutting down".into()) });
/// assert_eq!(e.to_string(), "shutting down");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CancelledError {
    /// The message given to `cancel`, if any.
    pub message: Option<String>,
}

impl fmt::Display for CancelledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message.as_deref() {
            Some(message) if !message.is_empty() => f.write_str(message),
            _ => f.write_str("CancelledError"),
        }
    }
}

impl Error for CancelledError {}

/// A future was asked for something its state does not allow (Python's
/// `asyncio.InvalidStateError`): its result before it is done, or a second
/// result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidStateError {
    /// CPython's message.
    pub message: String,
}

impl fmt::Display for InvalidStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for InvalidStateError {}

/// Misuse of the event loop (Python's `RuntimeError` from asyncio), with
/// CPython's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeError {
    /// What went wrong.
    pub message: String,
}

impl RuntimeError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for RuntimeError {}

/// A task's body panicked; the panic became the task's error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskPanicked {
    /// The task's name.
    pub task: String,
    /// The panic's message.
    pub message: String,
}

impl fmt::Display for TaskPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {} panicked: {}", self.task, self.message)
    }
}

impl Error for TaskPanicked {}

/// A wait ran out of time (Python's `TimeoutError`, which is
/// `asyncio.TimeoutError` since 3.11, and an `OSError` subclass): the
/// loop's own deadline ([`wait_for`](super::wait_for) and the like), or
/// the operating system's `ETIMEDOUT` (a connect or a connection that
/// timed out). One type for both, as in Python 3.11, so that
/// `e.is::<TimeoutError>()` catches either; the OS's keeps its
/// [`io::Error`] ([`io_error`](Self::io_error), [`Error::source`]).
///
/// ```
/// use yieldfrom::{AnyError, asyncio::TimeoutError};
///
/// let deadline = AnyError::from(TimeoutError::new());
/// assert!(deadline.is::<TimeoutError>());
/// assert_eq!(deadline.to_string(), "TimeoutError");
/// let os = TimeoutError::from_os(std::io::Error::from_raw_os_error(110));
/// assert_eq!(os.errno(), Some(110));
/// assert_eq!(os.to_string(), "[Errno 110] Connection timed out");
/// ```
#[derive(Clone, Default)]
pub struct TimeoutError {
    os: Option<Arc<io::Error>>,
}

impl TimeoutError {
    /// The loop's own deadline passed: no OS error.
    #[must_use]
    pub const fn new() -> Self {
        Self { os: None }
    }

    /// The OS's `ETIMEDOUT` (or another timed-out `error`).
    #[must_use]
    pub fn from_os(error: io::Error) -> Self {
        Self {
            os: Some(Arc::new(error)),
        }
    }

    /// The operating system's error, for an OS timeout; `None` for the
    /// loop's deadline.
    #[must_use]
    pub fn io_error(&self) -> Option<&io::Error> {
        self.os.as_deref()
    }

    /// The OS error number (Python's `errno`): `Some(110)` for Linux's
    /// `ETIMEDOUT`, `None` for the loop's deadline (as Python's
    /// `TimeoutError().errno`).
    #[must_use]
    pub fn errno(&self) -> Option<i32> {
        self.os.as_ref()?.raw_os_error()
    }
}

impl PartialEq for TimeoutError {
    /// Two deadlines are equal; two OS timeouts with the same errno and
    /// kind are.
    fn eq(&self, other: &Self) -> bool {
        match (&self.os, &other.os) {
            (None, None) => true,
            (Some(a), Some(b)) => a.raw_os_error() == b.raw_os_error() && a.kind() == b.kind(),
            _ => false,
        }
    }
}

impl Eq for TimeoutError {}

impl fmt::Debug for TimeoutError {
    /// `TimeoutError` for the loop's deadline, as when it was a unit
    /// struct; `TimeoutError(Os { .. })` for the OS's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.os {
            None => f.write_str("TimeoutError"),
            Some(error) => f.debug_tuple("TimeoutError").field(error).finish(),
        }
    }
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.os {
            None => f.write_str("TimeoutError"),
            Some(error) => python_message(f, error),
        }
    }
}

impl Error for TimeoutError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.os.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

/// A value out of range for the operation (Python's `ValueError`), with
/// CPython's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    /// What went wrong.
    pub message: String,
}

impl ValueError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for ValueError {}

/// The run was interrupted by Ctrl+C (Python's `KeyboardInterrupt`, as
/// `asyncio.run` raises it in 3.11): the first `SIGINT` cancelled the main
/// task and it ended cancelled, or a second `SIGINT` came before it ended.
/// See [`run`](super::run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyboardInterrupt;

impl fmt::Display for KeyboardInterrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyboardInterrupt")
    }
}

impl Error for KeyboardInterrupt {}
