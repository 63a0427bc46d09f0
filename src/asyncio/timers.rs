//! The loop's timer queue: a heap of deadlines, earliest first and, on a
//! tie, first scheduled, that forgets its cancelled timers once they are
//! most of it.
//!
//! The heap is 8-ary, and each timer's ordering is one `u128` key (its
//! deadline's bits, made to sort as `f64::total_cmp` does, above its
//! sequence number), kept in an array of its own beside the entries: a
//! node's eight children's keys are 128 contiguous bytes, and the heap is 7
//! levels deep at a million timers where a binary heap of 32-byte timers is
//! 20, each level a load that waits on the comparison before it. Popping at
//! that size was the largest cost of a loop of a million sleeping tasks
//! (docs/performance.md, "The timer queue at a million timers").
//!
//! Timers set with the same delay (`call_later`, `sleep`) go further: on
//! a clock that never goes back, each one's deadline is at or after the
//! last one's, so they queue in a *lane*, first in, first out, and the heap
//! holds only the lane's first timer. A program whose timers come in a few
//! delays (a timeout, a polling interval, the same sleep in every task)
//! keeps a heap of a few entries however many timers it has, and takes
//! each timer off the front of its lane in the order it was set. Lanes
//! are few and kept once made: a delay without one takes a new one while
//! there are fewer than [`LANES`], else one left empty, else the heap.

use super::{alarm::Alarm, handle::HandleInner};
use std::{collections::VecDeque, rc::Rc};

/// Below this many cancelled timers the heap is never rebuilt (CPython's
/// `_MIN_SCHEDULED_TIMER_HANDLES`).
pub(crate) const MIN_CANCELLED_TO_PURGE: usize = 100;

/// Children per node. Eight measured fastest at a million timers (against
/// two, four, and four with cache-line-aligned child groups);
/// `least_of_eight` is written for it.
const ARITY: usize = 8;

/// How many delays have a lane at once: their delays are scanned on every
/// timer set with a delay.
const LANES: usize = 16;

/// Invariants: `keys` and `items` have the same length, and the heap's
/// element at position `i` is `(keys[i], items[i])`; every node's key is
/// below its children's (`ARITY * i + 1` to `ARITY * i + ARITY`), and keys
/// are unique (each carries its own timer's sequence number). A lane's
/// timers are in increasing key order; a lane that holds any is in the
/// heap exactly once, as an [`Item::Lane`] under its first timer's key, and
/// an empty one is not. A timer's handle (or alarm) says it is queued
/// exactly while it is, in the heap or in a lane; `len` counts the queued
/// timers and `cancelled` those of them whose handle (or alarm) is
/// cancelled.
#[derive(Default)]
pub(crate) struct Timers {
    keys: Vec<u128>,
    items: Vec<Item>,
    /// Each lane's delay, as bits, beside the lanes: what a new timer
    /// scans.
    delays: Vec<u64>,
    lanes: Vec<VecDeque<(u128, Entry)>>,
    len: usize,
    cancelled: usize,
    /// Stamped on each timer, so that equal deadlines keep their order.
    seq: u64,
}

