//! `close()` on a suspended generator: it raises `GeneratorExit` at the
//! yield, and how the body answers decides the outcome. CPython reference:
//! outcomes.md A5 (and notes 1, 5, 7).
//!
//! One deliberate difference: a value the body returns on `GeneratorExit`
//! comes back from `close()` as `Some(value)`, as in CPython 3.13; 3.11
//! discards it and returns `None`.

mod trace;

use trace::{Finally, Log};
use yieldfrom::{AnyError, Co, Error, GenState, Generator, GeneratorExit, Step};

fn started<Y, R>(g: Generator<Y, (), R>) -> Generator<Y, (), R>
where
    R: 'static,
    Y: std::fmt::Debug,
{
    assert!(matches!(g.next(), Ok(Step::Yielded(_))));
    g
}

#[test]
fn close_succeeds_when_the_body_lets_generator_exit_propagate() {
    // def close_a(): log("body: start"); yield 1; log("body: after yield (should not run)")
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = started(Generator::new("close_a", move |co| async move {
        body_log.push("body: start");
        co.yield_(1).await?;
        body_log.push("body: after yield (should not run)");
        Ok(())
    }));
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(log.take(), ["body: start"]);
}

#[test]
fn the_body_receives_generator_exit_at_its_yield() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = started(Generator::new("observer", move |co: Co<i32>| async move {
        let got = co.yield_(1).await;
        match &got {
            Err(e) => body_log.push(format!(
                "got {e}, is GeneratorExit: {}",
                e.is::<GeneratorExit>()
            )),
            Ok(v) => body_log.push(format!("got {v:?}")),
        }
        got.map(drop)
    }));
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(log.take(), ["got GeneratorExit, is GeneratorExit: true"]);
}

#[test]
fn the_generator_exit_a_body_receives_can_be_taken_out_by_type_on_every_close() {
    // `except GeneratorExit as e:` binds the exception itself; the body
    // here takes it out of the `AnyError`, on two generators in a row.
    for name in ["first", "second"] {
        let log = Log::new();
        let body_log = log.clone();
        let g: Generator<i32> = started(Generator::new(name, move |co: Co<i32>| async move {
            match co.yield_(1).await {
                Err(e) => match e.downcast::<GeneratorExit>() {
                    Ok(exit) => {
                        body_log.push(format!("took {exit}"));
                        Err(AnyError::new(exit))
                    }
                    Err(other) => Err(other),
                },
                Ok(_) => Ok(()),
            }
        }));
        assert_eq!(g.close().unwrap(), None);
        assert_eq!(log.take(), ["took GeneratorExit"]);
    }
}

#[test]
fn close_hands_back_the_value_the_body_returns_on_generator_exit() {
    // def close_c():
    //     try: yield 1
    //     except GeneratorExit: return "closing-value"
    // CPython 3.11 returns None from close() here; 3.13 and yieldfrom
    // return the value.
    let g: Generator<i32, (), &str> =
        started(Generator::new("close_c", |co: Co<i32>| async move {
            match co.yield_(1).await {
                Err(e) if e.is::<GeneratorExit>() => Ok("closing-value"),
                other => other.map(|_| "finished"),
            }
        }));
    assert_eq!(g.close().unwrap(), Some("closing-value"));
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(g.next().unwrap(), Step::Stopped(()), "handed out once");
    assert_eq!(g.close().unwrap(), None);
}

#[test]
fn close_reports_another_error_the_body_raises_and_leaves_it_closed() {
    // def close_d():
    //     try: yield 1
    //     except GeneratorExit: raise ValueError("raised in GeneratorExit handler")
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = started(Generator::new("close_d", move |co| async move {
        if co.yield_(1).await.is_err() {
            body_log.push("handler: caught GeneratorExit, raising ValueError");
            return Err(AnyError::msg("raised in GeneratorExit handler"));
        }
        Ok(())
    }));
    let err = g.close().unwrap_err();
    assert!(matches!(&err, Error::Raised(_)));
    assert_eq!(err.to_string(), "raised in GeneratorExit handler");
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(
        log.take(),
        ["handler: caught GeneratorExit, raising ValueError"]
    );
    assert_eq!(g.close().unwrap(), None, "a second close runs nothing");
    assert!(log.take().is_empty());
}

/// Python's `close_e1()`: yields from its `GeneratorExit` handler, then
/// returns "r" if resumed.
fn close_e1(log: &Log) -> Generator<&'static str, (), &'static str> {
    let log = log.clone();
    started(Generator::new("close_e1", move |co| async move {
        if co.yield_("first").await.is_err() {
            log.push("handler: caught GeneratorExit, yielding 'ignored'");
            co.yield_("ignored").await?;
            log.push("body: resumed after yield in handler, return 'r'");
            return Ok("r");
        }
        Ok("not closed")
    }))
}

