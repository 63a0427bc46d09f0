//! `close` on a delegating generator closes its delegates first, innermost
//! first, and then raises in the delegator whatever closing the delegate
//! came to (PEP 380; `docs/cpython_reference/outcomes.md`, B4, B9.b).

use std::{
    cell::OnceCell,
    rc::{Rc, Weak},
};
use yieldfrom::{
    Co, Error, GenState, Generator, GeneratorExit, IgnoredGeneratorExit, Step, UnraisableContext,
};

mod trace;
use trace::{Log as Trace, ValueError, passes, unraisable_during, yields_then_finally};

type Sub = Generator<&'static str, (), &'static str>;
type Outer = Generator<&'static str, (), &'static str>;

/// ```python
/// def c_inner_raise():
///     try:
///         yield "i1"
///     except GeneratorExit:
///         log("inner: caught GeneratorExit, raise ValueError('inner-close-failed')")
///         raise ValueError("inner-close-failed")
/// ```
fn c_inner_raise(trace: &Trace) -> Sub {
    let trace = trace.clone();
    Generator::new("c_inner_raise", move |co: Co<_>| async move {
        match co.yield_("i1").await {
            Err(e) if e.is::<GeneratorExit>() => {
                trace.push("inner: caught GeneratorExit, raise ValueError('inner-close-failed')");
                Err(ValueError("inner-close-failed").into())
            }
            other => other.map(|_| "inner-ret"),
        }
    })
}

/// ```python
/// def c_inner_return():
///     try:
///         yield "i1"
///     except GeneratorExit:
///         log("inner: caught GeneratorExit, return 'inner-ret-on-close'")
///         return "inner-ret-on-close"
/// ```
fn c_inner_return(trace: &Trace) -> Sub {
    let trace = trace.clone();
    Generator::new("c_inner_return", move |co: Co<_>| async move {
        match co.yield_("i1").await {
            Err(e) if e.is::<GeneratorExit>() => {
                trace.push("inner: caught GeneratorExit, return 'inner-ret-on-close'");
                Ok("inner-ret-on-close")
            }
            other => other.map(|_| "inner-ret"),
        }
    })
}

/// ```python
/// def t_inner_ge_yield():
///     try:
///         yield "i1"
///     except GeneratorExit:
///         log("inner: caught GeneratorExit, yield 'inner-ignored'")
///         yield "inner-ignored"
/// ```
fn t_inner_ge_yield(trace: &Trace) -> Sub {
    let trace = trace.clone();
    Generator::new("t_inner_ge_yield", move |co: Co<_>| async move {
        match co.yield_("i1").await {
            Err(e) if e.is::<GeneratorExit>() => {
                trace.push("inner: caught GeneratorExit, yield 'inner-ignored'");
                co.yield_("inner-ignored").await?;
                Ok("inner-ret")
            }
            other => other.map(|_| "inner-ret"),
        }
    })
}

/// ```python
/// def t_outer_catch_any(it):
///     try:
///         r = yield from it
///         log(f"outer: r={r!r}")
///     except BaseException as e:
///         log(f"outer: caught {e!r} at yield from, re-raise")
///         raise
/// ```
fn t_outer_catch_any(trace: &Trace, it: Sub) -> Outer {
    let trace = trace.clone();
    Generator::new("t_outer_catch_any", move |co| async move {
        match co.yield_from(it).await {
            Ok(r) => {
                trace.push(format!("outer: r={r:?}"));
                Ok("outer-ret")
            }
            Err(e) => {
                trace.push(format!("outer: caught {e:?} at yield from, re-raise"));
                Err(e)
            }
        }
    })
}

