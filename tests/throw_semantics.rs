//! `throw(e)` on a suspended generator: the error is raised at the yield
//! where the body is parked, and the body may catch it and yield, catch it
//! and return, raise something else, or let it out. `throw(GeneratorExit)`
//! is not `close()`. CPython reference: outcomes.md A6, A7 (notes 6, 12).
//! Throwing into a created or closed generator is covered by
//! `created_state.rs` and `closed_state.rs`.

mod trace;

use std::fmt;
use trace::{KeyError, Log, ValueError};
use yieldfrom::{AnyError, Co, Error, GenState, Generator, GeneratorExit, Step};

fn started<Y: fmt::Debug, R: 'static>(g: Generator<Y, (), R>) -> Generator<Y, (), R> {
    assert!(matches!(g.next(), Ok(Step::Yielded(_))));
    g
}

#[test]
fn an_uncaught_thrown_error_comes_back_as_the_same_error_and_closes_it() {
    // def thr_a(): yield 1; log("body: after yield (should not run)")
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = started(Generator::new("thr_a", move |co| async move {
        co.yield_(1).await?;
        body_log.push("body: after yield (should not run)");
        Ok(())
    }));
    let error = AnyError::from(ValueError("x"));
    let thrown_at: *const ValueError = error.downcast_ref::<ValueError>().unwrap();
    let back = g.throw(error).unwrap_err().raised().unwrap();
    let back_at: *const ValueError = back.downcast_ref::<ValueError>().unwrap();
    assert_eq!(back_at, thrown_at);
    assert_eq!(g.state(), GenState::Closed);
    assert!(log.take().is_empty());
}

#[test]
fn a_body_that_catches_and_yields_hands_out_the_value_and_stays_suspended() {
    // def thr_b():
    //     try: yield 1
    //     except ValueError as e: log(...); yield 2
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = started(Generator::new("thr_b", move |co: Co<i32>| async move {
        match co.yield_(1).await {
            Err(e) if e.is::<ValueError>() => {
                body_log.push(format!("handler: caught {e:?}, yield 2"));
                co.yield_(2).await?;
            }
            other => {
                other?;
            }
        }
        body_log.push("body: end");
        Ok(())
    }));
    assert_eq!(g.throw(ValueError("x").into()).unwrap(), Step::Yielded(2));
    assert_eq!(g.state(), GenState::Suspended);
    assert_eq!(log.take(), ["handler: caught ValueError(\"x\"), yield 2"]);
    assert_eq!(g.next().unwrap(), Step::Returned(()), "it goes on as usual");
    assert_eq!(log.take(), ["body: end"]);
}

#[test]
fn a_body_that_catches_and_returns_hands_out_its_return_value() {
    // def thr_c():
    //     try: yield 1
    //     except ValueError: return 7
    let g: Generator<i32, (), i32> = started(Generator::new("thr_c", |co: Co<i32>| async move {
        match co.yield_(1).await {
            Err(e) if e.is::<ValueError>() => Ok(7),
            other => other.map(|_| 0),
        }
    }));
    assert_eq!(g.throw(ValueError("x").into()).unwrap(), Step::Returned(7));
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
}

#[test]
fn a_body_that_raises_another_error_in_its_handler_hands_out_that_error() {
    // def thr_d():
    //     try: yield 1
    //     except ValueError: raise KeyError("k")
    let g: Generator<i32> = started(Generator::new("thr_d", |co: Co<i32>| async move {
        match co.yield_(1).await {
            Err(e) if e.is::<ValueError>() => Err(KeyError("k").into()),
            other => other.map(drop),
        }
    }));
    let err = g.throw(ValueError("x").into()).unwrap_err();
    assert_eq!(err.to_string(), "'k'");
    assert_eq!(
        err.raised().unwrap().downcast::<KeyError>().unwrap(),
        KeyError("k")
    );
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn the_error_is_raised_at_the_yield_where_the_body_is_parked() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<&str> = Generator::new("parked", move |co| async move {
        for at in ["first", "second", "third"] {
            if let Err(e) = co.yield_(at).await {
                body_log.push(format!("caught {e} at the {at} yield"));
            }
        }
        Ok(())
    });
    assert_eq!(g.next().unwrap(), Step::Yielded("first"));
    assert_eq!(g.next().unwrap(), Step::Yielded("second"));
    assert_eq!(g.throw(AnyError::msg("x")).unwrap(), Step::Yielded("third"));
    assert_eq!(log.take(), ["caught x at the second yield"]);
}

