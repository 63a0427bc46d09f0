//! The event loop beside its references, in the same run.
//!
//! Run with `cargo bench --bench scheduler`; CPython's side is
//! `benches/python/scheduler.py`.
//! - Task switching: 10, 100 and 1000 tasks each giving up control 1000
//!   times, against tokio's current-thread runtime with `yield_now` and
//!   `futures::executor::LocalPool`. Issue 5's target, at 1000 tasks: no
//!   slower per switch than tokio's current-thread runtime.
//! - Timers: 10,000, 100,000 and 1,000,000 timers scheduled and fired on
//!   the virtual clock, against a bare `BinaryHeap` doing the same. Target,
//!   at 1,000,000: at most 2x. Twice: deadlines spread over 1000 s, nearly
//!   each firing in a loop iteration of its own, and ten deadlines (1.0 s
//!   to 1.9 s, as `benches/tasks.rs` sleeps), a tenth of the timers firing
//!   in each of ten iterations: the timer queue alone under the program of
//!   issue 12. Both again with `call_later` (rows 5 and 6), whose timers
//!   queue in lanes by delay: ten delays fill ten lanes, and delays spread
//!   over 1000 s (nearly all distinct) show what looking for a lane costs.

use divan::{Bencher, black_box};
use futures::{executor::LocalPool, task::LocalSpawnExt};
use std::{
    cell::Cell,
    cmp::Reverse,
    collections::BinaryHeap,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
};
use yieldfrom::asyncio::{ClockKind, EventLoop, Suspend, coroutine};

fn main() {
    divan::main();
}

/// How many times each task gives up its turn.
const TURNS: usize = 1000;

/// Task counts for the switching benches.
const TASKS: [usize; 3] = [10, 100, 1000];

/// Timer counts for the timer benches.
const TIMERS: [usize; 3] = [10_000, 100_000, 1_000_000];

#[divan::bench(
    name = "switch_1_yieldfrom_loop",
    args = TASKS,
    sample_count = 10,
    sample_size = 1
)]
fn switch_ours(bencher: Bencher, tasks: usize) {
    bencher.counter(tasks * TURNS).bench_local(|| {
        let lp = EventLoop::new(ClockKind::Virtual);
        let done = Rc::new(Cell::new(0));
        for _ in 0..tasks {
            let done = done.clone();
            lp.create_task(coroutine("switcher", move |co| async move {
                for _ in 0..TURNS {
                    co.yield_(Suspend::NOW).await?;
                }
                done.set(done.get() + 1);
                Ok(())
            }))
            .unwrap();
        }
        let running = lp.all_tasks();
        lp.run_until_done(&lp.all_done(&running)).unwrap();
        assert_eq!(done.get(), tasks);
        black_box(done.get());
    });
}

/// Returns `Pending` once, waking itself: a task's turn given up.
struct YieldNow(bool);

impl std::future::Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[divan::bench(
    name = "switch_2_tokio_current_thread",
    args = TASKS,
    sample_count = 10,
    sample_size = 1
)]
fn switch_tokio(bencher: Bencher, tasks: usize) {
    bencher.counter(tasks * TURNS).bench_local(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async {
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    tokio::task::spawn_local(async {
                        for _ in 0..TURNS {
                            tokio::task::yield_now().await;
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
    });
}

#[divan::bench(
    name = "switch_3_futures_local_pool",
    args = TASKS,
    sample_count = 10,
    sample_size = 1
)]
fn switch_local_pool(bencher: Bencher, tasks: usize) {
    bencher.counter(tasks * TURNS).bench_local(|| {
        let mut pool = LocalPool::new();
        let spawner = pool.spawner();
        for _ in 0..tasks {
            spawner
                .spawn_local(async {
                    for _ in 0..TURNS {
                        YieldNow(false).await;
                    }
                })
                .unwrap();
        }
        pool.run();
    });
}

/// `count` deadlines spread over 1000 seconds, the same for every
/// contender (and for `benches/python/scheduler.py`, which draws them with
/// the same xorshift).
fn deadlines(count: usize) -> Vec<f64> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            #[allow(clippy::cast_precision_loss)]
            let fraction = (x % 1_000_000) as f64 / 1000.0;
            fraction
        })
        .collect()
}

