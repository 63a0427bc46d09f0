//! A `Future` behaves as CPython 3.11's `asyncio.Future`: pending until a
//! result, an error or a cancellation makes it done, once; `result()` and
//! `exception()` answer with CPython's errors; done callbacks are scheduled
//! with `call_soon`, in the order they were added, never run on the spot;
//! awaiting it evaluates to its result or raises its error where the
//! coroutine waits.
#![allow(
    clippy::float_cmp,
    reason = "virtual-clock times are exact, and are compared exactly"
)]

mod trace;

use trace::{Boom, Log, reporting_loop, run_one_iteration, virtual_loop};
use yieldfrom::{
    AnyError,
    asyncio::{
        CancelledError, CoroutineCo, EventLoop, Future, InvalidStateError, LoopReport, coroutine,
    },
};

/// The two ways a coroutine awaits a future, which must behave alike:
/// in place, or through the coroutine that `wait()` makes.
const WAYS: [bool; 2] = [true, false];

/// Awaits `fut` in the body of `co`: in place, or through `wait()`.
async fn await_future<T: Clone + 'static>(
    co: &CoroutineCo,
    fut: &Future<T>,
    in_place: bool,
) -> Result<T, AnyError> {
    if in_place {
        fut.wait_in(co).await
    } else {
        co.yield_from(fut.wait()).await
    }
}

fn invalid_state_message(error: &AnyError) -> String {
    error
        .downcast_ref::<InvalidStateError>()
        .unwrap_or_else(|| panic!("expected InvalidStateError, got {error:?}"))
        .message
        .clone()
}

fn cancelled_message(error: &AnyError) -> Option<String> {
    error
        .downcast_ref::<CancelledError>()
        .unwrap_or_else(|| panic!("expected CancelledError, got {error:?}"))
        .message
        .clone()
}

#[test]
fn a_new_future_is_pending() {
    let lp = virtual_loop();
    let fut: Future<i32> = lp.create_future();
    assert!(!fut.done());
    assert!(!fut.cancelled());
}

#[test]
fn result_of_a_pending_future_is_invalid_state_result_is_not_set() {
    let lp = virtual_loop();
    let fut: Future<i32> = lp.create_future();
    let error = fut.result().unwrap_err();
    assert_eq!(invalid_state_message(&error), "Result is not set.");
    assert!(!fut.done(), "asking does not change the state");
}

#[test]
fn exception_of_a_pending_future_is_invalid_state_exception_is_not_set() {
    let lp = virtual_loop();
    let fut: Future<i32> = lp.create_future();
    let error = fut.exception().unwrap_err();
    assert_eq!(invalid_state_message(&error), "Exception is not set.");
}

#[test]
fn a_future_with_a_result_is_done_and_hands_the_result_to_every_reader() {
    let lp = virtual_loop();
    let fut: Future<String> = lp.create_future();
    fut.set_result("forty-two".to_owned()).unwrap();
    assert!(fut.done());
    assert!(!fut.cancelled());
    assert_eq!(fut.result().unwrap(), "forty-two");
    assert_eq!(fut.clone().result().unwrap(), "forty-two");
    assert!(fut.exception().unwrap().is_none());
}

#[test]
fn a_future_with_an_error_raises_it_from_result_and_hands_it_from_exception() {
    let lp = virtual_loop();
    let fut: Future<i32> = lp.create_future();
    fut.set_exception(Boom("bad input")).unwrap();
    assert!(fut.done());
    assert!(!fut.cancelled());
    let raised = fut.result().unwrap_err();
    assert_eq!(raised.downcast_ref::<Boom>(), Some(&Boom("bad input")));
    let handed = fut.exception().unwrap().expect("an error is set");
    assert_eq!(handed.downcast_ref::<Boom>(), Some(&Boom("bad input")));
}

#[test]
fn setting_a_second_outcome_is_invalid_state_and_keeps_the_first() {
    let lp = virtual_loop();
    let fut: Future<i32> = lp.create_future();
    fut.set_result(1).unwrap();
    // CPython's C future says "invalid state", its Python one
    // "FINISHED: <Future ...>": only the type is common ground.
    assert!(fut.set_result(2).unwrap_err().is::<InvalidStateError>());
    assert!(
        fut.set_exception(Boom("late"))
            .unwrap_err()
            .is::<InvalidStateError>()
    );
    assert_eq!(fut.result().unwrap(), 1);

    let cancelled: Future<i32> = lp.create_future();
    assert!(cancelled.cancel());
    assert!(
        cancelled
            .set_result(3)
            .unwrap_err()
            .is::<InvalidStateError>()
    );
    assert!(cancelled.cancelled());
}

