//! The bridge between a loop and the rest of a Rust program works as
//! asyncio's thread-safe half does: `call_soon_threadsafe` from another
//! thread wakes an idle loop at once (not at its next timer) and runs the
//! calls in the order they were made; `wrap_future` runs a Rust future on
//! the loop and completes a loop future with its output, whichever thread
//! wakes it; `run_in_executor` runs jobs on a pool and hands back their
//! results, a panic becoming the job's error while the loop goes on; and
//! async Rust on the loop can await a `Task`.
//!
//! Once the loop is closed or dropped, the bridge is shut as CPython's is:
//! `call_soon_threadsafe` is refused with "Event loop is closed" and hands
//! the call back, and nothing sent or registered is kept. A panic in a Rust
//! future becomes its loop future's `TaskPanicked`; a setter dropped unused
//! takes its callback with it; a task awaited from async Rust wakes each
//! waker awaiting it once, however often it was polled.
//!
//! These run on the real clock, with real threads; where CPython has a
//! counterpart (a closed loop's `RuntimeError`) its message is checked,
//! otherwise each test states what asyncio guarantees.
//! Time limits are generous: a failure means a wake-up was missed, not
//! that the machine was slow.

mod trace;
mod transcript;

use std::{
    cell::Cell,
    future::Future as _,
    pin::Pin,
    rc::Rc,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicUsize, Ordering},
        mpsc,
    },
    task::{Context, Poll, Wake, Waker},
    thread,
    time::{Duration, Instant},
};
use trace::{Log, run_one_iteration, virtual_loop};
use transcript::{describe, value_error};
use yieldfrom::{
    AnyError,
    asyncio::{
        CancelledError, Coroutine, EventLoop, Future, RuntimeError, Task, TaskPanicked, coroutine,
        gather, run, sleep,
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
                remote
                    .call_soon_threadsafe(setter.with(42))
                    .expect("the loop waits for the reply");
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
                remote
                    .call_soon_threadsafe(setter.with("late but here"))
                    .expect("the loop waits for the reply");
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
                    remote
                        .call_soon_threadsafe(move |_lp| {
                            s.lock().unwrap_or_else(PoisonError::into_inner).push(i);
                            t.lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .push(thread::current().id());
                        })
                        .expect("the loop waits for the calls");
                }
                remote
                    .call_soon_threadsafe(setter.with(()))
                    .expect("the loop waits for the calls");
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
                .collect::<Result<_, _>>()?;
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
            let failing: Future<u8> = lp.run_in_executor(|| panic!("job failed"))?;
            let error = match co.yield_from(failing.wait()).await {
                Err(e) => e
                    .downcast_ref::<TaskPanicked>()
                    .map_or_else(|| describe(&e), |p| p.message.clone()),
                Ok(v) => format!("unexpected {v}"),
            };
            let after = co.yield_from(lp.run_in_executor(|| 7u8)?.wait()).await?;
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
                .collect::<Result<_, _>>()?;
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
            let job = lp.run_in_executor(|| thread::sleep(Duration::from_millis(500)))?;
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

#[test]
fn async_rust_on_the_loop_awaits_a_future_as_it_awaits_a_task() {
    let (sum, failed, cancelled) = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let (a, b): (Future<u32>, Future<u32>) = (lp.create_future(), lp.create_future());
            let (failing, to_cancel): (Future<u32>, Future<u32>) =
                (lp.create_future(), lp.create_future());
            let (set_a, set_b, fail, cancel) =
                (a.clone(), b.clone(), failing.clone(), to_cancel.clone());
            lp.call_later(0.01, move || {
                drop(set_a.set_result(40));
                drop(fail.set_exception(value_error("bad")));
            })?;
            lp.call_later(0.02, move || {
                drop(set_b.set_result(2));
                cancel.cancel();
            })?;
            let outcomes = lp.wrap_future(async move {
                let (a, b) = futures::future::join(a, b).await;
                let sum = a.and_then(|a| Ok(a + b?)).map_err(|e| describe(&e));
                let failed = failing.await.map_err(|e| describe(&e));
                let cancelled = to_cancel.await.map_err(|e| describe(&e));
                (sum, failed, cancelled)
            });
            co.yield_from(outcomes.wait()).await
        })
    });
    assert_eq!(sum, Ok(42));
    assert_eq!(failed, Err("ValueError(bad)".to_owned()));
    assert_eq!(cancelled, Err("CancelledError()".to_owned()));
}