/// `count` deadlines cycling through 1.0 s to 1.9 s, as the sleeps of
/// `benches/tasks.rs`.
fn ten_deadlines(count: usize) -> Vec<f64> {
    #[allow(clippy::cast_precision_loss)]
    (0..count).map(|i| 1.0 + (i % 10) as f64 / 10.0).collect()
}

/// Schedules a timer at each of `when` with `call_at` and runs the loop
/// until they have all fired.
fn fire_on_loop(when: &[f64]) {
    fire_on_loop_with(when, false);
}

/// [`fire_on_loop`], or with `call_later` if `later`: at loop time 0,
/// each deadline is also the delay, and timers set with a delay queue in
/// the lane of their delay (`src/asyncio/timers.rs`).
fn fire_on_loop_with(when: &[f64], later: bool) {
    let lp = EventLoop::new(ClockKind::Virtual);
    let fired = Rc::new(Cell::new(0usize));
    for &w in when {
        let fired = fired.clone();
        let callback = move || fired.set(fired.get() + 1);
        if later {
            lp.call_later(w, callback).unwrap();
        } else {
            lp.call_at(w, callback).unwrap();
        }
    }
    let stopper = lp.clone();
    lp.call_at(2000.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(fired.get(), when.len());
}

/// The same with a bare `BinaryHeap` of (deadline, sequence, callback).
fn fire_from_binary_heap(when: &[f64]) {
    let fired = Rc::new(Cell::new(0usize));
    let mut heap = BinaryHeap::new();
    for (seq, &w) in when.iter().enumerate() {
        let fired = fired.clone();
        let callback: Box<dyn FnOnce()> = Box::new(move || fired.set(fired.get() + 1));
        heap.push(Reverse((OrderedF64(w), seq, Slot(callback))));
    }
    while let Some(Reverse((_, _, Slot(callback)))) = heap.pop() {
        callback();
    }
    assert_eq!(fired.get(), when.len());
}

#[divan::bench(
    name = "timers_1_yieldfrom_virtual_clock",
    args = TIMERS,
    sample_count = 5,
    sample_size = 1
)]
fn timers_ours(bencher: Bencher, timers: usize) {
    let when = deadlines(timers);
    bencher.counter(timers).bench_local(|| fire_on_loop(&when));
}

#[divan::bench(
    name = "timers_2_bare_binary_heap",
    args = TIMERS,
    sample_count = 5,
    sample_size = 1
)]
fn timers_heap(bencher: Bencher, timers: usize) {
    let when = deadlines(timers);
    bencher
        .counter(timers)
        .bench_local(|| fire_from_binary_heap(&when));
}

#[divan::bench(
    name = "timers_3_yieldfrom_ten_deadlines",
    args = TIMERS,
    sample_count = 5,
    sample_size = 1
)]
fn timers_ten_ours(bencher: Bencher, timers: usize) {
    let when = ten_deadlines(timers);
    bencher.counter(timers).bench_local(|| fire_on_loop(&when));
}

#[divan::bench(
    name = "timers_4_bare_binary_heap_ten_deadlines",
    args = TIMERS,
    sample_count = 5,
    sample_size = 1
)]
fn timers_ten_heap(bencher: Bencher, timers: usize) {
    let when = ten_deadlines(timers);
    bencher
        .counter(timers)
        .bench_local(|| fire_from_binary_heap(&when));
}

#[divan::bench(
    name = "timers_5_yieldfrom_call_later_ten_delays",
    args = TIMERS,
    sample_count = 5,
    sample_size = 1
)]
fn timers_ten_later(bencher: Bencher, timers: usize) {
    let when = ten_deadlines(timers);
    bencher
        .counter(timers)
        .bench_local(|| fire_on_loop_with(&when, true));
}

#[divan::bench(
    name = "timers_6_yieldfrom_call_later_spread_delays",
    args = TIMERS,
    sample_count = 5,
    sample_size = 1
)]
fn timers_spread_later(bencher: Bencher, timers: usize) {
    let when = deadlines(timers);
    bencher
        .counter(timers)
        .bench_local(|| fire_on_loop_with(&when, true));
}

#[derive(PartialEq)]
struct OrderedF64(f64);
impl Eq for OrderedF64 {}
impl PartialOrd for OrderedF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrderedF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A callback that takes no part in the ordering.
struct Slot(Box<dyn FnOnce()>);
impl PartialEq for Slot {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Slot {}
impl PartialOrd for Slot {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Slot {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}
