//! A `yield from` chain of any depth is built, resumed, returned through,
//! thrown into, closed and dropped without recursing once per level, so it
//! never overflows the stack.
//!
//! The ten-thousand-deep tests run in the ordinary debug `cargo test`; the
//! million-deep ones are ignored there and run by `.ci/run` in release
//! (`cargo test --release -- --ignored`). All run on the default stack of a
//! test thread.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};
use yieldfrom::{AnyError, GenState, Generator, Step};

const DEEP: usize = 10_000;
const VERY_DEEP: usize = 1_000_000;

type Level = Generator<u64, u64, u64>;

/// What every level of a chain did, by level (0 is the innermost).
#[derive(Clone)]
struct Record {
    entered: Rc<Cell<usize>>,
    cleanups: Rc<RefCell<Vec<u32>>>,
}

impl Record {
    fn new(depth: usize) -> Self {
        Self {
            entered: Rc::default(),
            cleanups: Rc::new(RefCell::new(vec![0; depth])),
        }
    }

    /// Counts a level's body starting, and its cleanup when dropped.
    fn enter(&self, level: usize) -> Cleanup {
        self.entered.set(self.entered.get() + 1);
        Cleanup(self.clone(), level)
    }

    fn entered(&self) -> usize {
        self.entered.get()
    }

    /// How many levels cleaned up exactly once, and whether any cleaned
    /// up more than once.
    fn cleaned_once(&self) -> (usize, bool) {
        let counts = self.cleanups.borrow();
        let once = counts.iter().filter(|&&n| n == 1).count();
        (once, counts.iter().any(|&n| n > 1))
    }
}

/// A level's `finally`.
struct Cleanup(Record, usize);

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.0.cleanups.borrow_mut()[self.1] += 1;
    }
}

/// The innermost level: adds up the values sent to it, yielding the
/// running total, and returns the total at the first `next()`.
fn leaf(record: &Record) -> Level {
    let record = record.clone();
    Generator::new("leaf", move |co| async move {
        let _cleanup = record.enter(0);
        let mut total = 0;
        while let Some(n) = co.yield_(total).await? {
            total += n;
        }
        Ok(total)
    })
}

/// A level that delegates to `sub` and returns one more than it does.
fn level(record: &Record, index: usize, sub: Level) -> Level {
    let record = record.clone();
    Generator::new("level", move |co| async move {
        let _cleanup = record.enter(index);
        let r = co.yield_from(sub).await?;
        Ok(r + 1)
    })
}

/// A chain `depth` generators deep, built innermost first in a loop: each
/// level's body holds its delegate from the start.
fn chain(depth: usize, record: &Record) -> Level {
    let mut g = leaf(record);
    for index in 1..depth {
        g = level(record, index, g);
    }
    g
}

/// A chain `depth` deep whose levels make their delegates as they start.
fn lazy_chain(depth: usize, record: &Record) -> Level {
    if depth == 1 {
        return leaf(record);
    }
    let record = record.clone();
    Generator::new("lazy", move |co| async move {
        let _cleanup = record.enter(depth - 1);
        let r = co.yield_from(lazy_chain(depth - 1, &record)).await?;
        Ok(r + 1)
    })
}

fn sends_values_through_and_returns_through_every_level(g: &Level, depth: usize, record: &Record) {
    assert_eq!(g.next().unwrap(), Step::Yielded(0));
    assert_eq!(record.entered(), depth);
    assert_eq!(g.delegation_chain().len(), depth);
    assert_eq!(g.send(5).unwrap(), Step::Yielded(5));
    assert_eq!(g.send(6).unwrap(), Step::Yielded(11));
    assert_eq!(g.send(7).unwrap(), Step::Yielded(18));

    let levels_above_the_leaf = u64::try_from(depth - 1).unwrap();
    assert_eq!(
        g.next().unwrap(),
        Step::Returned(18 + levels_above_the_leaf)
    );
    assert_eq!(record.cleaned_once(), (depth, false));
    assert_eq!(g.delegation_chain().len(), 1);
}

