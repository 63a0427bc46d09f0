//! For random programs under random drivers, with no Python needed: the
//! generator's state moves only along Python's state diagram, each
//! operation answering as CPython's does in that state; `GEN_CLOSED` is
//! absorbing; and closing a closed generator again does nothing.

mod spec;

use proptest::prelude::*;
use spec::{
    budget,
    drive::{self, Answer, Record, thrown},
    program::{self, Case, Op},
};
use yieldfrom::GenState::{Closed, Created, Suspended};

/// Why `r` is not a move Python's state diagram allows, if it is not.
///
/// ```text
///   Created --next--> Suspended (yielded) | Closed (returned, raised)
///   Created --send(v)--> Created, refused with TypeError, v handed back
///   Created --throw(e)--> Closed, e raised back, nothing run
///   Created --close--> Closed, nothing run
///   Suspended --next/send/throw--> Suspended (yielded) | Closed (returned, raised)
///   Suspended --close--> Closed (finished, or raised something other than
///                        GeneratorExit) | Suspended (yielded: "ignored GeneratorExit")
///   Closed --anything--> Closed: StopIteration, e raised back, close returns None
/// ```
fn illegal(r: &Record) -> Option<String> {
    use Answer as A;
    let legal = match (r.before, r.op, &r.answer, r.after) {
        (s, Op::State, A::State(seen), after) => *seen == s && after == s,
        (s, Op::Delegating, A::Delegating(d), after) => after == s && (!d || s == Suspended),
        (Created | Suspended, Op::Next, A::Yielded(_), Suspended)
        | (Suspended, Op::Send(_) | Op::Throw(_), A::Yielded(_), Suspended)
        | (Created | Suspended, Op::Next, A::Returned(_) | A::Raised(_), Closed)
        | (Suspended, Op::Send(_) | Op::Throw(_), A::Returned(_) | A::Raised(_), Closed)
        | (Suspended, Op::Close, A::Closed(_), Closed)
        | (Suspended, Op::Close, A::IgnoredExit, Suspended)
        | (Created | Closed, Op::Close, A::Closed(None), Closed)
        | (Closed, Op::Next, A::Stopped(None), Closed) => true,
        (Suspended, Op::Close, A::Raised(e), Closed) => e.kind != program::Kind::GeneratorExit,
        (Created, Op::Send(v), A::JustStarted(back), Created)
        | (Closed, Op::Send(v), A::Stopped(Some(back)), Closed) => *back == v,
        (Created | Closed, Op::Throw(kind), A::Raised(e), Closed) => *e == thrown(kind, r.position),
        _ => false,
    };
    if !legal {
        return Some("not a move of Python's state diagram".to_owned());
    }
    let starts_nothing = r.before == Closed
        || (r.before == Created && r.op != Op::Next)
        || matches!(r.op, Op::State | Op::Delegating);
    if starts_nothing && !r.ran_nothing() {
        return Some(format!("ran body code: {:?}", r.effects));
    }
    None
}

fn run_cleanly(case: &Case) -> Result<drive::Run, TestCaseError> {
    let run = drive::run(case);
    if let Some(why) = &run.panicked {
        return Err(TestCaseError::fail(format!("the crate panicked: {why}")));
    }
    Ok(run)
}

proptest! {
    #![proptest_config(budget::model())]

    #[test]
    fn every_operation_moves_the_state_only_along_pythons_diagram(case in program::case()) {
        let run = run_cleanly(&case)?;
        for r in &run.records {
            if let Some(why) = illegal(r) {
                prop_assert!(false, "{}: {why}", r.line());
            }
        }
    }

    #[test]
    fn once_closed_a_generator_stays_closed_and_runs_nothing_more(case in program::case()) {
        let run = run_cleanly(&case)?;
        if let Some(first) = run.records.iter().position(|r| r.after == Closed) {
            for r in &run.records[first + 1..] {
                prop_assert_eq!((r.before, r.after), (Closed, Closed), "{}", r.line());
                prop_assert!(r.ran_nothing(), "{} ran {:?}", r.line(), r.effects);
            }
            prop_assert!(run.on_drop.is_empty(), "dropping it ran {:?}", run.on_drop);
        }
    }

    #[test]
    fn closing_again_after_a_close_that_did_not_meet_a_yield_does_nothing(case in program::case()) {
        let mut case = case;
        case.ops.extend([Op::Close, Op::Close, Op::Close]);
        let run = run_cleanly(&case)?;
        for pair in run.records.windows(2) {
            let (first, second) = (&pair[0], &pair[1]);
            if first.op != Op::Close || second.op != Op::Close {
                continue;
            }
            if first.answer == Answer::IgnoredExit {
                prop_assert_eq!(first.after, Suspended, "{}", first.line());
            } else {
                prop_assert_eq!(first.after, Closed, "{}", first.line());
                prop_assert_eq!(&second.answer, &Answer::Closed(None), "{}", second.line());
                prop_assert_eq!(second.after, Closed);
                prop_assert!(second.ran_nothing(), "{} ran {:?}", second.line(), second.effects);
            }
        }
    }
}
