//! Delays and timeouts that are not ordinary numbers: NaN (either sign),
//! `+inf`, `-inf`, negative and huge. Each gets CPython's outcome where
//! CPython has one, NaN is refused as Python's `time.sleep` refuses it, and
//! no deadline can stop the other timers, spin the loop or panic it.

#![allow(
    clippy::float_cmp,
    reason = "virtual times and deadlines are exact, as in CPython"
)]

mod trace;

use std::{cell::RefCell, rc::Rc};
use trace::{Log, virtual_loop};
use yieldfrom::{
    AnyError,
    asyncio::{
        CancelledError, ClockKind, Coroutine, EventLoop, ReturnWhen, RuntimeError, TimeoutError,
        ValueError, as_completed, coroutine, run_with, sleep, sleep_with, wait, wait_for,
    },
};

/// NaN as `0.0 / 0.0` computes it at run time on x86: sign bit set.
fn computed_nan() -> f64 {
    let (numerator, denominator) = (std::hint::black_box(0.0_f64), std::hint::black_box(0.0));
    numerator / denominator
}

fn nans() -> [f64; 3] {
    [f64::NAN, -f64::NAN, computed_nan()]
}

fn is_nan_refusal(e: &AnyError) -> bool {
    e.downcast_ref::<ValueError>()
        .is_some_and(|v| v.to_string().contains("NaN"))
}

/// A coroutine that logs whether it ever ran.
fn logged(log: &Log, name: &'static str, delay: f64) -> Coroutine<&'static str> {
    let log = log.clone();
    coroutine(name, move |co| async move {
        log.push(format!("{name} started"));
        co.yield_from(sleep(delay)).await?;
        Ok(name)
    })
}

#[test]
fn call_later_and_call_at_refuse_a_nan_of_either_sign_with_value_error() {
    let lp = virtual_loop();
    for nan in nans() {
        let later = lp.call_later(nan, || {}).unwrap_err();
        assert!(is_nan_refusal(&later), "{later:?}");
        let at = lp.call_at(nan, || {}).unwrap_err();
        assert!(is_nan_refusal(&at), "{at:?}");
    }
}

#[test]
fn sleep_nan_raises_value_error_and_the_other_timers_still_fire() {
    let fired = Rc::new(RefCell::new(Vec::new()));
    let seen = fired.clone();
    let outcome = run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let record = seen.clone();
            lp.call_later(2.0, move || record.borrow_mut().push("timer at 2"))?;
            let refused = co.yield_from(sleep(computed_nan())).await.unwrap_err();
            assert!(is_nan_refusal(&refused), "{refused:?}");
            co.yield_from(sleep(3.0)).await?;
            seen.borrow_mut().push("slept 3");
            Ok(lp.time())
        }),
    );
    assert_eq!(outcome.unwrap(), 3.0);
    assert_eq!(*fired.borrow(), ["timer at 2", "slept 3"]);
}

#[test]
fn wait_for_with_a_nan_timeout_raises_value_error_before_starting_the_awaitable() {
    let log = Log::new();
    let child = logged(&log, "child", 1.0);
    let outcome = run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            match co.yield_from(wait_for(child, Some(f64::NAN))).await {
                Err(e) if is_nan_refusal(&e) => {
                    co.yield_from(sleep(5.0)).await?;
                    Ok("refused")
                }
                other => other,
            }
        }),
    );
    assert_eq!(outcome.unwrap(), "refused");
    assert!(log.take().is_empty(), "the awaitable ran");
}

#[test]
fn wait_and_as_completed_refuse_a_nan_timeout() {
    let outcome = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let task = lp.create_task(sleep_with(1.0, 1))?;
            let waited = co
                .yield_from(wait(
                    vec![task.future().clone()],
                    Some(-f64::NAN),
                    ReturnWhen::AllCompleted,
                ))
                .await
                .map(|_| ())
                .unwrap_err();
            assert!(is_nan_refusal(&waited), "{waited:?}");
            let completed = as_completed(vec![task.clone()], Some(f64::NAN)).map(|_| ());
            assert!(is_nan_refusal(&completed.unwrap_err()));
            co.yield_from(task.wait()).await
        }),
    );
    assert_eq!(outcome.unwrap(), 1);
}

#[test]
fn an_infinite_sleep_lasts_until_its_task_is_cancelled() {
    let outcome = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let sleeper = lp.create_task(sleep(f64::INFINITY))?;
            co.yield_from(sleep(5.0)).await?;
            assert!(!sleeper.done());
            sleeper.cancel();
            let ended = co.yield_from(sleeper.wait()).await.unwrap_err();
            assert!(ended.is::<CancelledError>());
            Ok(lp.time())
        }),
    );
    assert_eq!(outcome.unwrap(), 5.0);
}

#[test]
fn an_infinite_sleep_on_the_real_clock_is_cancelled_without_a_panic() {
    for delay in [f64::INFINITY, 1.9e19, 1e300] {
        let outcome = run_with(
            ClockKind::Real,
            coroutine("main", move |co| async move {
                let lp = EventLoop::running()?;
                let sleeper = lp.create_task(sleep(delay))?;
                co.yield_from(sleep(0.01)).await?;
                sleeper.cancel();
                Ok(co.yield_from(sleeper.wait()).await.is_err())
            }),
        );
        assert!(outcome.unwrap(), "delay {delay}");
    }
}

