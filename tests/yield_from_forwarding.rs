//! `r = yield from sub` forwards the caller's `next` and `send` to the
//! innermost generator, and evaluates to what `sub` returns (PEP 380;
//! `docs/cpython_reference/outcomes.md`, B1, B2, B7, B8).

use yieldfrom::{Co, Error, Exhausted, GenState, Generator, NoSend, Step};

mod trace;
/// The side effects bodies record, in order (the probe's `LOG`).
use trace::Log as Trace;

/// ```python
/// def b_inner():
///     log("inner: start")
///     a = yield "i1"
///     log(f"inner: got {a!r}")
///     b = yield "i2"
///     log(f"inner: got {b!r}")
///     return "inner-ret"
/// ```
fn b_inner(trace: &Trace) -> Generator<&'static str, &'static str, &'static str> {
    let trace = trace.clone();
    Generator::new("b_inner", move |co| async move {
        trace.push("inner: start");
        let a = co.yield_("i1").await?;
        trace.push(format!("inner: got {a:?}"));
        let b = co.yield_("i2").await?;
        trace.push(format!("inner: got {b:?}"));
        Ok("inner-ret")
    })
}

/// ```python
/// def b_outer(it):
///     log("outer: start")
///     r = yield from it
///     log(f"outer: r={r!r}")
///     yield "o-after"
///     return "outer-ret"
/// ```
fn b_outer(
    trace: &Trace,
    it: Generator<&'static str, &'static str, &'static str>,
) -> Generator<&'static str, &'static str, &'static str> {
    let trace = trace.clone();
    Generator::new("b_outer", move |co| async move {
        trace.push("outer: start");
        let r = co.yield_from(it).await?;
        trace.push(format!("outer: r={r:?}"));
        co.yield_("o-after").await?;
        Ok("outer-ret")
    })
}

#[test]
fn the_first_next_starts_the_delegator_then_the_delegate_and_yields_the_delegates_value() {
    let trace = Trace::default();
    let g = b_outer(&trace, b_inner(&trace));

    assert_eq!(g.next().unwrap(), Step::Yielded("i1"));
    assert_eq!(trace.take(), ["outer: start", "inner: start"]);
    assert_eq!(g.state(), GenState::Suspended);
}

