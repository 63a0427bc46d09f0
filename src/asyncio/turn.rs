//! A waiter in a line: what a task blocked in `Queue.get` or `Queue.put`,
//! `Lock.acquire`, `Semaphore.acquire`, `Event.wait` or `Condition.wait`
//! waits on until it is given its turn.
//!
//! CPython makes a future per such wait (`getter = loop.create_future()`),
//! appends it to a deque of waiters and awaits it; whoever frees the way
//! (`_wakeup_next`, `_wake_up_first`, `Event.set`, `Condition.notify`) sets
//! the result of the first ones not done, and a cancelled wait takes its
//! future out of the deque. Nobody else sees those futures, and nobody uses
//! their results, so all of a future that is used is: pending, given its
//! turn (the result set) or cancelled (with a message when its task was),
//! the one task waiting on it, and its place in the line. A turn is that
//! and no more, as an [`Alarm`](super::alarm::Alarm) is for a sleep: no
//! done callbacks, no borrow flags, no name. What it does at each point is
//! what the future did (its task's wake-up queued when it is given or
//! cancelled, in the same order), so the order in which things run is
//! CPython's.

use super::{
    errors::RuntimeError,
    event_loop::{EventLoop, LoopInner},
    future::Waitable,
    one_waiter::OneWaiter,
    ready::Steppable,
};
use crate::AnyError;
use std::{
    cell::Cell,
    rc::{Rc, Weak},
};

pub(crate) struct Turn {
    lp: Weak<LoopInner>,
    waiter: OneWaiter,
    state: Cell<State>,
    /// It is in its line (the line's bookkeeping).
    in_line: Cell<bool>,
    /// What waiting on it means, for a recording: `"Queue.get"`, ...
    label: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    /// The queue gave it its turn (CPython's `set_result(None)`).
    Given,
    Cancelled,
}

impl Turn {
    /// A waiting turn on `lp`, labelled `label`, made of the turn in
    /// `spare` if that one was given and nothing else holds it (it is then
    /// one nobody can tell from a new one): a ping-pong between two tasks
    /// makes no turn per wait. A spare that cannot be reused is left where
    /// it is, for the caller to drop.
    pub(crate) fn renew(
        spare: &mut Option<Rc<Self>>,
        lp: &EventLoop,
        label: &'static str,
    ) -> Rc<Self> {
        if let Some(turn) = spare.as_mut() {
            let same_loop = turn.lp.as_ptr() == Rc::as_ptr(&lp.0);
            if let Some(inner) = Rc::get_mut(turn) {
                if same_loop && inner.state.get() == State::Given {
                    inner.state.set(State::Waiting);
                    inner.in_line.set(false);
                    inner.label = label;
                    if let Some(renewed) = spare.take() {
                        return renewed;
                    }
                }
            }
        }
        Self::new(lp, label)
    }

    /// A waiting turn on `lp`, labelled `label`.
    pub(crate) fn new(lp: &EventLoop, label: &'static str) -> Rc<Self> {
        Rc::new(Self {
            lp: Rc::downgrade(&lp.0),
            waiter: OneWaiter::new(),
            state: Cell::new(State::Waiting),
            in_line: Cell::new(false),
            label,
        })
    }

    /// Set while it is in a line (the line's bookkeeping).
    pub(crate) fn in_line(&self) -> &Cell<bool> {
        &self.in_line
    }

    /// Whether it was given or cancelled.
    pub(crate) fn done(&self) -> bool {
        self.state.get() != State::Waiting
    }

    pub(crate) fn cancelled(&self) -> bool {
        self.state.get() == State::Cancelled
    }

    /// Gives it its turn, waking its task: what `_wakeup_next` does to the
    /// first future in line that is not done. A turn already done is left
    /// as it is.
    pub(crate) fn give(&self) {
        if self.state.get() == State::Waiting {
            self.state.set(State::Given);
            self.waiter.wake(&self.lp);
        }
    }

    /// Cancels it if it still waits, waking its task as cancelling the
    /// future would: the `getter.cancel()` of the wait's `except` clause.
    pub(crate) fn cancel(&self) {
        self.end(None);
    }

    /// Cancels a waiting turn with `message`; whether it was waiting.
    fn end(&self, message: Option<String>) -> bool {
        if self.state.get() != State::Waiting {
            return false;
        }
        self.state.set(State::Cancelled);
        self.waiter.set_message(message);
        self.waiter.wake(&self.lp);
        true
    }

