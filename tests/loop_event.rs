//! An `Event` behaves as CPython 3.11's `asyncio.Event`: `wait()` returns
//! `true` at once while the flag is set; `set()` wakes every waiter, in the
//! order they began waiting, on the loop's next iteration; a waiter woken
//! by `set()` wakes even if the flag is cleared before it runs; cancelling
//! one waiter leaves the others waiting.

#![allow(
    clippy::float_cmp,
    reason = "virtual-clock times are exact, and are compared exactly"
)]

mod trace;

use trace::{Log, now};
use yieldfrom::asyncio::{
    ClockKind, Coroutine, Event, EventLoop, Suspend, coroutine, run_with, sleep,
};

fn waiter(log: &Log, event: &Event, name: &'static str) -> Coroutine<()> {
    let (log, event) = (log.clone(), event.clone());
    coroutine(name, move |co| async move {
        let woke = co.yield_from(event.wait()).await?;
        log.push(format!("{name} woke with {woke} at {}", now()));
        Ok(())
    })
}

#[test]
fn set_wakes_every_waiter_in_the_order_they_began_waiting_on_the_next_iteration() {
    // CPython 3.11: ['set, is_set True', 'w1 woke with True at 1.0',
    // 'w2 ...', 'w3 ...', 'main after one yield'].
    let log = Log::new();
    let main_log = log.clone();
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let event = Event::new();
            for name in ["w1", "w2", "w3"] {
                lp.create_task(waiter(&main_log, &event, name))?;
            }
            co.yield_from(sleep(1.0)).await?;
            event.set();
            main_log.push(format!("set, is_set {}", event.is_set()));
            co.yield_(Suspend::NOW).await?;
            main_log.push("main after one yield");
            Ok(())
        }),
    )
    .unwrap();
    assert_eq!(
        log.take(),
        [
            "set, is_set true",
            "w1 woke with true at 1",
            "w2 woke with true at 1",
            "w3 woke with true at 1",
            "main after one yield"
        ]
    );
}

#[test]
fn waiting_on_a_set_event_returns_true_without_giving_up_the_turn() {
    let log = Log::new();
    let main_log = log.clone();
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let event = Event::new();
            event.set();
            lp.create_task(waiter(&main_log, &event, "quick"))?;
            let other_log = main_log.clone();
            lp.create_task(coroutine("other", move |_co| async move {
                other_log.push("other");
                Ok(())
            }))?;
            co.yield_(Suspend::NOW).await?;
            Ok(())
        }),
    )
    .unwrap();
    assert_eq!(log.take(), ["quick woke with true at 0", "other"]);
}

#[test]
fn clear_makes_new_waiters_wait_again() {
    let log = Log::new();
    let main_log = log.clone();
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let event = Event::new();
            event.set();
            event.clear();
            assert!(!event.is_set());
            lp.create_task(waiter(&main_log, &event, "patient"))?;
            co.yield_from(sleep(2.0)).await?;
            main_log.push("setting");
            event.set();
            co.yield_from(sleep(1.0)).await
        }),
    )
    .unwrap();
    assert_eq!(log.take(), ["setting", "patient woke with true at 2"]);
}

#[test]
fn a_waiter_woken_by_set_wakes_even_if_the_flag_is_cleared_before_it_runs() {
    let log = Log::new();
    let main_log = log.clone();
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let event = Event::new();
            lp.create_task(waiter(&main_log, &event, "late"))?;
            co.yield_(Suspend::NOW).await?;
            event.set();
            event.clear();
            co.yield_(Suspend::NOW).await?;
            co.yield_(Suspend::NOW).await?;
            Ok(())
        }),
    )
    .unwrap();
    assert_eq!(log.take(), ["late woke with true at 0"]);
}

#[test]
fn a_cancelled_waiter_ends_cancelled_and_the_others_still_wake() {
    let log = Log::new();
    let main_log = log.clone();
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let event = Event::new();
            let doomed = lp.create_task(waiter(&main_log, &event, "doomed"))?;
            lp.create_task(waiter(&main_log, &event, "survivor"))?;
            co.yield_(Suspend::NOW).await?;
            doomed.cancel();
            co.yield_(Suspend::NOW).await?;
            main_log.push(format!("doomed cancelled: {}", doomed.cancelled()));
            event.set();
            co.yield_(Suspend::NOW).await?;
            Ok(())
        }),
    )
    .unwrap();
    assert_eq!(
        log.take(),
        ["doomed cancelled: true", "survivor woke with true at 0"]
    );
}
