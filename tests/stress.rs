//! The loop at the sizes real programs reach: each run completes, and the
//! memory it held comes back, measured with a counting allocator. Sized
//! for release builds: `.ci/run` runs `cargo test --release --test stress`;
//! in a debug build each test runs at a hundredth of the size.

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::{
    alloc::System,
    cell::RefCell,
    rc::Rc,
    sync::{Mutex, PoisonError},
};
use yieldfrom::{
    AnyError,
    asyncio::{
        ClockKind, Coroutine, EventLoop, Future, LoopReport, Task, coroutine, gather, run_with,
        sleep,
    },
};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The counters are process-wide, so measurements take turns.
static MEASURING: Mutex<()> = Mutex::new(());

/// What the test harness's own threads may allocate meanwhile: far below
/// what any of these runs would hold if it leaked (a kilobyte per task).
const SLACK: usize = 64 * 1024;

/// `n` in release, `n / 100` in debug.
fn size(n: usize) -> usize {
    if cfg!(debug_assertions) { n / 100 } else { n }
}

/// Heap bytes still held after `run` that were not held before it (0 if
/// it gave back more than it took).
fn held_after(run: impl FnOnce()) -> usize {
    let region = Region::new(GLOBAL);
    run();
    let change = region.change();
    change
        .bytes_allocated
        .saturating_sub(change.bytes_deallocated)
}

fn sleeper(delay: f64) -> Coroutine<()> {
    coroutine("sleeper", move |co| async move {
        co.yield_from(sleep(delay)).await
    })
}

#[test]
fn a_hundred_thousand_concurrent_tasks_sleep_finish_and_leave_nothing_held() {
    let _turn = MEASURING.lock().unwrap_or_else(PoisonError::into_inner);
    let n = size(100_000);
    let held = held_after(|| {
        let finished = run_with(
            ClockKind::Virtual,
            coroutine("main", move |co| async move {
                let lp = EventLoop::running()?;
                let tasks: Vec<Task<()>> = (0..u32::try_from(n)?)
                    .map(|i| lp.create_task(sleeper(1.0 + f64::from(i % 10) / 10.0)))
                    .collect::<Result<_, _>>()?;
                drop(lp);
                for task in &tasks {
                    task.future().wait_in(&co).await?;
                }
                Ok(tasks.len())
            }),
        );
        assert_eq!(finished.unwrap(), n);
    });
    assert!(held < SLACK, "{held} bytes still held");
}

#[test]
fn a_million_cancelled_timers_behind_a_live_one_keep_memory_flat() {
    let _turn = MEASURING.lock().unwrap_or_else(PoisonError::into_inner);
    let n = size(1_000_000);
    let lp = EventLoop::new(ClockKind::Virtual);
    let live = lp.call_later(1.0, || {}).unwrap();
    let region = Region::new(GLOBAL);
    let mut most = 0;
    for i in 0..n {
        let payload = vec![0_u8; 64];
        lp.call_later(2.0, move || drop(payload)).unwrap().cancel();
        if i % 1000 == 0 {
            let change = region.change();
            most = most.max(
                change
                    .bytes_allocated
                    .saturating_sub(change.bytes_deallocated),
            );
        }
    }
    assert!(!live.cancelled());
    // Leaking, a million would hold about 120 MB.
    assert!(most < 200_000, "held up to {most} bytes");
}

#[test]
fn closing_a_loop_with_many_pending_tasks_of_every_kind_frees_them_all() {
    let _turn = MEASURING.lock().unwrap_or_else(PoisonError::into_inner);
    let n = size(30_000);
    let reports = Rc::new(RefCell::new(0_usize));
    let counted = reports.clone();
    let held = held_after(move || {
        let lp = EventLoop::new(ClockKind::Virtual);
        lp.set_reporter(move |r| {
            if matches!(r, LoopReport::TaskDestroyedPending { .. }) {
                *counted.borrow_mut() += 1;
            }
        });
        let never: Future<()> = lp.create_future();
        for _ in 0..n {
            lp.create_task(sleeper(60.0)).unwrap();
            let never = never.clone();
            lp.create_task(coroutine("forgotten", move |co| async move {
                never.wait_in(&co).await
            }))
            .unwrap();
        }
        let stopper = lp.clone();
        lp.call_later(1.0, move || stopper.stop()).unwrap();
        lp.run_forever().unwrap();
        for _ in 0..n {
            lp.create_task(sleeper(1.0)).unwrap();
        }
        drop(never);
        lp.close().unwrap();
    });
    assert_eq!(*reports.borrow(), 3 * n);
    assert!(held < SLACK, "{held} bytes still held");
}

