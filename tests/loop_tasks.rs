//! A `Task` drives its coroutine as CPython 3.11's `asyncio.Task` does: it
//! starts on the loop's next iteration, each step runs the coroutine to
//! its next yield, its result or error is handed to whoever awaits it, and
//! `cancel()` throws `CancelledError` in where the coroutine waits (or,
//! before it starts, cancels it without running its body). The coroutine
//! may catch the cancellation and go on. A panic in a body becomes the
//! task's `TaskPanicked` error, and the loop keeps going.
#![allow(
    clippy::float_cmp,
    reason = "virtual-clock times are exact, and are compared exactly"
)]

mod trace;

use std::{cell::RefCell, rc::Rc};
use trace::{Boom, Log, now, reporting_loop, run_one_iteration, virtual_loop};
use yieldfrom::{
    AnyError,
    asyncio::{
        CancelledError, ClockKind, Coroutine, EventLoop, Future, InvalidStateError, LoopReport,
        RuntimeError, Suspend, Task, TaskPanicked, coroutine, run_with, sleep,
    },
};

/// What kind of error `e` is, as Python would name it.
fn kind(e: &AnyError) -> String {
    if let Some(c) = e.downcast_ref::<CancelledError>() {
        return format!("CancelledError({})", c.message.as_deref().unwrap_or(""));
    }
    if let Some(r) = e.downcast_ref::<RuntimeError>() {
        return format!("RuntimeError({})", r.message);
    }
    if let Some(b) = e.downcast_ref::<Boom>() {
        return format!("Boom({})", b.0);
    }
    format!("other({e})")
}

/// A coroutine that sleeps `seconds`, logging what its sleep raised (its
/// `except`/`finally`), then re-raising it.
fn sleeper(log: &Log, name: &'static str, seconds: f64) -> Coroutine<&'static str> {
    let log = log.clone();
    coroutine(name, move |co| async move {
        log.push(format!("{name} starts at {}", now()));
        if let Err(e) = co.yield_from(sleep(seconds)).await {
            log.push(format!("{name} cleanup: {} at {}", kind(&e), now()));
            return Err(e);
        }
        log.push(format!("{name} woke at {}", now()));
        Ok(name)
    })
}

#[test]
fn a_task_starts_on_the_next_iteration_not_when_it_is_created() {
    let log = Log::new();
    let task_log = log.clone();
    let main_log = log.clone();
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let task = lp.create_task(coroutine("child", move |_co| async move {
                task_log.push("child runs");
                Ok(())
            }))?;
            main_log.push(format!("created, done: {}", task.done()));
            co.yield_(Suspend::NOW).await?;
            main_log.push(format!("main resumed, child done: {}", task.done()));
            Ok(())
        }),
    )
    .unwrap();
    assert_eq!(
        log.take(),
        [
            "created, done: false",
            "child runs",
            "main resumed, child done: true"
        ]
    );
}

#[test]
fn awaiting_a_task_evaluates_to_its_result() {
    let total = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let worker = lp.create_task(coroutine("worker", |co| async move {
                co.yield_from(sleep(1.0)).await?;
                Ok(21)
            }))?;
            let half = co.yield_from(worker.wait()).await?;
            assert_eq!(worker.result().unwrap(), 21, "result() agrees");
            Ok((half * 2, now()))
        }),
    )
    .unwrap();
    assert_eq!(total, (42, 1.0));
}

#[test]
fn awaiting_a_failed_task_raises_its_error_in_the_awaiter() {
    let caught = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let worker: Task<i32> = lp.create_task(coroutine("worker", |co| async move {
                co.yield_from(sleep(1.0)).await?;
                Err(Boom("worker failed").into())
            }))?;
            let error = co.yield_from(worker.wait()).await.unwrap_err();
            let from_exception = worker.exception().unwrap().map(|e| kind(&e));
            Ok((kind(&error), from_exception))
        }),
    )
    .unwrap();
    assert_eq!(
        caught,
        (
            "Boom(worker failed)".to_owned(),
            Some("Boom(worker failed)".to_owned())
        )
    );
}

