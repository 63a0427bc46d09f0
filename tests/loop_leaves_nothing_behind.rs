//! Closing or dropping a loop leaves nothing behind: every task still
//! pending is reported as CPython reports a task destroyed while pending,
//! its coroutine is closed (its `finally` blocks run), and what it held is
//! freed. A `Runner` dropped without `close` cancels and finishes its tasks
//! first, as `close` does. `.ci/run` also runs this suite under valgrind's
//! memcheck, which must find no block definitely lost.

mod trace;

use std::rc::{Rc, Weak};
use trace::{Log, reporting_loop};
use yieldfrom::{
    AnyError,
    asyncio::{
        CancelledError, ClockKind, Coroutine, EventLoop, Future, LoopReport, Runner, coroutine,
        sleep,
    },
};

/// A coroutine that waits `delay` seconds and logs how it ended.
fn worker(log: &Log, name: &'static str, delay: f64) -> Coroutine<()> {
    let log = log.clone();
    coroutine(name, move |co| async move {
        let _finally = log.finally(&format!("finally {name}"));
        log.push(format!("{name} started"));
        match co.yield_from(sleep(delay)).await {
            Err(e) if e.is::<CancelledError>() => {
                log.push(format!("{name} cancelled"));
                Err(e)
            }
            other => other,
        }
    })
}

/// A coroutine that waits on `future`, which nobody resolves, holding
/// `held` meanwhile.
fn forgotten(log: &Log, future: Future<()>, held: Rc<()>) -> Coroutine<()> {
    let log = log.clone();
    coroutine("forgotten", move |co| async move {
        let _finally = log.finally("finally forgotten");
        let waited = future.wait_in(&co).await;
        drop(held);
        waited
    })
}

fn destroyed(reports: &[LoopReport]) -> Vec<String> {
    reports
        .iter()
        .filter_map(|r| match r {
            LoopReport::TaskDestroyedPending { task } => Some(task.clone()),
            _ => None,
        })
        .collect()
}

/// Runs `lp` until its virtual clock reaches `until`.
fn run_until(lp: &EventLoop, until: f64) {
    let stopper = lp.clone();
    lp.call_at(until, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
}

#[test]
fn closing_a_loop_closes_each_pending_task_s_coroutine_and_reports_it_oldest_first() {
    let (lp, reports) = reporting_loop();
    let log = Log::new();
    let a = lp.create_named_task(worker(&log, "a", 60.0), "a").unwrap();
    let b = lp.create_named_task(worker(&log, "b", 60.0), "b").unwrap();
    run_until(&lp, 1.0);
    lp.close().unwrap();
    assert_eq!(
        log.take(),
        ["a started", "b started", "finally a", "finally b"]
    );
    assert_eq!(destroyed(&reports.borrow()), ["a", "b"]);
    // Destroyed, not cancelled: the tasks never finish, as in CPython.
    assert!(!a.done() && !b.done());
    assert!(lp.all_tasks().is_empty());
}

#[test]
fn a_task_created_but_never_started_is_reported_and_its_body_never_runs() {
    let (lp, reports) = reporting_loop();
    let log = Log::new();
    let task = lp
        .create_named_task(worker(&log, "late", 1.0), "late")
        .unwrap();
    lp.close().unwrap();
    assert!(log.take().is_empty());
    assert_eq!(destroyed(&reports.borrow()), ["late"]);
    assert!(!task.done());
}

#[test]
fn a_task_waiting_on_a_future_nobody_resolves_is_freed_at_close() {
    let (lp, reports) = reporting_loop();
    let log = Log::new();
    let held = Rc::new(());
    let watch: Weak<()> = Rc::downgrade(&held);
    let future: Future<()> = lp.create_future();
    lp.create_named_task(forgotten(&log, future, held), "forgotten")
        .unwrap();
    run_until(&lp, 1.0);
    assert!(watch.upgrade().is_some());
    lp.close().unwrap();
    assert_eq!(log.take(), ["finally forgotten"]);
    assert_eq!(destroyed(&reports.borrow()), ["forgotten"]);
    assert!(watch.upgrade().is_none(), "the coroutine's locals leaked");
}

#[test]
fn close_reaches_a_task_whose_coroutine_keeps_its_loop_in_a_local() {
    let (lp, reports) = reporting_loop();
    let log = Log::new();
    let held = Rc::new(());
    let watch = Rc::downgrade(&held);
    let trace = log.clone();
    lp.create_named_task(
        coroutine("holder", move |co| async move {
            let _finally = trace.finally("finally holder");
            let lp = EventLoop::running()?;
            let never: Future<()> = lp.create_future();
            never.wait_in(&co).await?;
            drop((lp, held));
            Ok(())
        }),
        "holder",
    )
    .unwrap();
    run_until(&lp, 1.0);
    lp.close().unwrap();
    assert_eq!(log.take(), ["finally holder"]);
    assert_eq!(destroyed(&reports.borrow()), ["holder"]);
    assert!(watch.upgrade().is_none());
}

#[test]
fn dropping_the_last_handle_to_a_loop_destroys_its_pending_tasks() {
    let (lp, reports) = reporting_loop();
    let log = Log::new();
    let held = Rc::new(());
    let watch = Rc::downgrade(&held);
    let future: Future<()> = lp.create_future();
    lp.create_named_task(worker(&log, "sleeper", 60.0), "sleeper")
        .unwrap();
    lp.create_named_task(forgotten(&log, future, held), "forgotten")
        .unwrap();
    lp.create_named_task(worker(&log, "third", 1.0), "third")
        .unwrap();
    lp.stop();
    lp.run_forever().unwrap();
    log.take();
    drop(lp);
    assert_eq!(
        log.take(),
        ["finally sleeper", "finally forgotten", "finally third"]
    );
    assert_eq!(
        destroyed(&reports.borrow()),
        ["sleeper", "forgotten", "third"]
    );
    assert!(watch.upgrade().is_none());
}

#[test]
fn dropping_a_runner_without_close_cancels_its_tasks_and_lets_them_finish() {
    let log = Log::new();
    let runner = Runner::new(ClockKind::Virtual);
    let (trace, background) = (log.clone(), worker(&log, "background", 60.0));
    runner
        .run(coroutine("main", move |co| async move {
            EventLoop::running()?.create_task(background)?;
            co.yield_from(sleep(1.0)).await?;
            trace.push("main done");
            Ok(())
        }))
        .unwrap();
    let lp = runner.event_loop().clone();
    drop(runner);
    assert_eq!(
        log.take(),
        [
            "background started",
            "main done",
            "background cancelled",
            "finally background"
        ]
    );
    assert!(lp.is_closed());
}

#[test]
fn a_reporter_that_panics_does_not_stop_the_loop_and_stays_in_place() {
    let lp = EventLoop::new(ClockKind::Virtual);
    let calls = Rc::new(std::cell::Cell::new(0));
    let counter = calls.clone();
    lp.set_reporter(move |_| {
        counter.set(counter.get() + 1);
        panic!("the reporter itself fails");
    });
    for _ in 0..2 {
        lp.call_soon(|| panic!("a callback fails")).unwrap();
    }
    let answer = lp
        .run_until_complete(coroutine("main", |co| async move {
            co.yield_from(sleep(1.0)).await?;
            Ok::<_, AnyError>(42)
        }))
        .unwrap();
    assert_eq!(answer, 42);
    assert_eq!(calls.get(), 2);
}
