//! A return value travels apart from yielded values, as `Step::Returned`,
//! so no value a body yields or returns can be taken for "no more items".
//! This is what Python's `StopIteration.value` and PEP 479 arrange by other
//! means. CPython reference: outcomes.md A10, A12 (notes 10, 11).

use yieldfrom::{AnyError, GenState, Generator, Step};

#[test]
fn yielding_none_and_returning_none_are_told_apart_from_stopping() {
    let g: Generator<Option<i32>, (), Option<i32>> = Generator::new("nones", |co| async move {
        co.yield_(None).await?;
        Ok(None)
    });
    assert_eq!(g.next().unwrap(), Step::Yielded(None));
    assert_eq!(g.next().unwrap(), Step::Returned(None));
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
}

#[test]
fn a_unit_return_is_still_a_return() {
    // def ret_none(): yield 1; return   -- StopIteration with value None
    let g: Generator<i32> = Generator::new("ret_none", |co| async move {
        co.yield_(1).await?;
        Ok(())
    });
    g.next().unwrap();
    let step = g.next().unwrap();
    assert_eq!(step, Step::Returned(()));
    assert!(step.is_finished());
    assert_eq!(step.returned(), Some(()));
}

#[test]
fn a_compound_return_value_comes_back_exactly_as_returned() {
    // def ret_tuple(): yield 1; return (1, 2)
    let g: Generator<i32, (), (i32, i32)> = Generator::new("ret_tuple", |co| async move {
        co.yield_(1).await?;
        Ok((1, 2))
    });
    g.next().unwrap();
    assert_eq!(g.next().unwrap(), Step::Returned((1, 2)));
}

#[test]
fn an_error_value_that_is_returned_is_a_return_value_not_a_raise() {
    // def ret_exc(): yield 1; return ValueError("returned, not raised")
    let g: Generator<i32, (), AnyError> = Generator::new("ret_exc", |co| async move {
        co.yield_(1).await?;
        Ok(AnyError::msg("returned, not raised"))
    });
    g.next().unwrap();
    match g.next() {
        Ok(Step::Returned(e)) => assert_eq!(e.to_string(), "returned, not raised"),
        other => panic!("expected a returned value, got {other:?}"),
    }
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn an_exhausted_iterator_inside_the_body_does_not_end_the_generator() {
    // def next_exhausted(): yield 1; next(iter([]))
    // Python turns the escaping StopIteration into RuntimeError (PEP 479);
    // here an exhausted iterator gives None, an ordinary value.
    let g: Generator<&str, (), &str> = Generator::new("next_exhausted", |co| async move {
        co.yield_("first").await?;
        let mut empty = std::iter::empty::<&str>();
        let got = empty.next();
        co.yield_(got.unwrap_or("the iterator was empty")).await?;
        Ok("still running after it")
    });
    assert_eq!(g.next().unwrap(), Step::Yielded("first"));
    assert_eq!(g.next().unwrap(), Step::Yielded("the iterator was empty"));
    assert_eq!(g.next().unwrap(), Step::Returned("still running after it"));
}

#[test]
fn step_helpers_say_which_case_a_step_is() {
    let yielded: Step<i32, &str> = Step::Yielded(1);
    assert_eq!(yielded.yielded(), Some(1));
    assert_eq!(yielded.returned(), None);
    assert!(!yielded.is_finished());
    let stopped: Step<i32, &str> = Step::Stopped(());
    assert!(stopped.is_finished());
    assert_eq!(stopped.returned(), None);
    assert_eq!(stopped.yielded(), None);
}
