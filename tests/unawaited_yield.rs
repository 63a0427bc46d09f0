//! `co.yield_(v)` hands `v` over when it is called, so a body must await
//! it before it yields (or delegates) again. A body that does not is told
//! so with `Interrupt::UnawaitedYield` at the later yield, which hands
//! nothing over; the value already handed over is the one the caller sees.
//! Never a panic, in debug or release builds. A Python `yield` is a single
//! expression, so this has no CPython counterpart.

mod trace;

use std::fmt;
use trace::Log;
use yieldfrom::{AnyError, Co, Error, GenState, Generator, Step, UnawaitedYield};

/// A body, for either flavour, that makes two yields before awaiting
/// either.
macro_rules! yields_twice_before_awaiting {
    ($co:ident) => {
        async move {
            let first = $co.yield_(1);
            let second = $co.yield_(2);
            first.await?;
            second.await?;
            Ok(())
        }
    };
}

/// Asserts that an operation failed because the body raised
/// `UnawaitedYield`.
fn assert_unawaited_yield<Y: fmt::Debug, R: fmt::Debug>(
    result: Result<Step<Y, R>, Error<AnyError>>,
) {
    match result {
        Err(Error::Raised(e)) => assert!(e.is::<UnawaitedYield>(), "{e:?}"),
        other => panic!("expected UnawaitedYield, got {other:?}"),
    }
}

#[test]
fn a_second_yield_before_the_first_is_awaited_raises_unawaited_yield_and_hands_nothing_over() {
    let g: Generator<i32> =
        Generator::new("twice", |co: Co<i32>| yields_twice_before_awaiting!(co));
    assert_eq!(g.next().unwrap(), Step::Yielded(1));
    assert_unawaited_yield(g.next());
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
}

#[test]
fn a_body_that_catches_unawaited_yield_goes_on_with_the_yield_it_handed_over() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = Generator::new("recovers", move |co: Co<i32>| async move {
        let first = co.yield_(1);
        match co.yield_(2).await {
            Err(e) if e.is::<UnawaitedYield>() => body_log.push(format!("refused: {e}")),
            other => body_log.push(format!("unexpected: {other:?}")),
        }
        first.await?;
        co.yield_(3).await?;
        Ok(())
    });
    assert_eq!(g.next().unwrap(), Step::Yielded(1));
    assert_eq!(g.next().unwrap(), Step::Yielded(3));
    assert_eq!(g.next().unwrap(), Step::Returned(()));
    assert_eq!(
        log.take(),
        [
            "refused: co.yield_ was called while an earlier yield was not yet awaited; \
          await each yield at once"
        ]
    );
}

#[test]
fn a_yield_dropped_unawaited_makes_the_next_yield_raise_unawaited_yield() {
    let g: Generator<i32> = Generator::new("dropped", |co: Co<i32>| async move {
        drop(co.yield_(1));
        co.yield_(2).await?;
        Ok(())
    });
    assert_unawaited_yield(g.next());
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_delegation_after_an_unawaited_yield_is_refused_and_the_delegate_is_finalised() {
    let log = Log::new();
    let (sub_log, body_log) = (log.clone(), log.clone());
    let sub: Generator<i32> = Generator::new("sub", move |co: Co<i32>| async move {
        let _cleanup = sub_log.finally("sub cleanup");
        co.yield_(10).await?;
        co.yield_(11).await?;
        Ok(())
    });
    assert_eq!(sub.next().unwrap(), Step::Yielded(10));
    let g: Generator<i32> = Generator::new("delegator", move |co: Co<i32>| async move {
        let first = co.yield_(1);
        match co.yield_from(sub).await {
            Err(e) if e.is::<UnawaitedYield>() => body_log.push("delegation refused"),
            other => body_log.push(format!("unexpected: {other:?}")),
        }
        first.await?;
        Ok(())
    });
    assert_eq!(g.next().unwrap(), Step::Yielded(1));
    assert_eq!(log.take(), ["sub cleanup", "delegation refused"]);
    assert_eq!(g.next().unwrap(), Step::Returned(()));
}

#[test]
fn driving_another_generator_between_a_yield_and_its_await_is_fine() {
    let g: Generator<i32> = Generator::new("driver", |co: Co<i32>| async move {
        let inner: Generator<i32> = Generator::new("inner", |co: Co<i32>| async move {
            co.yield_(100).await?;
            co.yield_(200).await?;
            Ok(())
        });
        let first = co.yield_(1);
        let total: i32 = inner.iter().sum();
        first.await?;
        co.yield_(total).await?;
        Ok(())
    });
    assert_eq!(g.next().unwrap(), Step::Yielded(1));
    assert_eq!(g.next().unwrap(), Step::Yielded(300));
    assert_eq!(g.next().unwrap(), Step::Returned(()));
}

#[test]
fn the_thread_safe_flavour_refuses_a_second_yield_alike() {
    let g: yieldfrom::sync::Generator<i32> =
        yieldfrom::sync::Generator::new("twice", |co: yieldfrom::sync::Co<i32>| {
            yields_twice_before_awaiting!(co)
        });
    assert_eq!(g.next().unwrap(), Step::Yielded(1));
    assert_unawaited_yield(g.next());
}