#[test]
fn an_uncaught_thrown_error_runs_the_body_cleanup_before_coming_back() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = started(Generator::new("cleanup", move |co| async move {
        let _outer = body_log.finally("outer finally");
        let _inner = body_log.finally("inner finally");
        co.yield_(1).await?;
        Ok(())
    }));
    assert!(g.throw(AnyError::msg("x")).is_err());
    assert_eq!(log.take(), ["inner finally", "outer finally"]);
}

#[test]
fn throwing_generator_exit_that_is_not_caught_hands_it_back_rather_than_closing_quietly() {
    // thr_a(); next(g); g.throw(GeneratorExit) raises GeneratorExit
    let g: Generator<i32> = started(Generator::new("thr_a", |co| async move {
        co.yield_(1).await?;
        Ok(())
    }));
    let err = g.throw(GeneratorExit.into()).unwrap_err();
    assert!(err.raised().unwrap().is::<GeneratorExit>());
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn throwing_generator_exit_runs_the_body_cleanup() {
    // def close_f(): try: yield 1 finally: log("finally: runs")
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = started(Generator::new("close_f", move |co| async move {
        let _finally = body_log.finally("finally: runs");
        co.yield_(1).await?;
        Ok(())
    }));
    assert!(g.throw(GeneratorExit.into()).is_err());
    assert_eq!(log.take(), ["finally: runs"]);
}

#[test]
fn a_body_that_yields_on_a_thrown_generator_exit_just_yields() {
    // def ge_yields():
    //     try: yield 1
    //     except GeneratorExit: yield "after-GE"
    // Unlike close(), throw(GeneratorExit) makes no "ignored" complaint.
    let g: Generator<&str> = started(Generator::new("ge_yields", |co: Co<&str>| async move {
        match co.yield_("first").await {
            Err(e) if e.is::<GeneratorExit>() => co.yield_("after-GE").await.map(drop),
            other => other.map(drop),
        }
    }));
    assert_eq!(
        g.throw(GeneratorExit.into()).unwrap(),
        Step::Yielded("after-GE")
    );
    assert_eq!(g.state(), GenState::Suspended);
}

#[test]
fn a_thrown_error_that_is_caught_leaves_the_generator_fully_usable() {
    let g: Generator<i32, i32, i32> = Generator::new("resilient", |co: Co<i32, i32>| async move {
        let mut total = 0;
        loop {
            match co.yield_(total).await {
                Ok(Some(n)) => total += n,
                Ok(None) => return Ok(total),
                Err(e) if e.to_string() == "reset" => total = 0,
                Err(e) => return Err(e),
            }
        }
    });
    assert_eq!(g.next().unwrap(), Step::Yielded(0));
    assert_eq!(g.send(5).unwrap(), Step::Yielded(5));
    assert_eq!(g.throw(AnyError::msg("reset")).unwrap(), Step::Yielded(0));
    assert_eq!(g.send(2).unwrap(), Step::Yielded(2));
    assert_eq!(g.next().unwrap(), Step::Returned(2));
}

#[test]
fn an_error_raised_by_throw_is_reported_as_raised_not_as_a_refusal() {
    let g: Generator<i32> = started(Generator::new("plain", |co| async move {
        co.yield_(1).await?;
        Ok(())
    }));
    let err = g.throw(AnyError::msg("x")).unwrap_err();
    assert_eq!(err.generator_name(), None);
    assert!(matches!(err, Error::Raised(_)));
}
