//! The one task a crate-made waitable wakes (a sleep's alarm, a queue's
//! turn), and the message it was cancelled with: what such a waitable keeps
//! of a future's done callbacks and cancellation.

use super::{
    errors::CancelledError,
    event_loop::{EventLoop, LoopInner},
    ready::Steppable,
};
use crate::AnyError;
use std::{
    cell::Cell,
    rc::{Rc, Weak},
};

/// Two cells and no borrow flags: a million tasks asleep hold a million.
pub(crate) struct OneWaiter {
    /// The task to wake, once one waits.
    task: Cell<Option<Rc<dyn Steppable>>>,
    /// The message for the `CancelledError`, once cancelled with one.
    message: Cell<Option<Box<str>>>,
}

impl OneWaiter {
    pub(crate) const fn new() -> Self {
        Self {
            task: Cell::new(None),
            message: Cell::new(None),
        }
    }

    /// `task` waits: kept, to be woken, while the waitable is `pending`;
    /// else its wake-up is queued at once, as a done callback added to a
    /// done future is.
    pub(crate) fn wait(&self, task: Rc<dyn Steppable>, pending: bool, lp: &Weak<LoopInner>) {
        if pending {
            self.task.set(Some(task));
        } else if let Some(lp) = lp.upgrade() {
            EventLoop(lp).schedule_wakeup(task);
        }
    }

    /// Queues the waiting task's wake-up, if a task waits and its loop is
    /// still there: what finishing a future does to its done callbacks.
    pub(crate) fn wake(&self, lp: &Weak<LoopInner>) {
        if let (Some(task), Some(lp)) = (self.task.take(), lp.upgrade()) {
            EventLoop(lp).schedule_wakeup(task);
        }
    }

    /// Lets the waiting task go without waking it.
    pub(crate) fn forget(&self) {
        drop(self.task.take());
    }

    /// Keeps the message a cancellation came with.
    pub(crate) fn set_message(&self, message: Option<String>) {
        self.message.set(message.map(String::into_boxed_str));
    }

    /// The `CancelledError` of the cancelled waitable, with its message,
    /// which is kept for the next to ask.
    pub(crate) fn cancelled_error(&self) -> AnyError {
        let message = self.message.take();
        let error = CancelledError {
            message: message.as_deref().map(str::to_owned),
        };
        self.message.set(message);
        error.into()
    }
}