#[test]
fn the_result_of_a_task_still_running_is_invalid_state() {
    let lp = virtual_loop();
    let task = lp
        .create_task(coroutine("slow", |co| async move {
            co.yield_from(sleep(1.0)).await?;
            Ok(1)
        }))
        .unwrap();
    run_one_iteration(&lp);
    let error = task.result().unwrap_err();
    assert_eq!(
        error
            .downcast_ref::<InvalidStateError>()
            .map(|e| &*e.message),
        Some("Result is not set.")
    );
}

#[test]
fn unnamed_tasks_are_named_task_n_with_n_growing() {
    let lp = virtual_loop();
    let numbers: Vec<u64> = (0..3)
        .map(|_| {
            let task = lp
                .create_task(coroutine("anonymous", |_co| async move { Ok(()) }))
                .unwrap();
            let name = task.name();
            name.strip_prefix("Task-")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{name} is not Task-N"))
        })
        .collect();
    // The counter is process-wide, as in CPython; other tests share it.
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
}

#[test]
fn a_named_task_keeps_its_name_and_set_name_renames_it() {
    let lp = virtual_loop();
    let task = lp
        .create_named_task(coroutine("body", |_co| async move { Ok(()) }), "fetcher")
        .unwrap();
    assert_eq!(task.name(), "fetcher");
    assert_eq!(task.as_ref_erased().name(), "fetcher");
    task.set_name("fetcher-2");
    assert_eq!(task.name(), "fetcher-2");
    assert_eq!(task.as_ref_erased().name(), "fetcher-2");
}

#[test]
fn current_task_is_the_task_whose_step_runs_and_none_in_a_plain_callback() {
    let lp = virtual_loop();
    let log = Log::new();
    for name in ["alpha", "beta"] {
        let log = log.clone();
        lp.create_named_task(
            coroutine("body", move |co| async move {
                let lp = EventLoop::running()?;
                log.push(format!("{name} sees {:?}", lp.current_task()));
                co.yield_(Suspend::NOW).await?;
                log.push(format!("{name} again sees {:?}", lp.current_task()));
                Ok(())
            }),
            name,
        )
        .unwrap();
    }
    let (cb_lp, cb_log) = (lp.clone(), log.clone());
    lp.call_soon(move || cb_log.push(format!("callback sees {:?}", cb_lp.current_task())))
        .unwrap();
    assert!(lp.current_task().is_none());
    run_one_iteration(&lp);
    run_one_iteration(&lp);
    assert_eq!(
        log.take(),
        [
            "alpha sees Some(<Task alpha>)",
            "beta sees Some(<Task beta>)",
            "callback sees None",
            "alpha again sees Some(<Task alpha>)",
            "beta again sees Some(<Task beta>)",
        ]
    );
    assert!(lp.current_task().is_none());
}

#[test]
fn all_tasks_lists_the_pending_tasks_in_creation_order() {
    let names = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let me = lp.current_task().expect("main runs as a task");
            let short = lp.create_named_task(
                coroutine("short", |co| async move { co.yield_from(sleep(1.0)).await }),
                "short",
            )?;
            lp.create_named_task(
                coroutine("long", |co| async move { co.yield_from(sleep(5.0)).await }),
                "long",
            )?;
            let names = |lp: &EventLoop| -> Vec<String> {
                lp.all_tasks()
                    .iter()
                    .map(|t| {
                        if t.same(&me) {
                            "main".to_owned()
                        } else {
                            t.name()
                        }
                    })
                    .collect()
            };
            let before = names(&lp);
            co.yield_from(short.wait()).await?;
            let after = names(&lp);
            Ok((before, after))
        }),
    )
    .unwrap();
    assert_eq!(names.0, ["main", "short", "long"]);
    assert_eq!(names.1, ["main", "long"], "done tasks are left out");
}