    /// How the wait on it ended, once its task is resumed (what awaiting
    /// the future gave): `Ok` once given, `CancelledError` once cancelled;
    /// still waiting, it was not waited on at all.
    pub(crate) fn outcome(&self) -> Result<(), AnyError> {
        match self.state.get() {
            State::Waiting => Err(RuntimeError::new("await wasn't used with future").into()),
            State::Given => Ok(()),
            State::Cancelled => Err(self.waiter.cancelled_error()),
        }
    }
}

impl Waitable for Turn {
    fn wake_on_done(self: Rc<Self>, task: Rc<dyn Steppable>) {
        self.waiter
            .wait(task, self.state.get() == State::Waiting, &self.lp);
    }

    fn cancel_for_waiter(self: Rc<Self>, message: Option<String>) -> bool {
        self.end(message)
    }

    fn error_for_waiter(&self) -> Option<AnyError> {
        self.cancelled().then(|| self.waiter.cancelled_error())
    }

    fn loop_identity(&self) -> *const () {
        self.lp.as_ptr().cast()
    }

    fn describe(&self) -> String {
        self.label.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::{State, Turn};
    use crate::asyncio::{CancelledError, ClockKind, EventLoop, RuntimeError};
    use std::{mem::size_of, rc::Rc};

    #[test]
    fn a_turn_is_at_most_64_bytes_beside_its_rc_counts() {
        assert!(size_of::<Turn>() <= 64, "{} bytes", size_of::<Turn>());
    }

    #[test]
    fn only_a_given_turn_that_nothing_else_holds_is_renewed() {
        let lp = EventLoop::new(ClockKind::Virtual);
        let other = EventLoop::new(ClockKind::Virtual);
        let given = || {
            let turn = Turn::new(&lp, "Queue.get");
            turn.give();
            turn
        };

        let turn = given();
        let was = Rc::as_ptr(&turn);
        let renewed = Turn::renew(&mut Some(turn), &lp, "Queue.put");
        assert_eq!(Rc::as_ptr(&renewed), was, "the same allocation");
        assert!(renewed.state.get() == State::Waiting, "waiting, as new");
        assert_eq!(renewed.label, "Queue.put");

        let held = given();
        let holder = held.clone();
        let mut spare = Some(held);
        assert!(!Rc::ptr_eq(
            &Turn::renew(&mut spare, &lp, "Queue.get"),
            &holder
        ));
        assert!(spare.is_some(), "one that is not reused is left in place");

        let cancelled = Turn::new(&lp, "Queue.get");
        cancelled.cancel();
        let was = Rc::as_ptr(&cancelled);
        let made = Turn::renew(&mut Some(cancelled), &lp, "Queue.get");
        assert_ne!(Rc::as_ptr(&made), was, "a cancelled one is not reused");

        let elsewhere = given();
        let was = Rc::as_ptr(&elsewhere);
        let made = Turn::renew(&mut Some(elsewhere), &other, "Queue.get");
        assert_ne!(Rc::as_ptr(&made), was, "another loop's is not reused");
    }

    #[test]
    fn a_turn_cancelled_with_a_message_keeps_it_for_each_who_asks() {
        let lp = EventLoop::new(ClockKind::Virtual);
        let turn = Turn::new(&lp, "Queue.get");
        assert!(turn.end(Some("stop".to_owned())));
        assert!(!turn.end(Some("again".to_owned())), "cancelled once");
        turn.give();
        assert!(turn.cancelled(), "a cancelled turn is not given");
        for _ in 0..2 {
            let error = turn.outcome().unwrap_err();
            let cancelled = error.downcast_ref::<CancelledError>().unwrap();
            assert_eq!(cancelled.message.as_deref(), Some("stop"));
        }
    }

    #[test]
    fn a_turn_resumed_before_its_turn_says_it_was_not_waited_on_and_a_given_one_is_ok() {
        let lp = EventLoop::new(ClockKind::Virtual);
        let turn = Turn::new(&lp, "Lock.acquire");
        let error = turn.outcome().unwrap_err();
        assert_eq!(
            error
                .downcast_ref::<RuntimeError>()
                .map(ToString::to_string),
            Some("await wasn't used with future".to_owned())
        );
        turn.give();
        assert!(turn.outcome().is_ok());
    }
}
