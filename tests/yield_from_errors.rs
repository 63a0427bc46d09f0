//! An error a delegate raises, or lets through, is raised at its
//! delegator's `yield from`, where it can be caught; uncaught, it climbs
//! one level at a time to the caller (PEP 380;
//! `docs/cpython_reference/outcomes.md`, B5, B9.c).

use yieldfrom::{Co, Exception, GenState, Generator, Interrupt, Step};

mod trace;
use trace::{Gen, KeyError, Log as Trace, ValueError, passes};

/// ```python
/// def e_inner():
///     yield "i1"
///     log("inner: raise KeyError('inner-fail')")
///     raise KeyError("inner-fail")
/// ```
fn e_inner(trace: &Trace) -> Gen {
    let trace = trace.clone();
    Generator::new("e_inner", move |co| async move {
        co.yield_("i1").await?;
        trace.push("inner: raise KeyError('inner-fail')");
        Err(KeyError("inner-fail").into())
    })
}

#[test]
fn an_error_the_delegate_raises_is_raised_at_the_yield_from_where_the_delegator_can_catch_it() {
    // def e_outer_catch(it):
    //     try:
    //         r = yield from it
    //     except KeyError as e:
    //         log(f"outer: caught {e!r}")
    //         yield "outer-handled"
    let trace = Trace::default();
    let inner = e_inner(&trace);
    let outer_trace = trace.clone();
    let g: Gen = Generator::new("e_outer_catch", move |co: Co<_>| async move {
        match co.yield_from(inner).await {
            Err(e) if e.is::<KeyError>() => {
                outer_trace.push(format!("outer: caught {e:?}"));
                co.yield_("outer-handled").await?;
                Ok("outer-ret")
            }
            other => other,
        }
    });

    assert_eq!(g.next().unwrap(), Step::Yielded("i1"));
    assert_eq!(g.next().unwrap(), Step::Yielded("outer-handled"));
    assert_eq!(
        trace.take(),
        [
            "inner: raise KeyError('inner-fail')",
            r#"outer: caught KeyError("inner-fail")"#
        ]
    );
    assert_eq!(g.delegate(), None);
    assert_eq!(g.next().unwrap(), Step::Returned("outer-ret"));
}

#[test]
fn an_error_the_delegator_does_not_catch_ends_it_and_comes_out_of_the_callers_resume() {
    let trace = Trace::default();
    let inner = e_inner(&trace);
    let g: Gen = Generator::new("b_outer", move |co| async move {
        co.yield_from(inner).await?;
        co.yield_("o-after").await?;
        Ok("outer-ret")
    });
    g.next().unwrap();

    let err = g.next().unwrap_err().raised().expect("Raised");
    assert_eq!(
        err.downcast_ref::<KeyError>(),
        Some(&KeyError("inner-fail"))
    );
    assert_eq!(trace.take(), ["inner: raise KeyError('inner-fail')"]);
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
}

#[test]
fn an_error_a_fresh_delegate_raises_before_its_first_yield_is_raised_at_the_yield_from() {
    let failing: Gen = Generator::new("fails_at_once", |_co| async move {
        Err(KeyError("at-start").into())
    });
    let g: Gen = Generator::new("outer", move |co: Co<_>| async move {
        match co.yield_from(failing).await {
            Err(e) if e.is::<KeyError>() => co.yield_("caught at start").await.map(|_| "r"),
            other => other,
        }
    });

    assert_eq!(g.next().unwrap(), Step::Yielded("caught at start"));
}

#[test]
fn a_delegator_that_caught_a_delegates_error_may_delegate_again() {
    let trace = Trace::default();
    let first = e_inner(&trace);
    let second: Gen = Generator::new("second", |co| async move {
        co.yield_("second-1").await?;
        Ok("second-ret")
    });
    let g: Gen = Generator::new("retrying", move |co: Co<_>| async move {
        match co.yield_from(first).await {
            Err(e) if e.is::<KeyError>() => co.yield_from(second).await,
            other => other,
        }
    });

    assert_eq!(g.next().unwrap(), Step::Yielded("i1"));
    assert_eq!(g.next().unwrap(), Step::Yielded("second-1"));
    assert_eq!(g.delegate().unwrap().name, "second");
    assert_eq!(g.next().unwrap(), Step::Returned("second-ret"));
}

// Three levels, a -> b -> c. c yields "c1", then raises KeyError('c-fail')
// on the next resume; each level logs its `finally`.

