//! An error a generator raises keeps its type when an operation's error is
//! propagated with `?`: at any depth, through `yield from`, tasks and
//! `gather`, it is caught by its type, as Python's `except ValueError`
//! around `target.send(x)` catches it.

mod trace;

use std::error::Error as StdError;
use trace::ValueError;
use yieldfrom::{
    AlreadyExecuting, AnyError, Co, Error, ForeignAwait, Generator, IgnoredGeneratorExit,
    JustStarted, Step,
    asyncio::{ClockKind, Coroutine, coroutine, gather, run_with},
};

/// ```python
/// def target():
///     x = yield
///     raise ValueError(f"bad {x}")
/// ```
fn target() -> Generator<(), i32> {
    Generator::new("target", |co| async move {
        let x = co.yield_(()).await?;
        Err(ValueError(if x == Some(7) { "bad 7" } else { "bad" }).into())
    })
}

/// ```python
/// def relay(t):
///     next(t)
///     t.send(7)        # no try: the ValueError propagates
///     yield
/// ```
fn relay(t: Generator<(), i32>) -> Generator<()> {
    Generator::new("relay", |co: Co<_>| async move {
        t.next()?;
        t.send(7)?;
        co.yield_(()).await?;
        Ok(())
    })
}

fn is_bad_7(e: &AnyError) -> bool {
    e.downcast_ref::<ValueError>() == Some(&ValueError("bad 7"))
}

#[test]
fn a_send_propagated_with_the_question_mark_raises_the_targets_own_error() {
    let err = relay(target()).next().unwrap_err();
    let raised = err.raised().expect("the relay raised");
    assert!(is_bad_7(&raised), "{raised:?}");
}

#[test]
fn an_operation_error_converts_into_the_error_the_body_raised() {
    let t = target();
    t.next().unwrap();
    let e: AnyError = t.send(7).unwrap_err().into();
    assert!(is_bad_7(&e), "{e:?}");
}

#[test]
fn the_error_is_caught_by_type_in_a_body_two_relays_up() {
    // def catcher():
    //     try:
    //         yield from relay(target())    # relay's own send raised
    //     except ValueError as e:
    //         return str(e)
    let relay_of_relay: Generator<()> = Generator::new("relay_of_relay", |_co| async move {
        let inner = relay(target());
        inner.next()?;
        Ok(())
    });
    let catcher: Generator<(), (), String> = Generator::new("catcher", |co: Co<_>| async move {
        match co.yield_from(relay_of_relay).await {
            Err(e) if e.is::<ValueError>() => Ok(e.to_string()),
            Err(e) => Err(e),
            Ok(()) => Ok("no error".to_owned()),
        }
    });
    assert_eq!(catcher.next().unwrap(), Step::Returned("bad 7".to_owned()));
}

#[test]
fn the_error_crosses_a_yield_from_chain_to_the_outermost_caller() {
    let middle: Generator<()> = Generator::new("middle", |co| async move {
        co.yield_from(relay(target())).await
    });
    let outer: Generator<()> =
        Generator::new("outer", |co| async move { co.yield_from(middle).await });
    let e: AnyError = outer.next().unwrap_err().into();
    assert!(is_bad_7(&e), "{e:?}");
}

fn sending_coroutine() -> Coroutine<()> {
    coroutine("sender", |_co| async move {
        let t = target();
        t.next()?;
        t.send(7)?;
        Ok(())
    })
}

#[test]
fn a_task_whose_coroutine_propagated_the_error_fails_with_its_type() {
    let caught = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let task = yieldfrom::asyncio::EventLoop::running()?.create_task(sending_coroutine())?;
            match co.yield_from(task.wait()).await {
                Err(e) => Ok(is_bad_7(&e)),
                Ok(()) => Ok(false),
            }
        }),
    )
    .unwrap();
    assert!(caught);
}

#[test]
fn gather_fails_with_the_type_a_child_propagated() {
    let e = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            let ok = coroutine("ok", |_co| async move { Ok(()) });
            co.yield_from(gather(vec![ok, sending_coroutine()])?.wait())
                .await
                .map(drop)
        }),
    )
    .unwrap_err();
    assert!(is_bad_7(&e), "{e:?}");
}

#[test]
fn into_a_boxed_std_error_the_question_mark_keeps_the_type_too() {
    fn drive() -> Result<(), Box<dyn StdError + Send + Sync>> {
        let t = target();
        t.next()?;
        t.send(7)?;
        Ok(())
    }
    let e = drive().unwrap_err();
    assert_eq!(e.downcast_ref::<ValueError>(), Some(&ValueError("bad 7")));
}

#[test]
fn the_crates_own_refusals_become_errors_named_for_them() {
    let unstarted = target();
    let e: AnyError = unstarted.send(1).unwrap_err().into();
    assert_eq!(
        e.downcast_ref::<JustStarted>(),
        Some(&JustStarted {
            generator: "target"
        })
    );
    assert_eq!(
        e.to_string(),
        "can't send non-None value to a just-started generator"
    );

    let stubborn: Generator<i32> = Generator::new("stubborn", |co: Co<_>| async move {
        loop {
            let _ = co.yield_(1).await;
        }
    });
    stubborn.next().unwrap();
    let e: AnyError = stubborn.close().unwrap_err().into();
    assert_eq!(
        e.downcast_ref::<IgnoredGeneratorExit>(),
        Some(&IgnoredGeneratorExit {
            delegate: "stubborn"
        })
    );

    let e: AnyError = Error::<AnyError>::AlreadyExecuting {
        name: "busy",
        value: (),
    }
    .into();
    assert_eq!(
        e.downcast_ref::<AlreadyExecuting>(),
        Some(&AlreadyExecuting { generator: "busy" })
    );
    assert_eq!(e.to_string(), "generator already executing");

    let e: AnyError = Error::<AnyError>::ForeignAwait { name: "rusty" }.into();
    assert_eq!(
        e.downcast_ref::<ForeignAwait>(),
        Some(&ForeignAwait { generator: "rusty" })
    );
}
