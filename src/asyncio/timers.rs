//! The loop's timer queue: a heap of deadlines, earliest first and, on a
//! tie, first scheduled, that forgets its cancelled timers once they are
//! most of it.

use super::{alarm::Alarm, handle::HandleInner};
use std::{cmp::Ordering, collections::BinaryHeap, rc::Rc};

/// Below this many cancelled timers the heap is never rebuilt (CPython's
/// `_MIN_SCHEDULED_TIMER_HANDLES`).
pub(crate) const MIN_CANCELLED_TO_PURGE: usize = 100;

/// Invariants: a timer's handle (or alarm) says it is in the heap exactly
/// while it is; `cancelled` counts the timers in the heap whose handle (or
/// alarm) is cancelled.
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
    entry: Entry,
}

/// What a timer runs when due: a callback's handle (`call_later`,
/// `call_at`), or a sleep's alarm, which needs neither a handle nor a
/// boxed closure.
pub(crate) enum Entry {
    Handle(Rc<HandleInner>),
    Alarm(Rc<Alarm>),
}

impl Entry {
    fn is_cancelled(&self) -> bool {
        match self {
            Self::Handle(handle) => handle.is_cancelled(),
            Self::Alarm(alarm) => alarm.is_cancelled(),
        }
    }

    fn set_in_heap(&self, in_heap: bool) {
        match self {
            Self::Handle(handle) => handle.set_in_heap(in_heap),
            Self::Alarm(alarm) => alarm.set_in_heap(in_heap),
        }
    }
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
    /// Files `entry` (made in the heap) under `when`, which is not NaN.
    pub(crate) fn push(&mut self, when: f64, entry: Entry) {
        self.seq += 1;
        self.heap.push(Timer {
            when,
            seq: self.seq,
            entry,
        });
    }

    /// The earliest deadline of a live timer, dropping the cancelled ones
    /// on top; `None` if there is none, or only at `+inf`, which never
    /// comes.
    pub(crate) fn next_deadline(&mut self) -> Option<f64> {
        while self.heap.peek().is_some_and(|t| t.entry.is_cancelled()) {
            self.pop();
        }
        self.heap
            .peek()
            .map(|t| t.when)
            .filter(|when| when.is_finite() || *when < 0.0)
    }

    /// Takes every timer due by `end`, earliest first, giving the live
    /// ones to `due`.
    pub(crate) fn take_due(&mut self, end: f64, mut due: impl FnMut(Entry)) {
        while self.heap.peek().is_some_and(|t| t.when <= end) {
            if let Some(entry) = self.pop() {
                if !entry.is_cancelled() {
                    due(entry);
                }
            }
        }
    }

    fn pop(&mut self) -> Option<Entry> {
        let timer = self.heap.pop()?;
        timer.entry.set_in_heap(false);
        if timer.entry.is_cancelled() {
            self.cancelled = self.cancelled.saturating_sub(1);
        }
        Some(timer.entry)
    }

    /// A timer still in the heap was cancelled. Once cancelled timers are
    /// more than half the heap (and more than a hundred), the heap is
    /// rebuilt without them, as CPython does, so that a program that sets
    /// and cancels timeouts all day holds only the live ones.
    pub(crate) fn cancelled_one(&mut self) {
        self.cancelled += 1;
        if self.cancelled > MIN_CANCELLED_TO_PURGE && self.cancelled * 2 > self.heap.len() {
            self.heap.retain(|timer| {
                let live = !timer.entry.is_cancelled();
                timer.entry.set_in_heap(live);
                live
            });
            self.cancelled = 0;
        }
    }

    /// Empties the queue, giving back its entries for the caller to drop
    /// once it has let go of the queue.
    pub(crate) fn take_all(&mut self) -> Vec<Entry> {
        self.cancelled = 0;
        std::mem::take(&mut self.heap)
            .into_iter()
            .map(|timer| {
                timer.entry.set_in_heap(false);
                timer.entry
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
