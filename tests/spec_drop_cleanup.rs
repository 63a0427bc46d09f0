//! Dropping a generator cleans up exactly once: for random programs
//! dropped after random drivers, every `finally` block that was entered
//! runs once and never twice, and every generator body made along the way
//! (delegates included) is released. Dropping a suspended generator is
//! closing it, with what `close()` would have raised reported to the
//! unraisable hook instead; when the close meets a yield, the generator is
//! given up and the delegates it held are finalised after that report.

mod spec;

use proptest::prelude::*;
use spec::{
    budget,
    drive::{self, Answer},
    interpret::IGNORED_EXIT,
    program::{self, Op},
};
use yieldfrom::GenState;

proptest! {
    #![proptest_config(budget::model())]

    #[test]
    fn every_finally_entered_runs_once_and_every_body_is_released(case in program::case()) {
        let run = drive::run(&case);
        prop_assert!(run.panicked.is_none());
        prop_assert_eq!(run.env.live_bodies.get(), 0, "generator bodies left alive");
        let runs = run.env.finally_runs.borrow();
        prop_assert!(runs.iter().all(|&n| n <= 1), "a finally ran twice: {:?}", runs);
        // CPython gives up on a generator that yields while it is being
        // finalised, without running its remaining `finally` blocks; so do
        // we (its body is dropped at that yield). Short of that, every
        // `finally` runs.
        let gave_up = run
            .records
            .iter()
            .flat_map(|r| &r.effects)
            .chain(&run.on_drop)
            .any(|e| e.starts_with("unraisable") && e.contains(IGNORED_EXIT));
        if !gave_up {
            prop_assert!(runs.iter().all(|&n| n == 1), "a finally never ran: {:?}", runs);
        }
    }

    #[test]
    fn dropping_a_suspended_generator_is_closing_it(case in program::case()) {
        let dropped = drive::run(&case);
        prop_assert!(dropped.panicked.is_none());
        if dropped
            .records
            .last()
            .is_none_or(|r| r.after != GenState::Suspended) {
            return Ok(());
        }
        let mut then_closed = case.clone();
        then_closed.ops.push(Op::Close);
        let closed = drive::run(&then_closed);
        let close = closed.records.last().expect("the close was recorded");
        let mut expected = close.effects.clone();
        match &close.answer {
            Answer::Closed(_) => prop_assert_eq!(&dropped.on_drop, &expected),
            Answer::Raised(e) => {
                expected.push(format!("unraisable {e:?}"));
                prop_assert_eq!(&dropped.on_drop, &expected);
            }
            Answer::IgnoredExit => {
                // CPython then gives up on the generator and releases its
                // frame, finalising the delegates it held in turn.
                expected.push(format!("unraisable RuntimeError({IGNORED_EXIT})"));
                prop_assert!(
                    dropped.on_drop.starts_with(&expected),
                    "dropping did {:?}, not first {:?}",
                    dropped.on_drop,
                    expected
                );
            }
            other => prop_assert!(false, "close answered {:?}", other),
        }
    }
}