/// What the heap orders: a timer, or the lane whose first timer it is.
enum Item {
    Timer(Entry),
    Lane(usize),
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

/// The sign bit of an `f64`.
const SIGN: u64 = 1 << 63;

/// A deadline's bits, flipped so that, read as an unsigned integer, they
/// sort as `f64::total_cmp` sorts the deadlines (`-inf` first, `-0.0`
/// before `0.0`, `+inf` last): a negative number has every bit flipped
/// (larger magnitudes then sort lower), a positive one only its sign.
fn ordered_bits(when: f64) -> u64 {
    let bits = when.to_bits();
    if bits & SIGN == 0 { bits | SIGN } else { !bits }
}

/// The inverse of `ordered_bits`.
fn from_ordered_bits(ordered: u64) -> f64 {
    f64::from_bits(if ordered & SIGN == 0 {
        !ordered
    } else {
        ordered & !SIGN
    })
}

/// A timer's place in the heap: its deadline, then its sequence number.
fn key(when: f64, seq: u64) -> u128 {
    (u128::from(ordered_bits(when)) << 64) | u128::from(seq)
}

fn deadline(key: u128) -> f64 {
    // The high half: the shift leaves nothing for the cast to cut.
    #[allow(clippy::cast_possible_truncation)]
    from_ordered_bits((key >> 64) as u64)
}

/// Where the least of a full set of children is: a knockout of pairs, whose
/// four and then two comparisons do not wait on one another, as a scan's
/// would (a quarter less time per pop at 10,000 timers, which fit in the
/// cache).
fn least_of_eight(keys: &[u128; 8]) -> usize {
    let less = |a: usize, b: usize| if keys[b] < keys[a] { b } else { a };
    let (a, b) = (less(0, 1), less(2, 3));
    let (c, d) = (less(4, 5), less(6, 7));
    less(less(a, b), less(c, d))
}

/// Frees an emptied lane's buffer if it grew large: a lane keeps its
/// buffer for the next timers of its delay, but a burst of a million must
/// not hold 32 MB for as long as the loop lives (beside the heap, which
/// does keep its peak, as `std`'s did).
fn release_if_large(lane: &mut VecDeque<(u128, Entry)>) {
    const KEPT: usize = 1024;
    if lane.capacity() > KEPT {
        *lane = VecDeque::new();
    }
}

/// Where the least of the last node's fewer children is.
fn least_of(keys: &[u128]) -> usize {
    let mut least = 0;
    for (i, &key) in keys.iter().enumerate().skip(1) {
        if key < keys[least] {
            least = i;
        }
    }
    least
}

impl Timers {
    /// Files `entry` (made queued) under `when`, which is not NaN.
    pub(crate) fn push(&mut self, when: f64, entry: Entry) {
        let key = self.next_key(when);
        self.heap_push(key, Item::Timer(entry));
    }

    /// Files `entry` (made queued) under `when`, which is the loop's time
    /// now plus `delay`: in the lane of `delay` if there is one or one can
    /// be had, else as [`push`](Self::push) does.
    pub(crate) fn push_after(&mut self, when: f64, delay: f64, entry: Entry) {
        let key = self.next_key(when);
        let delay = delay.to_bits();
        let lane = self.delays.iter().position(|&d| d == delay);
        if let Some(at) = lane.or_else(|| self.free_lane(delay)) {
            let timers = &mut self.lanes[at];
            // Only a clock that went back could break the lane's order;
            // such a timer goes to the heap instead.
            if timers.back().is_none_or(|&(last, _)| last < key) {
                timers.push_back((key, entry));
                if timers.len() == 1 {
                    self.heap_push(key, Item::Lane(at));
                }
                return;
            }
        }
        self.heap_push(key, Item::Timer(entry));
    }

    fn next_key(&mut self, when: f64) -> u128 {
        self.seq += 1;
        self.len += 1;
        key(when, self.seq)
    }

    /// A lane for `delay`: a new one while there are fewer than [`LANES`],
    /// else one that is empty, given to `delay`.
    fn free_lane(&mut self, delay: u64) -> Option<usize> {
        if self.lanes.len() < LANES {
            self.delays.push(delay);
            self.lanes.push(VecDeque::new());
            return Some(self.lanes.len() - 1);
        }
        let at = self.lanes.iter().position(VecDeque::is_empty)?;
        self.delays[at] = delay;
        Some(at)
    }

    fn heap_push(&mut self, key: u128, item: Item) {
        self.keys.push(key);
        self.items.push(item);
        let mut at = self.keys.len() - 1;
        while at > 0 {
            let parent = (at - 1) / ARITY;
            if self.keys[parent] < key {
                break;
            }
            self.keys[at] = self.keys[parent];
            self.items.swap(at, parent);
            at = parent;
        }
        self.keys[at] = key;
    }

    /// The earliest timer.
    fn first(&self) -> Option<&Entry> {
        match self.items.first()? {
            Item::Timer(entry) => Some(entry),
            &Item::Lane(at) => self.lanes[at].front().map(|(_, entry)| entry),
        }
    }

    /// The earliest deadline of a live timer, dropping the cancelled ones
    /// on top; `None` if there is none, or only at `+inf`, which never
    /// comes.
    pub(crate) fn next_deadline(&mut self) -> Option<f64> {
        while self.first().is_some_and(Entry::is_cancelled) {
            self.pop();
        }
        self.keys
            .first()
            .map(|&key| deadline(key))
            .filter(|when| when.is_finite() || *when < 0.0)
    }