#[test]
fn call_soon_threadsafe_on_a_closed_loop_is_refused_as_event_loop_is_closed() {
    let lp = virtual_loop();
    let remote = lp.remote();
    lp.close().unwrap();
    let refused = thread::spawn(move || {
        remote
            .call_soon_threadsafe(|_| {})
            .map_err(|e| e.to_string())
    })
    .join()
    .unwrap();
    // CPython 3.11: RuntimeError('Event loop is closed').
    assert_eq!(refused, Err("Event loop is closed".to_owned()));
}

#[test]
fn a_refused_call_comes_back_unrun_and_converts_to_cpythons_runtime_error() {
    let lp = virtual_loop();
    let remote = lp.remote();
    lp.close().unwrap();
    let log = Log::new();
    let ran = log.clone();
    let refused = remote
        .call_soon_threadsafe(move |_| ran.push("ran"))
        .unwrap_err();
    assert_eq!(log.take(), Vec::<String>::new());
    // The caller still owns the call, and can run it elsewhere.
    (refused.0)(&virtual_loop());
    assert_eq!(log.take(), ["ran"]);
    let refused = remote.call_soon_threadsafe(|_| {}).unwrap_err();
    let error: AnyError = RuntimeError::from(refused).into();
    assert_eq!(describe(&error), "RuntimeError(Event loop is closed)");
}

#[test]
fn call_soon_threadsafe_after_the_loop_was_dropped_is_refused_too() {
    let lp = virtual_loop();
    let remote = lp.remote();
    drop(lp);
    let refused = remote
        .call_soon_threadsafe(|_| {})
        .map_err(|e| e.to_string());
    assert_eq!(refused, Err("Event loop is closed".to_owned()));
}

#[test]
fn calls_still_queued_when_the_loop_closes_or_is_dropped_are_dropped_unrun() {
    let log = Log::new();
    for end in ["closed", "dropped"] {
        let lp = virtual_loop();
        let remote = lp.remote();
        let (ran, guard) = (log.clone(), log.finally(&format!("call dropped ({end})")));
        remote
            .call_soon_threadsafe(move |_| {
                ran.push("ran");
                drop(guard);
            })
            .unwrap();
        if end == "closed" {
            lp.close().unwrap();
        } else {
            drop(lp);
        }
        // The remote is still held: the queue must not live in it.
        assert_eq!(log.take(), [format!("call dropped ({end})")]);
        drop(remote);
    }
}

#[test]
fn calls_racing_with_close_are_run_or_refused_and_none_is_kept() {
    let lp = virtual_loop();
    let token = Arc::new(());
    // `closing`: `close` is about to be called; `closed`: it has returned.
    let (closing, closed) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (first_sent, started) = mpsc::channel::<()>();
    let callers: Vec<_> = (0..2)
        .map(|_| {
            let (remote, token) = (lp.remote(), token.clone());
            let (closing, closed) = (closing.clone(), closed.clone());
            let mut first_sent = Some(first_sent.clone());
            thread::spawn(move || {
                let mut sent = 0u32;
                loop {
                    let after_close = closed.load(Ordering::SeqCst);
                    if sent >= 10_000 && !closing.load(Ordering::SeqCst) {
                        // Two threads outrun one loop: wait for the close.
                        thread::yield_now();
                        continue;
                    }
                    let held = token.clone();
                    if let Err(refused) = remote.call_soon_threadsafe(move |_| drop(held)) {
                        drop(refused);
                        return true;
                    }
                    if after_close {
                        return false;
                    }
                    sent += 1;
                    if let Some(first_sent) = first_sent.take() {
                        let _ = first_sent.send(());
                    }
                }
            })
        })
        .collect();
    for _ in 0..2 {
        started.recv_timeout(STUCK).unwrap();
    }
    for _ in 0..5 {
        run_one_iteration(&lp);
    }
    closing.store(true, Ordering::SeqCst);
    lp.close().unwrap();
    closed.store(true, Ordering::SeqCst);
    let refused: Vec<bool> = callers.into_iter().map(|c| c.join().unwrap()).collect();
    assert_eq!(
        refused,
        [true, true],
        "a call made after close returned was accepted"
    );
    assert_eq!(Arc::strong_count(&token), 1, "a call was kept after close");
}