#[test]
fn a_loop_left_with_only_an_infinite_timer_says_it_would_wait_forever() {
    let outcome = run_with(ClockKind::Virtual, sleep(f64::INFINITY));
    let e = outcome.unwrap_err();
    assert!(
        e.downcast_ref::<RuntimeError>()
            .is_some_and(|r| r.to_string().contains("wait forever")),
        "{e:?}"
    );
}

#[test]
fn negative_and_minus_infinite_delays_are_due_at_once_in_scheduling_order() {
    let lp = virtual_loop();
    let fired = Rc::new(RefCell::new(Vec::new()));
    for (name, delay) in [("-inf", f64::NEG_INFINITY), ("-1", -1.0), ("0", 0.0)] {
        let fired = fired.clone();
        lp.call_later(delay, move || fired.borrow_mut().push(name))
            .unwrap();
    }
    trace::run_one_iteration(&lp);
    // Ordered by deadline: -inf, then now - 1, then now.
    assert_eq!(*fired.borrow(), ["-inf", "-1", "0"]);
    assert_eq!(lp.time(), 0.0);
}

#[test]
fn sleep_of_minus_infinity_gives_up_the_turn_once() {
    let outcome = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            co.yield_from(sleep(f64::NEG_INFINITY)).await?;
            Ok(EventLoop::running()?.time())
        }),
    );
    assert_eq!(outcome.unwrap(), 0.0);
}

#[test]
fn wait_for_with_a_negative_or_minus_infinite_timeout_times_out_at_once() {
    for timeout in [f64::NEG_INFINITY, -1.0, 0.0] {
        let log = Log::new();
        let child = logged(&log, "child", 1.0);
        let outcome = run_with(
            ClockKind::Virtual,
            coroutine("main", move |co| async move {
                let timed_out = co
                    .yield_from(wait_for(child, Some(timeout)))
                    .await
                    .unwrap_err()
                    .is::<TimeoutError>();
                Ok((timed_out, EventLoop::running()?.time()))
            }),
        );
        assert_eq!(outcome.unwrap(), (true, 0.0), "timeout {timeout}");
    }
}

#[test]
fn wait_for_with_an_infinite_or_huge_timeout_waits_as_without_one() {
    for timeout in [f64::INFINITY, 1e300, 1.9e19] {
        let outcome = run_with(
            ClockKind::Virtual,
            coroutine("main", move |co| async move {
                let value = co
                    .yield_from(wait_for(sleep_with(3.0, "done"), Some(timeout)))
                    .await?;
                Ok((value, EventLoop::running()?.time()))
            }),
        );
        assert_eq!(outcome.unwrap(), ("done", 3.0), "timeout {timeout}");
    }
}

#[test]
fn wait_with_a_minus_infinite_timeout_gives_what_is_done_at_once() {
    let outcome = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let task = lp.create_task(sleep_with(1.0, 1))?;
            let (done, pending) = co
                .yield_from(wait(
                    vec![task.future().clone()],
                    Some(f64::NEG_INFINITY),
                    ReturnWhen::AllCompleted,
                ))
                .await?;
            task.cancel();
            Ok((done.len(), pending.len(), lp.time()))
        }),
    );
    assert_eq!(outcome.unwrap(), (0, 1, 0.0));
}

#[test]
fn as_completed_with_a_minus_infinite_timeout_times_out_at_once() {
    let outcome = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let task = lp.create_task(sleep_with(1.0, 1))?;
            let mut waits = as_completed(vec![task.clone()], Some(f64::NEG_INFINITY))?;
            let first = waits.remove(0);
            let timed_out = co.yield_from(first).await.unwrap_err().is::<TimeoutError>();
            task.cancel();
            Ok((timed_out, lp.time()))
        }),
    );
    assert_eq!(outcome.unwrap(), (true, 0.0));
}

#[test]
fn a_huge_finite_deadline_is_reached_by_the_virtual_clock() {
    let lp = virtual_loop();
    let stopper = lp.clone();
    let handle = lp.call_at(1e300, move || stopper.stop()).unwrap();
    assert_eq!(handle.when(), Some(1e300));
    lp.run_forever().unwrap();
    assert_eq!(lp.time(), 1e300);
}

#[test]
fn a_timer_at_infinity_can_be_cancelled_and_never_fires() {
    let lp = virtual_loop();
    let fired = Rc::new(RefCell::new(false));
    let flag = fired.clone();
    let handle = lp
        .call_at(f64::INFINITY, move || *flag.borrow_mut() = true)
        .unwrap();
    assert_eq!(handle.when(), Some(f64::INFINITY));
    let stopper = lp.clone();
    lp.call_later(10.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    handle.cancel();
    assert!(!*fired.borrow());
    assert_eq!(lp.time(), 10.0);
}
