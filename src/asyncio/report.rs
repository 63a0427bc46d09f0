//! What the loop reports rather than raises (Python's
//! `call_exception_handler` and asyncio's logger).

use std::{fmt, time::Duration};

/// Something the loop reports rather than raises: a callback that panicked
/// (Python's `call_exception_handler`), a slow callback in debug mode, or a
/// task whose error nobody retrieved.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum LoopReport {
    /// A callback panicked; the loop went on.
    CallbackPanicked {
        /// What the callback was.
        callback: String,
        /// The panic's message.
        message: String,
    },
    /// In debug mode, a callback or task step ran for at least
    /// `slow_callback_duration`.
    SlowCallback {
        /// What the callback was, as asyncio's logger spells it (a task
        /// step names the task).
        callback: String,
        /// Whether it was a task step or a callback, and which task.
        kind: EntryKind,
        /// How long it ran: real time, plus on the virtual clock the work
        /// it simulated with [`EventLoop::simulate_work`](super::EventLoop::simulate_work).
        duration: Duration,
    },
    /// A task ended with an error that nobody retrieved before the task was
    /// dropped (CPython: "Task exception was never retrieved").
    ExceptionNeverRetrieved {
        /// The task's name.
        task: String,
        /// The error.
        error: String,
    },
    /// The loop was closed or dropped while a task was still pending: its
    /// coroutine was closed (its `finally` blocks and `GeneratorExit`
    /// handlers ran) and the task will never finish (CPython: "Task was
    /// destroyed but it is pending!").
    TaskDestroyedPending {
        /// The task's name.
        task: String,
    },
    /// The task a streams server ran for a connection (the
    /// `client_connected` of [`start_server`](super::start_server)) ended
    /// with an error; its connection was closed (CPython: "Unhandled
    /// exception in `client_connected_cb`").
    ClientConnectedFailed {
        /// The error.
        error: String,
    },
}

/// What a ready-queue entry the loop ran was, for
/// [`LoopReport::SlowCallback`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntryKind {
    /// One step of a task: its coroutine ran from one suspension to the
    /// next.
    TaskStep {
        /// The task's name.
        task: String,
    },
    /// A callback from `call_soon` (or one the loop scheduled itself).
    Callback,
    /// A timer's callback, from `call_later` or `call_at`.
    Timer,
    /// A reader or writer callback whose descriptor was ready.
    Io,
}

impl fmt::Display for LoopReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CallbackPanicked { callback, message } => {
                write!(f, "Exception in callback {callback}: panicked: {message}")
            }
            Self::SlowCallback {
                callback, duration, ..
            } => write!(
                f,
                "Executing {callback} took {:.3} seconds",
                duration.as_secs_f64()
            ),
            Self::ExceptionNeverRetrieved { task, error } => {
                write!(f, "Task exception was never retrieved: {task}: {error}")
            }
            Self::TaskDestroyedPending { task } => write!(
                f,
                "Task was destroyed but it is pending! task: <Task pending name='{task}'>"
            ),
            Self::ClientConnectedFailed { error } => {
                write!(f, "Unhandled exception in client_connected_cb: {error}")
            }
        }
    }
}
