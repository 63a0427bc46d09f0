//! Drives a generator through a driver's operations and records what each
//! one did, then drops it; and turns that record into the trace the
//! differential test compares with CPython's.

use super::{
    interpret::{self, Env, IGNORED_EXIT, PyErr, PyGen},
    program::{Case, Kind, Op, Val, throw_message},
};
use std::{
    panic::{self, AssertUnwindSafe},
    rc::Rc,
    sync::Once,
};
use yieldfrom::{Error, GenState, Step, set_unraisable_hook};

/// What an operation answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Yielded(Val),
    /// The body returned this value now.
    Returned(Val),
    /// Already closed: nothing ran. Carries a refused `send`'s value.
    Stopped(Option<i64>),
    /// `close()` succeeded, with what the body returned, if it did.
    Closed(Option<Val>),
    Raised(PyErr),
    /// `send` to a generator that has not started, handing the value back.
    JustStarted(i64),
    /// `close()` met a yield.
    IgnoredExit,
    /// Any refusal this suite never provokes (already executing, foreign
    /// await), by its message.
    Refused(String),
    State(GenState),
    Delegating(bool),
}

impl Answer {
    /// The answer as the trace shows it, which is how Python's driver
    /// prints it: a return value and an already-closed generator are both
    /// `StopIteration`, and `close()` shows no value (CPython 3.11 discards
    /// it; `Generator::close` hands it back, like 3.13).
    pub fn show(&self) -> String {
        match self {
            Self::Yielded(v) => format!("yield {}", interpret::show(*v)),
            Self::Returned(v) => format!("stop {}", interpret::show(*v)),
            Self::Stopped(_) => "stop None".to_owned(),
            Self::Closed(_) => "closed".to_owned(),
            Self::Raised(e) => format!("raise {e:?}"),
            Self::JustStarted(_) => {
                "raise TypeError(can't send non-None value to a just-started generator)".to_owned()
            }
            Self::IgnoredExit => format!("raise RuntimeError({IGNORED_EXIT})"),
            Self::Refused(why) => format!("refused {why}"),
            Self::State(s) => s.as_str().to_owned(),
            Self::Delegating(d) => if *d { "True" } else { "False" }.to_owned(),
        }
    }
}

/// One operation: the state before, the answer, the state after, and the
/// side effects it caused, in order.
#[derive(Clone, Debug)]
pub struct Record {
    pub op: Op,
    pub position: usize,
    pub before: GenState,
    pub answer: Answer,
    pub after: GenState,
    pub effects: Vec<String>,
    /// Values a body's `yield` evaluated to during the operation.
    pub received: Vec<i64>,
    /// Sent values refused during the operation, each raised in a body as
    /// `AttributeError` carrying it.
    pub refused: Vec<i64>,
}

impl Record {
    /// The trace line of the operation itself.
    pub fn line(&self) -> String {
        format!(
            "{} -> {} [{}]",
            self.op.describe(self.position),
            self.answer.show(),
            self.after.as_str()
        )
    }

    /// Whether this operation ran no code of any body.
    pub fn ran_nothing(&self) -> bool {
        self.effects.is_empty()
    }
}

/// Everything one run of a driver observed.
pub struct Run {
    pub records: Vec<Record>,
    /// Side effects of dropping the generator at the end.
    pub on_drop: Vec<String>,
    pub env: Rc<Env>,
    /// The message of a panic that escaped, if one did.
    pub panicked: Option<String>,
}

impl Run {
    /// The trace: each operation's side effects then its line, and after
    /// `drop`, what dropping the generator caused.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.records {
            out.extend(r.effects.iter().cloned());
            out.push(r.line());
        }
        if let Some(why) = &self.panicked {
            out.push(format!("PANIC {why}"));
            return out;
        }
        out.push("drop".to_owned());
        out.extend(self.on_drop.iter().cloned());
        out
    }

    /// The sequence of answers, each followed by its state.
    pub fn answers(&self) -> impl Iterator<Item = &Answer> {
        self.records.iter().map(|r| &r.answer)
    }
}

/// The error thrown by the operation at `position`.
pub fn thrown(kind: Kind, position: usize) -> PyErr {
    PyErr::new(kind, throw_message(position))
}

/// Runs `op` on `g`.
pub fn apply(g: &PyGen, op: Op, position: usize) -> Answer {
    fn raised<V>(e: Error<PyErr, V>) -> Answer {
        match e {
            Error::Raised(e) => Answer::Raised(e),
            Error::IgnoredGeneratorExit { .. } => Answer::IgnoredExit,
            other => Answer::Refused(format!("{:?}", other.without_value())),
        }
    }
    match op {
        Op::Next => match g.next() {
            Ok(Step::Yielded(v)) => Answer::Yielded(v),
            Ok(Step::Returned(v)) => Answer::Returned(v),
            Ok(Step::Stopped(())) => Answer::Stopped(None),
            Err(e) => raised(e),
        },
        Op::Send(v) => match g.send(v) {
            Ok(Step::Yielded(y)) => Answer::Yielded(y),
            Ok(Step::Returned(r)) => Answer::Returned(r),
            Ok(Step::Stopped(back)) => Answer::Stopped(Some(back)),
            Err(Error::JustStarted { value, .. }) => Answer::JustStarted(value),
            Err(e) => raised(e),
        },
        Op::Throw(kind) => match g.throw(thrown(kind, position)) {
            Ok(Step::Yielded(v)) => Answer::Yielded(v),
            Ok(Step::Returned(v)) => Answer::Returned(v),
            Ok(Step::Stopped(())) => Answer::Stopped(None),
            Err(e) => raised(e),
        },
        Op::Close => match g.close() {
            Ok(r) => Answer::Closed(r),
            Err(e) => raised(e),
        },
        Op::State => Answer::State(g.state()),
        Op::Delegating => Answer::Delegating(g.delegate().is_some()),
    }
}

/// Sends unraisable errors to the run in progress on the reporting
/// thread, as Python's driver does with `sys.unraisablehook`.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        set_unraisable_hook(|u| {
            let message = if u.message == format!("RuntimeError: {IGNORED_EXIT}") {
                format!("RuntimeError({IGNORED_EXIT})")
            } else {
                u.message.clone()
            };
            interpret::with_current(|env| env.log(format!("unraisable {message}")));
        });
    });
}

/// Runs `ops` on the generator `make` builds, then drops it. A panic out of
/// the crate is caught and recorded as the end of the run.
pub fn run_with(make: impl FnOnce(&Rc<Env>) -> PyGen, ops: &[Op]) -> Run {
    install_hook();
    let env = Rc::new(Env::default());
    let _current = interpret::enter(&env);
    let mut records = Vec::new();
    let mut on_drop = Vec::new();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let g = make(&env);
        for (position, &op) in ops.iter().enumerate() {
            let before = g.state();
            let answer = apply(&g, op, position);
            records.push(Record {
                op,
                position,
                before,
                answer,
                after: g.state(),
                effects: env.take_log(),
                received: env.received.take(),
                refused: env.refused.take(),
            });
        }
        drop(g);
        on_drop = env.take_log();
    }));
    let panicked = outcome.err().map(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(ToString::to_string)
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_owned())
    });
    Run {
        records,
        on_drop,
        env,
        panicked,
    }
}

/// Runs a case on the program's own generator.
pub fn run(case: &Case) -> Run {
    run_with(
        |env| interpret::generator(&case.program.main, env),
        &case.ops,
    )
}