    /// Takes every timer due by `end`, earliest first, giving the live
    /// ones to `due`.
    pub(crate) fn take_due(&mut self, end: f64, mut due: impl FnMut(Entry)) {
        while self.keys.first().is_some_and(|&key| deadline(key) <= end) {
            if let Some(entry) = self.pop() {
                if !entry.is_cancelled() {
                    due(entry);
                }
            }
        }
    }

    fn pop(&mut self) -> Option<Entry> {
        let entry = match self.items.first()? {
            Item::Timer(_) => match self.heap_pop() {
                Some(Item::Timer(entry)) => entry,
                _ => unreachable!("the heap's first item was a timer"),
            },
            &Item::Lane(at) => {
                let timers = &mut self.lanes[at];
                let Some((_, entry)) = timers.pop_front() else {
                    unreachable!("a lane in the heap holds timers")
                };
                if let Some(&(next, _)) = timers.front() {
                    self.keys[0] = next;
                    self.sift_down(0);
                } else {
                    release_if_large(timers);
                    self.heap_pop();
                }
                entry
            }
        };
        self.len -= 1;
        entry.set_in_heap(false);
        if entry.is_cancelled() {
            self.cancelled = self.cancelled.saturating_sub(1);
        }
        Some(entry)
    }

    /// Takes the heap's first item out.
    fn heap_pop(&mut self) -> Option<Item> {
        let last_key = self.keys.pop()?;
        let mut top = self.items.pop()?;
        if !self.keys.is_empty() {
            self.keys[0] = last_key;
            top = std::mem::replace(&mut self.items[0], top);
            self.sift_down(0);
        }
        Some(top)
    }

    /// Moves the item at `at` down until its children's keys are all above
    /// its own.
    fn sift_down(&mut self, mut at: usize) {
        let key = self.keys[at];
        let len = self.keys.len();
        loop {
            let first = ARITY * at + 1;
            if first >= len {
                break;
            }
            let children = &self.keys[first..len.min(first + ARITY)];
            let least = match <&[u128; ARITY]>::try_from(children) {
                Ok(all) => least_of_eight(all),
                Err(_) => least_of(children),
            };
            let least_key = children[least];
            if key < least_key {
                break;
            }
            self.keys[at] = least_key;
            self.items.swap(at, first + least);
            at = first + least;
        }
        self.keys[at] = key;
    }

    /// A queued timer was cancelled. Once cancelled timers are more than
    /// half the queue (and more than a hundred), it is rebuilt without
    /// them, as CPython rebuilds its heap, so that a program that sets and
    /// cancels timeouts all day holds only the live ones.
    pub(crate) fn cancelled_one(&mut self) {
        self.cancelled += 1;
        if self.cancelled > MIN_CANCELLED_TO_PURGE && self.cancelled * 2 > self.len {
            self.purge();
        }
    }

    fn purge(&mut self) {
        let keep = |entry: &Entry| {
            let live = !entry.is_cancelled();
            entry.set_in_heap(live);
            live
        };
        let mut kept = 0;
        for at in 0..self.items.len() {
            // The lanes go back in below, under their new first timers.
            if matches!(&self.items[at], Item::Timer(entry) if keep(entry)) {
                self.keys.swap(kept, at);
                self.items.swap(kept, at);
                kept += 1;
            }
        }
        self.keys.truncate(kept);
        self.items.truncate(kept);
        self.len = kept;
        for (at, lane) in self.lanes.iter_mut().enumerate() {
            lane.retain(|(_, entry)| keep(entry));
            self.len += lane.len();
            if let Some(&(first, _)) = lane.front() {
                self.keys.push(first);
                self.items.push(Item::Lane(at));
            } else {
                release_if_large(lane);
            }
        }
        self.cancelled = 0;
        // Floyd's heap construction: every node that has a child, last
        // first.
        for at in (0..self.keys.len().div_ceil(ARITY)).rev() {
            self.sift_down(at);
        }
    }

