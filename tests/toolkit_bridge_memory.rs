//! The bridge keeps nothing it no longer needs, however much is thrown at
//! it: calls refused by a closed or dropped loop, calls still queued when
//! it closes, setters dropped unused (on the loop's thread or another), and
//! a pending task polled over and over from async Rust.
//!
//! Measured with a counting allocator (`stats_alloc`): the heap bytes still
//! held after the work, which must stay under a small bound. Before these
//! were fixed, the same work held (debug build): 214 MB for the 200,000
//! refused calls of 1 KiB, 52 MB for the 1,000,000 setters, 4.7 MB for the
//! 100,000 polls.

mod trace;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::{
    alloc::System,
    future::Future as _,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    task::{Context, Wake, Waker},
    thread,
};
use trace::{run_one_iteration, virtual_loop};
use yieldfrom::asyncio::{LocalSetter, coroutine, sleep};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The counters are process-wide, so tests take turns.
static MEASURING: Mutex<()> = Mutex::new(());

fn turn() -> MutexGuard<'static, ()> {
    MEASURING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Far below any of the leaks above; room for a queue's or map's spare
/// capacity.
const BOUND: isize = 64 * 1024;

/// Heap bytes held at the end of `work` that were not held at its start.
/// The whole test takes its turn, so that a failing test's report is not
/// counted in another's measurement.
fn held_by(work: impl FnOnce()) -> isize {
    let region = Region::new(GLOBAL);
    work();
    let change = region.change();
    let held = isize::try_from(change.bytes_allocated).unwrap()
        - isize::try_from(change.bytes_deallocated).unwrap();
    println!("{held} bytes held");
    held
}

/// Sends 200,000 calls of 1 KiB each; returns how many were refused.
fn flood(remote: &yieldfrom::asyncio::LoopRemote) -> usize {
    (0..200_000)
        .filter(|_| {
            let kilobyte = vec![0u8; 1024];
            remote
                .call_soon_threadsafe(move |_| drop(kilobyte))
                .is_err()
        })
        .count()
}

#[test]
fn two_hundred_thousand_calls_refused_by_a_closed_or_dropped_loop_hold_no_memory() {
    let _turn = turn();
    for end in ["closed", "dropped"] {
        let lp = virtual_loop();
        let remote = lp.remote();
        let closed = if end == "closed" {
            lp.close().unwrap();
            Some(lp)
        } else {
            drop(lp);
            None
        };
        let mut refused = 0;
        let held = held_by(|| refused = flood(&remote));
        assert_eq!(refused, 200_000, "loop {end}");
        assert!(held < BOUND, "loop {end}: {held} bytes held");
        drop(closed);
    }
}

#[test]
fn calls_still_queued_when_the_loop_closes_are_freed_with_the_close() {
    let _turn = turn();
    let lp = virtual_loop();
    let remote = lp.remote();
    let mut refused = usize::MAX;
    let held = held_by(|| {
        refused = flood(&remote);
        lp.close().unwrap();
    });
    assert_eq!(refused, 0);
    assert!(held < BOUND, "{held} bytes held");
}

#[test]
fn a_million_setters_made_and_dropped_unused_on_the_loop_thread_hold_no_memory_even_before_the_loop_runs()
 {
    let _turn = turn();
    let lp = virtual_loop();
    let held = held_by(|| {
        for n in 0..1_000_000u64 {
            drop(lp.local_setter(move |v: u64| assert_eq!(v, n)));
        }
    });
    assert!(held < BOUND, "{held} bytes held");
}

#[test]
fn setters_dropped_unused_on_another_thread_are_freed_by_the_loops_next_iteration() {
    let _turn = turn();
    let lp = virtual_loop();
    let held = held_by(|| {
        let setters: Vec<LocalSetter<u64>> = (0..100_000u64)
            .map(|n| lp.local_setter(move |v: u64| assert_eq!(v, n)))
            .collect();
        thread::spawn(move || drop(setters)).join().unwrap();
        run_one_iteration(&lp);
    });
    assert!(held < BOUND, "{held} bytes held");
}

/// Does nothing when woken; a real `Arc` waker, as executors make them.
struct Idle;

impl Wake for Idle {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn a_pending_task_polled_a_hundred_thousand_times_from_async_rust_holds_one_waker() {
    let _turn = turn();
    let lp = virtual_loop();
    let mut task = lp
        .create_task(coroutine("sleeper", |co| async move {
            co.yield_from(sleep(1.0)).await
        }))
        .unwrap();
    let waker = Waker::from(Arc::new(Idle));
    let mut cx = Context::from_waker(&waker);
    let held = held_by(|| {
        for _ in 0..100_000 {
            assert!(Pin::new(&mut task).poll(&mut cx).is_pending());
        }
    });
    assert!(held < BOUND, "{held} bytes held");
}
