//! Every delay and timeout is taken as Python writes it (`f64` or whole
//! seconds) or as Rust does (`Duration`), with the same outcome; a timeout
//! is also `None` or `Some(seconds)`.
#![allow(
    clippy::float_cmp,
    reason = "virtual-clock times are exact, and are compared exactly"
)]

mod trace;

use std::time::Duration;
use trace::{Log, virtual_loop};
use yieldfrom::asyncio::{
    ClockKind, EventLoop, ReturnWhen, Seconds, Timeout, TimeoutError, as_completed, coroutine,
    run_with, sleep, sleep_with, wait, wait_for,
};

#[test]
fn sleep_takes_seconds_whole_seconds_and_a_duration_alike() {
    let times = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            co.yield_from(sleep(0.25)).await?;
            let a = lp.time();
            co.yield_from(sleep(1)).await?;
            let b = lp.time();
            co.yield_from(sleep(Duration::from_millis(250))).await?;
            let c = lp.time();
            let v = co.yield_from(sleep_with(Duration::from_secs(1), 7)).await?;
            Ok((a, b, c, v, lp.time()))
        }),
    )
    .unwrap();
    assert_eq!(times, (0.25, 1.25, 1.5, 7, 2.5));
}

#[test]
fn call_later_takes_a_duration_as_it_takes_seconds() {
    let lp = virtual_loop();
    let log = Log::new();
    for (name, delay) in [
        ("duration", Seconds::from(Duration::from_millis(500))),
        ("seconds", Seconds::from(0.25)),
    ] {
        let log = log.clone();
        lp.call_later(delay, move || {
            log.push(format!(
                "{name} at {}",
                EventLoop::running().unwrap().time()
            ));
        })
        .unwrap();
    }
    let stopper = lp.clone();
    lp.call_later(1, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(log.take(), ["seconds at 0.25", "duration at 0.5"]);
}

#[test]
fn wait_for_takes_none_some_seconds_and_a_duration() {
    let outcomes = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let timed_out = |outcome: Result<(), yieldfrom::AnyError>| {
                outcome.is_err_and(|e| e.is::<TimeoutError>())
            };
            Ok([
                timed_out(co.yield_from(wait_for(sleep(1), None)).await),
                timed_out(co.yield_from(wait_for(sleep(1), Some(2.0))).await),
                timed_out(co.yield_from(wait_for(sleep(1), 2)).await),
                timed_out(co.yield_from(wait_for(sleep(1), 0.5)).await),
                timed_out(
                    co.yield_from(wait_for(sleep(1), Duration::from_millis(500)))
                        .await,
                ),
                timed_out(co.yield_from(wait_for(sleep(1), Timeout::NONE)).await),
            ])
        }),
    )
    .unwrap();
    assert_eq!(outcomes, [false, false, false, true, true, false]);
}

#[test]
fn wait_and_as_completed_take_a_duration_timeout() {
    let (pending, finished) = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let lp = EventLoop::running()?;
            let slow = lp.create_task(sleep_with(10, 1))?;
            let (_, pending) = co
                .yield_from(wait(
                    vec![slow.future().clone()],
                    Duration::from_secs(1),
                    ReturnWhen::AllCompleted,
                ))
                .await?;
            let mut finished = 0;
            for next in as_completed(
                [sleep_with(0.5, 1), sleep_with(5, 2)],
                Duration::from_secs(2),
            )? {
                match co.yield_from(next).await {
                    Ok(_) => finished += 1,
                    Err(e) if e.is::<TimeoutError>() => break,
                    Err(e) => return Err(e),
                }
            }
            slow.cancel();
            Ok((pending.len(), finished))
        }),
    )
    .unwrap();
    assert_eq!((pending, finished), (1, 1));
}
