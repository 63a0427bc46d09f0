//! A `yield from` chain of any depth is built, resumed, returned through,
//! thrown into, closed and dropped without recursing once per level, so it
//! never overflows the stack; so is a chain of suspended generators each
//! held (not delegated to) by the next one's body, and one that a
//! panicking destructor interrupts.
//!
//! The ten-thousand-deep tests run in the ordinary debug `cargo test` (a
//! chain of held generators overflowed a test thread's stack from about a
//! thousand levels before it was finalised iteratively); the million-deep
//! ones are ignored there and run by `.ci/run` in release
//! (`cargo test --release -- --ignored`). All run on the default stack of a
//! test thread.

mod trace;

use std::{
    cell::{Cell, RefCell},
    panic::{AssertUnwindSafe, catch_unwind},
    rc::Rc,
    sync::{Arc, Mutex, PoisonError},
};
use trace::{Tally, panic_text, unraisable_during};
use yieldfrom::{AnyError, Co, GenState, Generator, GeneratorExit, Step, UnraisableContext};

const DEEP: usize = 10_000;
const VERY_DEEP: usize = 1_000_000;

type Level = Generator<u64, u64, u64>;

/// What every level of a chain did, by level (0 is the innermost).
#[derive(Clone)]
struct Record {
    entered: Rc<Cell<usize>>,
    cleanups: Rc<RefCell<Vec<u32>>>,
    /// The levels that received `GeneratorExit`, in the order they did.
    exits: Rc<RefCell<Vec<usize>>>,
}

impl Record {
    fn new(depth: usize) -> Self {
        Self {
            entered: Rc::default(),
            cleanups: Rc::new(RefCell::new(vec![0; depth])),
            exits: Rc::default(),
        }
    }

    fn exited(&self, level: usize) {
        self.exits.borrow_mut().push(level);
    }