    /// Empties the queue, giving back its entries for the caller to drop
    /// once it has let go of the queue.
    pub(crate) fn take_all(&mut self) -> Vec<Entry> {
        self.keys = Vec::new();
        let mut entries: Vec<Entry> = std::mem::take(&mut self.items)
            .into_iter()
            .filter_map(|item| match item {
                Item::Timer(entry) => Some(entry),
                Item::Lane(_) => None,
            })
            .collect();
        self.delays.clear();
        for lane in std::mem::take(&mut self.lanes) {
            entries.extend(lane.into_iter().map(|(_, entry)| entry));
        }
        for entry in &entries {
            entry.set_in_heap(false);
        }
        self.len = 0;
        self.cancelled = 0;
        entries
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[cfg(test)]
    pub(crate) fn cancelled(&self) -> usize {
        self.cancelled
    }
}

#[cfg(test)]
mod tests {
    use super::{Entry, MIN_CANCELLED_TO_PURGE, Timers, from_ordered_bits, ordered_bits};
    use crate::asyncio::handle::{Handle, HandleInner};
    use proptest::prelude::*;
    use std::{
        cmp::Ordering,
        collections::{BTreeSet, HashMap},
        rc::{Rc, Weak},
    };

    /// A timer's handle on no loop: cancelling it tells nobody, so the
    /// tests tell the queue themselves, as the loop does.
    fn timer(when: f64) -> Rc<HandleInner> {
        HandleInner::new_timer(Box::new(|| {}), when, Weak::new())
    }

    /// A deadline ordered as the queue must order it, for the model.
    #[derive(Clone, Copy, Debug)]
    struct When(f64);

    impl PartialEq for When {
        fn eq(&self, other: &Self) -> bool {
            self.cmp(other) == Ordering::Equal
        }
    }
    impl Eq for When {}
    impl PartialOrd for When {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for When {
        fn cmp(&self, other: &Self) -> Ordering {
            self.0.total_cmp(&other.0)
        }
    }

    /// The queue as a sorted set, beside every handle ever pushed, and the
    /// time that timers set with a delay count from.
    #[derive(Default)]
    struct Model {
        queued: BTreeSet<(When, usize)>,
        handles: Vec<Rc<HandleInner>>,
        ids: HashMap<*const HandleInner, usize>,
        cancelled: usize,
        now: f64,
    }

    impl Model {
        /// A timer at `when`, or `delay` from now.
        fn push(&mut self, timers: &mut Timers, when: f64, delay: Option<f64>) {
            let when = delay.map_or(when, |delay| self.now + delay);
            let handle = timer(when);
            let id = self.handles.len();
            self.ids.insert(Rc::as_ptr(&handle), id);
            self.handles.push(handle.clone());
            match delay {
                Some(delay) => timers.push_after(when, delay, Entry::Handle(handle)),
                None => timers.push(when, Entry::Handle(handle)),
            }
            // Ids grow with each push: they are the scheduling order.
            self.queued.insert((When(when), id));
        }

        fn cancel(&mut self, timers: &mut Timers, id: usize) {
            let handle = &self.handles[id];
            if handle.is_cancelled() {
                return;
            }
            Handle(handle.clone()).cancel();
            let when = When(handle.when.unwrap_or(f64::NAN));
            if self.queued.contains(&(when, id)) {
                timers.cancelled_one();
                self.cancelled += 1;
                if self.cancelled > MIN_CANCELLED_TO_PURGE && self.cancelled * 2 > self.queued.len()
                {
                    let handles = &self.handles;
                    self.queued.retain(|&(_, id)| !handles[id].is_cancelled());
                    self.cancelled = 0;
                }
            }
        }

        fn pop(&mut self) -> Option<(When, usize)> {
            let first = self.queued.pop_first()?;
            if self.handles[first.1].is_cancelled() {
                self.cancelled -= 1;
            }
            Some(first)
        }

        fn take_due(&mut self, end: f64) -> Vec<usize> {
            let mut due = Vec::new();
            while self.queued.first().is_some_and(|(when, _)| when.0 <= end) {
                if let Some((_, id)) = self.pop() {
                    if !self.handles[id].is_cancelled() {
                        due.push(id);
                    }
                }
            }
            due
        }

        fn next_deadline(&mut self) -> Option<f64> {
            while let Some(&(_, id)) = self.queued.first() {
                if !self.handles[id].is_cancelled() {
                    break;
                }
                self.pop();
            }
            let (when, _) = self.queued.first()?;
            (when.0 != f64::INFINITY).then_some(when.0)
        }

