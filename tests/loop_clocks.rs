//! A program runs the same on the real and the virtual clock: same events
//! in the same order. The real clock sleeps while the loop is idle (it
//! takes about as long as the sleeps, without spinning); the virtual clock
//! jumps to the next deadline, so that any amount of sleeping takes no
//! time.
#![allow(
    clippy::float_cmp,
    reason = "virtual-clock times are exact, and are compared exactly"
)]

mod trace;

use std::time::{Duration, Instant};
use trace::Log;
use yieldfrom::asyncio::{ClockKind, Coroutine, EventLoop, coroutine, run_with, sleep};

/// Two workers sleeping different periods; what they log is only the
/// order of events, which is well separated in time (20 ms apart at
/// least) so that the real clock's jitter cannot swap them.
fn two_workers(log: &Log) -> Coroutine<()> {
    let worker = |name: &'static str, periods: &'static [f64], log: Log| {
        coroutine(name, move |co| async move {
            for (i, period) in periods.iter().enumerate() {
                co.yield_from(sleep(*period)).await?;
                log.push(format!("{name} {i}"));
            }
            Ok(())
        })
    };
    let (a, b) = (
        worker("a", &[0.04, 0.04, 0.04], log.clone()),
        worker("b", &[0.06, 0.1], log.clone()),
    );
    coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let a = lp.create_task(a)?;
        let b = lp.create_task(b)?;
        co.yield_from(a.wait()).await?;
        co.yield_from(b.wait()).await
    })
}

#[test]
fn the_same_program_gives_the_same_order_of_events_on_both_clocks() {
    let (real, simulated) = (Log::new(), Log::new());
    run_with(ClockKind::Real, two_workers(&real)).unwrap();
    run_with(ClockKind::Virtual, two_workers(&simulated)).unwrap();
    let expected = ["a 0", "b 0", "a 1", "a 2", "b 1"];
    assert_eq!(simulated.take(), expected);
    assert_eq!(real.take(), expected);
}

/// Seconds since the loop began, for three sleeps of `period` in a row.
fn three_sleeps(clock: ClockKind, period: f64) -> (Duration, f64) {
    let started = Instant::now();
    let loop_time = run_with(
        clock,
        coroutine("sleeper", move |co| async move {
            for _ in 0..3 {
                co.yield_from(sleep(period)).await?;
            }
            Ok(EventLoop::running()?.time())
        }),
    )
    .unwrap();
    (started.elapsed(), loop_time)
}

#[test]
fn a_real_clock_run_of_short_sleeps_takes_about_as_long_as_the_sleeps() {
    let (wall, loop_time) = three_sleeps(ClockKind::Real, 0.02);
    assert!(wall >= Duration::from_millis(60), "{wall:?}");
    assert!(wall < Duration::from_millis(600), "far too slow: {wall:?}");
    assert!(loop_time >= 0.06, "{loop_time}");
}

#[test]
fn the_virtual_clock_runs_an_hour_of_sleeps_at_once() {
    let started = Instant::now();
    let loop_time = run_with(
        ClockKind::Virtual,
        coroutine("hour", |co| async move {
            for _ in 0..60 {
                co.yield_from(sleep(60.0)).await?;
            }
            Ok(EventLoop::running()?.time())
        }),
    )
    .unwrap();
    assert!((loop_time - 3600.0).abs() < 1e-9, "{loop_time}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

/// This thread's CPU time so far, from `/proc/thread-self/schedstat`
/// (nanoseconds on the CPU), where Linux provides it.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

#[test]
fn an_idle_real_clock_loop_sleeps_instead_of_spinning() {
    let Some(cpu_before) = thread_cpu_time() else {
        eprintln!("SKIPPED: no /proc/thread-self/schedstat to read CPU time from");
        return;
    };
    let (wall, _) = three_sleeps(ClockKind::Real, 0.04);
    let cpu = thread_cpu_time().unwrap().saturating_sub(cpu_before);
    assert!(
        cpu < wall / 2,
        "the loop used {cpu:?} of CPU in {wall:?}: it spins while idle"
    );
}

#[test]
fn a_real_clock_timer_never_fires_before_its_deadline() {
    let lp = EventLoop::new(ClockKind::Real);
    let log = Log::new();
    let started = Instant::now();
    for delay in [0.02, 0.01] {
        let (when, inner_lp, log) = (lp.time() + delay, lp.clone(), log.clone());
        lp.call_at(when, move || {
            let late_by = inner_lp.time() - when;
            log.push(format!("{delay} early: {}", late_by < -1e-9));
        })
        .unwrap();
    }
    let stopper = lp.clone();
    lp.call_later(0.025, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(log.take(), ["0.01 early: false", "0.02 early: false"]);
    assert!(started.elapsed() >= Duration::from_millis(25));
}

#[test]
fn the_virtual_clock_stands_still_until_the_loop_is_idle_and_the_real_one_moves_on_its_own() {
    let simulated = EventLoop::new(ClockKind::Virtual);
    let real = EventLoop::new(ClockKind::Real);
    assert_eq!(simulated.clock(), ClockKind::Virtual);
    assert_eq!(real.clock(), ClockKind::Real);
    let real_start = real.time();
    assert!(
        (0.0..1.0).contains(&real_start),
        "starts near 0: {real_start}"
    );
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(simulated.time(), 0.0);
    assert!(real.time() >= real_start + 0.005, "{}", real.time());
}