#[test]
fn cancel_makes_it_done_and_cancelled_and_result_raises_cancelled_error() {
    let lp = virtual_loop();
    let fut: Future<i32> = lp.create_future();
    assert!(fut.cancel(), "cancel on a pending future returns True");
    assert!(fut.done());
    assert!(fut.cancelled());
    assert_eq!(cancelled_message(&fut.result().unwrap_err()), None);
    assert_eq!(cancelled_message(&fut.exception().unwrap_err()), None);
}

#[test]
fn cancel_on_a_done_future_returns_false_and_changes_nothing() {
    let lp = virtual_loop();
    let finished: Future<i32> = lp.create_future();
    finished.set_result(1).unwrap();
    assert!(!finished.cancel());
    assert!(!finished.cancelled());
    assert_eq!(finished.result().unwrap(), 1);

    let cancelled: Future<i32> = lp.create_future();
    cancelled.cancel_with("first");
    assert!(!cancelled.cancel_with("second"));
    assert_eq!(
        cancelled_message(&cancelled.result().unwrap_err()).as_deref(),
        Some("first")
    );
}

#[test]
fn cancel_with_a_message_puts_the_message_in_every_cancelled_error() {
    let lp = virtual_loop();
    let fut: Future<i32> = lp.create_future();
    assert!(fut.cancel_with("bye"));
    // CPython 3.11: CancelledError('bye'), and again on the second read.
    for _ in 0..2 {
        assert_eq!(
            cancelled_message(&fut.result().unwrap_err()).as_deref(),
            Some("bye")
        );
    }
    assert_eq!(
        cancelled_message(&fut.exception().unwrap_err()).as_deref(),
        Some("bye")
    );
}

#[test]
fn done_callbacks_are_scheduled_on_the_loop_not_run_inside_set_result() {
    let lp = virtual_loop();
    let log = Log::new();
    let fut: Future<i32> = lp.create_future();
    let cb_log = log.clone();
    fut.add_done_callback(move |f| cb_log.push(format!("done with {:?}", f.result().ok())));
    fut.set_result(7).unwrap();
    assert!(log.take().is_empty(), "not run synchronously");
    run_one_iteration(&lp);
    assert_eq!(log.take(), ["done with Some(7)"]);
}

#[test]
fn done_callbacks_run_in_the_order_they_were_added_behind_callbacks_already_queued() {
    let lp = virtual_loop();
    let log = Log::new();
    let fut: Future<()> = lp.create_future();
    for name in ["cb1", "cb2", "cb3"] {
        let log = log.clone();
        fut.add_done_callback(move |_| log.push(name));
    }
    let early = log.clone();
    lp.call_soon(move || early.push("queued before the result"))
        .unwrap();
    fut.cancel();
    let late = log.clone();
    lp.call_soon(move || late.push("queued after the result"))
        .unwrap();
    run_one_iteration(&lp);
    assert_eq!(
        log.take(),
        [
            "queued before the result",
            "cb1",
            "cb2",
            "cb3",
            "queued after the result"
        ]
    );
}

#[test]
fn a_callback_added_to_a_done_future_is_scheduled_soon_not_run_at_once() {
    let lp = virtual_loop();
    let log = Log::new();
    let fut: Future<&str> = lp.create_future();
    fut.set_result("ready").unwrap();
    let cb_log = log.clone();
    fut.add_done_callback(move |f| cb_log.push(f.result().unwrap()));
    assert!(log.take().is_empty());
    run_one_iteration(&lp);
    assert_eq!(log.take(), ["ready"]);
}

#[test]
fn awaiting_a_future_suspends_until_it_is_set_and_evaluates_to_its_result() {
    for in_place in WAYS {
        let lp = virtual_loop();
        let fut: Future<&str> = lp.create_future();
        let setter = fut.clone();
        lp.call_later(2.5, move || setter.set_result("ready").unwrap())
            .unwrap();
        let waited = fut.clone();
        let (answer, when) = lp
            .run_until_complete(coroutine("main", move |co| async move {
                let answer = await_future(&co, &waited, in_place).await?;
                Ok((answer, EventLoop::running()?.time()))
            }))
            .unwrap();
        assert_eq!((answer, when), ("ready", 2.5), "in place: {in_place}");
    }
}

