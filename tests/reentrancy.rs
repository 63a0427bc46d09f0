//! A body that resumes its own generator (through a shared handle) is told
//! "generator already executing", gets back what it tried to deliver, and
//! carries on; seen from inside, its generator is running. CPython
//! reference: outcomes.md A8, A13.2 (note 8).

mod trace;

use std::rc::{Rc, Weak};
use trace::Log;
use yieldfrom::{AlreadyExecuting, AnyError, Co, Error, GenState, Generator, GeneratorExit, Step};

type SelfResume = Generator<&'static str, i32>;

/// Python's `self_resume(kind)`: the body looks at its own generator,
/// makes one `attempt` on it, logs what happened, then yields
/// "after-attempt".
fn self_resume(log: &Log, attempt: fn(&SelfResume) -> String) -> Rc<SelfResume> {
    let log = log.clone();
    Rc::new_cyclic(|me: &Weak<SelfResume>| {
        let me = me.clone();
        Generator::new("self_resume", move |co| async move {
            {
                let g = me.upgrade().expect("the caller holds the generator");
                log.push(format!(
                    "inside: state={} is_running={} is_suspended={} delegate={:?}",
                    g.state(),
                    g.is_running(),
                    g.is_suspended(),
                    g.delegate()
                ));
                log.push(attempt(&g));
                log.push(format!("inside, after the attempt: state={}", g.state()));
            }
            co.yield_("after-attempt").await?;
            log.push("body: resumed normally");
            Ok(())
        })
    })
}

/// Runs `self_resume(attempt)` to the end as the probe does, checks the
/// generator's states and returns the log.
fn run_self_resume(attempt: fn(&SelfResume) -> String) -> Vec<String> {
    let log = Log::new();
    let g = self_resume(&log, attempt);
    assert_eq!(g.next().unwrap(), Step::Yielded("after-attempt"));
    assert_eq!(g.state(), GenState::Suspended);
    let during = log.take();
    assert_eq!(g.next().unwrap(), Step::Returned(()));
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(log.take(), ["body: resumed normally"]);
    during
}

const INSIDE: &str = "inside: state=GEN_RUNNING is_running=true is_suspended=false delegate=None";
const AFTER: &str = "inside, after the attempt: state=GEN_RUNNING";

#[test]
fn inside_its_own_body_a_generator_is_running() {
    let during = run_self_resume(|g| format!("name={}", g.name()));
    assert_eq!(during, [INSIDE, "name=self_resume", AFTER]);
}

#[test]
fn next_from_inside_is_refused_as_already_executing() {
    let during = run_self_resume(|g| match g.next() {
        Err(e @ Error::AlreadyExecuting { .. }) => {
            format!("next -> {e} (generator {:?})", e.generator_name())
        }
        other => format!("next -> unexpected {other:?}"),
    });
    assert_eq!(
        during,
        [
            INSIDE,
            "next -> generator already executing (generator Some(\"self_resume\"))",
            AFTER
        ]
    );
}

#[test]
fn send_from_inside_is_refused_and_hands_the_value_back() {
    let during = run_self_resume(|g| match g.send(1) {
        Err(e @ Error::AlreadyExecuting { .. }) => {
            let message = e.to_string();
            format!("send -> {message}, value back: {:?}", e.into_value())
        }
        other => format!("send -> unexpected {other:?}"),
    });
    assert_eq!(
        during,
        [
            INSIDE,
            "send -> generator already executing, value back: Some(1)",
            AFTER
        ]
    );
}

#[test]
fn throw_from_inside_is_refused_and_hands_the_error_back_undelivered() {
    let during = run_self_resume(|g| match g.throw(AnyError::msg("inner-x")) {
        Err(Error::AlreadyExecuting { name, value }) => {
            format!("throw -> already executing in {name}, error back: {value}")
        }
        other => format!("throw -> unexpected {other:?}"),
    });
    assert_eq!(
        during,
        [
            INSIDE,
            "throw -> already executing in self_resume, error back: inner-x",
            AFTER
        ]
    );
}

#[test]
fn close_from_inside_is_refused_and_the_body_keeps_running() {
    let during = run_self_resume(|g| match g.close() {
        Err(e @ Error::AlreadyExecuting { .. }) => format!("close -> {e}"),
        other => format!("close -> unexpected {other:?}"),
    });
    assert_eq!(
        during,
        [INSIDE, "close -> generator already executing", AFTER]
    );
}

#[test]
fn an_uncaught_already_executing_error_escapes_the_body_and_closes_it() {
    // def self_resume_uncaught():
    //     me = HOLD["self"]; log(...); next(me); yield "unreachable"
    let log = Log::new();
    let body_log = log.clone();
    let g: Rc<Generator<&str>> = Rc::new_cyclic(|me: &Weak<Generator<&str>>| {
        let me = me.clone();
        Generator::new("self_resume_uncaught", move |co| async move {
            body_log.push("body: calling next(me) without try");
            me.upgrade().unwrap().next()?;
            co.yield_("unreachable").await?;
            Ok(())
        })
    });
    let err = g.next().unwrap_err();
    assert_eq!(err.to_string(), "generator already executing");
    let raised = err.raised().expect("the body raised it");
    // `?` turned the refusal into the error named for it (Python's
    // ValueError), not into a wrapper around the operation's error.
    assert_eq!(
        raised.downcast_ref::<AlreadyExecuting>(),
        Some(&AlreadyExecuting {
            generator: "self_resume_uncaught"
        })
    );
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(log.take(), ["body: calling next(me) without try"]);
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
}

#[test]
fn while_closing_the_body_sees_its_generator_running_and_cannot_resume_it() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Rc<Generator<i32>> = Rc::new_cyclic(|me: &Weak<Generator<i32>>| {
        let me = me.clone();
        Generator::new("closing", move |co: Co<i32>| async move {
            let got = co.yield_(1).await;
            if let Err(e) = &got {
                let g = me.upgrade().unwrap();
                body_log.push(format!(
                    "handler: {e}, state={}, next -> {}",
                    g.state(),
                    g.next().unwrap_err()
                ));
            }
            got.map(drop)
        })
    });
    g.next().unwrap();
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(
        log.take(),
        ["handler: GeneratorExit, state=GEN_RUNNING, next -> generator already executing"]
    );
}

#[test]
fn while_handling_a_thrown_error_the_body_sees_its_generator_running() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Rc<Generator<i32>> = Rc::new_cyclic(|me: &Weak<Generator<i32>>| {
        let me = me.clone();
        Generator::new("throwee", move |co: Co<i32>| async move {
            if let Err(e) = co.yield_(1).await {
                let g = me.upgrade().unwrap();
                let refused = g.throw(GeneratorExit.into()).unwrap_err();
                let message = refused.to_string();
                body_log.push(format!(
                    "caught {e}; state={}; throw -> {message}; handed back GeneratorExit: {}",
                    g.state(),
                    refused
                        .into_value()
                        .is_some_and(|v| v.is::<GeneratorExit>())
                ));
                co.yield_(2).await?;
            }
            Ok(())
        })
    });
    g.next().unwrap();
    assert_eq!(g.throw(AnyError::msg("x")).unwrap(), Step::Yielded(2));
    assert_eq!(
        log.take(),
        [
            "caught x; state=GEN_RUNNING; throw -> generator already executing; handed back GeneratorExit: true"
        ]
    );
    assert_eq!(g.state(), GenState::Suspended);
}