#[test]
fn close_runs_the_delegates_cleanup_before_the_delegators_while_both_report_running() {
    // def c_inner_finally():
    //     try:
    //         yield "i1"
    //     finally:
    //         log(f"inner: finally (state(outer)={st(o)}, outer.gi_running={o.gi_running})")
    // CPython 3.11.7 (B4.a): 'inner: finally (state(outer)=GEN_RUNNING, ...,
    // outer.gi_running=True)', then 'outer: finally'.
    // def c_outer_finally(it):
    //     try:
    //         yield from it
    //     finally:
    //         log("outer: finally")
    let trace = Trace::default();
    let handle: Rc<OnceCell<Weak<Outer>>> = Rc::default();
    let inner = {
        let (trace, handle) = (trace.clone(), handle.clone());
        Generator::new("c_inner_finally", move |co| async move {
            let outcome = co.yield_("i1").await;
            let outer = handle.get().and_then(Weak::upgrade).expect("outer alive");
            // The inner's own handle was moved into the `yield from`; a body
            // that is executing is running by definition.
            trace.push(format!(
                "inner: finally (state(outer)={}, outer.gi_running={})",
                outer.state(),
                outer.is_running()
            ));
            outcome.map(|_| "inner-ret")
        })
    };
    let outer: Rc<Outer> = Rc::new(passes("c_outer_finally", "outer: finally", &trace, inner));
    handle.set(Rc::downgrade(&outer)).unwrap();
    outer.next().unwrap();

    assert_eq!(outer.close().unwrap(), None);
    assert_eq!(
        trace.take(),
        [
            "inner: finally (state(outer)=GEN_RUNNING, outer.gi_running=true)",
            "outer: finally",
        ]
    );
    assert_eq!(outer.state(), GenState::Closed);
    assert_eq!(outer.delegation_chain().len(), 1);
}