#[test]
fn awaiting_a_failed_future_raises_its_error_where_the_coroutine_waits() {
    for in_place in WAYS {
        let lp = virtual_loop();
        let fut: Future<i32> = lp.create_future();
        let setter = fut.clone();
        lp.call_later(1.0, move || setter.set_exception(Boom("late")).unwrap())
            .unwrap();
        let waited = fut.clone();
        let caught = lp
            .run_until_complete(coroutine("main", move |co| async move {
                match await_future(&co, &waited, in_place).await {
                    Ok(v) => Ok(format!("got {v}")),
                    Err(e) => Ok(format!("caught {e}")),
                }
            }))
            .unwrap();
        assert_eq!(caught, "caught boom: late", "in place: {in_place}");
    }
}

#[test]
fn awaiting_a_cancelled_future_raises_cancelled_error_with_its_message() {
    let lp = virtual_loop();
    let fut: Future<i32> = lp.create_future();
    let canceller = fut.clone();
    lp.call_later(1.0, move || {
        canceller.cancel_with("no longer needed");
    })
    .unwrap();
    let waited = fut.clone();
    let caught = lp
        .run_until_complete(coroutine("main", move |co| async move {
            let in_place = waited.wait_in(&co).await.unwrap_err();
            let through_wait = co.yield_from(waited.wait()).await.unwrap_err();
            Ok([
                cancelled_message(&in_place),
                cancelled_message(&through_wait),
            ])
        }))
        .unwrap();
    assert_eq!(
        caught,
        [
            Some("no longer needed".to_owned()),
            Some("no longer needed".to_owned())
        ]
    );
}

#[test]
fn awaiting_a_done_future_goes_on_without_giving_up_the_turn() {
    for in_place in WAYS {
        let lp = virtual_loop();
        let log = Log::new();
        let fut: Future<i32> = lp.create_future();
        fut.set_result(5).unwrap();
        let (waited, a_log, b_log) = (fut.clone(), log.clone(), log.clone());
        let a = lp
            .create_task(coroutine("a", move |co| async move {
                let v = await_future(&co, &waited, in_place).await?;
                a_log.push(format!("a got {v}"));
                Ok(())
            }))
            .unwrap();
        let b = lp
            .create_task(coroutine("b", move |_co| async move {
                b_log.push("b ran");
                Ok(())
            }))
            .unwrap();
        run_one_iteration(&lp);
        assert_eq!(log.take(), ["a got 5", "b ran"], "in place: {in_place}");
        assert!(a.done() && b.done());
    }
}

#[test]
fn every_coroutine_awaiting_one_future_wakes_in_the_order_they_began_waiting() {
    let lp = virtual_loop();
    let log = Log::new();
    let fut: Future<u32> = lp.create_future();
    let mut tasks = Vec::new();
    for name in ["first", "second", "third"] {
        let (waited, log) = (fut.clone(), log.clone());
        tasks.push(
            lp.create_task(coroutine(name, move |co| async move {
                let v = co.yield_from(waited.wait()).await?;
                log.push(format!("{name} got {v}"));
                Ok(())
            }))
            .unwrap(),
        );
    }
    let setter = fut.clone();
    lp.call_later(1.0, move || setter.set_result(9).unwrap())
        .unwrap();
    let stopper = lp.clone();
    lp.call_later(2.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(log.take(), ["first got 9", "second got 9", "third got 9"]);
}

#[test]
fn a_future_whose_error_nobody_retrieved_is_reported_when_dropped() {
    let (lp, reports) = reporting_loop();

    let retrieved: Future<i32> = lp.create_future();
    retrieved.set_exception(Boom("seen")).unwrap();
    let _ = retrieved.exception();
    drop(retrieved);
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());

    let ignored: Future<i32> = lp.create_future();
    ignored.set_exception(Boom("unseen")).unwrap();
    drop(ignored);
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    match &reports[0] {
        LoopReport::ExceptionNeverRetrieved { error, .. } => {
            assert!(error.contains("unseen"), "{error}");
        }
        other => panic!("expected ExceptionNeverRetrieved, got {other:?}"),
    }
}
