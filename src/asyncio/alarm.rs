//! A sleep's deadline: one timer-heap entry that is also what the sleeping
//! task waits on.
//!
//! CPython's `asyncio.sleep` makes a future and a `TimerHandle` whose
//! callback sets the future's result; the task waits on the future. An
//! alarm is both in one small allocation, with no boxed closure: when it
//! is due the loop runs it as it would run that timer's callback (in the
//! iteration the deadline falls in, among the other due timers), and it
//! queues the task's wake-up as setting the future would (for the next
//! iteration). Cancelling the waiting task cancels the alarm as it would
//! cancel the future, so the order in which things run is CPython's.
//!
//! States: an alarm is *set* from its making until it *rings* (its
//! deadline came) or is *cancelled* (its task was cancelled, or the sleep
//! ended otherwise); either is final. It is in its loop's heap from its
//! making until the heap pops it or purges it, whatever its state; the
//! heap counts it as a cancelled timer exactly while it is in the heap
//! and cancelled.

use super::{
    Suspend,
    errors::RuntimeError,
    event_loop::{EventLoop, LoopInner},
    future::Waitable,
    one_waiter::OneWaiter,
    ready::Steppable,
};
use crate::{AnyError, Delegate, Step};
use std::{
    cell::Cell,
    convert::Infallible,
    rc::{Rc, Weak},
};

/// A million tasks asleep hold a million of these, so they are kept small
/// (72 bytes with the `Rc`'s counts): `Cell`s, no borrow flags, and the
/// rare cancellation message boxed.
pub(crate) struct Alarm {
    when: f64,
    lp: Weak<LoopInner>,
    waiter: OneWaiter,
    state: Cell<State>,
    in_heap: Cell<bool>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Set,
    Rang,
    Cancelled,
}

impl Alarm {
    /// An alarm due at `when` on `lp`, about to go into its heap.
    pub(crate) fn new(when: f64, lp: &EventLoop) -> Rc<Self> {
        Rc::new(Self {
            when,
            lp: Rc::downgrade(&lp.0),
            waiter: OneWaiter::new(),
            state: Cell::new(State::Set),
            in_heap: Cell::new(true),
        })
    }

    pub(crate) fn when(&self) -> f64 {
        self.when
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.state.get() == State::Cancelled
    }

    pub(crate) fn set_in_heap(&self, in_heap: bool) {
        self.in_heap.set(in_heap);
    }

    /// Its deadline came: wake the task, unless it was cancelled since
    /// the heap let it go (CPython's `_set_result_unless_cancelled`).
    pub(crate) fn ring(&self) {
        if self.state.get() != State::Set {
            return;
        }
        self.state.set(State::Rang);
        self.waiter.wake(&self.lp);
    }

    /// Ends a set alarm: it will not ring, and the heap may forget it.
    /// Returns whether it was set.
    fn end(&self, message: Option<String>) -> bool {
        if self.state.get() != State::Set {
            return false;
        }
        self.state.set(State::Cancelled);
        self.waiter.set_message(message);
        if self.in_heap.get() {
            if let Some(lp) = self.lp.upgrade() {
                lp.timer_cancelled();
            }
        }
        true
    }

    /// Stops the alarm if it is still set, without waking anyone: what
    /// `sleep` does on its way out however its wait ended (CPython's
    /// `finally: h.cancel()`).
    pub(crate) fn cancel(&self) {
        if self.end(None) {
            self.waiter.forget();
        }
    }

    /// How a wait on it ended, once the waiting task is resumed:
    /// `CancelledError` if it was cancelled; still set, it was not waited
    /// on at all.
    fn outcome(&self) -> Result<(), AnyError> {
        match self.state.get() {
            State::Set => Err(RuntimeError::new("await wasn't used with future").into()),
            State::Rang => Ok(()),
            State::Cancelled => Err(self.waiter.cancelled_error()),
        }
    }
}

/// `sleep(delay, result)` as a hand-written delegate, which `yield_from`
/// drives in place: CPython's `asyncio.sleep`, which gives up the turn
/// once for a delay of 0 or less, and otherwise waits on an alarm and
/// cancels it however the wait ends.
pub(crate) struct Sleep<T> {
    delay: f64,
    result: Option<T>,
    /// Set by the first step, for a delay above 0.
    alarm: Option<Rc<Alarm>>,
    started: bool,
}

impl<T> Sleep<T> {
    pub(crate) fn new(delay: f64, result: T) -> Self {
        Self {
            delay,
            result: Some(result),
            alarm: None,
            started: false,
        }
    }

    /// Ends the sleep, whatever ended it.
    fn end(&mut self) {
        if let Some(alarm) = self.alarm.take() {
            alarm.cancel();
        }
    }
}

impl<T: 'static> Delegate for Sleep<T> {
    type Yield = Suspend;
    type Send = ();
    type Return = T;
    type Error = AnyError;

    fn name(&self) -> &'static str {
        "sleep"
    }

    #[inline]
    fn send(&mut self, _: Option<()>) -> Result<Step<Suspend, T, Infallible>, AnyError> {
        if !self.started {
            self.started = true;
            if self.delay <= 0.0 {
                return Ok(Step::Yielded(Suspend::NOW));
            }
            // The loop is not held across the wait: a loop nobody else
            // holds must be free to drop, and its pending tasks with it.
            let alarm = EventLoop::running()?.alarm_later(self.delay)?;
            let suspend = Suspend(Some(alarm.clone()));
            self.alarm = Some(alarm);
            return Ok(Step::Yielded(suspend));
        }
        let slept = self.alarm.as_ref().map_or(Ok(()), |alarm| alarm.outcome());
        self.end();
        slept?;
        match self.result.take() {
            Some(result) => Ok(Step::Returned(result)),
            None => unreachable!("a delegate returns once"),
        }
    }

    fn throw(&mut self, error: AnyError) -> Result<Step<Suspend, T, Infallible>, AnyError> {
        self.end();
        Err(error)
    }

    fn close(&mut self) -> Result<(), AnyError> {
        self.end();
        Ok(())
    }
}

impl Waitable for Alarm {
    fn wake_on_done(self: Rc<Self>, task: Rc<dyn Steppable>) {
        self.waiter
            .wait(task, self.state.get() == State::Set, &self.lp);
    }

    fn cancel_for_waiter(self: Rc<Self>, message: Option<String>) -> bool {
        if !self.end(message) {
            return false;
        }
        self.waiter.wake(&self.lp);
        true
    }

    fn error_for_waiter(&self) -> Option<AnyError> {
        self.is_cancelled().then(|| self.waiter.cancelled_error())
    }

    fn loop_identity(&self) -> *const () {
        self.lp.as_ptr().cast()
    }

    fn describe(&self) -> String {
        "sleep".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::Alarm;
    use std::mem::size_of;

    #[test]
    fn an_alarm_is_at_most_56_bytes_beside_its_rc_counts() {
        assert!(size_of::<Alarm>() <= 56, "{} bytes", size_of::<Alarm>());
    }
}
