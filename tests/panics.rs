//! A panic in a body is not a Python exception: it propagates to whoever
//! resumed the generator, and leaves the generator closed. Later calls see
//! a closed generator, never a second panic. (No CPython counterpart; the
//! nearest is an exception that escapes the body, outcomes.md A9.)

mod trace;

use std::panic::{AssertUnwindSafe, catch_unwind};
use trace::{Log, panic_text, unraisable_during};
use yieldfrom::{AnyError, Co, GenState, Generator, Step};

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
    let mut g: Generator<i32> = Generator::new("iter_panic", |co| async move {
        co.yield_(1).await?;
        panic!("second item");
    });
    assert_eq!(Iterator::next(&mut g), Some(1));
    assert_eq!(panic_of(|| Iterator::next(&mut g)), "second item");
    assert_eq!(Iterator::next(&mut g), None);
    assert!(g.take_outcome().is_none(), "a panic is not an outcome");
}
