//! Debug mode, as CPython 3.11's `loop.set_debug(True)`: a callback or task
//! step that holds the loop for at least `slow_callback_duration` (0.1 s
//! by default) is reported with its duration, naming the task; nothing is
//! reported with debug mode off, which is the default. Durations are real
//! time on either clock.

mod trace;

use std::time::{Duration, Instant};
use trace::reporting_loop;
use yieldfrom::asyncio::{EntryKind, EventLoop, LoopReport, Suspend, coroutine};

/// Holds the thread for `duration` of real time, as a blocking call would.
fn busy_wait(duration: Duration) {
    let start = Instant::now();
    while start.elapsed() < duration {
        std::hint::spin_loop();
    }
}

/// Runs one task named `name` whose first step blocks for `blocking`.
fn run_blocking_task(lp: &EventLoop, name: &str, blocking: Duration) {
    let task = lp
        .create_named_task(
            coroutine("blocking", move |_co| async move {
                busy_wait(blocking);
                Ok(())
            }),
            name,
        )
        .unwrap();
    lp.run_until_done(task.future()).unwrap();
}

fn slow_reports(reports: &[LoopReport]) -> Vec<(String, Duration)> {
    reports
        .iter()
        .filter_map(|r| match r {
            LoopReport::SlowCallback {
                callback, duration, ..
            } => Some((callback.clone(), *duration)),
            _ => None,
        })
        .collect()
}

#[test]
fn debug_mode_reports_a_slow_task_step_with_its_duration_and_the_tasks_name() {
    let (lp, reports) = reporting_loop();
    lp.set_debug(true);
    lp.set_slow_callback_duration(Duration::from_millis(20));
    run_blocking_task(&lp, "cruncher", Duration::from_millis(30));
    let reports = reports.borrow();
    let slow = slow_reports(&reports);
    assert_eq!(slow.len(), 1, "{reports:?}");
    let (callback, duration) = &slow[0];
    assert!(callback.contains("cruncher"), "{callback}");
    assert!(*duration >= Duration::from_millis(30), "{duration:?}");
    let line = reports[0].to_string();
    assert!(
        line.starts_with("Executing ") && line.contains("cruncher") && line.ends_with(" seconds"),
        "reads like asyncio's warning: {line}"
    );
}

#[test]
fn debug_mode_reports_a_slow_plain_callback() {
    let (lp, reports) = reporting_loop();
    lp.set_debug(true);
    lp.set_slow_callback_duration(Duration::from_millis(20));
    lp.call_soon(|| busy_wait(Duration::from_millis(30)))
        .unwrap();
    lp.stop();
    lp.run_forever().unwrap();
    let slow = slow_reports(&reports.borrow());
    assert_eq!(slow.len(), 1, "{:?}", reports.borrow());
    assert!(slow[0].1 >= Duration::from_millis(30));
}

#[test]
fn debug_mode_is_off_by_default_and_then_nothing_is_reported() {
    let (lp, reports) = reporting_loop();
    assert!(!lp.debug());
    lp.set_slow_callback_duration(Duration::from_millis(20));
    run_blocking_task(&lp, "unwatched", Duration::from_millis(30));
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
    lp.set_debug(true);
    assert!(lp.debug());
    lp.set_debug(false);
    run_blocking_task(&lp, "unwatched again", Duration::from_millis(30));
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
}

#[test]
fn the_default_threshold_is_a_tenth_of_a_second() {
    let (lp, reports) = reporting_loop();
    lp.set_debug(true);
    run_blocking_task(&lp, "brief", Duration::from_millis(20));
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
    run_blocking_task(&lp, "long", Duration::from_millis(110));
    let slow = slow_reports(&reports.borrow());
    assert_eq!(slow.len(), 1, "{:?}", reports.borrow());
    assert!(slow[0].0.contains("long"), "{}", slow[0].0);
}

#[test]
fn only_the_slow_step_of_a_task_is_reported() {
    let (lp, reports) = reporting_loop();
    lp.set_debug(true);
    lp.set_slow_callback_duration(Duration::from_millis(25));
    let task = lp
        .create_named_task(
            coroutine("steps", |co| async move {
                co.yield_(Suspend::NOW).await?;
                busy_wait(Duration::from_millis(40));
                co.yield_(Suspend::NOW).await?;
                Ok(())
            }),
            "three-steps",
        )
        .unwrap();
    lp.run_until_done(task.future()).unwrap();
    let slow = slow_reports(&reports.borrow());
    assert_eq!(slow.len(), 1, "{:?}", reports.borrow());
    assert!(slow[0].0.contains("three-steps"));
}

fn slow_kinds(reports: &[LoopReport]) -> Vec<EntryKind> {
    reports
        .iter()
        .filter_map(|r| match r {
            LoopReport::SlowCallback { kind, .. } => Some(kind.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_slow_report_says_in_a_field_whether_it_was_a_task_step_or_a_callback() {
    let (lp, reports) = reporting_loop();
    lp.set_debug(true);
    lp.set_slow_callback_duration(0.02);
    run_blocking_task(&lp, "cruncher", Duration::from_millis(30));
    lp.call_soon(|| busy_wait(Duration::from_millis(30)))
        .unwrap();
    lp.call_later(0.0, || busy_wait(Duration::from_millis(30)))
        .unwrap();
    let stopper = lp.clone();
    lp.call_later(0.001, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(
        slow_kinds(&reports.borrow()),
        [
            EntryKind::TaskStep {
                task: "cruncher".to_owned()
            },
            EntryKind::Callback,
            EntryKind::Timer,
        ]
    );
}

#[test]
fn a_nan_threshold_is_never_reached_and_one_of_zero_always_is_as_in_python() {
    let (lp, reports) = reporting_loop();
    lp.set_debug(true);
    lp.set_slow_callback_duration(f64::NAN);
    run_blocking_task(&lp, "never", Duration::from_millis(5));
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
    lp.set_slow_callback_duration(0);
    run_blocking_task(&lp, "always", Duration::ZERO);
    assert!(
        slow_kinds(&reports.borrow()).contains(&EntryKind::TaskStep {
            task: "always".to_owned()
        }),
        "{:?}",
        reports.borrow()
    );
}
