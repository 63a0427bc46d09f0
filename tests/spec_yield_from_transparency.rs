//! `yield from` is transparent (PEP 380): driving a delegator whose whole
//! body is `return (yield from g)` gives the same trace as driving `g`
//! itself, for random programs `g` and random drivers: the same answers,
//! states and side effects, in the same order, through to the drop.
//!
//! PEP 380 makes two exceptions, which the drivers and the comparison
//! respect:
//! - `throw(GeneratorExit)` closes the delegate and then throws the
//!   original into the delegator, so the delegate sees a fresh
//!   `GeneratorExit`; the drivers here throw only ordinary errors.
//! - A delegate that yields when closed makes `close()` report "generator
//!   ignored GeneratorExit" and stay suspended, but inside a delegator it
//!   becomes a `RuntimeError` raised at the `yield from`, which ends the
//!   delegator. The traces are compared up to the first such close, and
//!   the drop only if dropping `g` did not meet that.
//!
//! `gi_yieldfrom` is the one query that differs by design (the delegator is
//! always delegating), so the drivers ask for the state instead.

mod spec;

use proptest::prelude::*;
use spec::{
    budget,
    drive::{self, Answer},
    interpret::{self, IGNORED_EXIT, PyGen},
    program::{self, Op},
};
use yieldfrom::Generator;

/// `def delegator(): return (yield from g)`.
fn delegator(g: PyGen) -> PyGen {
    Generator::new("delegator", move |co| async move { co.yield_from(g).await })
}

/// The answer, with the value `close()` hands back dropped: a value `g`
/// returns on `GeneratorExit` is `close()`'s when `g` is closed directly,
/// but is discarded by the `yield from` when the delegator is closed
/// (CPython 3.11 discards it in both cases).
fn comparable(answer: &Answer) -> Answer {
    match answer {
        Answer::Closed(_) => Answer::Closed(None),
        other => other.clone(),
    }
}

proptest! {
    #![proptest_config(budget::model())]

    #[test]
    fn driving_a_delegator_that_only_yields_from_g_is_driving_g(
        program in program::program(),
        ops in program::driver_without_thrown_exit(),
    ) {
        let ops: Vec<Op> = ops
            .into_iter()
            .map(|op| if op == Op::Delegating { Op::State } else { op })
            .collect();
        let direct = drive::run_with(|env| interpret::generator(&program.main, env), &ops);
        let delegated = drive::run_with(
            |env| delegator(interpret::generator(&program.main, env)),
            &ops,
        );
        prop_assert!(direct.panicked.is_none() && delegated.panicked.is_none());
        for (d, v) in direct.records.iter().zip(&delegated.records) {
            if d.answer == Answer::IgnoredExit {
                return Ok(());
            }
            prop_assert_eq!(&d.effects, &v.effects, "before {}", d.line());
            prop_assert_eq!(comparable(&d.answer), comparable(&v.answer), "{}", d.line());
            prop_assert_eq!(d.after, v.after, "{}", d.line());
        }
        if !direct.on_drop.iter().any(|e| e.contains(IGNORED_EXIT)) {
            prop_assert_eq!(&direct.on_drop, &delegated.on_drop, "dropping");
        }
    }
}
