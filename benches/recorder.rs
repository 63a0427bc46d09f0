//! What recording costs a task step (docs/scheduler.md, "Recording the
//! loop"): the task-switch workload of `benches/scheduler.rs` (100 tasks
//! each giving up its turn 1000 times) on a loop that does not record and
//! on one that does, and a sleeping workload (each step waits on a
//! labelled future and a timer) both ways.
//!
//! `cargo bench --bench recorder` times them. For instruction counts, which
//! are repeatable on a noisy machine, run one workload alone under
//! callgrind: `valgrind --tool=callgrind target/release/deps/recorder-HASH
//! --driver off` (or `on`); the figures are in docs/scheduler.md.

use divan::{Bencher, black_box};
use std::{cell::Cell, rc::Rc};
use yieldfrom::asyncio::{ClockKind, EventLoop, Suspend, coroutine, sleep};

/// Task count and turns per task, as `switch_1_yieldfrom_loop/100`.
const TASKS: usize = 100;
const TURNS: usize = 1000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--driver") {
        Some(i) => {
            let recording = args.get(i + 1).is_some_and(|mode| mode == "on");
            black_box(switches(recording));
        }
        None => divan::main(),
    }
}

/// Runs the switching workload; how many events were recorded.
fn switches(recording: bool) -> usize {
    let lp = EventLoop::new(ClockKind::Virtual);
    if recording {
        lp.start_recording();
    }
    let done = Rc::new(Cell::new(0));
    for _ in 0..TASKS {
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
    assert_eq!(done.get(), TASKS);
    lp.take_record().events.len()
}

/// 100 tasks sleeping 100 times each: a step waits on a future, a timer
/// fires, a callback wakes the task.
fn sleeps(recording: bool) -> usize {
    let lp = EventLoop::new(ClockKind::Virtual);
    if recording {
        lp.start_recording();
    }
    for _ in 0..TASKS {
        lp.create_task(coroutine("sleeper", |co| async move {
            for _ in 0..100 {
                co.yield_from(sleep(0.01)).await?;
            }
            Ok(())
        }))
        .unwrap();
    }
    let running = lp.all_tasks();
    lp.run_until_done(&lp.all_done(&running)).unwrap();
    lp.take_record().events.len()
}

#[divan::bench(name = "switch_1_not_recording", sample_count = 10, sample_size = 1)]
fn switch_off(bencher: Bencher) {
    bencher
        .counter(TASKS * TURNS)
        .bench_local(|| black_box(switches(false)));
}

#[divan::bench(name = "switch_2_recording", sample_count = 10, sample_size = 1)]
fn switch_on(bencher: Bencher) {
    bencher
        .counter(TASKS * TURNS)
        .bench_local(|| black_box(switches(true)));
}

#[divan::bench(name = "sleep_1_not_recording", sample_count = 10, sample_size = 1)]
fn sleep_off(bencher: Bencher) {
    bencher
        .counter(TASKS * 100)
        .bench_local(|| black_box(sleeps(false)));
}

#[divan::bench(name = "sleep_2_recording", sample_count = 10, sample_size = 1)]
fn sleep_on(bencher: Bencher) {
    bencher
        .counter(TASKS * 100)
        .bench_local(|| black_box(sleeps(true)));
}
