//! A body may create and drive other generators with every operation, as
//! ordinary Python code in a generator may call `next`, `send`, `throw` and
//! `close` on other generators (this is not `yield from`). Each generator
//! keeps its own inputs: what one is resumed with never leaks into
//! another, whatever the nesting.

mod trace;

use std::panic::{AssertUnwindSafe, catch_unwind};
use trace::{Log, unraisable_during};
use yieldfrom::{AnyError, Co, Error, GenState, Generator, GeneratorExit, Step};

/// Logs everything it is resumed with, and yields a running count.
fn echo(name: &'static str, log: &Log) -> Generator<u32, i32> {
    let log = log.clone();
    Generator::new(name, move |co: Co<u32, i32>| async move {
        let mut count = 0;
        loop {
            let got = co.yield_(count).await;
            count += 1;
            match got {
                Ok(v) => log.push(format!("{name}: got {v:?}")),
                Err(e) if e.is::<GeneratorExit>() => {
                    log.push(format!("{name}: closing"));
                    return Err(e);
                }
                Err(e) => log.push(format!("{name}: caught {e}")),
            }
        }
    })
}

#[test]
fn a_body_drives_another_generator_while_it_is_itself_resumed_each_way() {
    let log = Log::new();
    let outer_log = log.clone();
    let inner = echo("inner", &log);
    let outer: Generator<&str, i32> =
        Generator::new("outer", move |co: Co<&str, i32>| async move {
            inner.next()?;
            let got = co.yield_("o1").await;
            outer_log.push(format!("outer: got {got:?}"));
            inner.send(10).map_err(Error::without_value)?;
            let got = co.yield_("o2").await;
            outer_log.push(format!("outer: got {got:?}"));
            inner
                .throw(AnyError::msg("into inner"))
                .map_err(Error::without_value)?;
            let got = co.yield_("o3").await;
            outer_log.push(format!("outer: got {got:?}"));
            inner.next()?;
            inner.close()?;
            let got = co.yield_("o4").await;
            if let Err(e) = &got {
                outer_log.push(format!("outer: got {e}"));
            }
            got.map(drop)
        });
    assert_eq!(outer.next().unwrap(), Step::Yielded("o1"));
    assert_eq!(outer.send(1).unwrap(), Step::Yielded("o2"));
    assert_eq!(
        outer.throw(AnyError::msg("into outer")).unwrap(),
        Step::Yielded("o3")
    );
    assert_eq!(outer.next().unwrap(), Step::Yielded("o4"));
    assert_eq!(outer.close().unwrap(), None);
    assert_eq!(
        log.take(),
        [
            "outer: got Ok(Some(1))",
            "inner: got Some(10)",
            "outer: got Err(\"into outer\")",
            "inner: caught into inner",
            "outer: got Ok(None)",
            "inner: got None",
            "inner: closing",
            "outer: got GeneratorExit",
        ]
    );
}

#[test]
fn a_generator_thrown_into_can_drive_another_from_its_handler() {
    let log = Log::new();
    let outer_log = log.clone();
    let inner = echo("inner", &log);
    let outer: Generator<&str> = Generator::new("outer", move |co: Co<&str>| async move {
        inner.next()?;
        if let Err(e) = co.yield_("o1").await {
            inner
                .throw(AnyError::msg("second"))
                .map_err(Error::without_value)?;
            outer_log.push(format!("outer: still holding {e}"));
            return Err(e);
        }
        Ok(())
    });
    outer.next().unwrap();
    let err = outer.throw(AnyError::msg("first")).unwrap_err();
    assert_eq!(err.to_string(), "first");
    assert_eq!(
        log.take(),
        [
            "inner: caught second",
            "outer: still holding first",
            "inner: closing",
        ],
        "the inner generator is finalised as the outer body lets go of it"
    );
}