#[test]
fn an_error_raised_by_the_delegate_while_closing_reaches_the_delegator_instead_of_generator_exit() {
    let trace = Trace::default();
    let g = t_outer_catch_any(&trace, c_inner_raise(&trace));
    g.next().unwrap();

    let err = g.close().unwrap_err().raised().expect("Raised");
    assert_eq!(
        err.downcast_ref::<ValueError>(),
        Some(&ValueError("inner-close-failed"))
    );
    assert_eq!(
        trace.take(),
        [
            "inner: caught GeneratorExit, raise ValueError('inner-close-failed')",
            r#"outer: caught ValueError("inner-close-failed") at yield from, re-raise"#,
        ]
    );
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_delegator_that_handles_the_delegates_close_error_and_returns_closes_cleanly() {
    // def c_outer_return_on_value_error(it):
    //     try:
    //         r = yield from it
    //     except ValueError as e:
    //         log(f"outer: caught {e!r}, return normally")
    //         return "outer-ret"
    let trace = Trace::default();
    let inner = c_inner_raise(&trace);
    let outer_trace = trace.clone();
    let g: Outer = Generator::new(
        "c_outer_return_on_value_error",
        move |co: Co<_>| async move {
            match co.yield_from(inner).await {
                Err(e) if e.is::<ValueError>() => {
                    outer_trace.push(format!("outer: caught {e:?}, return normally"));
                    Ok("outer-ret")
                }
                other => other,
            }
        },
    );
    g.next().unwrap();

    // CPython 3.11's close() discards the value (returns None); this crate
    // hands it back, as CPython 3.13 does.
    assert_eq!(g.close().unwrap(), Some("outer-ret"));
    assert_eq!(
        trace.take(),
        [
            "inner: caught GeneratorExit, raise ValueError('inner-close-failed')",
            r#"outer: caught ValueError("inner-close-failed"), return normally"#,
        ]
    );
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_delegator_that_handles_the_delegates_close_error_and_yields_makes_close_report_ignored_exit() {
    // def c_outer_yield_on_value_error(it):
    //     try:
    //         r = yield from it
    //     except ValueError as e:
    //         log(f"outer: caught {e!r}, yield 'outer-ignored'")
    //         yield "outer-ignored"
    let trace = Trace::default();
    let inner = c_inner_raise(&trace);
    let outer_trace = trace.clone();
    let g: Outer = Generator::new(
        "c_outer_yield_on_value_error",
        move |co: Co<_>| async move {
            match co.yield_from(inner).await {
                Err(e) if e.is::<ValueError>() => {
                    outer_trace.push(format!("outer: caught {e:?}, yield 'outer-ignored'"));
                    co.yield_("outer-ignored").await?;
                    Ok("outer-ret")
                }
                other => other,
            }
        },
    );
    g.next().unwrap();

    match g.close() {
        Err(Error::IgnoredGeneratorExit { name }) => {
            assert_eq!(name, "c_outer_yield_on_value_error");
        }
        other => panic!("expected IgnoredGeneratorExit, got {other:?}"),
    }
    assert_eq!(
        trace.take(),
        [
            "inner: caught GeneratorExit, raise ValueError('inner-close-failed')",
            r#"outer: caught ValueError("inner-close-failed"), yield 'outer-ignored'"#,
        ]
    );
    // The delegator never saw GeneratorExit, yet it stays suspended at the
    // yield it made, and a second close finishes it there.
    assert_eq!(g.state(), GenState::Suspended);
    assert_eq!(g.delegate(), None);
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_value_the_delegate_returns_while_closing_is_discarded_and_the_delegator_sees_generator_exit() {
    let trace = Trace::default();
    let g = t_outer_catch_any(&trace, c_inner_return(&trace));
    g.next().unwrap();

    assert_eq!(g.close().unwrap(), None);
    assert_eq!(
        trace.take(),
        [
            "inner: caught GeneratorExit, return 'inner-ret-on-close'",
            "outer: caught GeneratorExit at yield from, re-raise",
        ]
    );
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_delegate_that_yields_instead_of_closing_raises_ignored_exit_in_the_delegator() {
    let trace = Trace::default();
    let g = t_outer_catch_any(&trace, t_inner_ge_yield(&trace));
    g.next().unwrap();

    let err = g.close().unwrap_err().raised().expect("Raised");
    assert_eq!(
        err.downcast_ref::<IgnoredGeneratorExit>(),
        Some(&IgnoredGeneratorExit {
            delegate: "t_inner_ge_yield"
        })
    );
    assert_eq!(err.to_string(), "generator ignored GeneratorExit");
    assert_eq!(
        trace.take(),
        [
            "inner: caught GeneratorExit, yield 'inner-ignored'",
            r#"outer: caught IgnoredGeneratorExit { delegate: "t_inner_ge_yield" } at yield from, re-raise"#,
        ]
    );
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_delegate_that_ignored_generator_exit_is_finalised_before_its_delegator_handles_the_error() {
    // CPython 3.11.7 (python3), `yield from inner()` so that only the
    // delegator's frame holds the delegate:
    //
    // def inner():
    //     try:
    //         yield "i1"
    //     except GeneratorExit:
    //         log("inner: caught GE, yield")
    //         try:
    //             yield "inner-ignored"
    //         finally:
    //             log("inner: finally after ignored yield")
    // def outer():
    //     try:
    //         yield from inner()
    //     except BaseException as e:
    //         log(f"outer: caught {e!r}")
    //         raise
    //
    // printed: ['inner: caught GE, yield', 'inner: finally after ignored yield',
    //           "outer: caught RuntimeError('generator ignored GeneratorExit')"]
    let trace = Trace::default();
    let inner: Sub = {
        let trace = trace.clone();
        Generator::new("inner", move |co: Co<_>| async move {
            match co.yield_("i1").await {
                Err(e) if e.is::<GeneratorExit>() => {
                    trace.push("inner: caught GE, yield");
                    let _finally = trace.finally("inner: finally after ignored yield");
                    co.yield_("inner-ignored").await?;
                    Ok("inner-ret")
                }
                other => other.map(|_| "inner-ret"),
            }
        })
    };
    let g = t_outer_catch_any(&trace, inner);
    g.next().unwrap();

    assert!(
        g.close()
            .unwrap_err()
            .raised()
            .unwrap()
            .is::<IgnoredGeneratorExit>()
    );
    assert_eq!(
        trace.take(),
        [
            "inner: caught GE, yield",
            "inner: finally after ignored yield",
            r#"outer: caught IgnoredGeneratorExit { delegate: "inner" } at yield from, re-raise"#,
        ]
    );
}

#[test]
fn a_delegator_that_catches_ignored_exit_and_yields_makes_close_report_ignored_exit() {
    let trace = Trace::default();
    let inner = t_inner_ge_yield(&trace);
    let outer_trace = trace.clone();
    let g: Outer = Generator::new("outer", move |co: Co<_>| async move {
        let _finally = outer_trace.finally("outer: finally");
        match co.yield_from(inner).await {
            Err(e) if e.is::<IgnoredGeneratorExit>() => {
                outer_trace.push(format!("outer: caught {e}, yield"));
                co.yield_("outer-yield").await?;
                Ok("outer-ret")
            }
            other => other,
        }
    });
    g.next().unwrap();

    match g.close() {
        Err(Error::IgnoredGeneratorExit { name }) => assert_eq!(name, "outer"),
        other => panic!("expected IgnoredGeneratorExit, got {other:?}"),
    }
    assert_eq!(
        trace.take(),
        [
            "inner: caught GeneratorExit, yield 'inner-ignored'",
            "outer: caught generator ignored GeneratorExit, yield",
        ]
    );
    assert_eq!(g.state(), GenState::Suspended);
    // A second close finishes the delegator at the yield it made.
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(trace.take(), ["outer: finally"]);
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_delegate_that_starts_a_yielding_delegation_while_closing_counts_as_ignoring_generator_exit() {
    // CPython 3.11.7 (python3):
    //
    // def sub():
    //     try:
    //         yield "s"
    //     finally:
    //         log("sub: finally")
    // def inner():
    //     try:
    //         yield "i1"
    //     except GeneratorExit:
    //         log("inner: caught GE, yield from sub()")
    //         yield from sub()
    // def outer():
    //     try:
    //         yield from inner()
    //     except RuntimeError as e:
    //         log(f"outer: caught {e!r}, re-raise")
    //         raise
    //
    // close() printed: ['inner: caught GE, yield from sub()', 'sub: finally',
    //   "outer: caught RuntimeError('generator ignored GeneratorExit'), re-raise"]
    // and raised RuntimeError; the state after is GEN_CLOSED.
    let trace = Trace::default();
    let sub: Sub = yields_then_finally(&trace, "sub", "s", "sub: finally", "sub-ret");
    let inner: Sub = {
        let trace = trace.clone();
        Generator::new("inner", move |co: Co<_>| async move {
            match co.yield_("i1").await {
                Err(e) if e.is::<GeneratorExit>() => {
                    trace.push("inner: caught GE, yield from sub()");
                    co.yield_from(sub).await?;
                    trace.push("inner: after sub (unreachable)");
                    Ok("inner-ret")
                }
                other => other.map(|_| "inner-ret"),
            }
        })
    };
    let outer: Outer = {
        let trace = trace.clone();
        Generator::new("outer", move |co: Co<_>| async move {
            match co.yield_from(inner).await {
                Err(e) if e.is::<IgnoredGeneratorExit>() => {
                    trace.push(format!("outer: caught {e}, re-raise"));
                    Err(e)
                }
                other => other,
            }
        })
    };
    outer.next().unwrap();

    let err = outer.close().unwrap_err().raised().expect("Raised");
    assert_eq!(
        err.downcast_ref::<IgnoredGeneratorExit>(),
        Some(&IgnoredGeneratorExit { delegate: "inner" })
    );
    assert_eq!(
        trace.take(),
        [
            "inner: caught GE, yield from sub()",
            "sub: finally",
            "outer: caught generator ignored GeneratorExit, re-raise",
        ]
    );
    assert_eq!(outer.state(), GenState::Closed);
}

#[test]
fn a_delegator_that_catches_generator_exit_and_yields_makes_close_report_ignored_exit() {
    // CPython 3.11.7 (python3):
    //
    // def inner2():
    //     try:
    //         yield "i1"
    //     finally:
    //         log("inner: finally")
    // def outer2():
    //     try:
    //         yield from inner2()
    //     except GeneratorExit:
    //         log("outer: caught GE, yield")
    //         yield "outer-ignored"
    //     log("outer: end")
    //
    // close() printed ['inner: finally', 'outer: caught GE, yield'] and raised
    // RuntimeError (GEN_SUSPENDED); next(g) then printed ['outer: end'] and
    // raised StopIteration.
    let trace = Trace::default();
    let inner: Sub = yields_then_finally(&trace, "inner2", "i1", "inner: finally", "inner-ret");
    let outer: Outer = {
        let trace = trace.clone();
        Generator::new("outer2", move |co: Co<_>| async move {
            match co.yield_from(inner).await {
                Err(e) if e.is::<GeneratorExit>() => {
                    trace.push("outer: caught GE, yield");
                    co.yield_("outer-ignored").await?;
                }
                other => drop(other?),
            }
            trace.push("outer: end");
            Ok("outer-ret")
        })
    };
    outer.next().unwrap();

    assert!(matches!(
        outer.close(),
        Err(Error::IgnoredGeneratorExit { name: "outer2" })
    ));
    assert_eq!(trace.take(), ["inner: finally", "outer: caught GE, yield"]);
    assert_eq!(outer.state(), GenState::Suspended);
    assert_eq!(outer.next().unwrap(), Step::Returned("outer-ret"));
    assert_eq!(trace.take(), ["outer: end"]);
}

#[test]
fn closing_a_delegator_whose_delegate_is_an_iterator_raises_generator_exit_in_the_delegator() {
    let trace = Trace::default();
    let outer_trace = trace.clone();
    let g: Generator<i32> = Generator::new("t_outer_catch_any", move |co| async move {
        if let Err(e) = co.yield_from_iter(0..3).await {
            outer_trace.push(format!("outer: caught {e:?} at yield from, re-raise"));
            return Err(e);
        }
        Ok(())
    });
    g.next().unwrap();

    assert_eq!(g.close().unwrap(), None);
    assert_eq!(
        trace.take(),
        ["outer: caught GeneratorExit at yield from, re-raise"]
    );
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn closing_a_delegator_that_has_not_started_runs_nothing_and_drops_its_delegate_unstarted() {
    let trace = Trace::default();
    let inner: Sub = yields_then_finally(&trace, "inner", "i1", "inner: finally", "inner-ret");
    let outer: Outer = passes("outer", "outer: finally", &trace, inner);

    assert_eq!(outer.close().unwrap(), None);
    assert_eq!(outer.state(), GenState::Closed);
    assert!(trace.take().is_empty());
    assert_eq!(outer.next().unwrap(), Step::Stopped(()));
}

#[test]
fn closing_a_delegator_after_its_delegation_ended_closes_only_the_delegator() {
    // python3: ['inner: finally', 'outer: r=None', 'outer: GE at own yield'];
    // Python's inner2 returns None where ours returns "inner-ret", so the
    // second line reads r="inner-ret" here.
    let trace = Trace::default();
    let inner: Sub = yields_then_finally(&trace, "inner2", "i1", "inner: finally", "inner-ret");
    let outer: Outer = {
        let trace = trace.clone();
        Generator::new("o3", move |co: Co<_>| async move {
            let r = co.yield_from(inner).await?;
            trace.push(format!("outer: r={r:?}"));
            if let Err(e) = co.yield_("own").await {
                if e.is::<GeneratorExit>() {
                    trace.push("outer: GE at own yield");
                }
                return Err(e);
            }
            Ok("outer-ret")
        })
    };
    outer.next().unwrap();
    assert_eq!(outer.next().unwrap(), Step::Yielded("own"));

    assert_eq!(outer.close().unwrap(), None);
    assert_eq!(
        trace.take(),
        [
            "inner: finally",
            r#"outer: r="inner-ret""#,
            "outer: GE at own yield"
        ]
    );
}

#[test]
fn closing_a_closed_delegator_again_runs_nothing() {
    let trace = Trace::default();
    let g = t_outer_catch_any(&trace, c_inner_return(&trace));
    g.next().unwrap();
    g.close().unwrap();
    trace.take();

    assert_eq!(g.close().unwrap(), None);
    assert!(trace.take().is_empty());
}

#[test]
fn dropping_a_suspended_delegator_closes_the_delegate_first() {
    let trace = Trace::default();
    let inner: Sub = yields_then_finally(&trace, "inner", "i1", "inner: finally", "inner-ret");
    let outer: Outer = {
        let trace = trace.clone();
        Generator::new("outer", move |co: Co<_>| async move {
            match co.yield_from(inner).await {
                Err(e) if e.is::<GeneratorExit>() => {
                    trace.push("outer: GeneratorExit at yield from");
                    Err(e)
                }
                other => other,
            }
        })
    };
    outer.next().unwrap();

    drop(outer);
    assert_eq!(
        trace.take(),
        ["inner: finally", "outer: GeneratorExit at yield from"]
    );
}

#[test]
fn a_delegator_that_starts_a_yielding_delegation_while_closing_stays_suspended_in_it() {
    // CPython 3.11.7 (python3):
    //
    // def d3():
    //     try:
    //         yield "d1"
    //     finally:
    //         log("d: finally")
    // def a3():
    //     try:
    //         yield "a1"
    //     except GeneratorExit:
    //         log("a: GE, yield from d3()")
    //         yield from d3()
    //
    // close() printed ['a: GE, yield from d3()'] and raised RuntimeError;
    // then GEN_SUSPENDED with gi_yieldfrom d3; a second close() printed
    // ['d: finally'] and returned None.
    let trace = Trace::default();
    let d: Sub = yields_then_finally(&trace, "d3", "d1", "d: finally", "d-ret");
    let a: Outer = {
        let trace = trace.clone();
        Generator::new("a3", move |co: Co<_>| async move {
            match co.yield_("a1").await {
                Err(e) if e.is::<GeneratorExit>() => {
                    trace.push("a: GE, yield from d3()");
                    co.yield_from(d).await
                }
                other => other.map(|_| "a-ret"),
            }
        })
    };
    a.next().unwrap();

    assert!(matches!(
        a.close(),
        Err(Error::IgnoredGeneratorExit { name: "a3" })
    ));
    assert_eq!(trace.take(), ["a: GE, yield from d3()"]);
    assert_eq!(a.state(), GenState::Suspended);
    assert_eq!(a.delegate().map(|f| f.name), Some("d3"));
    assert_eq!(a.close().unwrap(), None);
    assert_eq!(trace.take(), ["d: finally"]);
    assert_eq!(a.state(), GenState::Closed);
}

#[test]
fn dropping_a_chain_whose_middle_level_ignores_generator_exit_reports_it_as_unraisable() {
    // CPython 3.11.7 (python3), `del g` on a4 -> b4 -> c4 suspended in c4,
    // where b4 yields on GeneratorExit:
    // ['c: finally', 'b: GE, yield', 'b: finally', 'a: finally'], then
    // "Exception ignored in: <generator object a4>" with
    // RuntimeError('generator ignored GeneratorExit').
    let trace = Trace::default();
    let c: Sub = yields_then_finally(&trace, "c4", "c1", "c: finally", "c-ret");
    let b: Sub = {
        let trace = trace.clone();
        Generator::new("b4", move |co: Co<_>| async move {
            let _finally = trace.finally("b: finally");
            match co.yield_from(c).await {
                Err(e) if e.is::<GeneratorExit>() => {
                    trace.push("b: GE, yield");
                    co.yield_("b-ignored").await?;
                    Ok("b-ret")
                }
                other => other,
            }
        })
    };
    let a: Outer = passes("a4", "a: finally", &trace, b);
    a.next().unwrap();

    let ((), seen) = unraisable_during(|| drop(a));
    assert_eq!(
        trace.take(),
        ["c: finally", "b: GE, yield", "b: finally", "a: finally"]
    );
    let reported: Vec<_> = seen
        .into_iter()
        .filter(|u| u.generator == "a4")
        .map(|u| (u.context, u.message))
        .collect();
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert_eq!(reported[0].0, UnraisableContext::Finalizing);
    assert!(
        reported[0].1.contains("IgnoredGeneratorExit"),
        "{reported:?}"
    );
}

#[test]
fn a_delegate_abandoned_on_drop_is_finalised_with_its_own_delegates_as_pep_380_closes_them() {
    // CPython 3.11.7 (python3), found by the differential property test:
    //
    // def sub():
    //     try:
    //         yield "s"
    //     except GeneratorExit:
    //         log("sub: caught GE, yield again")
    //         yield "s2"
    // def inner():
    //     try:
    //         try:
    //             yield "i1"
    //         except GeneratorExit:
    //             log("inner: caught GE, yield from sub()")
    //         yield from sub()
    //     finally:
    //         log("inner: finally")
    // def outer():
    //     yield from inner()
    // g = outer(); next(g); del g
    //
    // logged: inner: caught GE, yield from sub(); sub: caught GE, yield
    // again; inner: finally; unraisable inner: RuntimeError('generator
    // ignored GeneratorExit'); unraisable outer: the same. Closing `inner`
    // on its finalisation closes `sub` first, whose failure is raised in
    // `inner` (its finally runs) and reported once, as `inner`'s.
    let trace = Trace::default();
    let sub: Sub = {
        let trace = trace.clone();
        Generator::new("sub", move |co: Co<_>| async move {
            match co.yield_("s").await {
                Err(e) if e.is::<GeneratorExit>() => {
                    trace.push("sub: caught GE, yield again");
                    co.yield_("s2").await?;
                    Ok("sub-ret")
                }
                other => other.map(|_| "sub-ret"),
            }
        })
    };
    let inner: Sub = {
        let trace = trace.clone();
        Generator::new("inner", move |co: Co<_>| async move {
            let _finally = trace.finally("inner: finally");
            if let Err(e) = co.yield_("i1").await {
                if !e.is::<GeneratorExit>() {
                    return Err(e);
                }
                trace.push("inner: caught GE, yield from sub()");
            }
            co.yield_from(sub).await
        })
    };
    let outer: Outer = Generator::new("outer", move |co: Co<_>| async move {
        co.yield_from(inner).await
    });
    outer.next().unwrap();
    let ((), unraisable) = unraisable_during(move || drop(outer));
    assert_eq!(
        trace.take(),
        [
            "inner: caught GE, yield from sub()",
            "sub: caught GE, yield again",
            "inner: finally",
        ]
    );
    let reported: Vec<_> = unraisable.iter().map(|u| u.generator).collect();
    assert_eq!(reported, ["inner", "outer"]);
    assert!(
        unraisable
            .iter()
            .all(|u| u.message.contains("IgnoredGeneratorExit")),
        "{unraisable:?}"
    );
}