#[test]
fn a_sent_value_reaches_the_delegates_pending_yield() {
    let trace = Trace::default();
    let g = b_outer(&trace, b_inner(&trace));
    g.next().unwrap();
    trace.take();

    assert_eq!(g.send("A").unwrap(), Step::Yielded("i2"));
    assert_eq!(trace.take(), [r#"inner: got Some("A")"#]);
}

#[test]
fn next_through_a_delegator_resumes_the_delegate_with_nothing() {
    let trace = Trace::default();
    let g = b_outer(&trace, b_inner(&trace));
    g.next().unwrap();
    trace.take();

    assert_eq!(g.next().unwrap(), Step::Yielded("i2"));
    assert_eq!(trace.take(), ["inner: got None"]);
}

#[test]
fn the_delegates_return_value_becomes_the_value_of_the_yield_from_expression() {
    let trace = Trace::default();
    let g = b_outer(&trace, b_inner(&trace));
    g.next().unwrap();
    g.send("A").unwrap();
    trace.take();

    // B1.3: the send that ends the delegate runs the delegator on to its
    // next yield within the same call.
    assert_eq!(g.send("B").unwrap(), Step::Yielded("o-after"));
    assert_eq!(
        trace.take(),
        [r#"inner: got Some("B")"#, r#"outer: r="inner-ret""#]
    );
    // B1.4, B1.5.
    assert_eq!(g.next().unwrap(), Step::Returned("outer-ret"));
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_value_sent_to_a_delegator_that_has_not_started_is_refused_and_nothing_runs() {
    let trace = Trace::default();
    let g = b_outer(&trace, b_inner(&trace));

    match g.send("early") {
        Err(Error::JustStarted { name, value }) => {
            assert_eq!(name, "b_outer");
            assert_eq!(value, "early");
        }
        other => panic!("expected JustStarted, got {other:?}"),
    }
    assert_eq!(g.state(), GenState::Created);
    assert!(trace.take().is_empty());
    assert_eq!(g.next().unwrap(), Step::Yielded("i1"));
}

#[test]
fn the_delegate_may_return_a_type_other_than_the_delegators() {
    let inner: Generator<u8, (), Vec<u8>> = Generator::new("collects", |co| async move {
        co.yield_(1).await?;
        co.yield_(2).await?;
        Ok(vec![1, 2])
    });
    let outer: Generator<u8, (), usize> = Generator::new("measures", move |co| async move {
        let items = co.yield_from(inner).await?;
        Ok(items.len())
    });

    assert_eq!(outer.next().unwrap(), Step::Yielded(1));
    assert_eq!(outer.next().unwrap(), Step::Yielded(2));
    assert_eq!(outer.next().unwrap(), Step::Returned(2));
}

#[test]
fn a_delegate_that_returns_without_yielding_hands_its_value_over_in_the_same_resume() {
    let inner: Generator<&str, (), i32> = Generator::new("immediate", |_co| async move { Ok(7) });
    let outer: Generator<&str, (), i32> = Generator::new("outer", move |co| async move {
        let r = co.yield_from(inner).await?;
        co.yield_("after").await?;
        Ok(r * 6)
    });

    assert_eq!(outer.next().unwrap(), Step::Yielded("after"));
    assert_eq!(outer.delegate(), None);
    assert_eq!(outer.next().unwrap(), Step::Returned(42));
}

#[test]
fn a_delegator_may_delegate_to_several_generators_one_after_another() {
    fn count(name: &'static str, from: i32, to: i32) -> Generator<i32, (), i32> {
        Generator::new(name, move |co| async move {
            for n in from..to {
                co.yield_(n).await?;
            }
            Ok(to - from)
        })
    }
    let outer: Generator<i32, (), i32> = Generator::new("outer", |co| async move {
        let a = co.yield_from(count("first", 0, 2)).await?;
        co.yield_(100).await?;
        let b = co.yield_from(count("second", 10, 13)).await?;
        Ok(a + b)
    });
    let yielded: Vec<i32> = outer.iter().collect();
    assert_eq!(yielded, [0, 1, 100, 10, 11, 12]);
    assert_eq!(outer.take_outcome().unwrap().unwrap(), 5);
}

#[test]
fn values_sent_to_a_two_level_chain_reach_the_innermost_generator() {
    // Each level adds its own offset to what the level below returns.
    let leaf: Generator<i32, i32, i32> = Generator::new("leaf", |co| async move {
        let mut total = 0;
        while let Some(n) = co.yield_(total).await? {
            total += n;
        }
        Ok(total)
    });
    let middle: Generator<i32, i32, i32> = Generator::new("middle", move |co| async move {
        Ok(co.yield_from(leaf).await? + 100)
    });
    let top: Generator<i32, i32, i32> = Generator::new("top", move |co| async move {
        Ok(co.yield_from(middle).await? + 1000)
    });

    assert_eq!(top.next().unwrap(), Step::Yielded(0));
    assert_eq!(top.send(5).unwrap(), Step::Yielded(5));
    assert_eq!(top.send(6).unwrap(), Step::Yielded(11));
    assert_eq!(top.next().unwrap(), Step::Returned(1111));
}

// B8.a: a partly consumed delegate.

/// ```python
/// def partial_inner():
///     log("inner: start")
///     a = yield "p1"
///     log(f"inner: resumed after p1 with {a!r}")
///     b = yield "p2"
///     log(f"inner: resumed after p2 with {b!r}")
///     return "pret"
/// ```
fn partial_inner(trace: &Trace) -> Generator<&'static str, &'static str, &'static str> {
    let trace = trace.clone();
    Generator::new("partial_inner", move |co| async move {
        trace.push("inner: start");
        let a = co.yield_("p1").await?;
        trace.push(format!("inner: resumed after p1 with {a:?}"));
        let b = co.yield_("p2").await?;
        trace.push(format!("inner: resumed after p2 with {b:?}"));
        Ok("pret")
    })
}

/// ```python
/// def y_outer(it):
///     r = yield from it
///     log(f"outer: r={r!r}")
///     yield "o-after"
/// ```
fn y_outer(
    trace: &Trace,
    it: Generator<&'static str, &'static str, &'static str>,
) -> Generator<&'static str, &'static str> {
    let trace = trace.clone();
    Generator::new("y_outer", move |co| async move {
        let r = co.yield_from(it).await?;
        trace.push(format!("outer: r={r:?}"));
        co.yield_("o-after").await?;
        Ok(())
    })
}

#[test]
fn a_partly_consumed_delegate_is_resumed_with_nothing_and_its_past_values_are_not_replayed() {
    let trace = Trace::default();
    let inner = partial_inner(&trace);
    assert_eq!(inner.next().unwrap(), Step::Yielded("p1"));
    trace.take();
    let g = y_outer(&trace, inner);

    assert_eq!(g.next().unwrap(), Step::Yielded("p2"));
    assert_eq!(trace.take(), ["inner: resumed after p1 with None"]);
    assert_eq!(g.send("S").unwrap(), Step::Yielded("o-after"));
    assert_eq!(
        trace.take(),
        [
            r#"inner: resumed after p2 with Some("S")"#,
            r#"outer: r="pret""#
        ]
    );
    assert_eq!(g.next().unwrap(), Step::Returned(()));
}

// B7: a delegate that has already finished. Python evaluates the
// `yield from` to None; a typed return value cannot be made up, so the
// delegator receives `Exhausted` at its `yield_from` instead.

/// The delegator of B7, catching the typed answer where Python would
/// have bound `r = None`.
fn exhausted_outer(trace: &Trace, it: Generator<&'static str, (), i32>) -> Generator<&'static str> {
    let trace = trace.clone();
    Generator::new("y_outer", move |co: Co<_>| async move {
        match co.yield_from(it).await {
            Ok(r) => trace.push(format!("outer: r={r}")),
            Err(e) => {
                let exhausted = e.downcast_ref::<Exhausted>().expect("Exhausted");
                trace.push(format!("outer: {} is exhausted", exhausted.delegate));
                trace.push(e.to_string());
            }
        }
        co.yield_("o-after").await?;
        Ok(())
    })
}

fn exhausted_gen() -> Generator<&'static str, (), i32> {
    Generator::new("exhausted_gen", |co| async move {
        co.yield_("1").await?;
        Ok(5)
    })
}

#[test]
fn yield_from_a_generator_that_already_returned_raises_exhausted_in_the_delegator() {
    let trace = Trace::default();
    let inner = exhausted_gen();
    inner.next().unwrap();
    assert_eq!(inner.next().unwrap(), Step::Returned(5));
    let g = exhausted_outer(&trace, inner);

    assert_eq!(g.next().unwrap(), Step::Yielded("o-after"));
    assert_eq!(
        trace.take(),
        [
            "outer: exhausted_gen is exhausted",
            "yield from generator exhausted_gen, which has already finished: \
             it has no return value left",
        ]
    );
}

#[test]
fn yield_from_a_closed_generator_raises_exhausted_in_the_delegator() {
    let trace = Trace::default();
    let inner = exhausted_gen();
    inner.next().unwrap();
    inner.close().unwrap();
    let g = exhausted_outer(&trace, inner);

    assert_eq!(g.next().unwrap(), Step::Yielded("o-after"));
    assert_eq!(trace.take()[0], "outer: exhausted_gen is exhausted");
}

#[test]
fn yield_from_a_generator_that_ended_with_an_error_raises_exhausted_in_the_delegator() {
    // python3: inner raised KeyError earlier; `r = yield from inner` gives None.
    let trace = Trace::default();
    let inner: Generator<&str, (), i32> = Generator::new("failed_gen", |co| async move {
        co.yield_("1").await?;
        Err(yieldfrom::AnyError::msg("KeyError('k')"))
    });
    inner.next().unwrap();
    inner.next().unwrap_err();
    let g = exhausted_outer(&trace, inner);

    assert_eq!(g.next().unwrap(), Step::Yielded("o-after"));
    assert_eq!(trace.take()[0], "outer: failed_gen is exhausted");
}

#[test]
fn an_uncaught_exhausted_ends_the_delegator_with_that_error() {
    let inner = exhausted_gen();
    inner.close().unwrap();
    let g: Generator<&str> = Generator::new("outer", move |co| async move {
        co.yield_from(inner).await?;
        co.yield_("unreachable").await?;
        Ok(())
    });

    let err = g.next().unwrap_err().raised().expect("Raised");
    assert_eq!(
        err.downcast_ref::<Exhausted>(),
        Some(&Exhausted {
            delegate: "exhausted_gen"
        })
    );
    assert_eq!(g.state(), GenState::Closed);
}

// B2: a plain iterator delegate (`yield from range(3)`).

/// ```python
/// def d_range():
///     log("outer: start")
///     r = yield from range(3)
///     log(f"outer: r={r!r}")
///     yield "o-after"
/// ```
/// with `100` standing for "o-after", so that one yield type serves both.
fn d_range(trace: &Trace) -> Generator<i64, i64> {
    let trace = trace.clone();
    Generator::new("d_range", move |co| async move {
        trace.push("outer: start");
        co.yield_from_iter(0..3).await?;
        trace.push("outer: r=()");
        co.yield_(100).await?;
        Ok(())
    })
}

#[test]
fn next_through_an_iterator_delegate_yields_its_items_then_the_delegator_goes_on() {
    let trace = Trace::default();
    let g = d_range(&trace);

    assert_eq!(g.next().unwrap(), Step::Yielded(0));
    assert_eq!(g.next().unwrap(), Step::Yielded(1));
    assert_eq!(g.next().unwrap(), Step::Yielded(2));
    assert_eq!(g.next().unwrap(), Step::Yielded(100));
    assert_eq!(trace.take(), ["outer: start", "outer: r=()"]);
}

#[test]
fn a_value_sent_to_an_iterator_delegate_raises_no_send_and_the_delegator_closes_if_uncaught() {
    let trace = Trace::default();
    let g = d_range(&trace);
    g.next().unwrap();

    let err = g.send(5).unwrap_err().raised().expect("Raised");
    assert_eq!(
        err.to_string(),
        format!(
            "'{}' object has no attribute 'send'",
            std::any::type_name::<std::ops::Range<i64>>()
        )
    );
    let no_send = err.downcast::<NoSend<i64>>().expect("NoSend");
    assert_eq!(no_send.value, 5);
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
    assert_eq!(trace.take(), ["outer: start"]);
}

#[test]
fn no_send_names_the_iterator_type_that_has_no_send() {
    let g: Generator<i64, i64> = Generator::new("d_list", |co| async move {
        co.yield_from_iter(vec![10, 20]).await
    });
    assert_eq!(g.next().unwrap(), Step::Yielded(10));

    let err = g.send(5).unwrap_err().raised().expect("Raised");
    let no_send = err.downcast_ref::<NoSend<i64>>().expect("NoSend");
    assert_eq!(
        no_send.delegate,
        std::any::type_name::<std::vec::IntoIter<i64>>()
    );
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_no_send_caught_in_the_delegator_hands_the_value_back_and_the_delegator_goes_on() {
    // def d_range_catch():
    //     try:
    //         r = yield from range(3)
    //     except AttributeError as e:
    //         yield "outer-recovered"
    let g: Generator<i64, i64> = Generator::new("d_range_catch", |co: Co<_, i64>| async move {
        if let Err(e) = co.yield_from_iter(0..3).await {
            let refused = e.downcast::<NoSend<i64>>()?;
            co.yield_(-refused.value).await?;
        }
        Ok(())
    });
    g.next().unwrap();

    assert_eq!(g.send(5).unwrap(), Step::Yielded(-5));
    assert_eq!(g.state(), GenState::Suspended);
    assert_eq!(g.next().unwrap(), Step::Returned(()));
}

#[test]
fn yield_from_an_empty_iterator_goes_straight_on() {
    let g: Generator<i64> = Generator::new("y_outer", |co| async move {
        co.yield_from_iter(0..0).await?;
        co.yield_(100).await?;
        Ok(())
    });

    assert_eq!(g.next().unwrap(), Step::Yielded(100));
}

#[test]
fn an_iterator_delegate_of_a_delegate_is_driven_through_the_whole_chain() {
    let leaf: Generator<i64, i64, &str> = Generator::new("leaf", |co| async move {
        co.yield_from_iter([7, 8]).await?;
        Ok("leaf done")
    });
    let root: Generator<i64, i64, &str> = Generator::new("root", move |co| async move {
        let r = co.yield_from(leaf).await?;
        co.yield_(9).await?;
        Ok(r)
    });

    assert_eq!(root.next().unwrap(), Step::Yielded(7));
    assert_eq!(root.next().unwrap(), Step::Yielded(8));
    assert_eq!(root.next().unwrap(), Step::Yielded(9));
    assert_eq!(root.next().unwrap(), Step::Returned("leaf done"));
}

#[test]
fn a_value_sent_to_an_iterator_two_levels_down_is_refused_in_the_generator_that_owns_it() {
    // The leaf owns the iterator, so the leaf receives NoSend; it catches
    // it and returns, and the root carries on.
    let leaf: Generator<i64, i64, i64> = Generator::new("leaf", |co: Co<_, i64>| async move {
        match co.yield_from_iter([1, 2, 3]).await {
            Ok(()) => Ok(0),
            Err(e) => Ok(e.downcast::<NoSend<i64>>()?.value),
        }
    });
    let root: Generator<i64, i64> = Generator::new("root", move |co| async move {
        let refused = co.yield_from(leaf).await?;
        co.yield_(refused * 10).await?;
        Ok(())
    });
    root.next().unwrap();

    assert_eq!(root.send(4).unwrap(), Step::Yielded(40));
}

#[test]
fn a_partly_consumed_delegate_that_is_itself_delegating_brings_its_own_delegate_along() {
    let trace = Trace::default();
    let c = partial_inner(&trace);
    let b = y_outer(&trace, c);
    // b is suspended inside its own `yield from`, at c's "p1".
    assert_eq!(b.next().unwrap(), Step::Yielded("p1"));
    trace.take();
    let a: Generator<&str, &str> = Generator::new("a", move |co| async move {
        co.yield_from(b).await?;
        co.yield_("a-after").await?;
        Ok(())
    });

    assert_eq!(a.next().unwrap(), Step::Yielded("p2"));
    let chain: Vec<_> = a.delegation_chain().iter().map(|f| f.name).collect();
    assert_eq!(chain, ["a", "y_outer", "partial_inner"]);
    assert_eq!(a.send("S").unwrap(), Step::Yielded("o-after"));
    assert_eq!(a.next().unwrap(), Step::Yielded("a-after"));
    assert_eq!(
        trace.take(),
        [
            "inner: resumed after p1 with None",
            r#"inner: resumed after p2 with Some("S")"#,
            r#"outer: r="pret""#,
        ]
    );
}
