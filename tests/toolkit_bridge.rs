//! The bridge between a loop and the rest of a Rust program works as
//! asyncio's thread-safe half does: `call_soon_threadsafe` from another
//! thread wakes an idle loop at once (not at its next timer) and runs the
//! calls in the order they were made; `wrap_future` runs a Rust future on
//! the loop and completes a loop future with its output, whichever thread
//! wakes it; `run_in_executor` runs jobs on a pool and hands back their
//! results, a panic becoming the job's error while the loop goes on; and
//! async Rust on the loop can await a `Task`.
//!
//! These run on the real clock, with real threads; there is no Python
//! counterpart to compare with, so each states what asyncio guarantees.
//! Time limits are generous: a failure means a wake-up was missed, not
//! that the machine was slow.

mod transcript;

use std::{
    sync::{Arc, Mutex, PoisonError},
    thread,
    time::{Duration, Instant},
};
use transcript::{describe, value_error};
use yieldfrom::{
    AnyError,
    asyncio::{
        CancelledError, Coroutine, EventLoop, Future, TaskPanicked, coroutine, gather, run, sleep,
    },
};

/// Far beyond any wake-up that works; well short of the fallback timers.
const PROMPT: Duration = Duration::from_secs(3);

/// How long a test may run before it is reported stuck.
const STUCK: Duration = Duration::from_secs(20);

/// Runs the coroutine `main` makes on a new real-clock loop, on a thread of
/// its own, and fails if it is not done within [`STUCK`]: a missed wake-up
/// fails the test instead of hanging it.
fn run_main<T: Clone + Send + 'static>(main: impl FnOnce() -> Coroutine<T> + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(run(main()).map_err(|e| describe(&e)));
    });
    match rx.recv_timeout(STUCK) {
        Ok(outcome) => outcome.expect("main succeeds"),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("the loop was still running after {STUCK:?}: a wake-up was missed")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            panic!("the loop's thread panicked")
        }
    }
}

#[test]
fn call_soon_threadsafe_wakes_an_idle_loop_before_its_next_timer() {
    let started = Instant::now();
    let (finished, test_over) = std::sync::mpsc::channel::<()>();
    let got = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            // The loop's only timer is far away: it would sleep until then.
            lp.call_later(30.0, || {})?;
            let reply: Future<u32> = lp.create_future();
            let fulfil = reply.clone();
            let setter = lp.local_setter(move |v: u32| {
                let _ = fulfil.set_result(v);
            });
            let remote = lp.remote();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(50));
                remote.call_soon_threadsafe(setter.with(42));
                // Keep the handle: only the call itself may wake the loop.
                let _ = test_over.recv();
                drop(remote);
            });
            co.yield_from(reply.wait()).await
        })
    });
    let _ = finished.send(());
    let elapsed = started.elapsed();
    assert_eq!(got, 42);
    assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
    assert!(elapsed < PROMPT, "woken only after {elapsed:?}");
}

#[test]
fn a_loop_with_no_timer_waits_for_a_thread_that_may_still_call_in() {
    let started = Instant::now();
    let (finished, test_over) = std::sync::mpsc::channel::<()>();
    let got = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let reply: Future<&str> = lp.create_future();
            let fulfil = reply.clone();
            let setter = lp.local_setter(move |v: &'static str| {
                let _ = fulfil.set_result(v);
            });
            let remote = lp.remote();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(50));
                remote.call_soon_threadsafe(setter.with("late but here"));
                // Keep the handle: only the call itself may wake the loop.
                let _ = test_over.recv();
                drop(remote);
            });
            co.yield_from(reply.wait()).await
        })
    });
    let _ = finished.send(());
    assert_eq!(got, "late but here");
    assert!(started.elapsed() < PROMPT, "{:?}", started.elapsed());
}

#[test]
fn calls_from_one_thread_run_on_the_loop_thread_in_the_order_they_were_made() {
    let (order, on_loop_thread) = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let loop_thread = thread::current().id();
            let seen = Arc::new(Mutex::new(Vec::new()));
            let threads = Arc::new(Mutex::new(Vec::new()));
            let all_in: Future<()> = lp.create_future();
            let fulfil = all_in.clone();
            let setter = lp.local_setter(move |()| {
                let _ = fulfil.set_result(());
            });
            let remote = lp.remote();
            let (s, t) = (seen.clone(), threads.clone());
            thread::spawn(move || {
                for i in 0..100 {
                    let (s, t) = (s.clone(), t.clone());
                    remote.call_soon_threadsafe(move |_lp| {
                        s.lock().unwrap_or_else(PoisonError::into_inner).push(i);
                        t.lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(thread::current().id());
                    });
                }
                remote.call_soon_threadsafe(setter.with(()));
            });
            co.yield_from(all_in.wait()).await?;
            let order = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let on_loop = threads
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .all(|t| *t == loop_thread);
            Ok((order, on_loop))
        })
    });
    assert_eq!(order, (0..100).collect::<Vec<_>>());
    assert!(on_loop_thread);
}

