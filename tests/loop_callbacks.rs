//! The event loop runs callbacks as CPython 3.11's `BaseEventLoop` does:
//! `call_soon` callbacks in FIFO order, one iteration at a time (what a
//! callback schedules waits for the next iteration), timers by deadline,
//! `stop()` after the current iteration, and CPython's errors for a closed
//! or already running loop. Where CPython would block forever (nothing
//! ready, nothing scheduled), `run_forever` returns an error instead.
#![allow(
    clippy::float_cmp,
    reason = "virtual-clock times are exact, and are compared exactly"
)]

mod trace;

use std::{cell::RefCell, rc::Rc};
use trace::{Log, reporting_loop, run_one_iteration, virtual_loop};
use yieldfrom::{
    AnyError,
    asyncio::{EventLoop, Handle, LoopReport, RuntimeError, coroutine},
};

/// A callback that logs `entry`.
fn logs(log: &Log, entry: &str) -> impl FnOnce() + 'static {
    let (log, entry) = (log.clone(), entry.to_owned());
    move || log.push(entry)
}

/// A callback that logs `entry` with the loop's time.
fn logs_time(lp: &EventLoop, log: &Log, entry: &str) -> impl FnOnce() + 'static {
    let (lp, log, entry) = (lp.clone(), log.clone(), entry.to_owned());
    move || log.push(format!("{entry} at {}", lp.time()))
}

/// The message of a `RuntimeError`, failing the test for any other error.
fn runtime_message(result: Result<impl std::fmt::Debug, AnyError>) -> String {
    let error = result.expect_err("expected a RuntimeError");
    error
        .downcast_ref::<RuntimeError>()
        .unwrap_or_else(|| panic!("expected a RuntimeError, got {error:?}"))
        .message
        .clone()
}

#[test]
fn call_soon_callbacks_run_in_the_order_they_were_scheduled() {
    let lp = virtual_loop();
    let log = Log::new();
    for name in ["a", "b", "c", "d"] {
        lp.call_soon(logs(&log, name)).unwrap();
    }
    run_one_iteration(&lp);
    assert_eq!(log.take(), ["a", "b", "c", "d"]);
}