#[test]
fn run_in_executor_on_a_closed_loop_is_refused_as_event_loop_is_closed_and_hands_the_job_back_unrun()
 {
    // CPython: `loop.run_in_executor(None, job)` on a closed loop raises
    // RuntimeError('Event loop is closed') and never runs `job`.
    let lp = virtual_loop();
    lp.close().unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let refused = lp
        .run_in_executor(move || flag.store(true, Ordering::SeqCst))
        .unwrap_err();
    assert_eq!(refused.to_string(), "Event loop is closed");
    let job = refused.0;
    assert!(!ran.load(Ordering::SeqCst), "the job ran");
    job();
    assert!(
        ran.load(Ordering::SeqCst),
        "the job handed back is not the one given"
    );
    let again = lp.run_in_executor(|| 1u8).unwrap_err();
    assert_eq!(RuntimeError::from(again).message, "Event loop is closed");
}

#[test]
fn a_job_that_finishes_after_its_loop_closed_has_its_result_dropped() {
    let lp = virtual_loop();
    let log = Log::new();
    let (release, released) = mpsc::channel::<()>();
    let result_log = log.clone();
    let job = lp
        .run_in_executor(move || {
            let _ = released.recv();
            Arc::new(result_log.finally("result dropped"))
        })
        .unwrap();
    lp.close().unwrap();
    release.send(()).unwrap();
    let started = Instant::now();
    while log.take().is_empty() {
        assert!(started.elapsed() < PROMPT, "the job's result was kept");
        thread::sleep(Duration::from_millis(1));
    }
    assert!(!job.done());
}

#[test]
fn a_rust_future_that_panics_under_wrap_future_fails_its_loop_future_with_task_panicked() {
    let (error, after) = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let failing: Future<u8> = lp.wrap_future(async { panic!("rust future failed") });
            let error = match co.yield_from(failing.wait()).await {
                Err(e) => e
                    .downcast_ref::<TaskPanicked>()
                    .map_or_else(|| describe(&e), |p| format!("{}: {}", p.task, p.message)),
                Ok(v) => format!("unexpected {v}"),
            };
            let after = co.yield_from(lp.wrap_future(async { 7u8 }).wait()).await?;
            Ok((error, after))
        })
    });
    assert_eq!(error, "wrap_future future: rust future failed");
    assert_eq!(after, 7, "the loop goes on");
}

#[test]
fn an_unused_local_setter_dropped_on_the_loop_thread_takes_its_callback_with_it() {
    let lp = virtual_loop();
    let log = Log::new();
    let guard = log.finally("callback dropped");
    let setter = lp.local_setter(move |()| drop(guard));
    drop(setter);
    run_one_iteration(&lp);
    assert_eq!(log.take(), ["callback dropped"]);
}

#[test]
fn a_setter_whose_call_is_dropped_unsent_takes_its_callback_with_it() {
    let lp = virtual_loop();
    let log = Log::new();
    let guard = log.finally("callback dropped");
    let call = lp.local_setter(move |()| drop(guard)).with(());
    drop(call);
    run_one_iteration(&lp);
    assert_eq!(log.take(), ["callback dropped"]);
}

/// Sets a loop future when dropped: shows the loop dropping a callback.
struct SetOnDrop(Future<()>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        let _ = self.0.set_result(());
    }
}

#[test]
fn an_unused_local_setter_dropped_on_another_thread_has_its_callback_dropped_by_the_loop() {
    let (finished, test_over) = mpsc::channel::<()>();
    let on_loop_thread = run_main(|| {
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let loop_thread = thread::current().id();
            let dropped_on: Rc<Cell<Option<thread::ThreadId>>> = Rc::default();
            let (gone, seen) = (lp.create_future::<()>(), dropped_on.clone());
            let guard = (SetOnDrop(gone.clone()), OnDropRecordThread(seen));
            let setter = lp.local_setter(move |()| drop(guard));
            let remote = lp.remote();
            thread::spawn(move || {
                drop(setter);
                // Keep the handle: only the dropped setter may wake the loop.
                let _ = test_over.recv();
                drop(remote);
            });
            co.yield_from(gone.wait()).await?;
            Ok(dropped_on.get() == Some(loop_thread))
        })
    });
    let _ = finished.send(());
    assert!(
        on_loop_thread,
        "a callback need not be Send: the loop drops it"
    );
}

