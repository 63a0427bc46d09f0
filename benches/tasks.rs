//! Many concurrent tasks, each sleeping on the virtual clock, all awaited:
//! ours beside tokio's `spawn_local` on a current-thread runtime with
//! paused time, in the same run.
//!
//! Run with `cargo bench --bench tasks`; CPython's side is
//! `benches/python/tasks.py`. One operation is one task: made, started,
//! asleep until its deadline, woken, finished and awaited by the main
//! coroutine, which awaits the tasks in the order it made them (the
//! program of issue 12: "tasks that each sleep and are then awaited").
//! Each sleeps 1.0 s to 1.9 s, ten distinct deadlines.
//!
//! Sizes: 1,000, 10,000 and 100,000 tasks; 1,000,000 as well when
//! `YIELDFROM_BENCH_MILLION=1` is set (`benches/compare.py` sets it
//! unless `--quick`). Issue 12's targets: per task, 1,000,000 at most 1.5x
//! 1,000, and 100,000 at most 0.2x CPython.

use divan::{Bencher, black_box};
use std::time::Duration;
use yieldfrom::asyncio::{ClockKind, EventLoop, coroutine, run_with, sleep};

fn main() {
    divan::main();
}

/// The task counts: 1,000,000 only on request, as one sample of it takes
/// seconds and a gigabyte or so.
fn counts() -> Vec<usize> {
    let mut counts = vec![1_000, 10_000, 100_000];
    if std::env::var_os("YIELDFROM_BENCH_MILLION").is_some_and(|v| v == "1") {
        counts.push(1_000_000);
    }
    counts
}

/// Task `i`'s sleep, in tenths of a second: 10 to 19.
fn tenths(i: usize) -> u64 {
    10 + (i % 10) as u64
}

#[divan::bench(
    name = "sleepers_1_yieldfrom_virtual_clock",
    args = counts(),
    sample_count = 5,
    sample_size = 1
)]
fn sleepers_ours(bencher: Bencher, tasks: usize) {
    bencher.counter(tasks).bench_local(|| {
        let total = run_with(
            ClockKind::Virtual,
            coroutine("main", move |co| async move {
                let lp = EventLoop::running()?;
                let mut sleepers = Vec::with_capacity(tasks);
                for i in 0..tasks {
                    #[allow(clippy::cast_precision_loss)]
                    let delay = tenths(i) as f64 / 10.0;
                    sleepers.push(lp.create_task(coroutine("sleeper", move |co| async move {
                        co.yield_from(sleep(delay)).await?;
                        Ok(i)
                    }))?);
                }
                let mut total = 0;
                for sleeper in &sleepers {
                    total += sleeper.future().wait_in(&co).await?;
                }
                Ok(total)
            }),
        )
        .unwrap();
        assert_eq!(total, tasks * (tasks - 1) / 2);
        black_box(total);
    });
}

#[divan::bench(
    name = "sleepers_2_tokio_spawn_local_paused_time",
    args = counts(),
    sample_count = 5,
    sample_size = 1
)]
fn sleepers_tokio(bencher: Bencher, tasks: usize) {
    bencher.counter(tasks).bench_local(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        let total = local.block_on(&rt, async move {
            let sleepers: Vec<_> = (0..tasks)
                .map(|i| {
                    tokio::task::spawn_local(async move {
                        tokio::time::sleep(Duration::from_millis(100 * tenths(i))).await;
                        i
                    })
                })
                .collect();
            let mut total = 0;
            for sleeper in sleepers {
                total += sleeper.await.unwrap();
            }
            total
        });
        assert_eq!(total, tasks * (tasks - 1) / 2);
        black_box(total);
    });
}