#[test]
fn all_done_is_done_when_the_last_task_ends_however_each_ended() {
    let lp = virtual_loop();
    let log = Log::default();
    let returns = lp.create_task(sleeper(&log, "returns", 1.0)).unwrap();
    let fails = lp
        .create_task(coroutine("fails", |co| async move {
            co.yield_from(sleep(2.0)).await?;
            Err::<&str, _>(AnyError::new(Boom("late")))
        }))
        .unwrap();
    let cancelled = lp.create_task(sleeper(&log, "cancelled", 10.0)).unwrap();
    let tasks = [
        returns.as_ref_erased(),
        fails.as_ref_erased(),
        cancelled.as_ref_erased(),
    ];
    let all_done = lp.all_done(&tasks);
    let finished_at = Rc::new(RefCell::new(None));
    all_done.add_done_callback({
        let (finished_at, lp) = (finished_at.clone(), lp.clone());
        move |_| *finished_at.borrow_mut() = Some(lp.time())
    });
    lp.call_later(0.5, move || {
        cancelled.cancel();
    })
    .unwrap();
    lp.run_until_done(&all_done).unwrap();
    assert_eq!(*finished_at.borrow(), Some(2.0));
    assert_eq!(returns.result().unwrap(), "returns");
    assert_eq!(kind(&fails.result().unwrap_err()), "Boom(late)");
    assert!(tasks[2].cancelled());
    assert_eq!(
        log.take(),
        [
            "returns starts at 0",
            "cancelled starts at 0",
            "cancelled cleanup: CancelledError() at 0.5",
            "returns woke at 1",
        ]
    );
}

#[test]
fn all_done_of_no_pending_task_is_done_at_once() {
    let lp = virtual_loop();
    assert!(lp.all_done(&[]).done());
    let quick = lp
        .create_task(coroutine("quick", |_co| async move { Ok(1) }))
        .unwrap();
    lp.run_until_done(quick.future()).unwrap();
    let after = lp.all_done(&[quick.as_ref_erased()]);
    assert!(after.done());
    assert_eq!(after.result().unwrap(), ());
}

#[test]
fn cancelling_a_task_before_it_starts_cancels_it_without_running_its_body() {
    let lp = virtual_loop();
    let log = Log::new();
    let task = lp.create_task(sleeper(&log, "never", 1.0)).unwrap();
    assert!(task.cancel(), "a pending task accepts the cancellation");
    assert!(
        !task.cancelled() && !task.done(),
        "as in CPython, it is cancelled on its next step"
    );
    run_one_iteration(&lp);
    assert!(task.cancelled());
    assert!(task.result().unwrap_err().is::<CancelledError>());
    assert!(log.take().is_empty(), "the body never ran");
}

#[test]
fn cancelling_a_waiting_task_raises_cancelled_error_where_it_waits_and_its_cleanup_runs() {
    let lp = virtual_loop();
    let log = Log::new();
    let task = lp.create_task(sleeper(&log, "sleeper", 10.0)).unwrap();
    let canceller = task.clone();
    lp.call_later(1.0, move || {
        canceller.cancel();
    })
    .unwrap();
    let stopper = lp.clone();
    lp.call_later(2.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(
        log.take(),
        [
            "sleeper starts at 0",
            "sleeper cleanup: CancelledError() at 1"
        ]
    );
    assert!(task.cancelled());
    assert!(!task.cancel(), "a done task refuses another cancel");
}

#[test]
fn a_task_that_catches_the_cancellation_and_returns_is_not_cancelled_and_has_its_value() {
    let lp = virtual_loop();
    let task = lp
        .create_task(coroutine("stubborn", |co| async move {
            match co.yield_from(sleep(10.0)).await {
                Ok(()) => Ok("slept"),
                Err(e) if e.is::<CancelledError>() => Ok("caught the cancellation"),
                Err(e) => Err(e),
            }
        }))
        .unwrap();
    let canceller = task.clone();
    lp.call_later(1.0, move || {
        canceller.cancel();
    })
    .unwrap();
    let result = lp.run_until_done(task.future());
    assert_eq!(result.unwrap(), "caught the cancellation");
    assert!(!task.cancelled());
    assert_eq!(lp.time(), 1.0);
}

#[test]
fn a_task_that_catches_the_cancellation_may_go_on_waiting() {
    let lp = virtual_loop();
    let log = Log::new();
    let task_log = log.clone();
    let task = lp
        .create_task(coroutine("persistent", move |co| async move {
            if let Err(e) = co.yield_from(sleep(10.0)).await {
                task_log.push(format!("caught {} at {}", kind(&e), now()));
            }
            co.yield_from(sleep(2.0)).await?;
            task_log.push(format!("finished at {}", now()));
            Ok(7)
        }))
        .unwrap();
    let canceller = task.clone();
    lp.call_later(1.0, move || {
        canceller.cancel();
    })
    .unwrap();
    assert_eq!(lp.run_until_done(task.future()).unwrap(), 7);
    assert_eq!(
        log.take(),
        ["caught CancelledError() at 1", "finished at 3"]
    );
    assert!(!task.cancelled());
}

#[test]
fn the_cancel_message_reaches_the_coroutine_and_whoever_awaits_the_task() {
    let log = Log::new();
    let worker_log = log.clone();
    let seen = run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let worker = lp.create_task(sleeper(&worker_log, "worker", 10.0))?;
            co.yield_from(sleep(1.0)).await?;
            worker.cancel_with("shutting down");
            let error = co.yield_from(worker.wait()).await.unwrap_err();
            Ok(kind(&error))
        }),
    )
    .unwrap();
    assert_eq!(seen, "CancelledError(shutting down)");
    assert_eq!(
        log.take(),
        [
            "worker starts at 0",
            "worker cleanup: CancelledError(shutting down) at 1"
        ]
    );
}