        fn id(&self, entry: &Entry) -> usize {
            match entry {
                Entry::Handle(handle) => self.ids[&Rc::as_ptr(handle)],
                Entry::Alarm(_) => unreachable!("the model pushes handles only"),
            }
        }

        /// The queue holds what the model holds, and each handle says it
        /// is in the heap exactly while it is.
        fn check(&self, timers: &Timers) -> Result<(), TestCaseError> {
            prop_assert_eq!(timers.len(), self.queued.len());
            prop_assert_eq!(timers.cancelled(), self.cancelled);
            for (id, handle) in self.handles.iter().enumerate() {
                let when = When(handle.when.unwrap_or(f64::NAN));
                prop_assert_eq!(
                    handle.is_in_heap(),
                    self.queued.contains(&(when, id)),
                    "timer {}",
                    id
                );
            }
            Ok(())
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        Push(f64),
        /// Many timers over three deadlines from a first one: ties.
        PushMany(f64, usize),
        /// A timer set a delay from now, as `call_later` and `sleep` set
        /// them.
        PushAfter(f64),
        /// Many timers set from now, taking turns over two delays: lanes.
        PushManyAfter(f64, f64, usize),
        /// The clock moves on; now and then back, which a lane must
        /// survive though the loop's clocks never do it.
        Advance(f64),
        /// A timer ever pushed, by its number (modulo their count).
        Cancel(usize),
        /// Every `step`th timer ever pushed: enough, often, for a purge.
        CancelEvery(usize),
        TakeDue(f64),
        NextDeadline,
    }

    /// Few distinct deadlines, so that ties are common, and the edges:
    /// both infinities and both zeros.
    fn deadline() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => (-4..8_i32).prop_map(|half| f64::from(half) / 2.0),
            1 => prop::sample::select(vec![
                f64::NEG_INFINITY,
                -0.0,
                0.0,
                f64::INFINITY,
                f64::MIN_POSITIVE,
                1e300,
            ]),
        ]
    }

    /// More delays than there are lanes, so that lanes are opened, left
    /// empty and given to other delays, with both infinities among them.
    fn delay() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => (0..24_i32).prop_map(|half| f64::from(half) / 2.0),
            1 => prop::sample::select(vec![f64::NEG_INFINITY, -1.0, f64::INFINITY]),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => deadline().prop_map(Op::Push),
            1 => (deadline(), 1..150_usize).prop_map(|(when, n)| Op::PushMany(when, n)),
            6 => delay().prop_map(Op::PushAfter),
            2 => (delay(), delay(), 1..150_usize)
                .prop_map(|(a, b, n)| Op::PushManyAfter(a, b, n)),
            2 => prop_oneof![4 => 0.0..3.0_f64, 1 => -1.0..0.0_f64].prop_map(Op::Advance),
            4 => any::<usize>().prop_map(Op::Cancel),
            1 => (1..4_usize).prop_map(Op::CancelEvery),
            2 => deadline().prop_map(Op::TakeDue),
            1 => Just(Op::NextDeadline),
        ]
    }

