//! `run`, `run_with` and `Runner` behave as CPython 3.11's `asyncio.run`
//! and `asyncio.Runner`: run the main coroutine as a task to its end, then
//! cancel the tasks left pending and run them until they finish, then
//! close the loop. `yieldfrom` cancels them in creation order (CPython
//! takes them from a set, in no promised order). `run_until_complete`
//! refuses as CPython does.
#![allow(
    clippy::float_cmp,
    reason = "virtual-clock times are exact, and are compared exactly"
)]

mod trace;

use std::{cell::RefCell, rc::Rc};
use trace::{Boom, Log, now};
use yieldfrom::{
    AnyError,
    asyncio::{
        CancelledError, ClockKind, Coroutine, EventLoop, Future, LoopReport, Runner, RuntimeError,
        Suspend, coroutine, run, run_with, sleep,
    },
};

fn runtime_message(error: &AnyError) -> String {
    error
        .downcast_ref::<RuntimeError>()
        .unwrap_or_else(|| panic!("expected a RuntimeError, got {error:?}"))
        .message
        .clone()
}

/// A task body that waits a long time, and logs its cleanup when
/// cancelled.
fn long_waiter(log: &Log, name: &'static str) -> Coroutine<()> {
    let log = log.clone();
    coroutine(name, move |co| async move {
        if let Err(e) = co.yield_from(sleep(100.0)).await {
            let kind = if e.is::<CancelledError>() {
                "CancelledError"
            } else {
                "other"
            };
            log.push(format!("{name} cleanup: {kind} at {}", now()));
            return Err(e);
        }
        Ok(())
    })
}

#[test]
fn run_returns_what_main_returns_and_closes_the_loop() {
    let seen: Rc<RefCell<Option<EventLoop>>> = Rc::default();
    let slot = seen.clone();
    let value = run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            *slot.borrow_mut() = Some(EventLoop::running()?);
            co.yield_from(sleep(2.0)).await?;
            Ok("main's value")
        }),
    )
    .unwrap();
    assert_eq!(value, "main's value");
    let lp = seen.borrow_mut().take().unwrap();
    assert!(lp.is_closed());
    assert!(!lp.is_running());
    assert_eq!(lp.time(), 2.0);
    assert!(EventLoop::running().is_err(), "no loop is left running");
}

#[test]
fn run_on_the_real_clock_runs_a_coroutine_too() {
    let value = run(coroutine("main", |co| async move {
        co.yield_from(sleep(0.001)).await?;
        Ok(EventLoop::running()?.clock())
    }))
    .unwrap();
    assert_eq!(value, ClockKind::Real);
}

#[test]
fn run_hands_back_the_error_main_raised() {
    let error = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            co.yield_from(sleep(1.0)).await?;
            Err::<(), _>(Boom("main failed").into())
        }),
    )
    .unwrap_err();
    assert_eq!(error.downcast_ref::<Boom>(), Some(&Boom("main failed")));
}

#[test]
fn run_hands_back_cancelled_error_when_main_is_cancelled() {
    let error = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let me = EventLoop::running()?.current_task().expect("a task");
            me.cancel_with("from inside");
            co.yield_from(sleep(1.0)).await
        }),
    )
    .unwrap_err();
    assert_eq!(
        error.downcast_ref::<CancelledError>(),
        Some(&CancelledError {
            message: Some("from inside".to_owned())
        })
    );
}

#[test]
fn run_cancels_the_tasks_left_pending_in_creation_order_and_runs_their_cleanup() {
    let log = Log::new();
    let main_log = log.clone();
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            for name in ["first", "second", "third"] {
                lp.create_task(long_waiter(&main_log, name))?;
            }
            co.yield_from(sleep(1.0)).await?;
            main_log.push(format!("main returns at {}", now()));
            Ok(())
        }),
    )
    .unwrap();
    assert_eq!(
        log.take(),
        [
            "main returns at 1",
            "first cleanup: CancelledError at 1",
            "second cleanup: CancelledError at 1",
            "third cleanup: CancelledError at 1",
        ]
    );
}

#[test]
fn a_task_made_just_before_main_returns_gets_its_first_step_before_the_shutdown() {
    // Its first step was queued before main's completion could stop the
    // loop, so it runs first, as under CPython 3.11.
    let log = Log::new();
    let main_log = log.clone();
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |_co| async move {
            let lp = EventLoop::running()?;
            let body_log = main_log.clone();
            let late = lp.create_task(coroutine("late", move |_co| async move {
                body_log.push("late body ran");
                Ok(())
            }))?;
            main_log.push(format!("late done: {}", late.done()));
            Ok(())
        }),
    )
    .unwrap();
    assert_eq!(log.take(), ["late done: false", "late body ran"]);
}