fn closes_every_level_once(depth: usize) {
    let record = Record::new(depth);
    let g = chain(depth, &record);
    g.next().unwrap();
    g.send(1).unwrap();

    assert_eq!(g.close().unwrap(), None);
    assert_eq!(record.cleaned_once(), (depth, false));
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(g.delegation_chain().len(), 1);
    drop(g);
    assert_eq!(record.cleaned_once(), (depth, false));
}

fn carries_a_thrown_error_up_every_level(depth: usize) {
    let record = Record::new(depth);
    let g = chain(depth, &record);
    g.next().unwrap();

    let err = g.throw(AnyError::msg("deep")).unwrap_err();
    assert_eq!(err.to_string(), "deep");
    assert_eq!(record.cleaned_once(), (depth, false));
    assert_eq!(g.state(), GenState::Closed);
}

fn drops_while_suspended_running_each_cleanup_once(depth: usize) {
    let record = Record::new(depth);
    let g = chain(depth, &record);
    g.next().unwrap();
    assert_eq!(record.cleaned_once(), (0, false));

    drop(g);
    assert_eq!(record.cleaned_once(), (depth, false));
}

fn drops_before_starting_running_nothing(depth: usize) {
    let record = Record::new(depth);
    let g = chain(depth, &record);

    drop(g);
    assert_eq!(record.entered(), 0);
    assert_eq!(record.cleaned_once(), (0, false));
}

#[test]
fn a_ten_thousand_deep_chain_forwards_sends_and_returns_through_every_level() {
    let record = Record::new(DEEP);
    let g = chain(DEEP, &record);
    sends_values_through_and_returns_through_every_level(&g, DEEP, &record);
}

#[test]
fn a_ten_thousand_deep_chain_whose_levels_make_their_delegates_as_they_start_runs_through() {
    let record = Record::new(DEEP);
    let g = lazy_chain(DEEP, &record);
    sends_values_through_and_returns_through_every_level(&g, DEEP, &record);
}

#[test]
fn a_ten_thousand_deep_chain_is_closed_with_each_levels_cleanup_run_once() {
    closes_every_level_once(DEEP);
}

#[test]
fn an_error_thrown_into_a_ten_thousand_deep_chain_climbs_every_level() {
    carries_a_thrown_error_up_every_level(DEEP);
}

#[test]
fn a_ten_thousand_deep_chain_dropped_while_suspended_runs_each_cleanup_once() {
    drops_while_suspended_running_each_cleanup_once(DEEP);
}

#[test]
fn a_ten_thousand_deep_chain_dropped_before_it_started_runs_nothing() {
    drops_before_starting_running_nothing(DEEP);
}

#[test]
#[ignore = "slow in debug: run by .ci/run in release"]
fn a_million_deep_chain_forwards_sends_and_returns_through_every_level() {
    let record = Record::new(VERY_DEEP);
    let g = chain(VERY_DEEP, &record);
    sends_values_through_and_returns_through_every_level(&g, VERY_DEEP, &record);
}

#[test]
#[ignore = "slow in debug: run by .ci/run in release"]
fn a_million_deep_chain_whose_levels_make_their_delegates_as_they_start_runs_through() {
    let record = Record::new(VERY_DEEP);
    let g = lazy_chain(VERY_DEEP, &record);
    sends_values_through_and_returns_through_every_level(&g, VERY_DEEP, &record);
}

#[test]
#[ignore = "slow in debug: run by .ci/run in release"]
fn a_million_deep_chain_is_closed_with_each_levels_cleanup_run_once() {
    closes_every_level_once(VERY_DEEP);
}

#[test]
#[ignore = "slow in debug: run by .ci/run in release"]
fn an_error_thrown_into_a_million_deep_chain_climbs_every_level() {
    carries_a_thrown_error_up_every_level(VERY_DEEP);
}

#[test]
#[ignore = "slow in debug: run by .ci/run in release"]
fn a_million_deep_chain_dropped_while_suspended_runs_each_cleanup_once() {
    drops_while_suspended_running_each_cleanup_once(VERY_DEEP);
}

#[test]
#[ignore = "slow in debug: run by .ci/run in release"]
fn a_million_deep_chain_dropped_before_it_started_runs_nothing() {
    drops_before_starting_running_nothing(VERY_DEEP);
}
