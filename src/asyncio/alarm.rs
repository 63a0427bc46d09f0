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
    CoroutineCo, Suspend,
    errors::{CancelledError, RuntimeError},
    event_loop::{EventLoop, LoopInner, Steppable},
    future::Waitable,
};
use crate::AnyError;
use std::{
    cell::{Cell, RefCell},
    rc::{Rc, Weak},
};

pub(crate) struct Alarm {
    when: f64,
    lp: Weak<LoopInner>,
    state: RefCell<State>,
    in_heap: Cell<bool>,
    /// The task to wake, once one waits.
    waiter: RefCell<Option<Rc<dyn Steppable>>>,
}

enum State {
    Set,
    Rang,
    /// With the message for the `CancelledError`.
    Cancelled(Option<String>),
}

impl Alarm {
    /// An alarm due at `when` on `lp`, about to go into its heap.
    pub(crate) fn new(when: f64, lp: &EventLoop) -> Rc<Self> {
        Rc::new(Self {
            when,
            lp: Rc::downgrade(&lp.0),
            state: RefCell::new(State::Set),
            in_heap: Cell::new(true),
            waiter: RefCell::new(None),
        })
    }

    pub(crate) fn when(&self) -> f64 {
        self.when
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        matches!(*self.state.borrow(), State::Cancelled(_))
    }

    pub(crate) fn set_in_heap(&self, in_heap: bool) {
        self.in_heap.set(in_heap);
    }

    /// Its deadline came: wake the task, unless it was cancelled since
    /// the heap let it go (CPython's `_set_result_unless_cancelled`).
    pub(crate) fn ring(&self) {
        let mut state = self.state.borrow_mut();
        if !matches!(*state, State::Set) {
            return;
        }
        *state = State::Rang;
        drop(state);
        self.wake();
    }

    /// Ends a set alarm: it will not ring, and the heap may forget it.
    /// Returns whether it was set.
    fn end(&self, message: Option<String>) -> bool {
        {
            let mut state = self.state.borrow_mut();
            if !matches!(*state, State::Set) {
                return false;
            }
            *state = State::Cancelled(message);
        }
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
            self.waiter.borrow_mut().take();
        }
    }

    fn wake(&self) {
        let waiter = self.waiter.borrow_mut().take();
        if let (Some(task), Some(lp)) = (waiter, self.lp.upgrade()) {
            EventLoop(lp).schedule_wakeup(task);
        }
    }

    /// Waits for the alarm in the body of `co`, as `Future::wait_in`
    /// waits for a future.
    ///
    /// # Errors
    ///
    /// `CancelledError` if it was cancelled, or what is thrown into the
    /// coroutine while it waits.
    pub(crate) async fn wait_in(self: &Rc<Self>, co: &CoroutineCo) -> Result<(), AnyError> {
        co.yield_(Suspend(Some(self.clone()))).await?;
        match &*self.state.borrow() {
            State::Set => Err(RuntimeError::new("await wasn't used with future").into()),
            State::Rang => Ok(()),
            State::Cancelled(message) => Err(CancelledError {
                message: message.clone(),
            }
            .into()),
        }
    }
}

impl Waitable for Alarm {
    fn wake_on_done(self: Rc<Self>, task: Rc<dyn Steppable>) {
        if matches!(*self.state.borrow(), State::Set) {
            *self.waiter.borrow_mut() = Some(task);
        } else if let Some(lp) = self.lp.upgrade() {
            EventLoop(lp).schedule_wakeup(task);
        }
    }

    fn cancel_for_waiter(self: Rc<Self>, message: Option<String>) -> bool {
        if !self.end(message) {
            return false;
        }
        self.wake();
        true
    }

    fn error_for_waiter(&self) -> Option<AnyError> {
        match &*self.state.borrow() {
            State::Set | State::Rang => None,
            State::Cancelled(message) => Some(
                CancelledError {
                    message: message.clone(),
                }
                .into(),
            ),
        }
    }

    fn id(&self) -> *const () {
        std::ptr::from_ref(self).cast()
    }

    fn loop_identity(&self) -> *const () {
        self.lp.as_ptr().cast()
    }

    fn describe(&self) -> String {
        "sleep".to_owned()
    }
}