#[test]
fn run_waits_for_a_cancelled_task_whose_cleanup_takes_time() {
    let log = Log::new();
    let main_log = log.clone();
    let seen: Rc<RefCell<Option<EventLoop>>> = Rc::default();
    let slot = seen.clone();
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            *slot.borrow_mut() = Some(lp.clone());
            let task_log = main_log.clone();
            lp.create_task(coroutine("slow cleanup", move |co| async move {
                if let Err(e) = co.yield_from(sleep(100.0)).await {
                    task_log.push(format!("cleanup begins at {}", now()));
                    co.yield_from(sleep(1.0)).await?;
                    task_log.push(format!("cleanup ends at {}", now()));
                    return Err(e);
                }
                Ok(())
            }))?;
            co.yield_(Suspend::NOW).await?;
            Ok(())
        }),
    )
    .unwrap();
    // CPython 3.11: "0.000 slow cleanup begins", "1.000 slow cleanup ends".
    assert_eq!(log.take(), ["cleanup begins at 0", "cleanup ends at 1"]);
    let lp = seen.borrow_mut().take().unwrap();
    assert!(lp.is_closed());
    assert_eq!(lp.time(), 1.0);
}

#[test]
fn a_task_failing_while_it_is_cancelled_at_shutdown_is_reported_not_raised() {
    // CPython 3.11 hands it to the exception handler ("unhandled exception
    // during asyncio.run() shutdown") and asyncio.run returns main's value.
    let reports: Rc<RefCell<Vec<LoopReport>>> = Rc::default();
    let sink = reports.clone();
    let value = run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            lp.set_reporter(move |r| sink.borrow_mut().push(r.clone()));
            lp.create_named_task(
                coroutine("bad cleanup", |co| async move {
                    match co.yield_from(sleep(100.0)).await {
                        Err(e) if e.is::<CancelledError>() => Err(Boom("cleanup failed").into()),
                        other => other,
                    }
                }),
                "bad-cleanup",
            )?;
            co.yield_(Suspend::NOW).await?;
            Ok("main value")
        }),
    )
    .unwrap();
    assert_eq!(value, "main value");
    let reports = reports.borrow();
    assert!(
        reports.iter().any(|r| {
            let text = r.to_string();
            text.contains("bad-cleanup") && text.contains("cleanup failed")
        }),
        "{reports:?}"
    );
}

#[test]
fn run_inside_a_running_loop_is_refused_without_running_main() {
    let log = Log::new();
    let inner_log = log.clone();
    let refused = run_with(
        ClockKind::Virtual,
        coroutine("outer", move |_co| async move {
            let body_log = inner_log.clone();
            let nested = run_with(
                ClockKind::Virtual,
                coroutine("nested", move |_co| async move {
                    body_log.push("nested main ran");
                    Ok(())
                }),
            );
            Ok(nested.unwrap_err().is::<RuntimeError>())
        }),
    )
    .unwrap();
    assert!(refused);
    assert!(log.take().is_empty());
}

#[test]
fn run_inside_a_running_loop_is_refused_with_asyncios_message() {
    let message = run_with(
        ClockKind::Virtual,
        coroutine("outer", |_co| async move {
            let nested = run_with(
                ClockKind::Virtual,
                coroutine("nested", |_co| async move { Ok(()) }),
            );
            Ok(runtime_message(&nested.unwrap_err()))
        }),
    )
    .unwrap();
    assert_eq!(
        message,
        "asyncio.run() cannot be called from a running event loop"
    );
}

#[test]
fn run_until_complete_on_the_running_loop_is_refused_without_starting_the_coroutine() {
    // CPython 3.11: RuntimeError("This event loop is already running"), the
    // coroutine never runs, and the loop carries on undisturbed.
    let log = Log::new();
    let main_log = log.clone();
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let body_log = main_log.clone();
            let refused = lp.run_until_complete(coroutine("nested", move |_co| async move {
                body_log.push("nested coroutine ran");
                Ok(())
            }));
            main_log.push(runtime_message(&refused.unwrap_err()));
            co.yield_from(sleep(1.0)).await?;
            main_log.push(format!("main woke at {}", now()));
            Ok(())
        }),
    )
    .unwrap();
    assert_eq!(
        log.take(),
        ["This event loop is already running", "main woke at 1"]
    );
}