#[test]
fn a_task_that_cancels_itself_and_returns_ends_cancelled() {
    // CPython: a cancellation requested while the step runs wins over the
    // value the coroutine returns.
    let lp = virtual_loop();
    let task = lp
        .create_task(coroutine("self-cancelling", |_co| async move {
            let lp = EventLoop::running()?;
            let me = lp.current_task().expect("runs as a task");
            assert!(me.cancel());
            Ok("returned anyway")
        }))
        .unwrap();
    run_one_iteration(&lp);
    assert!(task.cancelled());
}

#[test]
fn a_task_that_cancels_itself_gets_cancelled_error_at_its_next_yield() {
    let lp = virtual_loop();
    let log = Log::new();
    let task_log = log.clone();
    let task = lp
        .create_task(coroutine("self-cancelling", move |co| async move {
            let me = EventLoop::running()?.current_task().expect("a task");
            me.cancel_with("enough");
            task_log.push("still running after cancel()");
            if let Err(e) = co.yield_(Suspend::NOW).await {
                task_log.push(format!("yield raised {}", kind(&e)));
                return Err(e);
            }
            Ok(())
        }))
        .unwrap();
    run_one_iteration(&lp);
    run_one_iteration(&lp);
    assert_eq!(
        log.take(),
        [
            "still running after cancel()",
            "yield raised CancelledError(enough)"
        ]
    );
    assert!(task.cancelled());
}

#[test]
fn awaiting_a_cancelled_task_raises_cancelled_error_in_the_awaiter() {
    let outcome = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let doomed = lp.create_task(coroutine("doomed", |co| async move {
                co.yield_from(sleep(5.0)).await
            }))?;
            doomed.cancel();
            match co.yield_from(doomed.wait()).await {
                Ok(()) => Ok("not cancelled".to_owned()),
                Err(e) => Ok(format!("{} at {}", kind(&e), now())),
            }
        }),
    )
    .unwrap();
    assert_eq!(outcome, "CancelledError() at 0");
}

#[test]
fn a_task_wakes_in_the_iteration_after_its_future_is_done() {
    let lp = virtual_loop();
    let log = Log::new();
    let fut: Future<u8> = lp.create_future();
    let (waited, task_log) = (fut.clone(), log.clone());
    lp.create_task(coroutine("waiter", move |co| async move {
        let v = co.yield_from(waited.wait()).await?;
        task_log.push(format!("task got {v}"));
        Ok(())
    }))
    .unwrap();
    run_one_iteration(&lp);
    let (setter, cb_lp, cb_log) = (fut.clone(), lp.clone(), log.clone());
    lp.call_soon(move || {
        cb_log.push("setter");
        setter.set_result(1).unwrap();
        let after = cb_log.clone();
        cb_lp
            .call_soon(move || after.push("scheduled after set_result"))
            .unwrap();
    })
    .unwrap();
    run_one_iteration(&lp);
    assert_eq!(log.take(), ["setter"]);
    run_one_iteration(&lp);
    assert_eq!(log.take(), ["task got 1", "scheduled after set_result"]);
}