    /// Whether exactly the levels from `depth - 1` (the outermost) down to
    /// 0 received `GeneratorExit`, once each, in that order.
    fn exited_outermost_first(&self, depth: usize) -> bool {
        self.exits.borrow().iter().copied().eq((0..depth).rev())
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

/// A level whose body holds `held` (a suspended generator, or nothing) in
/// a local and is suspended at a yield; it logs `GeneratorExit` when it
/// gets it, as a Python `finally` would print:
///
/// ```python
/// def holder(index, held):
///     try:
///         yield 0
///     finally:
///         log(index)
/// ```
fn holder(record: &Record, index: usize, held: Option<Level>) -> Level {
    let record = record.clone();
    Generator::new("holder", move |co: Co<u64, u64>| async move {
        let _held = held;
        let _cleanup = record.enter(index);
        match co.yield_(0).await {
            Err(e) => {
                if e.is::<GeneratorExit>() {
                    record.exited(index);
                }
                Err(e)
            }
            Ok(_) => Ok(0),
        }
    })
}

/// A chain of `depth` suspended generators, each held by the next one's
/// body; built and started innermost first, in a loop.
fn held_chain(depth: usize, record: &Record) -> Level {
    let mut held = None;
    for index in 0..depth {
        let g = holder(record, index, held.take());
        assert_eq!(g.next().unwrap(), Step::Yielded(0));
        held = Some(g);
    }
    held.unwrap()
}

/// CPython runs the outermost generator's `finally` first: closing it
/// clears its frame, which lets go of the generator it held, and so on in.
fn drops_a_held_chain_closing_each_level_once_outermost_first(depth: usize) {
    let record = Record::new(depth);
    let g = held_chain(depth, &record);
    assert_eq!(record.entered(), depth);

    drop(g);
    assert_eq!(record.cleaned_once(), (depth, false));
    assert!(record.exited_outermost_first(depth));
}

/// A thread-safe level: as `holder`, recording into a shared log.
type SyncLevel = yieldfrom::sync::Generator<u64, u64, u64>;

fn sync_held_chain(depth: usize, exits: &Arc<Mutex<Vec<usize>>>) -> SyncLevel {
    let mut held: Option<SyncLevel> = None;
    for index in 0..depth {
        let (exits, held_here) = (Arc::clone(exits), held.take());
        let g = SyncLevel::new(
            "sync_holder",
            move |co: yieldfrom::sync::Co<u64, u64>| async move {
                let _held = held_here;
                match co.yield_(0).await {
                    Err(e) => {
                        if e.is::<GeneratorExit>() {
                            exits
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .push(index);
                        }
                        Err(e)
                    }
                    Ok(_) => Ok(0),
                }
            },
        );
        g.next().unwrap();
        held = Some(g);
    }
    held.unwrap()
}

fn drops_a_thread_safe_held_chain_closing_each_level_once_outermost_first(depth: usize) {
    let exits = Arc::new(Mutex::new(Vec::new()));
    drop(sync_held_chain(depth, &exits));
    let exits = exits.lock().unwrap_or_else(PoisonError::into_inner);
    assert!(exits.iter().copied().eq((0..depth).rev()));
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
fn a_ten_thousand_deep_chain_of_generators_held_in_bodies_is_closed_outermost_first_on_drop() {
    drops_a_held_chain_closing_each_level_once_outermost_first(DEEP);
}

#[test]
fn a_ten_thousand_deep_chain_of_thread_safe_generators_held_in_bodies_is_closed_on_drop() {
    drops_a_thread_safe_held_chain_closing_each_level_once_outermost_first(DEEP);
}

/// Panics when dropped.
struct Bomb(&'static str);

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// A chain of `depth` generators that never started, each capturing the
/// next and a `Tally`; the links `bombs` name (counted from the
/// outermost, 0) capture a `Bomb` too.
fn unstarted_chain_with_bombs(
    depth: usize,
    bombs: &[(usize, &'static str)],
    tally: &Rc<Cell<usize>>,
) -> Generator<u8> {
    let mut g: Generator<u8> = Generator::new("leaf", |_co| async move { Ok(()) });
    for index in 1..depth {
        let from_outermost = depth - 1 - index;
        let bomb = bombs
            .iter()
            .find(|(at, _)| *at == from_outermost)
            .map(|(_, text)| Bomb(text));
        let (inner, tally) = (g, Tally(Rc::clone(tally)));
        g = Generator::new("link", move |_co| async move {
            let _keep = (inner, tally, bomb);
            Ok(())
        });
    }
    g
}

#[test]
fn a_destructor_that_panics_deep_in_a_chain_strands_nothing_and_its_panic_reaches_the_drop() {
    let tally = Rc::new(Cell::new(0));
    let g = unstarted_chain_with_bombs(DEEP, &[(DEEP / 2, "deep destructor")], &tally);
    let panicked = catch_unwind(AssertUnwindSafe(|| drop(g))).unwrap_err();
    assert_eq!(panic_text(&*panicked), "deep destructor");
    assert_eq!(tally.get(), DEEP - 1, "every link was dropped");
}

#[test]
fn a_second_destructor_that_panics_in_the_same_drop_goes_to_the_unraisable_hook() {
    let tally = Rc::new(Cell::new(0));
    let (panicked, reports) = unraisable_during(|| {
        let bombs = [(1000, "first destructor"), (5000, "second destructor")];
        let g = unstarted_chain_with_bombs(DEEP, &bombs, &tally);
        catch_unwind(AssertUnwindSafe(|| drop(g))).unwrap_err()
    });
    assert_eq!(panic_text(&*panicked), "first destructor");
    assert_eq!(tally.get(), DEEP - 1);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].generator, "link");
    assert_eq!(reports[0].context, UnraisableContext::DropPanicked);
    assert_eq!(reports[0].message, "second destructor");
}

#[test]
fn a_body_that_panics_while_closing_deep_in_a_held_chain_is_reported_and_the_rest_are_closed() {
    let record = Record::new(DEEP);
    let ((), reports) = unraisable_during(|| {
        let mut held = Some(held_chain(DEEP / 2, &record));
        let g: Level = Generator::new("panicky_holder", move |co| async move {
            let _held = held.take();
            co.yield_(0).await.ok();
            panic!("closing went wrong");
        });
        g.next().unwrap();
        let g = (0..DEEP / 2).fold(g, |inner, _| {
            let mut held = Some(inner);
            let outer: Level = Generator::new("plain_holder", move |co| async move {
                let _held = held.take();
                co.yield_(0).await?;
                Ok(0)
            });
            outer.next().unwrap();
            outer
        });
        drop(g);
    });
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].generator, "panicky_holder");
    assert_eq!(reports[0].context, UnraisableContext::FinalizerPanicked);
    assert_eq!(record.cleaned_once(), (DEEP / 2, false));
    assert!(record.exited_outermost_first(DEEP / 2));
}

#[test]
#[ignore = "slow in debug: run by .ci/run in release"]
fn a_million_deep_chain_of_generators_held_in_bodies_is_closed_outermost_first_on_drop() {
    drops_a_held_chain_closing_each_level_once_outermost_first(VERY_DEEP);
}

#[test]
#[ignore = "slow in debug: run by .ci/run in release"]
fn a_million_deep_chain_of_thread_safe_generators_held_in_bodies_is_closed_on_drop() {
    drops_a_thread_safe_held_chain_closing_each_level_once_outermost_first(VERY_DEEP);
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
