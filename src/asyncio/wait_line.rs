//! The lines tasks wait in, first-in, first-out: the waiters of asyncio's
//! `Lock`, `Semaphore`, `Condition`, `Event` and `Queue`, and the two ways
//! of waiting in one (a coroutine's body, or a hand-written delegate).

use super::{CoroutineCo, EventLoop, Suspend, turn::Turn};
use crate::AnyError;
use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    rc::Rc,
};

/// A line of waiters that tasks wait on, first-in, first-out: the
/// `collections.deque` of waiter futures in asyncio's `Lock`, `Semaphore`,
/// `Condition`, `Event` and `Queue`, each a [turn](Turn) here.
///
/// What the line holds is what CPython's deque would hold: a waiter is in
/// it from [`join`](Self::join) until it [`leave`](Self::leave)s or is
/// taken by [`pop_first`](Self::pop_first), and only those are seen.
/// Leaving costs O(1) amortised, however long the line, so that 100,000
/// waiters come and go in linear time: a waiter leaving from the front is
/// popped (waiters woken in order leave from there), one leaving from the
/// middle (cancelled) is only marked (its waiter's `in_line` flag) and
/// skipped, and the line is compacted when such entries are more than half
/// of it, so its memory stays within twice the waiters in it.
pub(crate) struct WaitLine {
    entries: RefCell<VecDeque<Rc<Turn>>>,
    /// Entries whose waiter has left the line.
    gone: Cell<usize>,
}

/// Below this many left-behind entries the line is not compacted: a short
/// line costs less to skip than to rebuild.
const COMPACT_AFTER: usize = 32;

impl Default for WaitLine {
    fn default() -> Self {
        Self {
            entries: RefCell::new(VecDeque::new()),
            gone: Cell::new(0),
        }
    }
}

impl WaitLine {
    /// Adds `waiter` at the back.
    pub(crate) fn join(&self, waiter: Rc<Turn>) {
        waiter.in_line().set(true);
        self.entries.borrow_mut().push_back(waiter);
    }

    /// Takes `waiter` out of the line, if it is still in it.
    pub(crate) fn leave(&self, waiter: &Rc<Turn>) {
        if !waiter.in_line().replace(false) {
            return;
        }
        let at_front = self
            .entries
            .borrow()
            .front()
            .is_some_and(|first| Rc::ptr_eq(first, waiter));
        if at_front {
            self.entries.borrow_mut().pop_front();
            self.drop_gone_front();
            return;
        }
        let gone = self.gone.get() + 1;
        self.gone.set(gone);
        let mut entries = self.entries.borrow_mut();
        if gone > COMPACT_AFTER && gone * 2 > entries.len() {
            entries.retain(|w| w.in_line().get());
            self.gone.set(0);
        }
    }

    /// Pops the entries at the front whose waiters have left.
    #[inline]
    fn drop_gone_front(&self) {
        if self.gone.get() != 0 {
            self.drop_gone_entries();
        }
    }

    #[cold]
    fn drop_gone_entries(&self) {
        let mut entries = self.entries.borrow_mut();
        while entries.front().is_some_and(|w| !w.in_line().get()) {
            entries.pop_front();
            self.gone.set(self.gone.get() - 1);
        }
    }

    /// The first waiter in line.
    pub(crate) fn first(&self) -> Option<Rc<Turn>> {
        self.drop_gone_front();
        self.entries.borrow().front().cloned()
    }

    /// Takes the first waiter out of the line (Python's `popleft()`).
    // Measured: left to the compiler, it stopped being inlined into a
    // queue's `wakeup_next` when `Turn::outcome` grew; 20 instructions more
    // a round trip (callgrind).
    #[inline]
    pub(crate) fn pop_first(&self) -> Option<Rc<Turn>> {
        self.drop_gone_front();
        let first = self.entries.borrow_mut().pop_front()?;
        first.in_line().set(false);
        self.drop_gone_front();
        Some(first)
    }

    /// The first waiter in line for which `pred` holds, front to back.
    pub(crate) fn find(&self, mut pred: impl FnMut(&Turn) -> bool) -> Option<Rc<Turn>> {
        self.entries
            .borrow()
            .iter()
            .find(|w| w.in_line().get() && pred(w))
            .cloned()
    }

    /// Runs `f` on each waiter in line, front to back, until it returns
    /// `false`. `f` must not join or leave this line.
    pub(crate) fn each_while(&self, mut f: impl FnMut(&Turn) -> bool) {
        for waiter in self.entries.borrow().iter() {
            if waiter.in_line().get() && !f(waiter) {
                return;
            }
        }
    }

    /// How many waiters are in line.
    pub(crate) fn len(&self) -> usize {
        self.entries.borrow().len() - self.gone.get()
    }
}