#[test]
fn cancelling_a_task_whose_awaited_future_just_completed_throws_cancelled_error_instead_of_the_result()
 {
    // CPython: the waited future cannot be cancelled any more, so the task
    // remembers the request and throws CancelledError in on its wake-up.
    let lp = virtual_loop();
    let log = Log::new();
    let fut: Future<u8> = lp.create_future();
    let (waited, task_log) = (fut.clone(), log.clone());
    let task = lp
        .create_task(coroutine("waiter", move |co| async move {
            match co.yield_from(waited.wait()).await {
                Ok(v) => task_log.push(format!("got {v}")),
                Err(e) => {
                    task_log.push(format!("raised {}", kind(&e)));
                    return Err(e);
                }
            }
            Ok(())
        }))
        .unwrap();
    run_one_iteration(&lp);
    fut.set_result(1).unwrap();
    assert!(task.cancel());
    run_one_iteration(&lp);
    assert_eq!(log.take(), ["raised CancelledError()"]);
    assert!(task.cancelled());
}

#[test]
fn cancelling_a_task_that_awaits_another_task_cancels_that_task_through_its_coroutine() {
    // CPython 3.11: outer.cancel() calls inner.cancel(); the inner task's
    // cleanup sees CancelledError('stop') before the outer one does.
    let log = Log::new();
    let (inner_log, outer_log) = (log.clone(), log.clone());
    let (inner_cancelled, at) = run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let inner = lp.create_task(sleeper(&inner_log, "inner", 10.0))?;
            let awaited = inner.clone();
            let outer = lp.create_task(coroutine("outer", move |co| async move {
                if let Err(e) = co.yield_from(awaited.wait()).await {
                    outer_log.push(format!("outer cleanup: {} at {}", kind(&e), now()));
                    return Err(e);
                }
                Ok("")
            }))?;
            co.yield_from(sleep(1.0)).await?;
            outer.cancel_with("stop");
            let _ = co.yield_from(outer.wait()).await;
            Ok((inner.cancelled(), now()))
        }),
    )
    .unwrap();
    assert_eq!(
        log.take(),
        [
            "inner starts at 0",
            "inner cleanup: CancelledError(stop) at 1",
            "outer cleanup: CancelledError(stop) at 1",
        ]
    );
    assert!(inner_cancelled);
    assert_eq!(at, 1.0);
}

#[test]
fn a_task_awaiting_a_task_that_refuses_cancellation_gets_that_tasks_value() {
    // CPython 3.11: the cancellation is passed to the awaited task; if it
    // catches it and returns, the awaiter receives the value.
    let outcome = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let inner = lp.create_task(coroutine("inner", |co| async move {
                match co.yield_from(sleep(10.0)).await {
                    Err(e) if e.is::<CancelledError>() => Ok("inner refused"),
                    other => other.map(|()| "inner slept"),
                }
            }))?;
            let awaited = inner.clone();
            let outer = lp.create_task(coroutine("outer", move |co| async move {
                co.yield_from(awaited.wait()).await
            }))?;
            co.yield_from(sleep(1.0)).await?;
            outer.cancel();
            let got = co.yield_from(outer.wait()).await;
            Ok(got.map_err(|e| kind(&e)))
        }),
    )
    .unwrap();
    assert_eq!(outcome, Ok("inner refused"));
}

