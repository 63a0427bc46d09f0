//! `throw` into a delegating generator is thrown into its innermost
//! delegate; what that delegate does with it decides what `throw` returns
//! (PEP 380; `docs/cpython_reference/outcomes.md`, B3).

use yieldfrom::{
    Co, Exception, GenState, Generator, GeneratorExit, IgnoredGeneratorExit, Interrupt, Step,
};

mod trace;
use trace::{Log as Trace, ValueError, yields_then_finally};

type Sub = Generator<&'static str, (), &'static str>;

/// ```python
/// def t_inner_catch_yield():
///     try:
///         yield "i1"
///     except ValueError as e:
///         log(f"inner: caught {e!r}, yield 'inner-caught'")
///         yield "inner-caught"
///     log("inner: end")
/// ```
fn t_inner_catch_yield(trace: &Trace) -> Sub {
    let trace = trace.clone();
    Generator::new("t_inner_catch_yield", move |co: Co<_>| async move {
        match co.yield_("i1").await {
            Err(e) if e.is::<ValueError>() => {
                trace.push(format!("inner: caught {e:?}, yield 'inner-caught'"));
                co.yield_("inner-caught").await?;
            }
            other => drop(other?),
        }
        trace.push("inner: end");
        Ok("inner-ret")
    })
}

/// ```python
/// def t_inner_nocatch():
///     try:
///         yield "i1"
///     finally:
///         log("inner: finally")
/// ```
fn t_inner_nocatch(trace: &Trace) -> Sub {
    yields_then_finally(
        trace,
        "t_inner_nocatch",
        "i1",
        "inner: finally",
        "inner-ret",
    )
}

/// ```python
/// def t_inner_catch_return():
///     try:
///         yield "i1"
///     except ValueError as e:
///         log(f"inner: caught {e!r}, return 'ret-from-throw'")
///         return "ret-from-throw"
/// ```
fn t_inner_catch_return(trace: &Trace) -> Sub {
    let trace = trace.clone();
    Generator::new("t_inner_catch_return", move |co: Co<_>| async move {
        match co.yield_("i1").await {
            Err(e) if e.is::<ValueError>() => {
                trace.push(format!("inner: caught {e:?}, return 'ret-from-throw'"));
                Ok("ret-from-throw")
            }
            other => other.map(|_| "inner-ret"),
        }
    })
}

/// ```python
/// def t_outer_plain(it):
///     try:
///         r = yield from it
///         log(f"outer: r={r!r}")
///         yield "o-after"
///     finally:
///         log("outer: finally")
/// ```
fn t_outer_plain(trace: &Trace, it: Sub) -> Generator<&'static str> {
    let trace = trace.clone();
    Generator::new("t_outer_plain", move |co| async move {
        let _finally = trace.finally("outer: finally");
        let r = co.yield_from(it).await?;
        trace.push(format!("outer: r={r:?}"));
        co.yield_("o-after").await?;
        Ok(())
    })
}

/// ```python
/// def t_outer_catch(it):
///     try:
///         r = yield from it
///         log(f"outer: r={r!r}")
///     except ValueError as e:
///         log(f"outer: caught {e!r} at yield from")
///         yield "outer-caught"
/// ```
fn t_outer_catch(trace: &Trace, it: Sub) -> Generator<&'static str> {
    let trace = trace.clone();
    Generator::new("t_outer_catch", move |co: Co<_>| async move {
        match co.yield_from(it).await {
            Ok(r) => trace.push(format!("outer: r={r:?}")),
            Err(e) if e.is::<ValueError>() => {
                trace.push(format!("outer: caught {e:?} at yield from"));
                co.yield_("outer-caught").await?;
            }
            Err(e) => return Err(e),
        }
        Ok(())
    })
}