#[test]
fn close_on_a_body_that_yields_is_refused_and_the_generator_stays_suspended() {
    let log = Log::new();
    let g = close_e1(&log);
    let err = g.close().unwrap_err();
    assert_eq!(err.to_string(), "generator ignored GeneratorExit");
    assert!(matches!(
        err,
        Error::IgnoredGeneratorExit { name: "close_e1" }
    ));
    assert_eq!(g.state(), GenState::Suspended);
    assert!(g.is_suspended());
    assert!(!g.is_running());
    assert_eq!(
        log.take(),
        ["handler: caught GeneratorExit, yielding 'ignored'"]
    );
}

#[test]
fn a_second_close_after_an_ignored_one_closes_it() {
    let log = Log::new();
    let g = close_e1(&log);
    assert!(matches!(g.close(), Err(Error::IgnoredGeneratorExit { .. })));
    log.take();
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(g.state(), GenState::Closed);
    assert!(
        log.take().is_empty(),
        "the body let the second GeneratorExit out"
    );
}

#[test]
fn next_after_an_ignored_close_resumes_the_body_at_its_handler_yield() {
    let log = Log::new();
    let g = close_e1(&log);
    assert!(g.close().is_err());
    log.take();
    assert_eq!(g.next().unwrap(), Step::Returned("r"));
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(
        log.take(),
        ["body: resumed after yield in handler, return 'r'"]
    );
}

#[test]
fn a_second_close_reaches_a_nested_generator_exit_handler() {
    // def close_e2():
    //     try: yield 1
    //     except GeneratorExit:
    //         log(...); try: yield "ignored"
    //         except GeneratorExit: log(...); return "r2"
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<&str, (), &str> = started(Generator::new("close_e2", move |co| async move {
        if co.yield_("first").await.is_err() {
            body_log.push("handler#1: caught GeneratorExit, yielding 'ignored'");
            if co.yield_("ignored").await.is_err() {
                body_log.push("handler#2: caught second GeneratorExit, return 'r2'");
                return Ok("r2");
            }
        }
        Ok("fell through")
    }));
    assert!(matches!(g.close(), Err(Error::IgnoredGeneratorExit { .. })));
    assert_eq!(g.close().unwrap(), Some("r2"));
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(
        log.take(),
        [
            "handler#1: caught GeneratorExit, yielding 'ignored'",
            "handler#2: caught second GeneratorExit, return 'r2'",
        ]
    );
}

#[test]
fn the_value_yielded_instead_of_closing_is_dropped_by_close() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<Finally> = Generator::new("yields_guards", move |co| async move {
        if co
            .yield_(body_log.finally("first value dropped"))
            .await
            .is_err()
        {
            co.yield_(body_log.finally("ignored value dropped")).await?;
        }
        Ok(())
    });
    let first = g.next().unwrap();
    drop(first);
    assert_eq!(log.take(), ["first value dropped"]);
    assert!(g.close().is_err());
    assert_eq!(log.take(), ["ignored value dropped"]);
    assert_eq!(g.state(), GenState::Suspended);
}

#[test]
fn close_runs_the_handler_then_cleanup_innermost_first_before_returning() {
    // try:                      # outer
    //     try:                  # inner
    //         yield 1
    //     except GeneratorExit:
    //         log("handler"); raise
    //     finally: log("inner finally")
    // finally: log("outer finally")
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = started(Generator::new("nested_cleanup", move |co| async move {
        let _outer = body_log.finally("outer finally");
        let _inner = body_log.finally("inner finally");
        if let Err(e) = co.yield_(1).await {
            body_log.push(format!("handler: {e}"));
            return Err(e);
        }
        Ok(())
    }));
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(
        log.take(),
        ["handler: GeneratorExit", "inner finally", "outer finally"]
    );
    drop(g);
    assert!(log.take().is_empty(), "cleanup ran exactly once");
}

#[test]
fn close_runs_finally_like_cleanup_once() {
    // def close_f():
    //     try: log("body: in try"); yield 1
    //     finally: log("finally: runs")
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = started(Generator::new("close_f", move |co| async move {
        let _finally = body_log.finally("finally: runs");
        body_log.push("body: in try");
        co.yield_(1).await?;
        Ok(())
    }));
    assert_eq!(log.take(), ["body: in try"]);
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(log.take(), ["finally: runs"]);
    assert_eq!(g.close().unwrap(), None);
    drop(g);
    assert!(log.take().is_empty());
}

#[test]
fn a_body_that_raises_generator_exit_itself_closes_cleanly() {
    let g: Generator<i32> = started(Generator::new("fresh_exit", |co| async move {
        if co.yield_(1).await.is_err() {
            return Err(GeneratorExit.into());
        }
        Ok(())
    }));
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(g.state(), GenState::Closed);
}
