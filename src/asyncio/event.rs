//! asyncio's `Event`.

use super::{
    Coroutine, Suspend,
    wait_line::{LineWait, WaitLine},
};
use crate::{AnyError, Delegate, Generator, Step, mailbox::Hinted};
use std::{cell::Cell, convert::Infallible, fmt, rc::Rc};

/// A flag that tasks can wait for (Python's `asyncio.Event`).
///
/// [`wait`](Self::wait) returns at once while the flag is set, and
/// otherwise waits until [`set`](Self::set); `set` wakes every waiter, in
/// the order they began waiting. `Event` is a cheap handle: clones share
/// the flag.
#[derive(Clone, Default)]
pub struct Event(Rc<EventInner>);

#[derive(Default)]
struct EventInner {
    flag: Cell<bool>,
    waiters: WaitLine,
}

impl Event {
    /// A new event, not set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the flag is set.
    #[must_use]
    pub fn is_set(&self) -> bool {
        self.0.flag.get()
    }

    /// Sets the flag and wakes every waiter.
    pub fn set(&self) {
        if self.0.flag.replace(true) {
            return;
        }
        self.0.waiters.each_while(|waiter| {
            if !waiter.done() {
                waiter.give();
            }
            true
        });
    }

    /// Clears the flag.
    pub fn clear(&self) {
        self.0.flag.set(false);
    }

    /// A coroutine that waits until the flag is set, and evaluates to
    /// `true` (Python's `await event.wait()`).
    ///
    /// # Errors
    ///
    /// `RuntimeError` if no loop runs; `CancelledError` if its task is
    /// cancelled meanwhile (the event forgets the waiter).
    pub fn wait(&self) -> Coroutine<bool> {
        let wait = Wait {
            event: self.clone(),
            line: LineWait::new(),
        };
        Generator::in_place(wait, || Hinted {
            name: "Event.wait",
            level: true,
        })
    }
}

/// `Event::wait()` as a hand-written delegate, which `yield_from` drives
/// in place.
struct Wait {
    event: Event,
    line: LineWait,
}

impl Delegate for Wait {
    type Yield = Suspend;
    type Send = ();
    type Return = bool;
    type Error = AnyError;

    fn name(&self) -> &'static str {
        "Event.wait"
    }

    #[inline]
    fn send(&mut self, _: Option<()>) -> Result<Step<Suspend, bool, Infallible>, AnyError> {
        let waiters = &self.event.0.waiters;
        if self.line.waiting() {
            return self.line.outcome(waiters).map(|()| Step::Returned(true));
        }
        if self.event.is_set() {
            return Ok(Step::Returned(true));
        }
        self.line.join(waiters, "Event.wait").map(Step::Yielded)
    }

    fn throw(&mut self, error: AnyError) -> Result<Step<Suspend, bool, Infallible>, AnyError> {
        self.line.leave(&self.event.0.waiters);
        Err(error)
    }

    fn close(&mut self) -> Result<(), AnyError> {
        self.line.leave(&self.event.0.waiters);
        Ok(())
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .field("waiters", &self.0.waiters.len())
            .finish()
    }
}