/// Records the thread it is dropped on.
struct OnDropRecordThread(Rc<Cell<Option<thread::ThreadId>>>);

impl Drop for OnDropRecordThread {
    fn drop(&mut self) {
        self.0.set(Some(thread::current().id()));
    }
}

#[test]
fn closing_the_loop_drops_the_callbacks_of_setters_and_the_rust_futures_it_was_polling() {
    let lp = virtual_loop();
    let log = Log::new();
    let guard = log.finally("setter's callback dropped");
    let setter = lp.local_setter(move |()| drop(guard));
    let guard = log.finally("rust future dropped");
    let polled = lp.wrap_future(async move {
        let _guard = guard;
        futures::future::pending::<()>().await;
    });
    run_one_iteration(&lp);
    assert_eq!(log.take(), Vec::<String>::new());
    lp.close().unwrap();
    let mut dropped = log.take();
    dropped.sort();
    assert_eq!(
        dropped,
        ["rust future dropped", "setter's callback dropped"]
    );
    assert!(!polled.done());
    drop(setter);
}

#[test]
fn on_a_closed_loop_a_setters_callback_and_a_rust_future_are_dropped_at_once() {
    let lp = virtual_loop();
    lp.close().unwrap();
    let log = Log::new();
    let guard = log.finally("setter's callback dropped");
    let setter = lp.local_setter(move |()| drop(guard));
    assert_eq!(log.take(), ["setter's callback dropped"]);
    let guard = log.finally("rust future dropped");
    let never = lp.wrap_future(async move {
        let _guard = guard;
    });
    assert_eq!(log.take(), ["rust future dropped"]);
    assert!(!never.done(), "as CPython's, it stays pending");
    drop(setter);
}

#[test]
fn a_setters_call_run_by_another_loop_runs_nothing_there_and_drops_the_callback() {
    let (here, there) = (virtual_loop(), virtual_loop());
    let log = Log::new();
    let (ran_here, guard) = (log.clone(), log.finally("callback here dropped"));
    let setter_here = here.local_setter(move |v: u32| {
        ran_here.push(format!("here got {v}"));
        drop(guard);
    });
    let elsewhere = log.clone();
    let setter_there = there.local_setter(move |v: u32| elsewhere.push(format!("there got {v}")));
    there
        .remote()
        .call_soon_threadsafe(setter_here.with(5))
        .unwrap();
    run_one_iteration(&there);
    run_one_iteration(&here);
    assert_eq!(log.take(), ["callback here dropped"]);
    drop(setter_there);
}

/// Counts its wake-ups.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A task that gives 7 after a second.
fn sleeper(lp: &EventLoop) -> Task<u8> {
    lp.create_task(coroutine("sleeper", |co| async move {
        co.yield_from(sleep(1.0)).await?;
        Ok(7)
    }))
    .unwrap()
}

#[test]
fn a_task_polled_many_times_from_async_rust_wakes_its_waker_once_when_done() {
    let lp = virtual_loop();
    let task = sleeper(&lp);
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut awaiting = task.clone();
    for _ in 0..1000 {
        assert!(Pin::new(&mut awaiting).poll(&mut cx).is_pending());
    }
    lp.run_until_done(task.future()).unwrap();
    run_one_iteration(&lp);
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    assert!(matches!(
        Pin::new(&mut awaiting).poll(&mut cx),
        Poll::Ready(Ok(7))
    ));
}

#[test]
fn two_places_awaiting_one_task_from_async_rust_are_each_woken_once() {
    let lp = virtual_loop();
    let task = sleeper(&lp);
    let counters = [
        Arc::new(CountingWaker::default()),
        Arc::new(CountingWaker::default()),
    ];
    let wakers = counters.clone().map(Waker::from);
    let mut awaiting = [task.clone(), task.clone()];
    for _ in 0..10 {
        for (awaiting, waker) in awaiting.iter_mut().zip(&wakers) {
            let mut cx = Context::from_waker(waker);
            assert!(Pin::new(awaiting).poll(&mut cx).is_pending());
        }
    }
    lp.run_until_done(task.future()).unwrap();
    run_one_iteration(&lp);
    let woken = counters.map(|c| c.0.load(Ordering::SeqCst));
    assert_eq!(woken, [1, 1]);
}
