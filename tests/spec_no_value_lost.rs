//! No sent value is lost: for random programs under random drivers, each
//! value passed to `send` is, exactly once, either received by a body (the
//! pending `yield` evaluates to it) or handed back: in `JustStarted` by a
//! generator that has not started, in `Stopped` by a closed one, or inside
//! the `AttributeError` (`Interrupt::NoSend`) raised in the body when the
//! value reaches a `range` delegate, which cannot take one. No other
//! operation delivers a value, none is delivered twice, and an error that
//! reaches the caller hands back only a value that was refused (not always
//! during the same operation: a `finally` block that yields holds the error
//! back until a later one, as in Python).

mod spec;

use proptest::prelude::*;
use spec::{
    budget,
    drive::{self, Answer},
    program::{self, Op},
};
use yieldfrom::GenState;

proptest! {
    #![proptest_config(budget::model())]

    #[test]
    fn every_sent_value_is_received_once_or_handed_back(case in program::case()) {
        let mut case = case;
        // Distinct values, so that each can be followed.
        for (position, op) in case.ops.iter_mut().enumerate() {
            if let Op::Send(v) = op {
                *v = 1000 + i64::try_from(position).expect("drivers are short");
            }
        }
        let run = drive::run(&case);
        prop_assert!(run.panicked.is_none());
        let mut refused = Vec::new();
        for r in &run.records {
            refused.extend(&r.refused);
            let delivered: Vec<i64> = r.received.iter().chain(&r.refused).copied().collect();
            if let Answer::Raised(e) = &r.answer {
                if let Some(unsent) = e.unsent {
                    prop_assert!(
                        refused.contains(&unsent),
                        "{} hands back {}, which was never refused",
                        r.line(),
                        unsent
                    );
                }
            }
            let Op::Send(v) = r.op else {
                prop_assert!(delivered.is_empty(), "{} delivered {:?}", r.line(), delivered);
                continue;
            };
            match (r.before, &r.answer) {
                (GenState::Created, Answer::JustStarted(back))
                | (GenState::Closed, Answer::Stopped(Some(back))) => {
                    prop_assert_eq!(*back, v, "{}", r.line());
                    prop_assert!(delivered.is_empty(), "{} also delivered {:?}", r.line(), delivered);
                }
                (GenState::Suspended, _) => {
                    prop_assert_eq!(&delivered, &vec![v], "{}", r.line());
                }
                _ => prop_assert!(false, "{}: unexpected answer to send", r.line()),
            }
        }
    }
}
