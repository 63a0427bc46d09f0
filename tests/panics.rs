//! A panic in a body is not a Python exception: it propagates to whoever
//! resumed the generator, and leaves the generator closed. Later calls see
//! a closed generator, never a second panic. (No CPython counterpart; the
//! nearest is an exception that escapes the body, outcomes.md A9.)

mod trace;

use std::panic::{AssertUnwindSafe, catch_unwind};
use trace::{Log, panic_text, panics_during, unraisable_during};
use yieldfrom::{
    AnyError, Co, GenState, Generator, Step, UnraisableContext,
    asyncio::{ClockKind, Coroutine, Suspend, TaskPanicked, coroutine, run_with},
};

/// Runs `f`, expecting it to panic, and returns the panic's text.
fn panic_of<T>(f: impl FnOnce() -> T) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic"),
        Err(payload) => panic_text(&*payload),
    }
}

/// A body that panics on the first resume after its first yield, with
/// cleanup that logs.
fn panics_on_resume(log: &Log) -> Generator<i32, i32> {
    let log = log.clone();
    Generator::new("panicky", move |co: Co<i32, i32>| async move {
        let _finally = log.finally("body: finally");
        let got = co.yield_(1).await;
        log.push("body: resumed, about to panic");
        panic!("boom after {got:?}");
    })
}

