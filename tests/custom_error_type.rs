//! A generator's error type can be the user's own enum, through the
//! `Exception` trait: the body catches the kinds it handles by matching,
//! lets the rest out with `?`, and receives `GeneratorExit` as the variant
//! the type chose for it.

use std::{fmt, num::ParseIntError};
use yieldfrom::{Co, Error, Exception, GenState, Generator, Interrupt, Step};

#[derive(Debug, PartialEq, Eq)]
enum Fault {
    /// `close()` and drop deliver this.
    Exit,
    /// A thrown request to start again.
    Retry(u32),
    /// Anything fatal.
    Fatal(String),
    /// A sent text that was not a number.
    Parse(ParseIntError),
    /// The crate's other interrupts, by message.
    Interrupted(String),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exit => f.write_str("exit"),
            Self::Retry(n) => write!(f, "retry #{n}"),
            Self::Fatal(why) => write!(f, "fatal: {why}"),
            Self::Parse(e) => write!(f, "parse: {e}"),
            Self::Interrupted(why) => write!(f, "interrupted: {why}"),
        }
    }
}

impl<S> Exception<S> for Fault {
    fn from_interrupt(interrupt: Interrupt<S>) -> Self {
        match interrupt {
            Interrupt::GeneratorExit(_) => Self::Exit,
            other => Self::Interrupted(other.to_string()),
        }
    }

    fn is_generator_exit(&self) -> bool {
        matches!(self, Self::Exit)
    }
}

impl From<ParseIntError> for Fault {
    fn from(e: ParseIntError) -> Self {
        Self::Parse(e)
    }
}

/// Counts attempts; a thrown `Retry` is caught and counted, anything else
/// propagates through `?`.
fn worker() -> Generator<u32, (), u32, Fault> {
    Generator::new("worker", |co| async move {
        let mut attempts = 0;
        loop {
            match co.yield_(attempts).await {
                Ok(_) => return Ok(attempts),
                Err(Fault::Retry(n)) => attempts += n,
                Err(other) => return Err(other),
            }
        }
    })
}

#[test]
fn a_kind_the_body_catches_lets_it_go_on() {
    let g = worker();
    assert_eq!(g.next().unwrap(), Step::Yielded(0));
    assert_eq!(g.throw(Fault::Retry(1)).unwrap(), Step::Yielded(1));
    assert_eq!(g.throw(Fault::Retry(2)).unwrap(), Step::Yielded(3));
    assert_eq!(g.state(), GenState::Suspended);
    assert_eq!(g.next().unwrap(), Step::Returned(3));
}

#[test]
fn a_kind_the_body_does_not_catch_comes_back_unchanged() {
    let g = worker();
    g.next().unwrap();
    match g.throw(Fault::Fatal("disk".into())) {
        Err(Error::Raised(e)) => assert_eq!(e, Fault::Fatal("disk".into())),
        other => panic!("expected Raised, got {other:?}"),
    }
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn question_mark_on_a_yield_propagates_a_thrown_kind() {
    let g: Generator<i32, (), (), Fault> = Generator::new("plain", |co| async move {
        co.yield_(1).await?;
        co.yield_(2).await?;
        Ok(())
    });
    g.next().unwrap();
    assert!(matches!(
        g.throw(Fault::Retry(9)),
        Err(Error::Raised(Fault::Retry(9)))
    ));
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn question_mark_converts_other_errors_into_the_generators_type() {
    let g: Generator<i64, &str, (), Fault> =
        Generator::new("parser", |co: Co<i64, &str, Fault>| async move {
            let mut last = 0;
            loop {
                if let Some(text) = co.yield_(last).await? {
                    last = text.parse::<i64>()?;
                }
            }
        });
    g.next().unwrap();
    assert_eq!(g.send("12").unwrap(), Step::Yielded(12));
    let err = g.send("twelve").unwrap_err();
    assert!(matches!(err, Error::Raised(Fault::Parse(_))));
    assert_eq!(err.to_string(), "parse: invalid digit found in string");
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn close_delivers_the_variant_the_type_chose_for_generator_exit() {
    let seen = std::rc::Rc::new(std::cell::RefCell::new(None));
    let sink = seen.clone();
    let g: Generator<i32, (), (), Fault> = Generator::new("observer", move |co| async move {
        let got = co.yield_(1).await;
        if let Err(e) = &got {
            *sink.borrow_mut() = Some(format!("{e:?}"));
        }
        got.map(drop)
    });
    g.next().unwrap();
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(seen.borrow().as_deref(), Some("Exit"));
}

#[test]
fn a_body_that_turns_generator_exit_into_another_kind_makes_close_report_it() {
    let g: Generator<i32, (), (), Fault> = Generator::new("translator", |co| async move {
        match co.yield_(1).await {
            Err(Fault::Exit) => Err(Fault::Fatal("refused to exit".into())),
            other => other.map(drop),
        }
    });
    g.next().unwrap();
    match g.close() {
        Err(Error::Raised(e)) => assert_eq!(e, Fault::Fatal("refused to exit".into())),
        other => panic!("expected Raised, got {other:?}"),
    }
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn throwing_the_exit_variant_by_hand_hands_it_back_since_throw_is_not_close() {
    // Thrown in by hand, the type's GeneratorExit still propagates to the
    // caller (throw is not close).
    let g = worker();
    g.next().unwrap();
    assert!(matches!(
        g.throw(Fault::Exit),
        Err(Error::Raised(Fault::Exit))
    ));
}

#[test]
fn throw_into_a_created_generator_hands_the_typed_error_back() {
    let g = worker();
    assert!(matches!(
        g.throw(Fault::Retry(5)),
        Err(Error::Raised(Fault::Retry(5)))
    ));
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn refusals_hand_back_typed_inputs() {
    let g: Generator<i32, String, (), Fault> = Generator::new("typed_send", |co| async move {
        co.yield_(1).await?;
        Ok(())
    });
    match g.send(String::from("too early")) {
        Err(Error::JustStarted { value, .. }) => assert_eq!(value, "too early"),
        other => panic!("expected JustStarted, got {other:?}"),
    }
}

#[test]
fn the_interrupts_the_crate_raises_are_described_in_python_terms() {
    let exit: Interrupt<()> = Interrupt::GeneratorExit(yieldfrom::GeneratorExit);
    assert_eq!(exit.to_string(), "GeneratorExit");
    let fault = <Fault as Exception>::from_interrupt(exit);
    assert!(<Fault as Exception>::is_generator_exit(&fault));
    assert!(!<Fault as Exception>::is_generator_exit(&Fault::Retry(1)));
}