#[test]
fn a_loop_dropped_with_many_pending_tasks_frees_them_all() {
    let _turn = MEASURING.lock().unwrap_or_else(PoisonError::into_inner);
    let n = size(50_000);
    let held = held_after(move || {
        let lp = EventLoop::new(ClockKind::Virtual);
        lp.set_reporter(|_| {});
        for _ in 0..n {
            lp.create_task(sleeper(60.0)).unwrap();
        }
        lp.stop();
        lp.run_forever().unwrap();
        drop(lp);
    });
    assert!(held < SLACK, "{held} bytes still held");
}

/// `depth` gathers, each of the one below it, over a task that sleeps
/// `delay`; each level is a task awaiting its gather, so that every level
/// has the same type.
fn nested_gathers(lp: &EventLoop, depth: usize, delay: f64) -> Result<Future<()>, AnyError> {
    let mut level = lp.create_task(sleeper(delay))?.future().clone();
    for _ in 0..depth {
        let below = gather(vec![level])?;
        level = lp
            .create_task(coroutine("level", move |co| async move {
                below.wait_in(&co).await.map(drop)
            }))?
            .future()
            .clone();
    }
    Ok(level)
}

#[test]
fn gathers_a_hundred_thousand_wide_or_deep_complete_and_cancel() {
    let _turn = MEASURING.lock().unwrap_or_else(PoisonError::into_inner);
    let n = size(100_000);
    let (wide, deep, cancelled) = run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let children: Vec<Coroutine<()>> = (0..n).map(|_| sleeper(1.0)).collect();
            let wide = gather(children)?.wait_in(&co).await?.len();
            let lp = EventLoop::running()?;
            let deep = nested_gathers(&lp, n, 1.0)?;
            deep.wait_in(&co).await?;
            let doomed = nested_gathers(&lp, n, 60.0)?;
            drop(lp);
            co.yield_from(sleep(1.0)).await?;
            doomed.cancel();
            let cancelled = doomed.wait_in(&co).await.is_err();
            Ok((wide, deep.done(), cancelled))
        }),
    )
    .unwrap();
    assert_eq!((wide, deep, cancelled), (n, true, true));
}

#[test]
fn a_chain_of_a_hundred_thousand_tasks_each_awaiting_the_next_completes_and_cancels() {
    let _turn = MEASURING.lock().unwrap_or_else(PoisonError::into_inner);
    let n = size(100_000);
    let (result, cancelled) = run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let chain = |lp: &EventLoop, leaf_delay: f64| -> Result<Task<u64>, _> {
                let mut next = lp.create_task(coroutine("leaf", move |co| async move {
                    co.yield_from(sleep(leaf_delay)).await?;
                    Ok(1_u64)
                }))?;
                for _ in 1..n {
                    let inner = next;
                    next = lp.create_task(coroutine("link", move |co| async move {
                        Ok(inner.future().wait_in(&co).await? + 1)
                    }))?;
                }
                Ok::<_, AnyError>(next)
            };
            let top = chain(&lp, 1.0)?;
            let result = top.future().wait_in(&co).await?;
            let top = chain(&lp, 60.0)?;
            drop(lp);
            co.yield_from(sleep(1.0)).await?;
            top.cancel();
            let cancelled = top.future().wait_in(&co).await.is_err();
            Ok((result, cancelled))
        }),
    )
    .unwrap();
    assert_eq!(result, n as u64);
    assert!(cancelled);
}

#[test]
fn a_flood_of_threadsafe_calls_after_close_is_refused_and_nothing_is_kept() {
    let _turn = MEASURING.lock().unwrap_or_else(PoisonError::into_inner);
    let n = size(200_000);
    let lp = EventLoop::new(ClockKind::Virtual);
    let remote = lp.remote();
    lp.close().unwrap();
    let held = held_after(move || {
        let flood = std::thread::spawn(move || {
            let mut refused = 0;
            for _ in 0..n {
                let payload = vec![0_u8; 1024];
                if let Err(closed) = remote.call_soon_threadsafe(move |_| drop(payload)) {
                    refused += 1;
                    drop(closed.0);
                }
            }
            refused
        });
        assert_eq!(flood.join().unwrap(), n);
    });
    assert!(held < SLACK, "{held} bytes still held");
}
