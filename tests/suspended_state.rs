//! A generator parked at a yield (`GEN_SUSPENDED`): what each operation
//! does to it. CPython reference: outcomes.md A1 (row "suspended"), A9,
//! A10, A13.

mod trace;

use trace::{KeyError, Log, core};
use yieldfrom::{AnyError, GenState, Generator, Step};

/// `core()` after `next(g)`: suspended at `x = yield 1`.
fn suspended_core(log: &Log) -> Generator<Option<i32>, i32, i32> {
    let g = core(log);
    assert_eq!(g.next().unwrap(), Step::Yielded(Some(1)));
    log.take();
    g
}

#[test]
fn a_suspended_generator_is_suspended_and_not_running() {
    let log = Log::new();
    let g = suspended_core(&log);
    assert_eq!(g.state(), GenState::Suspended);
    assert_eq!(g.state().to_string(), "GEN_SUSPENDED");
    assert!(g.is_suspended());
    assert!(!g.is_running());
    assert_eq!(g.delegate(), None);
}

#[test]
fn next_resumes_the_pending_yield_with_none() {
    let log = Log::new();
    let g = suspended_core(&log);
    assert_eq!(g.next().unwrap(), Step::Yielded(None));
    assert_eq!(g.state(), GenState::Suspended);
    assert_eq!(log.take(), ["body: x=None"]);
}

#[test]
fn send_resumes_the_pending_yield_with_the_value() {
    let log = Log::new();
    let g = suspended_core(&log);
    assert_eq!(g.send(42).unwrap(), Step::Yielded(Some(42)));
    assert_eq!(g.state(), GenState::Suspended);
    assert_eq!(log.take(), ["body: x=Some(42)"]);
}

#[test]
fn throw_raises_at_the_yield_and_an_uncaught_error_comes_back_and_closes_it() {
    let log = Log::new();
    let g = suspended_core(&log);
    let err = g.throw(AnyError::msg("x")).unwrap_err();
    assert_eq!(err.to_string(), "x");
    assert_eq!(err.raised().unwrap().to_string(), "x");
    assert_eq!(g.state(), GenState::Closed);
    assert!(log.take().is_empty(), "nothing after the yield ran");
}

#[test]
fn close_raises_generator_exit_at_the_yield_and_closes_it() {
    let log = Log::new();
    let g = suspended_core(&log);
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(g.state(), GenState::Closed);
    assert!(log.take().is_empty(), "nothing after the yield ran");
}

#[test]
fn a_body_that_returns_hands_out_its_return_value_and_is_closed() {
    let log = Log::new();
    let g = suspended_core(&log);
    assert_eq!(g.send(3).unwrap(), Step::Yielded(Some(3)));
    assert_eq!(g.next().unwrap(), Step::Returned(5));
    assert_eq!(g.state(), GenState::Closed);
    assert!(!g.is_suspended());
    assert_eq!(log.take(), ["body: x=Some(3)", "body: before return 5"]);
}

#[test]
fn an_error_escaping_the_body_comes_back_and_closes_it() {
    // def dies():
    //     log("body: start"); yield 1
    //     log("body: raising KeyError('boom')"); raise KeyError("boom")
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = Generator::new("dies", move |co| async move {
        body_log.push("body: start");
        co.yield_(1).await?;
        body_log.push("body: raising KeyError('boom')");
        Err(KeyError("boom").into())
    });
    assert_eq!(g.next().unwrap(), Step::Yielded(1));
    let err = g.next().unwrap_err();
    assert_eq!(err.to_string(), "'boom'");
    assert_eq!(
        err.raised().unwrap().downcast::<KeyError>().unwrap(),
        KeyError("boom")
    );
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(
        log.take(),
        ["body: start", "body: raising KeyError('boom')"]
    );
}

#[test]
fn an_error_escaping_the_body_runs_its_cleanup_before_the_caller_sees_it() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = Generator::new("dies", move |co| async move {
        let _finally = body_log.finally("body: finally");
        co.yield_(1).await?;
        Err(AnyError::msg("boom"))
    });
    g.next().unwrap();
    assert!(g.next().is_err());
    assert_eq!(log.take(), ["body: finally"]);
    drop(g);
    assert!(log.take().is_empty(), "cleanup ran once");
}

#[test]
fn each_resume_reaches_the_yield_the_body_is_parked_at() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<&str, &str> = Generator::new("steps", move |co| async move {
        let a = co.yield_("first").await?;
        body_log.push(format!("first yield got {a:?}"));
        let b = co.yield_("second").await?;
        body_log.push(format!("second yield got {b:?}"));
        let c = co.yield_("third").await?;
        body_log.push(format!("third yield got {c:?}"));
        Ok(())
    });
    assert_eq!(g.next().unwrap(), Step::Yielded("first"));
    assert_eq!(g.send("a").unwrap(), Step::Yielded("second"));
    assert_eq!(g.next().unwrap(), Step::Yielded("third"));
    assert_eq!(g.send("c").unwrap(), Step::Returned(()));
    assert_eq!(
        log.take(),
        [
            "first yield got Some(\"a\")",
            "second yield got None",
            "third yield got Some(\"c\")",
        ]
    );
}
