//! The loop's timer queue: a heap of deadlines, earliest first and, on a
//! tie, first scheduled, that forgets its cancelled timers once they are
//! most of it.

use super::handle::HandleInner;
use std::{cmp::Ordering, collections::BinaryHeap, rc::Rc};

/// Below this many cancelled timers the heap is never rebuilt (CPython's
/// `_MIN_SCHEDULED_TIMER_HANDLES`).
pub(crate) const MIN_CANCELLED_TO_PURGE: usize = 100;

/// Invariants: a timer's handle says it is in the heap exactly while it
/// is; `cancelled` counts the timers in the heap whose handle is
/// cancelled.
#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Timer>,
    cancelled: usize,
    /// Stamped on each timer, so that equal deadlines keep their order.
    seq: u64,
}

/// A timer in the heap, ordered so that the heap's top is the earliest
/// deadline and, among equal deadlines, the first scheduled.
struct Timer {
    when: f64,
    seq: u64,
    handle: Rc<HandleInner>,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Timer {}

impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timer {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap.
        other
            .when
            .total_cmp(&self.when)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

impl Timers {
    /// Files `handle` (made in the heap) under `when`, which is not NaN.
    pub(crate) fn push(&mut self, when: f64, handle: Rc<HandleInner>) {
        self.seq += 1;
        self.heap.push(Timer {
            when,
            seq: self.seq,
            handle,
        });
    }

    /// The earliest deadline of a live timer, dropping the cancelled ones
    /// on top; `None` if there is none, or only at `+inf`, which never
    /// comes.
    pub(crate) fn next_deadline(&mut self) -> Option<f64> {
        while self.heap.peek().is_some_and(|t| t.handle.is_cancelled()) {
            self.pop();
        }
        self.heap
            .peek()
            .map(|t| t.when)
            .filter(|when| when.is_finite() || *when < 0.0)
    }

    /// Takes every timer due by `end`, earliest first, giving the live
    /// ones to `due`.
    pub(crate) fn take_due(&mut self, end: f64, mut due: impl FnMut(Rc<HandleInner>)) {
        while self.heap.peek().is_some_and(|t| t.when <= end) {
            if let Some(handle) = self.pop() {
                if !handle.is_cancelled() {
                    due(handle);
                }
            }
        }
    }

    fn pop(&mut self) -> Option<Rc<HandleInner>> {
        let timer = self.heap.pop()?;
        timer.handle.set_in_heap(false);
        if timer.handle.is_cancelled() {
            self.cancelled = self.cancelled.saturating_sub(1);
        }
        Some(timer.handle)
    }

    /// A timer still in the heap was cancelled. Once cancelled timers are
    /// more than half the heap (and more than a hundred), the heap is
    /// rebuilt without them, as CPython does, so that a program that sets
    /// and cancels timeouts all day holds only the live ones.
    pub(crate) fn cancelled_one(&mut self) {
        self.cancelled += 1;
        if self.cancelled > MIN_CANCELLED_TO_PURGE && self.cancelled * 2 > self.heap.len() {
            self.heap.retain(|timer| {
                let live = !timer.handle.is_cancelled();
                timer.handle.set_in_heap(live);
                live
            });
            self.cancelled = 0;
        }
    }

    /// Empties the queue, giving back its handles for the caller to drop
    /// once it has let go of the queue.
    pub(crate) fn take_all(&mut self) -> Vec<Rc<HandleInner>> {
        self.cancelled = 0;
        std::mem::take(&mut self.heap)
            .into_iter()
            .map(|timer| {
                timer.handle.set_in_heap(false);
                timer.handle
            })
            .collect()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    #[cfg(test)]
    pub(crate) fn cancelled(&self) -> usize {
        self.cancelled
    }
}