#[test]
fn a_delegate_that_catches_the_thrown_error_and_yields_makes_throw_return_that_value() {
    let trace = Trace::default();
    let g = t_outer_plain(&trace, t_inner_catch_yield(&trace));
    g.next().unwrap();

    assert_eq!(
        g.throw(ValueError("x").into()).unwrap(),
        Step::Yielded("inner-caught")
    );
    assert_eq!(
        trace.take(),
        [r#"inner: caught ValueError("x"), yield 'inner-caught'"#]
    );
    assert_eq!(g.state(), GenState::Suspended);
    assert_eq!(g.delegate().unwrap().name, "t_inner_catch_yield");
}

#[test]
fn a_delegate_that_catches_the_thrown_error_and_returns_gives_its_value_to_the_yield_from() {
    let trace = Trace::default();
    let g = t_outer_plain(&trace, t_inner_catch_return(&trace));
    g.next().unwrap();

    assert_eq!(
        g.throw(ValueError("x").into()).unwrap(),
        Step::Yielded("o-after")
    );
    assert_eq!(
        trace.take(),
        [
            r#"inner: caught ValueError("x"), return 'ret-from-throw'"#,
            r#"outer: r="ret-from-throw""#,
        ]
    );
    assert_eq!(g.delegate(), None);
}

#[test]
fn an_error_the_delegate_does_not_catch_is_raised_at_the_delegators_yield_from() {
    let trace = Trace::default();
    let g = t_outer_catch(&trace, t_inner_nocatch(&trace));
    g.next().unwrap();

    assert_eq!(
        g.throw(ValueError("x").into()).unwrap(),
        Step::Yielded("outer-caught")
    );
    // The delegate's cleanup runs before the delegator sees the error.
    assert_eq!(
        trace.take(),
        [
            "inner: finally",
            r#"outer: caught ValueError("x") at yield from"#
        ]
    );
    assert_eq!(g.delegate(), None);
    assert_eq!(g.state(), GenState::Suspended);
}

#[test]
fn an_error_nobody_catches_comes_out_of_throw_after_every_cleanup_innermost_first() {
    let trace = Trace::default();
    let g = t_outer_plain(&trace, t_inner_nocatch(&trace));
    g.next().unwrap();

    let err = g.throw(ValueError("x").into()).unwrap_err();
    // The very error that was thrown (CPython: `raised_is_thrown_object`).
    let err = err.raised().expect("Raised");
    assert_eq!(err.downcast_ref::<ValueError>(), Some(&ValueError("x")));
    assert_eq!(trace.take(), ["inner: finally", "outer: finally"]);
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
}

#[test]
fn a_throw_into_a_delegator_that_has_not_started_closes_it_without_running_anything() {
    let trace = Trace::default();
    let g = t_outer_plain(&trace, t_inner_nocatch(&trace));

    let err = g.throw(ValueError("x").into()).unwrap_err();
    assert!(err.raised().unwrap().is::<ValueError>());
    assert_eq!(g.state(), GenState::Closed);
    assert!(trace.take().is_empty());
}

// B3.e, B3.f: an iterator delegate has no `throw`; the error is raised in
// the delegator and the iterator is not advanced.

fn logged_range(trace: &Trace) -> impl Iterator<Item = &'static str> + 'static {
    let trace = trace.clone();
    ["0", "1", "2"]
        .into_iter()
        .inspect(move |n| trace.push(format!("iter: next -> {n}")))
}

#[test]
fn an_error_thrown_while_delegating_to_an_iterator_is_raised_in_the_delegator_and_can_be_caught() {
    let trace = Trace::default();
    let delegator_trace = trace.clone();
    let items = logged_range(&trace);
    let g: Generator<&str> = Generator::new("t_outer_catch", move |co: Co<_>| async move {
        match co.yield_from_iter(items).await {
            Err(e) if e.is::<ValueError>() => {
                delegator_trace.push(format!("outer: caught {e:?} at yield from"));
                co.yield_("outer-caught").await?;
            }
            other => other?,
        }
        Ok(())
    });
    assert_eq!(g.next().unwrap(), Step::Yielded("0"));

    assert_eq!(
        g.throw(ValueError("x").into()).unwrap(),
        Step::Yielded("outer-caught")
    );
    assert_eq!(
        trace.take(),
        [
            "iter: next -> 0",
            r#"outer: caught ValueError("x") at yield from"#
        ]
    );
    assert_eq!(g.delegate(), None);
}

#[test]
fn an_uncaught_error_thrown_while_delegating_to_an_iterator_closes_the_delegator() {
    let trace = Trace::default();
    let delegator_trace = trace.clone();
    let items = logged_range(&trace);
    let g: Generator<&str> = Generator::new("t_outer_plain", move |co| async move {
        let _finally = delegator_trace.finally("outer: finally");
        co.yield_from_iter(items).await?;
        co.yield_("o-after").await?;
        Ok(())
    });
    g.next().unwrap();

    let err = g.throw(ValueError("x").into()).unwrap_err();
    assert_eq!(
        err.raised().unwrap().downcast_ref::<ValueError>(),
        Some(&ValueError("x"))
    );
    assert_eq!(trace.take(), ["iter: next -> 0", "outer: finally"]);
    assert_eq!(g.state(), GenState::Closed);
}

// B3.g, B3.h: throw(GeneratorExit) into a delegator closes the delegate
// (which sees a fresh GeneratorExit), then throws the original into the
// delegator. To tell the two apart, this error type's GeneratorExit
// carries a tag, as a Python exception object carries its arguments.

#[derive(Debug, PartialEq, Eq)]
enum Exc {
    GeneratorExit(&'static str),
    Value(&'static str),
    Runtime(&'static str),
}

impl Exception for Exc {
    fn from_interrupt(interrupt: Interrupt<()>) -> Self {
        match interrupt {
            Interrupt::GeneratorExit(GeneratorExit) => Self::GeneratorExit(""),
            Interrupt::IgnoredGeneratorExit(IgnoredGeneratorExit { .. }) => {
                Self::Runtime("generator ignored GeneratorExit")
            }
            _ => Self::Runtime("unexpected interrupt"),
        }
    }

    fn is_generator_exit(&self) -> bool {
        matches!(self, Self::GeneratorExit(_))
    }
}

type ExcGen = Generator<&'static str, (), (), Exc>;

/// ```python
/// def t_outer_catch_any(it):
///     try:
///         r = yield from it
///         log(f"outer: r={r!r}")
///     except BaseException as e:
///         log(f"outer: caught {e!r} at yield from, re-raise")
///         raise
/// ```
fn t_outer_catch_any(trace: &Trace, it: ExcGen) -> ExcGen {
    let trace = trace.clone();
    Generator::new("t_outer_catch_any", move |co| async move {
        match co.yield_from(it).await {
            Ok(r) => {
                trace.push(format!("outer: r={r:?}"));
                Ok(())
            }
            Err(e) => {
                trace.push(format!("outer: caught {e:?} at yield from, re-raise"));
                Err(e)
            }
        }
    })
}

/// ```python
/// def t_inner_ge_log():
///     try:
///         yield "i1"
///     except BaseException as e:
///         log(f"inner: caught {e!r}")
///         raise
/// ```
fn t_inner_ge_log(trace: &Trace) -> ExcGen {
    let trace = trace.clone();
    Generator::new("t_inner_ge_log", move |co| async move {
        if let Err(e) = co.yield_("i1").await {
            trace.push(format!("inner: caught {e:?}"));
            return Err(e);
        }
        Ok(())
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
fn t_inner_ge_yield(trace: &Trace) -> ExcGen {
    let trace = trace.clone();
    Generator::new("t_inner_ge_yield", move |co| async move {
        match co.yield_("i1").await {
            Err(Exc::GeneratorExit(_)) => {
                trace.push("inner: caught GeneratorExit, yield 'inner-ignored'");
                co.yield_("inner-ignored").await?;
                Ok(())
            }
            other => other.map(drop),
        }
    })
}

#[test]
fn throwing_generator_exit_closes_the_delegate_then_throws_the_original_into_the_delegator() {
    let trace = Trace::default();
    let g = t_outer_catch_any(&trace, t_inner_ge_log(&trace));
    g.next().unwrap();

    let err = g.throw(Exc::GeneratorExit("ge")).unwrap_err();
    assert_eq!(err.raised(), Some(Exc::GeneratorExit("ge")));
    assert_eq!(
        trace.take(),
        [
            r#"inner: caught GeneratorExit("")"#,
            r#"outer: caught GeneratorExit("ge") at yield from, re-raise"#,
        ]
    );
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn throwing_generator_exit_into_a_delegator_whose_delegate_yields_raises_ignored_exit_there() {
    let trace = Trace::default();
    let g = t_outer_catch_any(&trace, t_inner_ge_yield(&trace));
    g.next().unwrap();

    let err = g.throw(Exc::GeneratorExit("ge")).unwrap_err();
    assert_eq!(
        err.raised(),
        Some(Exc::Runtime("generator ignored GeneratorExit"))
    );
    assert_eq!(
        trace.take(),
        [
            "inner: caught GeneratorExit, yield 'inner-ignored'",
            r#"outer: caught Runtime("generator ignored GeneratorExit") at yield from, re-raise"#,
        ]
    );
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_thrown_error_other_than_generator_exit_is_thrown_into_the_delegate_not_closed_into_it() {
    let trace = Trace::default();
    let g = t_outer_catch_any(&trace, t_inner_ge_log(&trace));
    g.next().unwrap();

    let err = g.throw(Exc::Value("x")).unwrap_err();
    assert_eq!(err.raised(), Some(Exc::Value("x")));
    assert_eq!(
        trace.take(),
        [
            r#"inner: caught Value("x")"#,
            r#"outer: caught Value("x") at yield from, re-raise"#,
        ]
    );
}

#[test]
fn throwing_generator_exit_into_a_delegator_that_then_yields_returns_that_value() {
    // Python: `except GeneratorExit: yield "after-GE"` in the delegator is
    // allowed for throw (only close insists on finishing).
    let trace = Trace::default();
    let inner = t_inner_ge_log(&trace);
    let g: ExcGen = Generator::new("outer", move |co| async move {
        match co.yield_from(inner).await {
            Err(Exc::GeneratorExit(tag)) => {
                co.yield_(tag).await?;
                Ok(())
            }
            other => other,
        }
    });
    g.next().unwrap();

    assert_eq!(
        g.throw(Exc::GeneratorExit("ge")).unwrap(),
        Step::Yielded("ge")
    );
    assert_eq!(trace.take(), [r#"inner: caught GeneratorExit("")"#]);
    assert_eq!(g.state(), GenState::Suspended);
    assert_eq!(g.delegate(), None);
}

/// Logs what reaches it and lets it through.
fn logs_and_reraises(trace: &Trace, name: &'static str, sub: ExcGen) -> ExcGen {
    let trace = trace.clone();
    Generator::new(name, move |co| async move {
        if let Err(e) = co.yield_from(sub).await {
            trace.push(format!("{name}: caught {e:?}"));
            return Err(e);
        }
        Ok(())
    })
}

#[test]
fn throwing_generator_exit_into_three_levels_closes_the_lower_two_and_throws_the_original_on_top() {
    // CPython 3.11.7 (python3), `t_inner_ge_log` under two levels that each
    // `except BaseException: log; raise`:
    // ['inner: caught GeneratorExit()', 'b: caught GeneratorExit()',
    //  "a: caught GeneratorExit('ge')", "throw raised GeneratorExit('ge')"]
    let trace = Trace::default();
    let c = t_inner_ge_log(&trace);
    let b = logs_and_reraises(&trace, "b", c);
    let a = logs_and_reraises(&trace, "a", b);
    a.next().unwrap();

    let err = a.throw(Exc::GeneratorExit("ge")).unwrap_err();
    assert_eq!(err.raised(), Some(Exc::GeneratorExit("ge")));
    assert_eq!(
        trace.take(),
        [
            r#"inner: caught GeneratorExit("")"#,
            r#"b: caught GeneratorExit("")"#,
            r#"a: caught GeneratorExit("ge")"#,
        ]
    );
}

#[test]
fn throwing_generator_exit_into_a_delegator_whose_delegate_returns_on_close_throws_the_original() {
    // python3: ['inner: return on GE', "outer: caught GeneratorExit('ge')"]
    let trace = Trace::default();
    let inner: ExcGen = {
        let trace = trace.clone();
        Generator::new("inner", move |co| async move {
            match co.yield_("i1").await {
                Err(Exc::GeneratorExit(_)) => {
                    trace.push("inner: return on GE");
                    Ok(())
                }
                other => other.map(drop),
            }
        })
    };
    let g = t_outer_catch_any(&trace, inner);
    g.next().unwrap();

    let err = g.throw(Exc::GeneratorExit("ge")).unwrap_err();
    assert_eq!(err.raised(), Some(Exc::GeneratorExit("ge")));
    assert_eq!(
        trace.take(),
        [
            "inner: return on GE",
            r#"outer: caught GeneratorExit("ge") at yield from, re-raise"#,
        ]
    );
}

#[test]
fn throwing_generator_exit_into_a_delegator_whose_delegate_fails_to_close_raises_that_failure() {
    // python3: ['inner: raise ValueError on GE', "outer: caught ValueError('v')"],
    // and throw raised ValueError('v'), not the GeneratorExit.
    let trace = Trace::default();
    let inner: ExcGen = {
        let trace = trace.clone();
        Generator::new("inner", move |co| async move {
            match co.yield_("i1").await {
                Err(Exc::GeneratorExit(_)) => {
                    trace.push("inner: raise ValueError on GE");
                    Err(Exc::Value("v"))
                }
                other => other.map(drop),
            }
        })
    };
    let g = t_outer_catch_any(&trace, inner);
    g.next().unwrap();

    let err = g.throw(Exc::GeneratorExit("ge")).unwrap_err();
    assert_eq!(err.raised(), Some(Exc::Value("v")));
    assert_eq!(
        trace.take(),
        [
            "inner: raise ValueError on GE",
            r#"outer: caught Value("v") at yield from, re-raise"#,
        ]
    );
}

#[test]
fn an_error_thrown_while_the_innermost_generator_delegates_to_an_iterator_is_raised_in_it() {
    let trace = Trace::default();
    let items = logged_range(&trace);
    let inner: Sub = {
        let trace = trace.clone();
        Generator::new("inner", move |co: Co<_>| async move {
            match co.yield_from_iter(items).await {
                Err(e) if e.is::<ValueError>() => {
                    trace.push(format!("inner: caught {e:?}"));
                    Ok("inner-caught")
                }
                other => other.map(|()| "inner-done"),
            }
        })
    };
    let g = t_outer_plain(&trace, inner);
    g.next().unwrap();

    assert_eq!(
        g.throw(ValueError("x").into()).unwrap(),
        Step::Yielded("o-after")
    );
    assert_eq!(
        trace.take(),
        [
            "iter: next -> 0",
            r#"inner: caught ValueError("x")"#,
            r#"outer: r="inner-caught""#,
        ]
    );
}

#[test]
fn throwing_generator_exit_throws_the_original_on_top_when_a_middle_level_absorbs_the_ignored_exit()
{
    // CPython 3.11.7 (python3): c yields on GeneratorExit, b catches the
    // RuntimeError and returns, so b's close succeeded and a gets the
    // original: ['c: GE, yield', "b: caught RuntimeError(...), return",
    // "a: caught GeneratorExit('ge')"], and throw raised GeneratorExit('ge').
    let trace = Trace::default();
    let c: ExcGen = {
        let trace = trace.clone();
        Generator::new("c", move |co| async move {
            match co.yield_("c1").await {
                Err(Exc::GeneratorExit(_)) => {
                    trace.push("c: GE, yield");
                    co.yield_("c-ignored").await?;
                    Ok(())
                }
                other => other.map(drop),
            }
        })
    };
    let b: ExcGen = {
        let trace = trace.clone();
        Generator::new("b", move |co| async move {
            match co.yield_from(c).await {
                Err(Exc::Runtime(why)) => {
                    trace.push(format!("b: caught {why}, return"));
                    Ok(())
                }
                other => other,
            }
        })
    };
    let a = logs_and_reraises(&trace, "a", b);
    a.next().unwrap();

    let err = a.throw(Exc::GeneratorExit("ge")).unwrap_err();
    assert_eq!(err.raised(), Some(Exc::GeneratorExit("ge")));
    assert_eq!(
        trace.take(),
        [
            "c: GE, yield",
            "b: caught generator ignored GeneratorExit, return",
            r#"a: caught GeneratorExit("ge")"#,
        ]
    );
}
