//! The ready queue: what runs in the loop's next iteration, in order.
//!
//! An entry is a callback or a task's next step, as in CPython's
//! `_ready` deque, but a step and a wake-up are queued without allocating
//! a handle for them.

#[cfg(unix)]
use super::handle::IoHandle;
use super::{
    alarm::Alarm,
    event_loop::EventLoop,
    handle::{HandleInner, Label},
};
use crate::AnyError;
use std::{collections::VecDeque, mem::ManuallyDrop, rc::Rc};

/// An entry of the ready queue: a callback, or a task's next step. A step
/// is not a user-visible handle, so it is queued without allocating one.
// `repr(u64)`: a whole-word tag, then each variant's fields in declaration
// order, so that a task's `Rc<dyn Steppable>` fills the entry's second 16
// bytes exactly. Popping copies the entry in 16-byte pieces; left to the
// compiler, the pointer straddled two of them and reading it back from the
// copy stalled every step (docs/performance.md, "Stores the processor
// cannot forward").
#[repr(u64)]
pub(crate) enum Ready {
    Handle(Rc<HandleInner>),
    Step(Rc<dyn Steppable>, Option<AnyError>),
    /// A reader or writer whose descriptor is ready.
    #[cfg(unix)]
    Io(Rc<IoHandle>),
    /// A task's wake-up by the future it waited on: the done callback
    /// CPython adds as `Task.__wakeup`, queued without boxing a closure or
    /// allocating a handle.
    Wakeup(Rc<dyn Steppable>),
    /// A sleep's alarm that is due: the timer callback CPython's `sleep`
    /// schedules, which sets its future's result.
    Alarm(Rc<Alarm>),
}

/// The ready queue: the entries of [`Ready`] in the order they run.
///
/// An entry is kept as a `ManuallyDrop`, and this type drops what it still
/// holds when it is dropped. Measured: with entries that have drop glue,
/// `VecDeque::push_back` must keep the entry in memory across its possible
/// growth (to drop it should that unwind), so it builds each entry on the
/// stack and copies it in 16 bytes at a time from stores of 8, which the
/// processor cannot forward: a stall of a dozen cycles or more on every
/// step a task queues (docs/performance.md, "Stores the processor cannot
/// forward"). Without drop glue the entry goes straight from registers
/// into its slot.
#[derive(Default)]
pub(crate) struct ReadyQueue(VecDeque<ManuallyDrop<Ready>>);

impl ReadyQueue {
    #[inline]
    pub(crate) fn push_back(&mut self, entry: Ready) {
        self.0.push_back(ManuallyDrop::new(entry));
    }

    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<Ready> {
        self.0.pop_front().map(ManuallyDrop::into_inner)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Everything queued, in order, leaving the queue empty.
    pub(crate) fn take(&mut self) -> Vec<Ready> {
        self.0.drain(..).map(ManuallyDrop::into_inner).collect()
    }
}

impl Extend<Ready> for ReadyQueue {
    fn extend<I: IntoIterator<Item = Ready>>(&mut self, entries: I) {
        self.0.extend(entries.into_iter().map(ManuallyDrop::new));
    }
}

impl Drop for ReadyQueue {
    /// Drops the entries as a `Vec` would, so that one whose drop panics
    /// does not keep the rest from being dropped.
    fn drop(&mut self) {
        drop(self.take());
    }
}

/// A task, as the ready queue steps it.
pub(crate) trait Steppable {
    /// One step, on `lp`, the task's own loop, which runs it: the step
    /// need not reach the loop through its weak reference.
    fn step(self: Rc<Self>, lp: &EventLoop, error: Option<AnyError>);
    /// The future it waited on is done: step with its outcome.
    fn wakeup(self: Rc<Self>, lp: &EventLoop);
    fn label(&self) -> Label;
}

#[cfg(test)]
mod tests {
    use super::{Ready, ReadyQueue};
    use crate::asyncio::handle::{HandleInner, Label};
    use std::rc::Rc;

    /// A queue of `n` callbacks, each holding a clone of `held`.
    fn queue_holding(held: &Rc<()>, n: usize) -> ReadyQueue {
        let mut queue = ReadyQueue::default();
        for _ in 0..n {
            let inside = held.clone();
            queue.push_back(Ready::Handle(HandleInner::new(
                Box::new(move || drop(inside)),
                Label::Callback,
            )));
        }
        queue
    }

    #[test]
    fn a_ready_queue_dropped_with_entries_drops_each_of_them() {
        let held = Rc::new(());
        let queue = queue_holding(&held, 3);
        assert_eq!(Rc::strong_count(&held), 4);
        drop(queue);
        assert_eq!(Rc::strong_count(&held), 1);
    }

    #[test]
    fn a_ready_queue_hands_its_entries_out_in_order_and_keeps_none() {
        let held = Rc::new(());
        let mut queue = queue_holding(&held, 2);
        assert_eq!(queue.len(), 2);
        let first = queue.pop_front();
        assert!(matches!(first, Some(Ready::Handle(_))));
        let rest = queue.take();
        assert_eq!((rest.len(), queue.len()), (1, 0));
        assert!(queue.pop_front().is_none());
        drop((first, rest));
        assert_eq!(Rc::strong_count(&held), 1);
        drop(queue);
        assert_eq!(Rc::strong_count(&held), 1);
    }
}