    fn check_against_model(ops: &[Op]) -> Result<(), TestCaseError> {
        let mut timers = Timers::default();
        let mut model = Model::default();
        for op in ops {
            match *op {
                Op::Push(when) => model.push(&mut timers, when, None),
                Op::PushMany(first, n) => {
                    for i in 0..n {
                        #[allow(clippy::cast_precision_loss)]
                        model.push(&mut timers, first + (i % 3) as f64, None);
                    }
                }
                Op::PushAfter(delay) => model.push(&mut timers, 0.0, Some(delay)),
                Op::PushManyAfter(a, b, n) => {
                    for i in 0..n {
                        let delay = if i % 2 == 0 { a } else { b };
                        model.push(&mut timers, 0.0, Some(delay));
                    }
                }
                Op::Advance(by) => model.now += by,
                Op::Cancel(n) if !model.handles.is_empty() => {
                    model.cancel(&mut timers, n % model.handles.len());
                }
                Op::Cancel(_) => {}
                Op::CancelEvery(step) => {
                    for id in (0..model.handles.len()).step_by(step) {
                        model.cancel(&mut timers, id);
                    }
                }
                Op::TakeDue(end) => {
                    let mut due = Vec::new();
                    timers.take_due(end, |entry| due.push(model.id(&entry)));
                    prop_assert_eq!(due, model.take_due(end), "due by {}", end);
                }
                Op::NextDeadline => {
                    let got = timers.next_deadline().map(f64::to_bits);
                    prop_assert_eq!(got, model.next_deadline().map(f64::to_bits));
                }
            }
            model.check(&timers)?;
        }
        let mut left: Vec<usize> = timers.take_all().iter().map(|e| model.id(e)).collect();
        left.sort_unstable();
        let mut expected: Vec<usize> = model.queued.iter().map(|&(_, id)| id).collect();
        expected.sort_unstable();
        prop_assert_eq!(left, expected);
        prop_assert_eq!(timers.len(), 0);
        prop_assert_eq!(timers.cancelled(), 0);
        for handle in &model.handles {
            prop_assert!(!handle.is_in_heap());
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn the_queue_gives_what_a_sorted_set_gives_for_any_pushes_cancels_and_takes(
            ops in prop::collection::vec(op(), 0..200),
        ) {
            check_against_model(&ops)?;
        }

        #[test]
        fn deadline_keys_sort_as_total_cmp_and_give_the_deadline_back(
            a in prop_oneof![any::<f64>(), deadline()],
            b in prop_oneof![any::<f64>(), deadline()],
        ) {
            prop_assume!(!a.is_nan() && !b.is_nan());
            prop_assert_eq!(ordered_bits(a).cmp(&ordered_bits(b)), a.total_cmp(&b));
            prop_assert_eq!(from_ordered_bits(ordered_bits(a)).to_bits(), a.to_bits());
        }
    }

    #[test]
    fn timers_at_one_deadline_come_out_in_the_order_they_were_pushed() {
        let mut timers = Timers::default();
        let handles: Vec<_> = (0..50).map(|_| timer(1.0)).collect();
        timers.push(2.0, Entry::Handle(timer(2.0)));
        for handle in &handles {
            timers.push(1.0, Entry::Handle(handle.clone()));
        }
        timers.push(0.5, Entry::Handle(timer(0.5)));
        let mut due = Vec::new();
        timers.take_due(1.5, |entry| {
            if let Entry::Handle(handle) = entry {
                due.push(handle);
            }
        });
        assert_eq!(due.len(), 51);
        assert_eq!(due[0].when, Some(0.5));
        assert!(due[1..].iter().zip(&handles).all(|(a, b)| Rc::ptr_eq(a, b)));
        assert_eq!(timers.next_deadline(), Some(2.0));
    }

    #[test]
    fn timers_of_one_delay_queue_in_a_lane_and_leave_the_heap_small() {
        let mut timers = Timers::default();
        for i in 0..5000 {
            let when = f64::from(i) / 100.0 + 1.0;
            timers.push_after(when, 1.0, Entry::Handle(timer(when)));
        }
        // One lane, which the heap holds once whatever its length.
        assert_eq!((timers.len(), timers.keys.len()), (5000, 1));
        let mut due = Vec::new();
        timers.take_due(f64::MAX, |entry| {
            if let Entry::Handle(handle) = entry {
                due.push(handle.when);
            }
        });
        assert_eq!(due.len(), 5000);
        assert!(due.is_sorted());
        assert_eq!((timers.len(), timers.keys.len()), (0, 0));
        // Emptied, the lane let go of its large buffer.
        assert_eq!(timers.lanes[0].capacity(), 0);
    }

    #[test]
    fn a_timer_at_plus_infinity_is_no_deadline_and_one_at_minus_infinity_is_due_at_once() {
        let mut timers = Timers::default();
        timers.push(f64::INFINITY, Entry::Handle(timer(f64::INFINITY)));
        assert_eq!(timers.next_deadline(), None);
        timers.push(f64::NEG_INFINITY, Entry::Handle(timer(f64::NEG_INFINITY)));
        assert_eq!(timers.next_deadline(), Some(f64::NEG_INFINITY));
        let mut due = 0;
        timers.take_due(-1e300, |_| due += 1);
        assert_eq!((due, timers.len()), (1, 1));
    }
}
