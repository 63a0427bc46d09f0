//! asyncio's exceptions, as error types an `AnyError` can hold.

use std::{error::Error, fmt};

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
/// `asyncio.TimeoutError` since 3.11).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeoutError;

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TimeoutError")
    }
}

impl Error for TimeoutError {}

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
