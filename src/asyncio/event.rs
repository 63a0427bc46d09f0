//! asyncio's `Event`.

use super::{
    Coroutine, coroutine,
    future::{WaitLine, wait_in_line},
};
use std::{cell::Cell, fmt, rc::Rc};

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
    waiters: WaitLine<()>,
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
                let _ = waiter.set_result(());
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
        let event = self.clone();
        coroutine("Event.wait", move |co| async move {
            if event.is_set() {
                return Ok(true);
            }
            let (_, outcome) = wait_in_line(&co, &event.0.waiters, "Event.wait").await?;
            outcome.map(|()| true)
        })
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