#[test]
fn a_callback_scheduled_by_a_callback_waits_for_the_next_iteration() {
    let lp = virtual_loop();
    let log = Log::new();
    let (inner_lp, inner_log) = (lp.clone(), log.clone());
    lp.call_soon(move || {
        inner_log.push("first");
        inner_lp
            .call_soon(logs(&inner_log, "scheduled by first"))
            .unwrap();
    })
    .unwrap();
    lp.call_soon(logs(&log, "second")).unwrap();
    let stopper = lp.clone();
    lp.call_soon(move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(
        log.take(),
        ["first", "second"],
        "the iteration that stopped ran only what was queued when it began"
    );
    run_one_iteration(&lp);
    assert_eq!(log.take(), ["scheduled by first"]);
}

#[test]
fn stop_lets_the_callbacks_already_queued_for_this_iteration_run() {
    let lp = virtual_loop();
    let log = Log::new();
    let (stopper, stop_log) = (lp.clone(), log.clone());
    lp.call_soon(move || {
        stop_log.push("stop");
        stopper.stop();
    })
    .unwrap();
    lp.call_soon(logs(&log, "after stop, same iteration"))
        .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(log.take(), ["stop", "after stop, same iteration"]);
    assert!(!lp.is_running());
}

#[test]
fn run_forever_runs_until_a_callback_stops_it() {
    let lp = virtual_loop();
    let log = Log::new();
    lp.call_later(1.0, logs_time(&lp, &log, "tick")).unwrap();
    lp.call_later(2.0, logs_time(&lp, &log, "tick")).unwrap();
    let stopper = lp.clone();
    lp.call_later(2.5, move || stopper.stop()).unwrap();
    lp.call_later(3.0, logs_time(&lp, &log, "too late"))
        .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(log.take(), ["tick at 1", "tick at 2"]);
    assert_eq!(lp.time(), 2.5);
}

#[test]
fn stop_before_run_forever_makes_it_run_exactly_one_iteration() {
    let lp = virtual_loop();
    let log = Log::new();
    let (inner_lp, inner_log) = (lp.clone(), log.clone());
    lp.call_soon(move || {
        inner_log.push("iteration 1");
        inner_lp.call_soon(logs(&inner_log, "iteration 2")).unwrap();
    })
    .unwrap();
    lp.call_later(1.0, logs(&log, "timer")).unwrap();
    lp.stop();
    lp.run_forever().unwrap();
    assert_eq!(log.take(), ["iteration 1"]);
    assert_eq!(lp.time(), 0.0, "a stopping loop does not wait for timers");
}

#[test]
fn a_cancelled_handle_never_runs() {
    let lp = virtual_loop();
    let log = Log::new();
    let soon = lp.call_soon(logs(&log, "cancelled soon")).unwrap();
    let timer = lp.call_later(1.0, logs(&log, "cancelled timer")).unwrap();
    lp.call_later(2.0, logs(&log, "kept timer")).unwrap();
    assert!(!soon.cancelled());
    soon.cancel();
    timer.cancel();
    assert!(soon.cancelled() && timer.cancelled());
    let stopper = lp.clone();
    lp.call_later(3.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(log.take(), ["kept timer"]);
}

#[test]
fn a_callback_cancelled_by_an_earlier_callback_of_the_same_iteration_does_not_run() {
    let lp = virtual_loop();
    let log = Log::new();
    let victim: Rc<RefCell<Option<Handle>>> = Rc::new(RefCell::new(None));
    let (to_cancel, cancel_log) = (victim.clone(), log.clone());
    lp.call_soon(move || {
        cancel_log.push("canceller");
        if let Some(handle) = to_cancel.borrow().as_ref() {
            handle.cancel();
        }
    })
    .unwrap();
    *victim.borrow_mut() = Some(lp.call_soon(logs(&log, "victim")).unwrap());
    lp.call_soon(logs(&log, "bystander")).unwrap();
    run_one_iteration(&lp);
    assert_eq!(log.take(), ["canceller", "bystander"]);
}

#[test]
fn cancelling_a_handle_drops_what_its_callback_holds() {
    let lp = virtual_loop();
    let held = Rc::new(());
    let inside = held.clone();
    let handle = lp.call_later(1.0, move || drop(inside)).unwrap();
    assert_eq!(Rc::strong_count(&held), 2);
    handle.cancel();
    assert_eq!(Rc::strong_count(&held), 1);
}

#[test]
fn timers_fire_in_deadline_order_whatever_order_they_were_scheduled_in() {
    let lp = virtual_loop();
    let log = Log::new();
    lp.call_later(3.0, logs_time(&lp, &log, "later 3")).unwrap();
    lp.call_at(1.0, logs_time(&lp, &log, "at 1")).unwrap();
    lp.call_later(2.0, logs_time(&lp, &log, "later 2")).unwrap();
    lp.call_at(0.5, logs_time(&lp, &log, "at 0.5")).unwrap();
    let stopper = lp.clone();
    lp.call_at(3.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(
        log.take(),
        ["at 0.5 at 0.5", "at 1 at 1", "later 2 at 2", "later 3 at 3"]
    );
}

/// CPython keeps its timers in a `heapq` compared by deadline only, so two
/// timers with one deadline fire in scheduling order but more may not
/// (`call_at(1.0, ...)` six times fires 0, 2, 5, 4, 1, 3 under 3.11.7).
/// `yieldfrom` breaks every tie by scheduling order.
#[test]
fn timers_with_equal_deadlines_fire_in_the_order_they_were_scheduled() {
    let lp = virtual_loop();
    let log = Log::new();
    for i in 0..6 {
        lp.call_at(1.0, logs(&log, &i.to_string())).unwrap();
    }
    lp.call_later(1.0, logs(&log, "later, same deadline"))
        .unwrap();
    let stopper = lp.clone();
    lp.call_at(1.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(
        log.take(),
        ["0", "1", "2", "3", "4", "5", "later, same deadline"]
    );
}

#[test]
fn a_timer_with_a_negative_delay_is_due_at_once_but_runs_after_the_queued_callbacks() {
    let lp = virtual_loop();
    let log = Log::new();
    // CPython 3.11: ['soon', 'neg2', 'neg1'], and the clock does not move.
    lp.call_later(-1.0, logs(&log, "neg1")).unwrap();
    lp.call_later(-2.0, logs(&log, "neg2")).unwrap();
    lp.call_soon(logs(&log, "soon")).unwrap();
    let stopper = lp.clone();
    lp.call_soon(move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(log.take(), ["soon", "neg2", "neg1"]);
    assert_eq!(lp.time(), 0.0);
}

#[test]
fn due_timers_join_the_iteration_after_the_callbacks_already_ready() {
    let lp = virtual_loop();
    let log = Log::new();
    let (inner_lp, inner_log) = (lp.clone(), log.clone());
    lp.call_at(1.0, move || {
        inner_log.push("timer A");
        // Ready now, but this iteration's list was fixed when it began.
        inner_lp.call_soon(logs(&inner_log, "soon from A")).unwrap();
    })
    .unwrap();
    lp.call_at(1.0, logs(&log, "timer B")).unwrap();
    let stopper = lp.clone();
    lp.call_at(1.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(log.take(), ["timer A", "timer B"]);
    run_one_iteration(&lp);
    assert_eq!(log.take(), ["soon from A"]);
}

#[test]
fn handle_when_is_the_deadline_of_a_timer_and_none_for_call_soon() {
    let lp = virtual_loop();
    assert_eq!(lp.call_soon(|| ()).unwrap().when(), None);
    assert_eq!(lp.call_later(2.5, || ()).unwrap().when(), Some(2.5));
    assert_eq!(lp.call_at(7.0, || ()).unwrap().when(), Some(7.0));
}

/// A callback that reschedules itself `rounds - 1` times, keeping the loop
/// busy: the virtual clock may not move while it does.
fn busy(lp: &EventLoop, log: Log, rounds: u32) {
    log.push(format!("busy at {}", lp.time()));
    if rounds > 1 {
        let next = lp.clone();
        lp.call_soon(move || busy(&next, log, rounds - 1)).unwrap();
    }
}

#[test]
fn the_virtual_clock_jumps_to_the_next_deadline_only_when_nothing_is_ready() {
    let lp = virtual_loop();
    let log = Log::new();
    let (busy_lp, busy_log) = (lp.clone(), log.clone());
    lp.call_soon(move || busy(&busy_lp, busy_log, 3)).unwrap();
    lp.call_later(5.0, logs_time(&lp, &log, "timer")).unwrap();
    let stopper = lp.clone();
    lp.call_later(5.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(
        log.take(),
        ["busy at 0", "busy at 0", "busy at 0", "timer at 5"]
    );
    assert_eq!(lp.time(), 5.0);
}

#[test]
fn the_virtual_clock_never_goes_backwards() {
    let lp = virtual_loop();
    let log = Log::new();
    lp.call_at(-3.0, logs_time(&lp, &log, "deadline -3"))
        .unwrap();
    let (inner_lp, inner_log) = (lp.clone(), log.clone());
    lp.call_at(2.0, move || {
        inner_log.push(format!("deadline 2 at {}", inner_lp.time()));
        inner_lp
            .call_at(
                1.0,
                logs_time(&inner_lp, &inner_log, "deadline 1, set at 2"),
            )
            .unwrap();
        let stopper = inner_lp.clone();
        inner_lp.call_at(1.5, move || stopper.stop()).unwrap();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(
        log.take(),
        [
            "deadline -3 at 0",
            "deadline 2 at 2",
            "deadline 1, set at 2 at 2"
        ]
    );
    assert_eq!(lp.time(), 2.0);
}

#[test]
fn the_running_loop_is_known_only_while_it_runs() {
    let lp = virtual_loop();
    assert_eq!(
        runtime_message(EventLoop::running()),
        "no running event loop"
    );
    assert!(!lp.is_running());
    let seen = Rc::new(RefCell::new(None));
    let inside = seen.clone();
    lp.call_soon(move || {
        let running = EventLoop::running().unwrap();
        *inside.borrow_mut() = Some(running.is_running());
    })
    .unwrap();
    run_one_iteration(&lp);
    assert_eq!(*seen.borrow(), Some(true));
    assert!(!lp.is_running());
    assert!(EventLoop::running().is_err());
}

#[test]
fn a_closed_loop_refuses_to_schedule_or_run_with_event_loop_is_closed() {
    let lp = virtual_loop();
    assert!(!lp.is_closed());
    lp.close().unwrap();
    assert!(lp.is_closed());
    assert_eq!(runtime_message(lp.call_soon(|| ())), "Event loop is closed");
    assert_eq!(
        runtime_message(lp.call_later(1.0, || ())),
        "Event loop is closed"
    );
    assert_eq!(
        runtime_message(lp.call_at(1.0, || ())),
        "Event loop is closed"
    );
    assert_eq!(runtime_message(lp.run_forever()), "Event loop is closed");
    let ran = Rc::new(RefCell::new(false));
    let body_ran = ran.clone();
    let main = coroutine("main", move |_co| async move {
        *body_ran.borrow_mut() = true;
        Ok(())
    });
    assert_eq!(
        runtime_message(lp.run_until_complete(main)),
        "Event loop is closed"
    );
    let task = lp.create_task(coroutine("task", |_co| async move { Ok(()) }));
    assert_eq!(runtime_message(task), "Event loop is closed");
    assert!(!*ran.borrow());
}

#[test]
fn closing_drops_pending_callbacks_and_timers_without_running_them() {
    let lp = virtual_loop();
    let log = Log::new();
    let held = Rc::new(());
    let (soon, later) = (held.clone(), held.clone());
    let soon_log = log.clone();
    lp.call_soon(move || {
        soon_log.push("soon ran");
        drop(soon);
    })
    .unwrap();
    lp.call_later(1.0, move || drop(later)).unwrap();
    assert_eq!(Rc::strong_count(&held), 3);
    lp.close().unwrap();
    assert_eq!(Rc::strong_count(&held), 1);
    assert!(log.take().is_empty());
}

#[test]
fn closing_twice_does_nothing() {
    let lp = virtual_loop();
    lp.close().unwrap();
    lp.close().unwrap();
    assert!(lp.is_closed());
}

#[test]
fn closing_a_running_loop_is_refused_and_it_keeps_running() {
    let lp = virtual_loop();
    let log = Log::new();
    let (inner_lp, inner_log) = (lp.clone(), log.clone());
    lp.call_soon(move || {
        inner_log.push(runtime_message(inner_lp.close()));
        inner_lp
            .call_soon(logs(&inner_log, "still scheduling"))
            .unwrap();
    })
    .unwrap();
    let stopper = lp.clone();
    lp.call_later(1.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(
        log.take(),
        ["Cannot close a running event loop", "still scheduling"]
    );
    assert!(!lp.is_closed());
}

#[test]
fn running_a_loop_that_is_already_running_is_refused() {
    let lp = virtual_loop();
    let log = Log::new();
    let (inner_lp, inner_log) = (lp.clone(), log.clone());
    lp.call_soon(move || {
        inner_log.push(runtime_message(inner_lp.run_forever()));
        inner_log.push(format!("still running: {}", inner_lp.is_running()));
    })
    .unwrap();
    run_one_iteration(&lp);
    assert_eq!(
        log.take(),
        ["This event loop is already running", "still running: true"]
    );
}

#[test]
fn running_a_loop_while_another_runs_on_the_thread_is_refused() {
    let outer = virtual_loop();
    let inner = virtual_loop();
    let log = Log::new();
    inner.call_soon(logs(&log, "inner callback")).unwrap();
    let (to_run, inner_log) = (inner.clone(), log.clone());
    outer
        .call_soon(move || inner_log.push(runtime_message(to_run.run_forever())))
        .unwrap();
    run_one_iteration(&outer);
    assert_eq!(
        log.take(),
        ["Cannot run the event loop while another loop is running"]
    );
    // Once the outer loop is done, the other one runs normally.
    run_one_iteration(&inner);
    assert_eq!(log.take(), ["inner callback"]);
}

#[test]
fn a_panicking_callback_is_reported_and_the_loop_goes_on() {
    let (lp, reports) = reporting_loop();
    let log = Log::new();
    lp.call_soon(|| panic!("callback went wrong")).unwrap();
    lp.call_soon(logs(&log, "next callback")).unwrap();
    lp.call_later(1.0, logs(&log, "timer")).unwrap();
    let stopper = lp.clone();
    lp.call_later(1.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(log.take(), ["next callback", "timer"]);
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    match &reports[0] {
        LoopReport::CallbackPanicked { message, .. } => {
            assert_eq!(message, "callback went wrong");
        }
        other => panic!("expected CallbackPanicked, got {other:?}"),
    }
    assert!(
        reports[0].to_string().starts_with("Exception in callback "),
        "reads like asyncio's log line: {}",
        reports[0]
    );
}

#[test]
fn run_forever_with_nothing_ready_and_nothing_scheduled_returns_an_error_instead_of_hanging() {
    let lp = virtual_loop();
    let log = Log::new();
    lp.call_soon(logs(&log, "last callback")).unwrap();
    let message = runtime_message(lp.run_forever());
    assert!(message.contains("wait forever"), "{message}");
    assert_eq!(log.take(), ["last callback"]);
    assert!(!lp.is_running());
    assert!(EventLoop::running().is_err());
    // The loop is still usable.
    lp.call_soon(logs(&log, "again")).unwrap();
    run_one_iteration(&lp);
    assert_eq!(log.take(), ["again"]);
}

#[test]
fn a_loop_on_another_thread_runs_independently() {
    let lp = virtual_loop();
    let log = Log::new();
    let other = std::thread::spawn(|| {
        let lp = virtual_loop();
        let stopper = lp.clone();
        lp.call_later(4.0, move || stopper.stop()).unwrap();
        lp.run_forever().unwrap();
        lp.time()
    });
    let (inner_log, done) = (log.clone(), other);
    let result = Rc::new(RefCell::new(None));
    let slot = result.clone();
    lp.call_soon(move || {
        *slot.borrow_mut() = Some(done.join().unwrap());
        inner_log.push("joined");
    })
    .unwrap();
    run_one_iteration(&lp);
    assert_eq!(log.take(), ["joined"]);
    assert_eq!(*result.borrow(), Some(4.0));
}