#[test]
fn a_panic_in_a_task_becomes_task_panicked_and_the_loop_runs_the_other_tasks() {
    let (lp, reports) = reporting_loop();
    let log = Log::new();
    let panicky: Task<()> = lp
        .create_named_task(
            coroutine("panicky", |co| async move {
                co.yield_from(sleep(1.0)).await?;
                panic!("task body went wrong");
            }),
            "panicky",
        )
        .unwrap();
    let other_log = log.clone();
    let other = lp
        .create_task(coroutine("other", move |co| async move {
            for _ in 0..3 {
                co.yield_from(sleep(1.0)).await?;
                other_log.push(format!("other at {}", now()));
            }
            Ok(())
        }))
        .unwrap();
    lp.run_until_done(other.future()).unwrap();
    assert_eq!(log.take(), ["other at 1", "other at 2", "other at 3"]);
    let error = panicky
        .exception()
        .unwrap()
        .expect("the panic is the error");
    assert_eq!(
        error.downcast_ref::<TaskPanicked>(),
        Some(&TaskPanicked {
            task: "panicky".to_owned(),
            message: "task body went wrong".to_owned()
        })
    );
    assert!(
        reports.borrow().is_empty(),
        "a task's panic is its error, not a callback panic: {:?}",
        reports.borrow()
    );
}

#[test]
fn an_error_nobody_retrieved_is_reported_when_the_task_is_dropped() {
    let (lp, reports) = reporting_loop();
    let failing = |name: &'static str| {
        lp.create_named_task(
            coroutine(name, move |co| async move {
                co.yield_from(sleep(1.0)).await?;
                Err::<(), _>(Boom(name).into())
            }),
            name,
        )
        .unwrap()
    };
    let ignored = failing("ignored");
    let looked_at = failing("looked-at");
    lp.run_until_complete(sleep(2.0)).unwrap();
    assert!(ignored.done() && looked_at.done());
    assert!(looked_at.exception().unwrap().is_some());
    assert!(
        reports.borrow().is_empty(),
        "nothing is reported while held"
    );
    drop(looked_at);
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
    drop(ignored);
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    match &reports[0] {
        LoopReport::ExceptionNeverRetrieved { task, error } => {
            assert_eq!(task, "ignored");
            assert!(error.contains("ignored"), "{error}");
        }
        other => panic!("expected ExceptionNeverRetrieved, got {other:?}"),
    }
}

#[test]
fn an_error_retrieved_by_awaiting_the_task_is_not_reported() {
    let (lp, reports) = reporting_loop();
    let failing: Task<()> = lp
        .create_task(coroutine("failing", |co| async move {
            co.yield_from(sleep(1.0)).await?;
            Err(Boom("awaited").into())
        }))
        .unwrap();
    let awaited = failing.clone();
    let caught = lp
        .run_until_complete(coroutine("main", move |co| async move {
            Ok(co.yield_from(awaited.wait()).await.is_err())
        }))
        .unwrap();
    assert!(caught);
    drop(failing);
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
}

#[test]
fn a_task_awaiting_itself_gets_a_runtime_error() {
    let lp = virtual_loop();
    let slot: Rc<RefCell<Option<Task<String>>>> = Rc::new(RefCell::new(None));
    let me = slot.clone();
    let task = lp
        .create_task(coroutine("narcissus", move |co| async move {
            let me = me.borrow().clone().expect("the slot is filled");
            match co.yield_from(me.wait()).await {
                Ok(s) => Ok(format!("got {s}")),
                Err(e) => Ok(kind(&e)),
            }
        }))
        .unwrap();
    *slot.borrow_mut() = Some(task.clone());
    let outcome = lp.run_until_done(task.future()).unwrap();
    slot.borrow_mut().take();
    assert!(
        outcome.starts_with("RuntimeError(Task cannot await on itself: "),
        "{outcome}"
    );
}

#[test]
fn awaiting_a_future_of_another_loop_is_a_runtime_error() {
    // CPython 3.11: RuntimeError("Task <...> got Future <...> attached to a
    // different loop"), thrown into the coroutine.
    let lp = virtual_loop();
    let other = virtual_loop();
    let foreign: Future<i32> = other.create_future();
    let outcome = lp.run_until_complete(coroutine("main", move |co| async move {
        match co.yield_from(foreign.wait()).await {
            Ok(v) => Ok(format!("got {v}")),
            Err(e) => Ok(kind(&e)),
        }
    }));
    let outcome = outcome.unwrap();
    assert!(
        outcome.starts_with("RuntimeError(") && outcome.contains("attached to a different loop"),
        "{outcome}"
    );
}