fn assert_closed_without_panicking(g: &Generator<i32, i32>) {
    assert_eq!(g.state(), GenState::Closed);
    assert!(!g.is_running());
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
    assert_eq!(g.send(3).unwrap(), Step::Stopped(3));
    assert_eq!(
        g.throw(AnyError::msg("x")).unwrap_err().to_string(),
        "x",
        "throw hands the error straight back"
    );
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_panic_while_resumed_by_next_reaches_the_caller_and_closes_the_generator() {
    let log = Log::new();
    let g = panics_on_resume(&log);
    g.next().unwrap();
    assert_eq!(panic_of(|| g.next()), "boom after Ok(None)");
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(
        log.take(),
        ["body: resumed, about to panic", "body: finally"]
    );
}

#[test]
fn a_panic_while_resumed_by_send_reaches_the_caller_and_closes_the_generator() {
    let log = Log::new();
    let g = panics_on_resume(&log);
    g.next().unwrap();
    assert_eq!(panic_of(|| g.send(7)), "boom after Ok(Some(7))");
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_panic_while_handling_a_thrown_error_reaches_the_caller_of_throw() {
    let log = Log::new();
    let g = panics_on_resume(&log);
    g.next().unwrap();
    assert_eq!(
        panic_of(|| g.throw(AnyError::msg("x"))),
        "boom after Err(\"x\")"
    );
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_panic_while_handling_generator_exit_reaches_the_caller_of_close() {
    let log = Log::new();
    let g = panics_on_resume(&log);
    g.next().unwrap();
    assert_eq!(panic_of(|| g.close()), "boom after Err(GeneratorExit)");
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(
        log.take(),
        ["body: resumed, about to panic", "body: finally"]
    );
}

/// Panics; typed as a step a body might take with `?`.
fn explode() -> Result<(), AnyError> {
    panic!("at the start")
}

#[test]
fn a_panic_before_the_first_yield_closes_a_generator_that_never_yielded() {
    let g: Generator<i32, i32> = Generator::new("early", |co| async move {
        explode()?;
        co.yield_(1).await?;
        Ok(())
    });
    assert_eq!(panic_of(|| g.next()), "at the start");
    assert_closed_without_panicking(&g);
}

#[test]
fn after_a_panic_every_operation_behaves_as_on_a_closed_generator() {
    let log = Log::new();
    let g = panics_on_resume(&log);
    g.next().unwrap();
    panic_of(|| g.next());
    log.take();
    assert_closed_without_panicking(&g);
    assert!(log.take().is_empty(), "the body never runs again");
}

#[test]
fn cleanup_runs_once_as_the_panic_unwinds_and_not_again_on_drop() {
    let log = Log::new();
    let g = panics_on_resume(&log);
    g.next().unwrap();
    panic_of(|| g.next());
    assert_eq!(
        log.take(),
        ["body: resumed, about to panic", "body: finally"]
    );
    drop(g);
    assert!(log.take().is_empty());
}

#[test]
fn dropping_a_generator_that_panicked_reports_nothing() {
    let log = Log::new();
    let ((), reports) = unraisable_during(|| {
        let g = panics_on_resume(&log);
        g.next().unwrap();
        panic_of(|| g.next());
        drop(g);
    });
    assert_eq!(reports, []);
}

#[test]
fn iterating_a_generator_that_panics_propagates_the_panic_and_then_ends() {
    let g: Generator<i32> = Generator::new("iter_panic", |co| async move {
        co.yield_(1).await?;
        panic!("second item");
    });
    let mut items = g.iter();
    assert_eq!(items.next(), Some(1));
    assert_eq!(panic_of(|| items.next()), "second item");
    assert_eq!(items.next(), None);
    assert!(g.take_outcome().is_none(), "a panic is not an outcome");
}

/// A delegate that yields once, then panics when resumed.
fn delegate_panicking_on_resume(log: &Log) -> Generator<i32, i32> {
    let log = log.clone();
    Generator::new("crashing_delegate", move |co: Co<i32, i32>| async move {
        let _finally = log.finally("delegate: finally");
        co.yield_(1).await?;
        panic!("delegate crashed");
    })
}

/// An outer generator whose body is `yield from delegate` inside a
/// `try`/`finally`.
fn delegating_to(log: &Log, delegate: Generator<i32, i32>) -> Generator<i32, i32> {
    let log = log.clone();
    Generator::new("outer", move |co: Co<i32, i32>| async move {
        let _finally = log.finally("outer: finally");
        co.yield_from(delegate).await
    })
}

#[test]
fn a_panic_in_a_delegate_reaches_the_caller_once_and_dropping_the_outer_generator_adds_nothing() {
    let log = Log::new();
    let ((first, reports), panics) = panics_during(|| {
        unraisable_during(|| {
            let outer = delegating_to(&log, delegate_panicking_on_resume(&log));
            assert_eq!(outer.next().unwrap(), Step::Yielded(1));
            let first = panic_of(|| outer.next());
            assert_eq!(outer.state(), GenState::Closed);
            drop(outer);
            first
        })
    });
    assert_eq!(first, "delegate crashed");
    assert_eq!(
        panics,
        ["delegate crashed"],
        "the crashed frame is never resumed"
    );
    assert_eq!(reports, [], "nothing for the unraisable hook");
    assert_eq!(log.take(), ["delegate: finally", "outer: finally"]);
}

#[test]
fn a_panic_in_a_delegate_while_closing_on_drop_is_reported_once() {
    let log = Log::new();
    let delegate_log = log.clone();
    let (((), reports), panics) = panics_during(|| {
        unraisable_during(|| {
            let delegate: Generator<i32, i32> =
                Generator::new("crashing_delegate", move |co| async move {
                    let _finally = delegate_log.finally("delegate: finally");
                    co.yield_(1).await.ok();
                    panic!("delegate crashed while closing");
                });
            let outer = delegating_to(&log, delegate);
            outer.next().unwrap();
            drop(outer);
        })
    });
    assert_eq!(panics, ["delegate crashed while closing"]);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].generator, "outer");
    assert_eq!(reports[0].context, UnraisableContext::FinalizerPanicked);
    assert_eq!(reports[0].message, "delegate crashed while closing");
    assert_eq!(log.take(), ["delegate: finally", "outer: finally"]);
}

#[test]
fn a_task_whose_delegate_panics_ends_in_task_panicked_with_one_panic_and_no_report() {
    let log = Log::new();
    let delegate_log = log.clone();
    let ((result, reports), panics) = panics_during(|| {
        unraisable_during(|| {
            let delegate: Coroutine<()> = coroutine("crashing_delegate", move |co| async move {
                let _finally = delegate_log.finally("delegate: finally");
                co.yield_(Suspend::NOW).await?;
                panic!("delegate crashed in a task");
            });
            run_with(
                ClockKind::Virtual,
                coroutine(
                    "main",
                    move |co| async move { co.yield_from(delegate).await },
                ),
            )
        })
    });
    let err = result.unwrap_err();
    let panicked = err.downcast_ref::<TaskPanicked>().expect("TaskPanicked");
    assert_eq!(panicked.message, "delegate crashed in a task");
    assert_eq!(panics, ["delegate crashed in a task"]);
    assert_eq!(reports, []);
    assert_eq!(log.take(), ["delegate: finally"]);
}

#[test]
fn the_delegators_between_the_outer_generator_and_a_crashed_delegate_are_closed_on_drop() {
    let log = Log::new();
    let mid_log = log.clone();
    let delegate = delegate_panicking_on_resume(&log);
    let mid: Generator<i32, i32> = Generator::new("mid", move |co| async move {
        let _finally = mid_log.finally("mid: finally");
        match co.yield_from(delegate).await {
            Err(e) => {
                mid_log.push(format!("mid: handler ({e})"));
                Err(e)
            }
            ok => ok,
        }
    });
    let ((), panics) = panics_during(|| {
        let outer = delegating_to(&log, mid);
        outer.next().unwrap();
        panic_of(|| outer.next());
        assert_eq!(log.take(), ["delegate: finally"]);
        drop(outer);
    });
    assert_eq!(panics, ["delegate crashed"]);
    assert_eq!(
        log.take(),
        [
            "mid: handler (GeneratorExit)",
            "mid: finally",
            "outer: finally"
        ]
    );
}

#[test]
fn the_thread_safe_flavour_never_resumes_a_delegate_that_panicked() {
    use yieldfrom::sync::Generator;
    let delegate: Generator<i32> = Generator::new("crashing_delegate", |co| async move {
        co.yield_(1).await?;
        panic!("sync delegate crashed");
    });
    let ((), panics) = panics_during(|| {
        let outer: Generator<i32> =
            Generator::new("outer", |co| async move { co.yield_from(delegate).await });
        outer.next().unwrap();
        panic_of(|| outer.next());
        drop(outer);
    });
    assert_eq!(panics, ["sync delegate crashed"]);
}