#[test]
fn run_until_complete_stopped_before_the_future_is_done_says_so() {
    let lp = EventLoop::new(ClockKind::Virtual);
    let fut: Future<i32> = lp.create_future();
    let stopper = lp.clone();
    lp.call_soon(move || stopper.stop()).unwrap();
    let error = lp.run_until_done(&fut).unwrap_err();
    assert_eq!(
        runtime_message(&error),
        "Event loop stopped before Future completed."
    );
}

#[test]
fn a_future_run_until_complete_gave_up_on_does_not_stop_the_loop_later() {
    // CPython 3.11 removes its done callback when run_until_complete
    // returns; here the loop must run on to 1.0.
    let lp = EventLoop::new(ClockKind::Virtual);
    let fut: Future<i32> = lp.create_future();
    let stopper = lp.clone();
    lp.call_soon(move || stopper.stop()).unwrap();
    assert!(lp.run_until_done(&fut).is_err());
    let setter = fut.clone();
    lp.call_soon(move || setter.set_result(1).unwrap()).unwrap();
    let stopper = lp.clone();
    lp.call_later(1.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(lp.time(), 1.0);
}

#[test]
fn a_runner_runs_several_coroutines_on_one_loop() {
    let runner = Runner::new(ClockKind::Virtual);
    let one = runner
        .run(coroutine("one", |co| async move {
            co.yield_from(sleep(0.1)).await?;
            Ok("task1")
        }))
        .unwrap();
    let two = runner
        .run(coroutine("two", |co| async move {
            co.yield_from(sleep(0.1)).await?;
            Ok("task2")
        }))
        .unwrap();
    assert_eq!((one, two), ("task1", "task2"));
    let lp = runner.event_loop().clone();
    assert!((lp.time() - 0.2).abs() < 1e-12, "{}", lp.time());
    assert!(!lp.is_closed(), "the loop lives between runs");
    runner.close().unwrap();
    assert!(lp.is_closed());
}

#[test]
fn a_task_started_in_one_run_goes_on_in_the_next_and_is_cancelled_by_close() {
    let log = Log::new();
    let runner = Runner::new(ClockKind::Virtual);
    let first_log = log.clone();
    runner
        .run(coroutine("first run", move |co| async move {
            let lp = EventLoop::running()?;
            let ticker_log = first_log.clone();
            lp.create_task(coroutine::<(), _>("ticker", move |co| async move {
                loop {
                    co.yield_from(sleep(1.0)).await.inspect_err(|_| {
                        ticker_log.push(format!("ticker cancelled at {}", now()));
                    })?;
                    ticker_log.push(format!("tick at {}", now()));
                }
            }))?;
            co.yield_from(sleep(1.5)).await
        }))
        .unwrap();
    log.push("between runs");
    runner
        .run(coroutine("second run", |co| async move {
            co.yield_from(sleep(1.0)).await
        }))
        .unwrap();
    runner.close().unwrap();
    assert_eq!(
        log.take(),
        [
            "tick at 1",
            "between runs",
            "tick at 2",
            "ticker cancelled at 2.5"
        ]
    );
}

#[test]
fn a_runner_closed_without_running_anything_closes_its_loop() {
    let runner = Runner::new(ClockKind::Virtual);
    let lp = runner.event_loop().clone();
    runner.close().unwrap();
    assert!(lp.is_closed());
}

#[test]
fn a_runner_built_with_debug_runs_main_in_debug_mode_in_one_line() {
    // asyncio.run(main(), debug=True)
    let debug = Runner::new(ClockKind::Virtual)
        .with_debug(true)
        .run(coroutine("main", |_co| async move {
            Ok(EventLoop::running()?.debug())
        }))
        .unwrap();
    assert!(debug);
}

#[test]
fn a_runner_gives_its_loops_time_after_the_run_and_after_closing_the_leftovers() {
    let runner = Runner::new(ClockKind::Virtual);
    runner
        .run(coroutine("main", |co| async move {
            EventLoop::running()?.create_task(sleep(10.0))?;
            co.yield_from(sleep(1.5)).await
        }))
        .unwrap();
    assert_eq!(runner.time(), 1.5);
    let lp = runner.event_loop().clone();
    runner.close().unwrap();
    assert_eq!(lp.time(), 1.5);
}
