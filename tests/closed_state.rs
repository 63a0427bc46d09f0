//! A finished generator (`GEN_CLOSED`), however it got there: it returned,
//! raised, was closed, or was thrown into or closed before it started.
//! Every operation then runs nothing. CPython reference: outcomes.md A1
//! (rows "returned", "closed", "errored"), A3.a.2, A4, A9, A10.

mod trace;

use trace::{Log, Thrown, core};
use yieldfrom::{AnyError, GenState, Generator, Step};

/// Every operation on a closed generator: `next` and `send` stop without
/// running anything (`send` handing its value back), `throw` hands back the
/// very error thrown, `close` returns `None`; the state stays closed.
fn assert_behaves_as_closed(g: &Generator<Option<i32>, i32, i32>, log: &Log) {
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(g.state().to_string(), "GEN_CLOSED");
    assert!(!g.is_running());
    assert!(!g.is_suspended());
    assert_eq!(g.delegate(), None);

    assert_eq!(g.next().unwrap(), Step::Stopped(()));
    assert_eq!(g.send(42).unwrap(), Step::Stopped(42));

    let error = AnyError::from(Thrown(9));
    let thrown_at: *const Thrown = error.downcast_ref::<Thrown>().unwrap();
    let back = g.throw(error).unwrap_err().raised().expect("Error::Raised");
    let back_at: *const Thrown = back.downcast_ref::<Thrown>().unwrap();
    assert_eq!(back_at, thrown_at, "the very error thrown comes back");

    assert_eq!(g.close().unwrap(), None);
    assert_eq!(g.state(), GenState::Closed);
    assert!(log.take().is_empty(), "no body code ran");
}

#[test]
fn a_generator_that_returned_behaves_as_closed() {
    let log = Log::new();
    let g = core(&log);
    g.next().unwrap();
    g.send(1).unwrap();
    assert_eq!(g.next().unwrap(), Step::Returned(5));
    log.take();
    assert_behaves_as_closed(&g, &log);
}

#[test]
fn a_generator_closed_with_close_behaves_as_closed() {
    let log = Log::new();
    let g = core(&log);
    g.next().unwrap();
    g.close().unwrap();
    log.take();
    assert_behaves_as_closed(&g, &log);
}

#[test]
fn a_generator_whose_body_raised_behaves_as_closed() {
    let log = Log::new();
    let g = core(&log);
    g.next().unwrap();
    assert!(g.throw(AnyError::msg("boom")).is_err());
    log.take();
    assert_behaves_as_closed(&g, &log);
}

#[test]
fn a_generator_closed_before_it_started_behaves_as_closed() {
    let log = Log::new();
    let g = core(&log);
    g.close().unwrap();
    assert_behaves_as_closed(&g, &log);
}

#[test]
fn a_generator_thrown_into_before_it_started_behaves_as_closed() {
    let log = Log::new();
    let g = core(&log);
    assert!(g.throw(AnyError::msg("x")).is_err());
    assert_behaves_as_closed(&g, &log);
}

#[test]
fn the_return_value_is_handed_out_exactly_once() {
    let log = Log::new();
    let g = core(&log);
    g.next().unwrap();
    g.send(1).unwrap();
    assert_eq!(g.next().unwrap(), Step::Returned(5));
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
    assert_eq!(g.send(5).unwrap(), Step::Stopped(5));
    assert_eq!(g.close().unwrap(), None, "close does not hand it out again");
}

#[test]
fn send_to_a_closed_generator_stops_rather_than_refusing_as_just_started() {
    let log = Log::new();
    let g = core(&log);
    g.close().unwrap();
    // A closed generator that never started is not "just started".
    assert_eq!(g.send(42).unwrap(), Step::Stopped(42));
}