/// ```python
/// def c():
///     log("c: enter")
///     try:
///         yield "c1"
///         log("c: raise KeyError('c-fail')")
///         raise KeyError("c-fail")
///     finally:
///         log("c: finally")
/// ```
fn c_failing(trace: &Trace) -> Gen {
    let trace = trace.clone();
    Generator::new("c", move |co| async move {
        trace.push("c: enter");
        let _finally = trace.finally("c: finally");
        co.yield_("c1").await?;
        trace.push("c: raise KeyError('c-fail')");
        Err(KeyError("c-fail").into())
    })
}

/// ```python
/// def b(sub):
///     try:
///         return (yield from sub)
///     except E as e:  # KeyError, or ValueError
///         log(f"b: caught {e!r}")
///         yield "b-handled"
///         return "b-ret"
///     finally:
///         log("b: finally")
/// ```
fn b_catching<E: std::error::Error + 'static>(trace: &Trace, sub: Gen) -> Gen {
    let trace = trace.clone();
    Generator::new("b", move |co: Co<_>| async move {
        let _finally = trace.finally("b: finally");
        match co.yield_from(sub).await {
            Err(e) if e.is::<E>() => {
                trace.push(format!("b: caught {e:?}"));
                co.yield_("b-handled").await?;
                Ok("b-ret")
            }
            other => other,
        }
    })
}

/// ```python
/// def a(sub):
///     try:
///         yield from sub
///     except (KeyError, ValueError) as e:
///         log(f"a: caught {e!r}")
///         yield "a-handled"
///         return "a-ret"
///     finally:
///         log("a: finally")
/// ```
fn a_catching(trace: &Trace, sub: Gen) -> Gen {
    let trace = trace.clone();
    Generator::new("a", move |co: Co<_>| async move {
        let _finally = trace.finally("a: finally");
        match co.yield_from(sub).await {
            Err(e) if e.is::<KeyError>() || e.is::<ValueError>() => {
                trace.push(format!("a: caught {e:?}"));
                co.yield_("a-handled").await?;
                Ok("a-ret")
            }
            other => other,
        }
    })
}

#[test]
fn an_error_from_the_innermost_of_three_passes_a_level_that_does_not_catch_it_and_is_caught_above()
{
    let trace = Trace::default();
    let b = passes("b", "b: finally", &trace, c_failing(&trace));
    let a = a_catching(&trace, b);
    assert_eq!(a.next().unwrap(), Step::Yielded("c1"));

    assert_eq!(a.next().unwrap(), Step::Yielded("a-handled"));
    assert_eq!(
        trace.take(),
        [
            "c: enter",
            "c: raise KeyError('c-fail')",
            "c: finally",
            "b: finally",
            r#"a: caught KeyError("c-fail")"#,
        ]
    );
    let chain: Vec<_> = a.delegation_chain().iter().map(|f| f.name).collect();
    assert_eq!(chain, ["a"]);
    assert_eq!(a.next().unwrap(), Step::Returned("a-ret"));
    assert_eq!(trace.take(), ["a: finally"]);
}

#[test]
fn an_error_from_the_innermost_of_three_caught_in_the_middle_never_reaches_the_outermost() {
    let trace = Trace::default();
    let c = c_failing(&trace);
    let b = b_catching::<KeyError>(&trace, c);
    let a = a_catching(&trace, b);
    a.next().unwrap();

    assert_eq!(a.next().unwrap(), Step::Yielded("b-handled"));
    let chain: Vec<_> = a.delegation_chain().iter().map(|f| f.name).collect();
    assert_eq!(chain, ["a", "b"]);
    // b returns normally, so a's `yield from` evaluates to "b-ret".
    assert_eq!(a.next().unwrap(), Step::Returned("b-ret"));
    assert_eq!(
        trace.take(),
        [
            "c: enter",
            "c: raise KeyError('c-fail')",
            "c: finally",
            r#"b: caught KeyError("c-fail")"#,
            "b: finally",
            "a: finally",
        ]
    );
}

#[test]
fn a_middle_level_may_turn_the_innermost_error_into_another_that_the_outermost_catches() {
    // CPython 3.11.7 (python3) printed for the same program:
    // ['c: enter', "c: raise KeyError('c-fail')", 'c: finally',
    //  "b: caught KeyError('c-fail'), raise ValueError('b-fail')", 'b: finally',
    //  "a: caught ValueError('b-fail')"]
    let trace = Trace::default();
    let c = c_failing(&trace);
    let b: Gen = {
        let trace = trace.clone();
        Generator::new("b", move |co: Co<_>| async move {
            let _finally = trace.finally("b: finally");
            match co.yield_from(c).await {
                Err(e) if e.is::<KeyError>() => {
                    trace.push(format!("b: caught {e:?}, raise ValueError('b-fail')"));
                    Err(ValueError("b-fail").into())
                }
                other => other,
            }
        })
    };
    let a = a_catching(&trace, b);
    a.next().unwrap();

    assert_eq!(a.next().unwrap(), Step::Yielded("a-handled"));
    assert_eq!(
        trace.take(),
        [
            "c: enter",
            "c: raise KeyError('c-fail')",
            "c: finally",
            r#"b: caught KeyError("c-fail"), raise ValueError('b-fail')"#,
            "b: finally",
            r#"a: caught ValueError("b-fail")"#,
        ]
    );
}

