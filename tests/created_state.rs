//! A generator that has not started (`GEN_CREATED`): what each operation
//! does to it. CPython reference: outcomes.md A1 (row "created"), A2, A3, A4.

mod trace;

use trace::{Log, Thrown, core};
use yieldfrom::{AnyError, Error, GenState, Generator, GeneratorExit, Step};

#[test]
fn a_new_generator_is_created_and_neither_running_nor_suspended() {
    let log = Log::new();
    let g = core(&log);
    assert_eq!(g.state(), GenState::Created);
    assert_eq!(g.state().to_string(), "GEN_CREATED");
    assert!(!g.is_running());
    assert!(!g.is_suspended());
    assert_eq!(g.delegate(), None);
    assert_eq!(g.name(), "core");
    assert!(
        log.take().is_empty(),
        "building a generator runs none of its body"
    );
}

#[test]
fn next_runs_the_body_up_to_its_first_yield() {
    let log = Log::new();
    let g = core(&log);
    assert_eq!(g.next().unwrap(), Step::Yielded(Some(1)));
    assert_eq!(g.state(), GenState::Suspended);
    assert_eq!(log.take(), ["body: start"]);
}

#[test]
fn send_is_refused_with_just_started_and_hands_the_value_back() {
    let log = Log::new();
    let g = core(&log);
    let err = g.send(42).unwrap_err();
    assert_eq!(
        err.to_string(),
        "can't send non-None value to a just-started generator"
    );
    assert_eq!(err.generator_name(), Some("core"));
    match err {
        Error::JustStarted { name, value } => {
            assert_eq!(name, "core");
            assert_eq!(value, 42);
        }
        other => panic!("expected JustStarted, got {other:?}"),
    }
    assert_eq!(g.state(), GenState::Created);
    assert!(log.take().is_empty());
}

#[test]
fn a_refused_send_leaves_the_generator_ready_to_start_with_next() {
    let log = Log::new();
    let g = core(&log);
    assert!(matches!(g.send(42), Err(Error::JustStarted { .. })));
    assert_eq!(g.next().unwrap(), Step::Yielded(Some(1)));
    assert_eq!(g.send(7).unwrap(), Step::Yielded(Some(7)));
    assert_eq!(g.state(), GenState::Suspended);
    assert_eq!(log.take(), ["body: start", "body: x=Some(7)"]);
}

#[test]
fn throw_closes_it_without_running_the_body_and_hands_back_the_same_error() {
    let log = Log::new();
    let g = core(&log);
    let error = AnyError::from(Thrown(1));
    let thrown_at: *const Thrown = error.downcast_ref::<Thrown>().unwrap();

    let back = g.throw(error).unwrap_err().raised().expect("Error::Raised");
    let back_at: *const Thrown = back.downcast_ref::<Thrown>().unwrap();
    assert_eq!(back_at, thrown_at, "the very error thrown comes back");
    assert_eq!(g.state(), GenState::Closed);
    assert!(log.take().is_empty());
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
    assert!(log.take().is_empty());
}

/// A body with an effect before its first yield, and cleanup around it:
///
/// ```python
/// def top_effect():
///     log("body: first statement")
///     try: yield 1
///     finally: log("body: finally")
/// ```
fn top_effect(log: &Log) -> Generator<i32> {
    let log = log.clone();
    Generator::new("top_effect", move |co| async move {
        log.push("body: first statement");
        let _finally = log.finally("body: finally");
        co.yield_(1).await?;
        Ok(())
    })
}

#[test]
fn throw_does_not_enter_the_body_so_its_cleanup_never_runs() {
    let log = Log::new();
    let g = top_effect(&log);
    assert!(g.throw(AnyError::msg("x")).is_err());
    assert!(log.take().is_empty());
    drop(g);
    assert!(
        log.take().is_empty(),
        "dropping it later runs nothing either"
    );
}

#[test]
fn throw_releases_what_the_body_captured_at_once() {
    let log = Log::new();
    let captured = log.finally("captured value dropped");
    let g: Generator<i32> = Generator::new("holder", move |co| async move {
        let _held = captured;
        co.yield_(1).await?;
        Ok(())
    });
    assert!(log.take().is_empty());
    assert!(g.throw(AnyError::msg("x")).is_err());
    assert_eq!(log.take(), ["captured value dropped"]);
}

#[test]
fn throwing_generator_exit_hands_generator_exit_back() {
    let log = Log::new();
    let g = core(&log);
    let back = g.throw(GeneratorExit.into()).unwrap_err().raised().unwrap();
    assert!(back.is::<GeneratorExit>());
    assert_eq!(g.state(), GenState::Closed);
    assert!(log.take().is_empty());
}

#[test]
fn close_runs_nothing_returns_none_and_closes_it() {
    let log = Log::new();
    let g = core(&log);
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(g.state(), GenState::Closed);
    assert!(log.take().is_empty());
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
    assert_eq!(g.close().unwrap(), None);
    assert!(log.take().is_empty());
}

#[test]
fn close_does_not_enter_the_body_so_its_cleanup_never_runs() {
    let log = Log::new();
    let g = top_effect(&log);
    assert_eq!(g.close().unwrap(), None);
    assert!(log.take().is_empty());
}

#[test]
fn close_releases_what_the_body_captured_at_once() {
    let log = Log::new();
    let captured = log.finally("captured value dropped");
    let g: Generator<i32> = Generator::new("holder", move |co| async move {
        let _held = captured;
        co.yield_(1).await?;
        Ok(())
    });
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(log.take(), ["captured value dropped"]);
    drop(g);
    assert!(log.take().is_empty());
}