/// Queues a new turn of the running loop in `line`, waits on it in the
/// body of `co`, and takes it out of the line again however the wait
/// ended: the waiting part of asyncio's `Condition.wait`. Gives back the
/// outcome of the wait.
///
/// # Errors
///
/// `RuntimeError` if no loop runs; nothing is queued then.
pub(crate) async fn wait_in_line(
    co: &CoroutineCo,
    line: &WaitLine,
    label: &'static str,
) -> Result<Result<(), AnyError>, AnyError> {
    let mut wait = LineWait::new();
    let suspend = wait.join(line, label)?;
    if let Err(e) = co.yield_(suspend).await {
        wait.leave(line);
        return Ok(Err(e));
    }
    Ok(wait.outcome(line))
}

/// A wait in a line, as a hand-written delegate's state: a turn that joins
/// a line and is yielded to the task, and leaves the line however its wait
/// ends.
pub(crate) struct LineWait(Option<Rc<Turn>>);

impl LineWait {
    pub(crate) const fn new() -> Self {
        Self(None)
    }

    /// Whether a waiter is in line.
    pub(crate) fn waiting(&self) -> bool {
        self.0.is_some()
    }

    /// Queues a new turn of the running loop, labelled `label`, in `line`;
    /// what to yield to the task to wait on it.
    ///
    /// # Errors
    ///
    /// `RuntimeError` if no loop runs; nothing is queued then.
    pub(crate) fn join(
        &mut self,
        line: &WaitLine,
        label: &'static str,
    ) -> Result<Suspend, AnyError> {
        let waiter = Turn::new(&EventLoop::running()?, label);
        line.join(waiter.clone());
        let suspend = Suspend(Some(waiter.clone()));
        self.0 = Some(waiter);
        Ok(suspend)
    }

    /// The outcome of the wait once the task is resumed (as awaiting
    /// CPython's waiter future gives it), out of the line again.
    pub(crate) fn outcome(&mut self, line: &WaitLine) -> Result<(), AnyError> {
        let Some(waiter) = self.0.take() else {
            unreachable!("resumed only after joining")
        };
        let outcome = waiter.outcome();
        line.leave(&waiter);
        outcome
    }

    /// The waiter in line, if any.
    pub(crate) fn waiter(&self) -> Option<&Turn> {
        self.0.as_deref()
    }

    /// Leaves the line after an error was thrown in, or on `close`.
    pub(crate) fn leave(&mut self, line: &WaitLine) {
        if let Some(waiter) = self.0.take() {
            line.leave(&waiter);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{COMPACT_AFTER, Turn, WaitLine};
    use crate::asyncio::{ClockKind, EventLoop};
    use std::rc::Rc;

    fn line_of(lp: &EventLoop, n: usize) -> (WaitLine, Vec<Rc<Turn>>) {
        let line = WaitLine::default();
        let waiters: Vec<Rc<Turn>> = (0..n).map(|_| Turn::new(lp, "test")).collect();
        for w in &waiters {
            line.join(w.clone());
        }
        (line, waiters)
    }

    #[test]
    fn waiters_leaving_from_the_middle_leave_at_most_as_many_entries_again_behind() {
        let lp = EventLoop::new(ClockKind::Virtual);
        let (line, waiters) = line_of(&lp, 10_000);
        // The first stays; all others leave, from the back.
        for (left, w) in waiters.iter().skip(1).rev().enumerate() {
            line.leave(w);
            let stored = line.entries.borrow().len();
            assert!(
                stored <= 2 * line.len() + COMPACT_AFTER,
                "{stored} entries stored for {} waiters after {} left",
                line.len(),
                left + 1
            );
        }
        assert_eq!(line.len(), 1);
        assert!(line.first().is_some_and(|f| Rc::ptr_eq(&f, &waiters[0])));
    }

    #[test]
    fn a_line_sees_only_the_waiters_still_in_it_in_the_order_they_joined() {
        let lp = EventLoop::new(ClockKind::Virtual);
        let (line, waiters) = line_of(&lp, 100);
        for w in waiters.iter().skip(1).step_by(2) {
            line.leave(w);
        }
        line.leave(&waiters[0]);
        line.leave(&waiters[0]);
        let mut seen = Vec::new();
        line.each_while(|w| {
            seen.push(
                waiters
                    .iter()
                    .position(|x| Rc::as_ptr(x) == std::ptr::from_ref(w))
                    .unwrap(),
            );
            true
        });
        assert_eq!(seen, (2..100).step_by(2).collect::<Vec<_>>());
        assert_eq!(line.len(), 49);
        let popped = line.pop_first().unwrap();
        assert!(Rc::ptr_eq(&popped, &waiters[2]));
        line.leave(&popped);
        assert_eq!(line.len(), 48);
        assert!(line.first().is_some_and(|f| Rc::ptr_eq(&f, &waiters[4])));
    }

    #[test]
    fn waiters_leaving_in_turn_from_the_front_leave_nothing_behind() {
        let lp = EventLoop::new(ClockKind::Virtual);
        let (line, waiters) = line_of(&lp, 1000);
        for w in &waiters {
            line.leave(w);
        }
        assert_eq!(line.entries.borrow().len(), 0);
        assert_eq!(line.len(), 0);
    }
}
