//! `EventLoop::simulate_work`: a step that says "this takes 0.3 s of CPU".
//! On the virtual clock the clock moves by that much inside the step, so
//! timers fall due late, timeouts around the work fire and debug mode
//! reports the step as slow, all at exact times; on the real clock the
//! thread sleeps that long. NaN and infinite work are refused.
#![allow(
    clippy::float_cmp,
    reason = "virtual-clock times are exact, and are compared exactly"
)]

mod trace;

use std::time::{Duration, Instant};
use trace::{Log, reporting_loop, virtual_loop};
use yieldfrom::asyncio::{
    ClockKind, EntryKind, EventLoop, LoopReport, Suspend, TimeoutError, ValueError, coroutine,
    run_with, wait_for,
};

#[test]
fn simulated_work_moves_the_virtual_clock_inside_the_step() {
    let times = run_with(
        ClockKind::Virtual,
        coroutine("main", |_co| async move {
            let lp = EventLoop::running()?;
            let before = lp.time();
            lp.simulate_work(0.3)?;
            let after = lp.time();
            lp.simulate_work(Duration::from_millis(200))?;
            Ok((before, after, lp.time()))
        }),
    )
    .unwrap();
    assert_eq!(times, (0.0, 0.3, 0.5));
}

#[test]
fn a_timer_due_during_simulated_work_runs_after_the_step_late() {
    let lp = virtual_loop();
    let log = Log::new();
    let timer_log = log.clone();
    lp.call_later(0.1, move || {
        timer_log.push(format!("timer at {}", EventLoop::running().unwrap().time()));
    })
    .unwrap();
    let step_log = log.clone();
    lp.run_until_complete(coroutine("busy", move |co| async move {
        EventLoop::running()?.simulate_work(0.25)?;
        step_log.push("work done");
        co.yield_(Suspend::NOW).await?;
        Ok(())
    }))
    .unwrap();
    assert_eq!(log.take(), ["work done", "timer at 0.25"]);
}

#[test]
fn a_timeout_around_simulated_work_fires() {
    let outcome = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let busy = coroutine("busy", |co| async move {
                for _ in 0..10 {
                    EventLoop::running()?.simulate_work(0.3)?;
                    co.yield_(Suspend::NOW).await?;
                }
                Ok(())
            });
            let outcome = co.yield_from(wait_for(busy, 1.0)).await;
            Ok((
                outcome.is_err_and(|e| e.is::<TimeoutError>()),
                EventLoop::running()?.time(),
            ))
        }),
    )
    .unwrap();
    // The fourth step passes the 1 s deadline at 1.2 s; as in CPython's
    // `_run_once`, the timer joins the ready queue behind the fifth step
    // (to 1.5 s), and `wait_for`'s wake-up behind the sixth (to 1.8 s),
    // after which the work is cancelled.
    assert_eq!(outcome, (true, 1.8));
}

#[test]
fn debug_mode_reports_a_step_whose_simulated_work_reaches_the_threshold() {
    let (lp, reports) = reporting_loop();
    lp.set_debug(true);
    lp.run_until_complete(coroutine("cruncher", |co| async move {
        EventLoop::running()?.simulate_work(0.05)?;
        co.yield_(Suspend::NOW).await?;
        EventLoop::running()?.simulate_work(0.3)?;
        Ok(())
    }))
    .unwrap();
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let LoopReport::SlowCallback { kind, duration, .. } = &reports[0] else {
        panic!("{reports:?}")
    };
    assert!(matches!(kind, EntryKind::TaskStep { .. }), "{kind:?}");
    assert!(*duration >= Duration::from_millis(300), "{duration:?}");
}

#[test]
fn simulated_work_on_the_real_clock_takes_real_time() {
    let lp = EventLoop::new(ClockKind::Real);
    let start = Instant::now();
    lp.run_until_complete(coroutine("busy", |_co| async move {
        EventLoop::running()?.simulate_work(0.03)
    }))
    .unwrap();
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert!(lp.time() >= 0.03);
}

#[test]
fn simulated_work_refuses_nan_and_infinity_and_ignores_what_is_not_positive() {
    let lp = virtual_loop();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let e = lp.simulate_work(bad).unwrap_err();
        assert!(e.is::<ValueError>(), "{bad}: {e:?}");
    }
    lp.simulate_work(-1.0).unwrap();
    lp.simulate_work(0).unwrap();
    assert_eq!(lp.time(), 0.0);
}