#[test]
fn a_generator_closed_can_close_others_from_its_handler_and_still_ignore_the_exit() {
    let log = Log::new();
    let outer_log = log.clone();
    let inner = echo("inner", &log);
    let outer: Generator<&str> = Generator::new("outer", move |co: Co<&str>| async move {
        inner.next()?;
        if let Err(e) = co.yield_("o1").await {
            outer_log.push(format!("outer: got {e}, closing inner"));
            inner.close()?;
            let again = co.yield_("ignored").await;
            outer_log.push(format!("outer: resumed with {again:?}"));
        }
        Ok(())
    });
    outer.next().unwrap();
    assert!(matches!(
        outer.close(),
        Err(Error::IgnoredGeneratorExit { name: "outer" })
    ));
    assert_eq!(outer.next().unwrap(), Step::Returned(()));
    assert_eq!(
        log.take(),
        [
            "outer: got GeneratorExit, closing inner",
            "inner: closing",
            "outer: resumed with Ok(None)",
        ]
    );
}

#[test]
fn a_body_can_catch_the_panic_of_a_generator_it_drives_and_carry_on() {
    let outer: Generator<&str, i32> = Generator::new("outer", |co: Co<&str, i32>| async move {
        let inner: Generator<i32> = Generator::new("inner", |co| async move {
            co.yield_(1).await?;
            panic!("inner panicked");
        });
        inner.next()?;
        let caught = catch_unwind(AssertUnwindSafe(|| inner.next())).is_err();
        let got = co.yield_(if caught { "caught" } else { "missed" }).await?;
        if got == Some(5) {
            co.yield_("got five").await?;
        }
        Ok(())
    });
    assert_eq!(outer.next().unwrap(), Step::Yielded("caught"));
    assert_eq!(outer.send(5).unwrap(), Step::Yielded("got five"));
    assert_eq!(outer.next().unwrap(), Step::Returned(()));
}

#[test]
fn a_body_that_drives_a_generator_into_a_foreign_await_is_not_blamed_for_it() {
    let outer: Generator<&str> = Generator::new("outer", |co: Co<&str>| async move {
        let inner: Generator<i32> = Generator::new("inner", |co| async move {
            co.yield_(1).await?;
            futures::future::pending::<()>().await;
            Ok(())
        });
        inner.next()?;
        let verdict = match inner.next() {
            Err(Error::ForeignAwait { name }) => name,
            _ => "nobody",
        };
        co.yield_(verdict).await?;
        co.yield_("outer carries on").await?;
        Ok(())
    });
    assert_eq!(outer.next().unwrap(), Step::Yielded("inner"));
    assert_eq!(outer.next().unwrap(), Step::Yielded("outer carries on"));
    assert_eq!(outer.state(), GenState::Suspended);
}

#[test]
fn a_generator_dropped_inside_a_handler_is_finalised_without_disturbing_the_handler() {
    let log = Log::new();
    let outer_log = log.clone();
    let (sent, reports) = unraisable_during(|| {
        let inner = echo("inner", &log);
        let outer: Generator<&str, i32, i32> =
            Generator::new("outer", move |co: Co<&str, i32>| async move {
                inner.next()?;
                let mut inner = Some(inner);
                loop {
                    match co.yield_("waiting").await {
                        Ok(Some(v)) => return Ok(v),
                        Ok(None) => {}
                        Err(e) => {
                            drop(inner.take());
                            outer_log.push(format!("outer: after dropping inner, holding {e}"));
                        }
                    }
                }
            });
        outer.next().unwrap();
        assert_eq!(
            outer.throw(AnyError::msg("drop it")).unwrap(),
            Step::Yielded("waiting")
        );
        outer.send(42).unwrap()
    });
    assert_eq!(sent, Step::Returned(42));
    assert_eq!(
        log.take(),
        [
            "inner: closing",
            "outer: after dropping inner, holding drop it"
        ]
    );
    assert_eq!(reports, []);
}

#[test]
fn generators_on_different_threads_do_not_disturb_each_other() {
    use yieldfrom::sync;
    let handles: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let g: sync::Generator<i32, i32, i32> =
                    sync::Generator::new("summer", |co: sync::Co<i32, i32>| async move {
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
                g.next().unwrap();
                for k in 0..2_000 {
                    g.send(t * k).unwrap();
                    if k % 500 == 0 {
                        g.throw(AnyError::msg("reset")).unwrap();
                    }
                }
                g.next().unwrap()
            })
        })
        .collect();
    let totals: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let expected = |t: i32| Step::Returned((1501..2000).map(|k| t * k).sum::<i32>());
    assert_eq!(totals, (0..4).map(expected).collect::<Vec<_>>());
}