#[test]
fn an_error_no_level_of_three_catches_comes_out_after_every_cleanup_innermost_first() {
    let trace = Trace::default();
    let b = passes("b", "b: finally", &trace, c_failing(&trace));
    let a = passes("a", "a: finally", &trace, b);
    a.next().unwrap();

    let err = a.next().unwrap_err().raised().expect("Raised");
    assert_eq!(err.downcast_ref::<KeyError>(), Some(&KeyError("c-fail")));
    assert_eq!(
        trace.take(),
        [
            "c: enter",
            "c: raise KeyError('c-fail')",
            "c: finally",
            "b: finally",
            "a: finally",
        ]
    );
    assert_eq!(a.state(), GenState::Closed);
}

#[test]
fn an_error_thrown_into_three_levels_is_raised_innermost_and_climbs_to_the_first_level_that_catches()
 {
    let trace = Trace::default();
    let c = c_failing(&trace);
    let b = b_catching::<ValueError>(&trace, c);
    let a = a_catching(&trace, b);
    a.next().unwrap();
    trace.take();

    assert_eq!(
        a.throw(ValueError("x").into()).unwrap(),
        Step::Yielded("b-handled")
    );
    assert_eq!(trace.take(), ["c: finally", r#"b: caught ValueError("x")"#]);
}

#[test]
fn a_thrown_error_nobody_catches_leaves_three_levels_closed_innermost_first() {
    // B9.c: g = n_a(); next(g); g.throw(ValueError('x')) ->
    // ['c: finally', 'b: finally', 'a: finally'], ValueError('x').
    let trace = Trace::default();
    let b = passes("b", "b: finally", &trace, c_failing(&trace));
    let a = passes("a", "a: finally", &trace, b);
    a.next().unwrap();
    trace.take();

    let err = a.throw(ValueError("x").into()).unwrap_err();
    assert_eq!(
        err.raised().unwrap().downcast_ref::<ValueError>(),
        Some(&ValueError("x"))
    );
    assert_eq!(trace.take(), ["c: finally", "b: finally", "a: finally"]);
    assert_eq!(a.state(), GenState::Closed);
}

// The same routing with a typed error enum instead of `AnyError`.

#[derive(Debug, PartialEq, Eq)]
enum AppError {
    Exit,
    NotFound(&'static str),
    Invalid(&'static str),
    Other(String),
}

impl Exception for AppError {
    fn from_interrupt(interrupt: Interrupt<()>) -> Self {
        match interrupt {
            Interrupt::GeneratorExit(_) => Self::Exit,
            other => Self::Other(other.to_string()),
        }
    }

    fn is_generator_exit(&self) -> bool {
        matches!(self, Self::Exit)
    }
}

type Typed = Generator<u32, (), u32, AppError>;

#[test]
fn typed_errors_are_routed_level_by_level_and_matched_by_variant() {
    let c: Typed = Generator::new("c", |co| async move {
        co.yield_(1).await?;
        Err(AppError::NotFound("key"))
    });
    let b: Typed = Generator::new("b", move |co| async move {
        match co.yield_from(c).await {
            Err(AppError::NotFound(what)) => Err(AppError::Invalid(what)),
            other => other,
        }
    });
    let a: Typed = Generator::new("a", move |co| async move {
        match co.yield_from(b).await {
            Err(AppError::Invalid(_)) => {
                co.yield_(2).await?;
                Ok(3)
            }
            other => other,
        }
    });

    assert_eq!(a.next().unwrap(), Step::Yielded(1));
    assert_eq!(a.next().unwrap(), Step::Yielded(2));
    assert_eq!(a.next().unwrap(), Step::Returned(3));
}

#[test]
fn a_typed_error_nobody_catches_comes_out_of_three_levels_unchanged() {
    let c: Typed = Generator::new("c", |co| async move {
        co.yield_(1).await?;
        Err(AppError::NotFound("key"))
    });
    let b: Typed = Generator::new("b", move |co| async move { co.yield_from(c).await });
    let a: Typed = Generator::new("a", move |co| async move { co.yield_from(b).await });
    a.next().unwrap();

    assert_eq!(
        a.next().unwrap_err().raised(),
        Some(AppError::NotFound("key"))
    );
}
