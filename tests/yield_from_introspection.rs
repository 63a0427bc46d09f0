//! What a delegating generator reports about itself: `delegate()` is
//! Python's `gi_yieldfrom`, `delegation_chain()` lists every level; from
//! inside a delegate, the delegator is running and cannot be resumed
//! (`docs/cpython_reference/outcomes.md`, B6, B9, A8).

use std::{
    any::type_name,
    cell::{OnceCell, RefCell},
    rc::{Rc, Weak},
};
use yieldfrom::{AnyError, Co, Error, FrameInfo, GenState, Generator, NoSend, Step};

type Gen = Generator<&'static str, &'static str, &'static str>;

/// A slot through which a body reaches the generator it runs in, as the
/// probe's `HOLD` does.
type Handle = Rc<OnceCell<Weak<Gen>>>;

fn upgrade(handle: &Handle) -> Rc<Gen> {
    handle
        .get()
        .and_then(Weak::upgrade)
        .expect("the outer generator is alive")
}

/// One level of a chain as `(name, state)`.
type Level = (&'static str, Option<GenState>);

fn level(frame: &FrameInfo) -> Level {
    (frame.name, frame.state)
}

fn levels(g: &Gen) -> Vec<Level> {
    g.delegation_chain().iter().map(level).collect()
}

fn leaf(name: &'static str) -> Gen {
    Generator::new(name, |co| async move {
        co.yield_("i1").await?;
        co.yield_("i2").await?;
        Ok("iret")
    })
}

fn delegating(name: &'static str, sub: Gen) -> Gen {
    Generator::new(name, move |co| async move {
        let r = co.yield_from(sub).await?;
        co.yield_("o1").await?;
        Ok(r)
    })
}

#[test]
fn a_delegator_that_has_not_started_has_no_delegate() {
    let g = delegating("outer", leaf("inner"));

    assert_eq!(g.delegate(), None);
    assert_eq!(levels(&g), [("outer", Some(GenState::Created))]);
}

#[test]
fn a_delegator_suspended_in_yield_from_reports_the_generator_it_delegates_to() {
    let g = delegating("outer", leaf("inner"));
    g.next().unwrap();

    let delegate = g.delegate().expect("delegating");
    assert_eq!(level(&delegate), ("inner", Some(GenState::Suspended)));
    assert!(!delegate.is_iterator());
    assert_eq!(
        levels(&g),
        [
            ("outer", Some(GenState::Suspended)),
            ("inner", Some(GenState::Suspended))
        ]
    );
}

#[test]
fn a_delegator_has_no_delegate_once_the_delegation_has_ended() {
    let g = delegating("outer", leaf("inner"));
    g.next().unwrap();
    g.next().unwrap();

    assert_eq!(g.next().unwrap(), Step::Yielded("o1"));
    assert_eq!(g.delegate(), None);
    assert_eq!(levels(&g), [("outer", Some(GenState::Suspended))]);
}

#[test]
fn a_closed_delegator_has_no_delegate() {
    let g = delegating("outer", leaf("inner"));
    g.next().unwrap();

    g.close().unwrap();
    assert_eq!(g.delegate(), None);
    assert_eq!(levels(&g), [("outer", Some(GenState::Closed))]);
}

#[test]
fn a_delegator_whose_delegate_raised_has_no_delegate() {
    let failing: Gen = Generator::new("failing", |co| async move {
        co.yield_("i1").await?;
        Err(AnyError::msg("inner failed"))
    });
    let g = delegating("outer", failing);
    g.next().unwrap();

    g.next().unwrap_err();
    assert_eq!(g.delegate(), None);
    assert_eq!(levels(&g), [("outer", Some(GenState::Closed))]);
}

#[test]
fn the_delegate_of_the_outermost_of_three_is_the_middle_generator() {
    let g = delegating("a", delegating("b", leaf("c")));
    g.next().unwrap();

    assert_eq!(g.delegate().map(|f| f.name), Some("b"));
    assert_eq!(
        levels(&g),
        [
            ("a", Some(GenState::Suspended)),
            ("b", Some(GenState::Suspended)),
            ("c", Some(GenState::Suspended)),
        ]
    );
}

#[test]
fn the_delegation_chain_loses_each_level_as_it_returns() {
    let g = delegating("a", delegating("b", leaf("c")));
    g.next().unwrap();
    g.next().unwrap();

    // c returns "iret"; b goes on to its own yield.
    assert_eq!(g.next().unwrap(), Step::Yielded("o1"));
    assert_eq!(
        levels(&g),
        [
            ("a", Some(GenState::Suspended)),
            ("b", Some(GenState::Suspended))
        ]
    );
    // b returns; a goes on to its own yield.
    assert_eq!(g.next().unwrap(), Step::Yielded("o1"));
    assert_eq!(levels(&g), [("a", Some(GenState::Suspended))]);
    assert_eq!(g.next().unwrap(), Step::Returned("iret"));
    assert_eq!(levels(&g), [("a", Some(GenState::Closed))]);
}

#[test]
fn a_delegator_suspended_in_an_iterator_delegation_reports_the_iterator_with_no_state() {
    // B6.c: gi_yieldfrom is the range_iterator.
    let g: Gen = Generator::new("d_range", |co| async move {
        co.yield_from_iter(["0", "1", "2"]).await?;
        co.yield_("o-after").await?;
        Ok("ret")
    });
    g.next().unwrap();

    let delegate = g.delegate().expect("delegating");
    assert_eq!(
        level(&delegate),
        (type_name::<std::array::IntoIter<&str, 3>>(), None)
    );
    assert!(delegate.is_iterator());
    g.next().unwrap();
    g.next().unwrap();
    assert_eq!(g.next().unwrap(), Step::Yielded("o-after"));
    assert_eq!(g.delegate(), None);
}

#[test]
fn the_delegation_chain_ends_with_the_innermost_generators_iterator() {
    let c: Gen = Generator::new("c", |co| async move {
        co.yield_from_iter(vec!["x", "y"]).await?;
        Ok("c-ret")
    });
    let g = delegating("a", delegating("b", c));
    g.next().unwrap();

    let chain = g.delegation_chain();
    assert_eq!(
        chain.iter().map(level).collect::<Vec<_>>(),
        [
            ("a", Some(GenState::Suspended)),
            ("b", Some(GenState::Suspended)),
            ("c", Some(GenState::Suspended)),
            (type_name::<std::vec::IntoIter<&str>>(), None),
        ]
    );
    assert!(chain.last().unwrap().is_iterator());
}

// B6.a.2: what the delegate sees of its delegator while it runs.

#[test]
fn from_inside_its_delegate_the_delegator_is_running_and_reports_no_delegate() {
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    let handle: Handle = Rc::default();
    let inner: Gen = {
        let (seen, handle) = (seen.clone(), handle.clone());
        Generator::new("s_inner", move |co| async move {
            let outer = upgrade(&handle);
            seen.borrow_mut().push(format!(
                "gi_running={} gi_suspended={} gi_yieldfrom={:?} getgeneratorstate={}",
                outer.is_running(),
                outer.is_suspended(),
                outer.delegate(),
                outer.state()
            ));
            co.yield_("i1").await?;
            Ok("iret")
        })
    };
    let outer = Rc::new(delegating("s_outer", inner));
    handle.set(Rc::downgrade(&outer)).unwrap();

    assert_eq!(outer.next().unwrap(), Step::Yielded("i1"));
    assert_eq!(
        *seen.borrow(),
        ["gi_running=true gi_suspended=false gi_yieldfrom=None getgeneratorstate=GEN_RUNNING"]
    );
}

/// Runs `a -> b -> c` to c's first yield and returns the delegation chain
/// of `a` as c's body saw it.
fn chain_seen_from_the_innermost_of_three() -> Vec<Level> {
    let seen: Rc<RefCell<Vec<Level>>> = Rc::default();
    let handle: Handle = Rc::default();
    let c: Gen = {
        let (seen, handle) = (seen.clone(), handle.clone());
        Generator::new("c", move |co| async move {
            seen.borrow_mut().extend(levels(&upgrade(&handle)));
            co.yield_("c1").await?;
            Ok("c-ret")
        })
    };
    let a = Rc::new(delegating("a", delegating("b", c)));
    handle.set(Rc::downgrade(&a)).unwrap();
    a.next().unwrap();
    seen.take()
}

#[test]
fn from_inside_the_innermost_of_three_the_chain_is_only_the_running_outermost() {
    // Walking `gi_yieldfrom` from the outermost while it runs stops at once
    // in CPython 3.11, since `gi_yieldfrom` is None while running (B6.a.2).
    assert_eq!(
        chain_seen_from_the_innermost_of_three(),
        [("a", Some(GenState::Running))]
    );
}

#[test]
fn resuming_the_delegator_from_inside_its_delegate_is_refused_and_hands_the_input_back() {
    // def s_inner():
    //     try_log("inner: next(outer)", lambda: next(o))
    //     try_log("inner: outer.send(None)", lambda: o.send(None))
    //     try_log("inner: outer.throw(ValueError('x'))", lambda: o.throw(ValueError("x")))
    //     try_log("inner: outer.close()", lambda: o.close())
    //     yield "i1"
    // Each attempt: ValueError('generator already executing').
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    let handle: Handle = Rc::default();
    let inner: Gen = {
        let (seen, handle) = (seen.clone(), handle.clone());
        Generator::new("s_inner", move |co| async move {
            let outer = upgrade(&handle);
            let log = |what: &str, name, text: String| {
                seen.borrow_mut().push(format!("{what}: {name} {text}"));
            };
            match outer.next() {
                Err(e @ Error::AlreadyExecuting { name, .. }) => log("next", name, e.to_string()),
                other => panic!("next: {other:?}"),
            }
            match outer.send("sent") {
                Err(e @ Error::AlreadyExecuting { name, .. }) => {
                    let text = e.to_string();
                    let back = e.into_value().expect("the value comes back");
                    log("send", name, format!("{text}, handed back {back:?}"));
                }
                other => panic!("send: {other:?}"),
            }
            match outer.throw(AnyError::msg("thrown")) {
                Err(e @ Error::AlreadyExecuting { name, .. }) => {
                    let text = e.to_string();
                    let back = e.into_value().expect("the error comes back");
                    log("throw", name, format!("{text}, handed back {back}"));
                }
                other => panic!("throw: {other:?}"),
            }
            match outer.close() {
                Err(e @ Error::AlreadyExecuting { name, .. }) => log("close", name, e.to_string()),
                other => panic!("close: {other:?}"),
            }
            co.yield_("i1").await?;
            co.yield_("i2").await?;
            Ok("iret")
        })
    };
    let outer = Rc::new(delegating("s_outer", inner));
    handle.set(Rc::downgrade(&outer)).unwrap();

    assert_eq!(outer.next().unwrap(), Step::Yielded("i1"));
    assert_eq!(
        *seen.borrow(),
        [
            "next: s_outer generator already executing",
            r#"send: s_outer generator already executing, handed back "sent""#,
            "throw: s_outer generator already executing, handed back thrown",
            "close: s_outer generator already executing",
        ]
    );
    // The refused attempts changed nothing: the delegation goes on.
    assert_eq!(outer.state(), GenState::Suspended);
    assert_eq!(outer.next().unwrap(), Step::Yielded("i2"));
    assert_eq!(outer.next().unwrap(), Step::Yielded("o1"));
    assert_eq!(outer.next().unwrap(), Step::Returned("iret"));
}

#[test]
fn the_chain_follows_a_delegator_through_successive_delegations() {
    let sub: Generator<i64, i64> = Generator::new("sub", |co| async move {
        co.yield_(99).await?;
        Ok(())
    });
    let g: Generator<i64, i64> = Generator::new("g", move |co: Co<_, i64>| async move {
        if let Err(e) = co.yield_from_iter(0..3).await {
            e.downcast::<NoSend<i64>>()?;
        }
        co.yield_from(sub).await?;
        co.yield_from_iter(vec![5]).await?;
        co.yield_(7).await?;
        Ok(())
    });
    let chain = |g: &Generator<i64, i64>| -> Vec<Level> {
        g.delegation_chain().iter().map(level).collect()
    };
    let suspended = Some(GenState::Suspended);

    g.next().unwrap();
    assert_eq!(
        chain(&g),
        [
            ("g", suspended),
            (type_name::<std::ops::Range<i64>>(), None)
        ]
    );
    // The refused send ends the iterator delegation; the next begins.
    assert_eq!(g.send(1).unwrap(), Step::Yielded(99));
    assert_eq!(chain(&g), [("g", suspended), ("sub", suspended)]);
    assert_eq!(g.next().unwrap(), Step::Yielded(5));
    assert_eq!(
        chain(&g),
        [
            ("g", suspended),
            (type_name::<std::vec::IntoIter<i64>>(), None)
        ]
    );
    assert_eq!(g.next().unwrap(), Step::Yielded(7));
    assert_eq!(chain(&g), [("g", suspended)]);
}