#[test]
fn wrap_future_completes_with_a_value_sent_from_another_thread() {
    let started = Instant::now();
    let got = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            lp.call_later(30.0, || {})?;
            let (tx, rx) = futures::channel::oneshot::channel::<String>();
            let reply =
                lp.wrap_future(async move { rx.await.unwrap_or_else(|_| "dropped".into()) });
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(50));
                let _ = tx.send("from a thread".to_owned());
            });
            co.yield_from(reply.wait()).await
        })
    });
    assert_eq!(got, "from a thread");
    assert!(started.elapsed() < PROMPT, "{:?}", started.elapsed());
}

#[test]
fn wrap_future_of_a_sender_dropped_on_another_thread_sees_the_cancellation() {
    let got = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let (tx, rx) = futures::channel::oneshot::channel::<String>();
            let reply =
                lp.wrap_future(async move { rx.await.unwrap_or_else(|_| "dropped".into()) });
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(20));
                drop(tx);
            });
            co.yield_from(reply.wait()).await
        })
    });
    assert_eq!(got, "dropped");
}

#[test]
fn run_in_executor_runs_jobs_off_the_loop_thread_and_hands_back_their_results() {
    let (results, off_loop) = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let loop_thread = thread::current().id();
            let jobs: Vec<Future<(u64, bool)>> = (1..=5u64)
                .map(|n| {
                    lp.run_in_executor(move || {
                        thread::sleep(Duration::from_millis(10 * (6 - n)));
                        ((1..=n).product(), thread::current().id() != loop_thread)
                    })
                })
                .collect();
            let done = co.yield_from(gather(jobs)?.wait()).await?;
            let results: Vec<u64> = done.iter().map(|(r, _)| *r).collect();
            Ok((results, done.iter().all(|(_, off)| *off)))
        })
    });
    assert_eq!(
        results,
        [1, 2, 6, 24, 120],
        "argument order, not finishing order"
    );
    assert!(off_loop);
}

#[test]
fn a_panicking_job_becomes_its_futures_task_panicked_error_and_the_loop_goes_on() {
    let (error, after) = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let failing: Future<u8> = lp.run_in_executor(|| panic!("job failed"));
            let error = match co.yield_from(failing.wait()).await {
                Err(e) => e
                    .downcast_ref::<TaskPanicked>()
                    .map_or_else(|| describe(&e), |p| p.message.clone()),
                Ok(v) => format!("unexpected {v}"),
            };
            let after = co.yield_from(lp.run_in_executor(|| 7u8).wait()).await?;
            Ok((error, after))
        })
    });
    assert_eq!(error, "job failed");
    assert_eq!(after, 7);
}

#[test]
fn more_jobs_than_pool_threads_all_complete() {
    let started = Instant::now();
    let total = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let jobs: Vec<Future<u32>> = (0..100u32)
                .map(|i| {
                    lp.run_in_executor(move || {
                        thread::sleep(Duration::from_millis(2));
                        i
                    })
                })
                .collect();
            let all = co.yield_from(gather(jobs)?.wait()).await?;
            Ok(all.iter().sum::<u32>())
        })
    });
    assert_eq!(total, (0..100).sum::<u32>());
    assert!(started.elapsed() < PROMPT, "{:?}", started.elapsed());
}

#[test]
fn the_loop_keeps_running_its_tasks_while_a_job_runs() {
    let (ticks, job_done_first) = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let job = lp.run_in_executor(|| thread::sleep(Duration::from_millis(500)));
            let mut ticks = 0u32;
            while ticks < 3 {
                co.yield_from(sleep(0.02)).await?;
                ticks += 1;
            }
            let job_done_first = job.done();
            co.yield_from(job.wait()).await?;
            Ok((ticks, job_done_first))
        })
    });
    assert_eq!(ticks, 3);
    assert!(!job_done_first, "the loop ticked while the job slept");
}

#[test]
fn async_rust_on_the_loop_can_await_tasks() {
    let got = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let seven = lp.create_task(coroutine("seven", |co| async move {
                co.yield_from(sleep(0.01)).await?;
                Ok(7)
            }))?;
            let six = lp.create_task(coroutine("six", |co| async move {
                co.yield_from(sleep(0.02)).await?;
                Ok(6)
            }))?;
            let product = lp.wrap_future(async move {
                let (a, b) = futures::future::join(seven, six).await;
                Ok::<_, AnyError>(a? * b?)
            });
            co.yield_from(product.wait()).await?
        })
    });
    assert_eq!(got, 42);
}

#[test]
fn async_rust_awaiting_a_task_gets_its_error_or_cancellation() {
    let (failed, cancelled) = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let failing = lp.create_task(coroutine::<u8, _>("failing", |co| async move {
                co.yield_from(sleep(0.01)).await?;
                Err(value_error("bad"))
            }))?;
            let sleeper = lp.create_task(coroutine::<u8, _>("sleeper", |co| async move {
                co.yield_from(sleep(30.0)).await?;
                Ok(0)
            }))?;
            let to_cancel = sleeper.clone();
            lp.call_later(0.01, move || {
                to_cancel.cancel();
            })?;
            let outcomes = lp.wrap_future(async move {
                let failed = failing.await.map_err(|e| describe(&e));
                let cancelled = sleeper
                    .await
                    .map_err(|e| (e.is::<CancelledError>(), describe(&e)));
                (failed, cancelled)
            });
            co.yield_from(outcomes.wait()).await
        })
    });
    assert_eq!(failed, Err("ValueError(bad)".to_owned()));
    assert_eq!(cancelled, Err((true, "CancelledError()".to_owned())));
}
