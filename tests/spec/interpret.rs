//! Runs a program as a real `yieldfrom` generator.
//!
//! Each function becomes a `Generator<Val, i64, Val, PyErr>` whose body
//! walks the function's statements: `yield` is `co.yield_`, `yield from` a
//! nested function is `co.yield_from` of a fresh generator, `yield from
//! range(n)` is `co.yield_from_iter`. A `finally:` block is code run by the
//! walker, as in Python, not a destructor.

use super::program::{Catch, Expr, Func, Kind, Stmt, VARS, Val};
use std::{
    cell::{Cell, RefCell},
    fmt,
    future::Future,
    pin::Pin,
    rc::Rc,
};
use yieldfrom::{Co, Exception, Generator, Interrupt};

/// A program's generator.
pub type PyGen = Generator<Val, i64, Val, PyErr>;
type PyCo = Co<Val, i64, PyErr>;

/// A Python exception: its class and its message (`e.args[0]`, or empty).
#[derive(Clone, PartialEq, Eq)]
pub struct PyErr {
    pub kind: Kind,
    pub msg: String,
    /// For `AttributeError` from sending to a `range` delegate: the value
    /// that was not delivered, which the crate hands back in the error.
    pub unsent: Option<i64>,
}

impl PyErr {
    pub fn new(kind: Kind, msg: impl Into<String>) -> Self {
        Self {
            kind,
            msg: msg.into(),
            unsent: None,
        }
    }
}

/// `Kind(message)`: how the trace shows an exception on both sides.
impl fmt::Debug for PyErr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.kind.name(), self.msg)
    }
}

/// The message CPython gives `RuntimeError` when a generator yields on
/// `GeneratorExit`.
pub const IGNORED_EXIT: &str = "generator ignored GeneratorExit";

/// What the trace shows for the message of `AttributeError: '...' object
/// has no attribute 'send'`, whose type name differs (`range_iterator` in
/// Python, the Rust iterator type here).
pub const NO_SEND: &str = "<no send>";

impl Exception<i64> for PyErr {
    fn from_interrupt(interrupt: Interrupt<i64>) -> Self {
        match interrupt {
            Interrupt::GeneratorExit(_) => Self::new(Kind::GeneratorExit, ""),
            Interrupt::NoSend(refused) => {
                with_current(|env| env.refused.borrow_mut().push(refused.value));
                Self {
                    unsent: Some(refused.value),
                    ..Self::new(Kind::AttributeError, NO_SEND)
                }
            }
            Interrupt::IgnoredGeneratorExit(_) => Self::new(Kind::RuntimeError, IGNORED_EXIT),
            Interrupt::Exhausted(e) => Self::new(Kind::Exhausted, e.to_string()),
            other => Self::new(Kind::Unknown, other.to_string()),
        }
    }

    fn is_generator_exit(&self) -> bool {
        self.kind == Kind::GeneratorExit
    }
}

/// What one run of a case observes besides the operations' results.
#[derive(Default)]
pub struct Env {
    /// Side effects in order: log statements, handlers entered, `finally`
    /// blocks run, unraisable errors.
    pub log: RefCell<Vec<String>>,
    /// Every value a body's `yield` evaluated to after a `send`.
    pub received: RefCell<Vec<i64>>,
    /// Every sent value the crate refused because a `range` delegate cannot
    /// take one, raising `AttributeError` with it.
    pub refused: RefCell<Vec<i64>>,
    /// For each `try/finally` entered, in order: how many times its
    /// `finally` block started.
    pub finally_runs: RefCell<Vec<u32>>,
    /// Generator bodies alive: made and not yet dropped.
    pub live_bodies: Cell<i64>,
}

impl Env {
    pub fn log(&self, line: String) {
        self.log.borrow_mut().push(line);
    }

    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.borrow_mut())
    }
}

thread_local! {
    /// The run in progress on this thread, for what reaches the suite from
    /// outside a body: interrupts the crate builds, and the unraisable hook.
    static CURRENT: RefCell<Option<Rc<Env>>> = const { RefCell::new(None) };
}

/// Makes `env` the run in progress on this thread until the guard drops.
pub fn enter(env: &Rc<Env>) -> impl Drop + use<> {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            CURRENT.with(|c| c.borrow_mut().take());
        }
    }
    CURRENT.with(|c| *c.borrow_mut() = Some(Rc::clone(env)));
    Leave
}

/// Runs `f` on the run in progress, if there is one.
pub fn with_current(f: impl FnOnce(&Env)) {
    CURRENT.with(|c| {
        if let Some(env) = c.borrow().as_ref() {
            f(env);
        }
    });
}

/// Counts a body alive from when it is made until it is dropped.
struct Alive(Rc<Env>);

impl Alive {
    fn new(env: &Rc<Env>) -> Self {
        env.live_bodies.set(env.live_bodies.get() + 1);
        Self(Rc::clone(env))
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.live_bodies.set(self.0.live_bodies.get() - 1);
    }
}

const NAMES: [&str; 16] = [
    "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12", "f13", "f14",
    "f15",
];

/// A fresh generator of `func`, like calling `f<id>()` in Python.
pub fn generator(func: &Rc<Func>, env: &Rc<Env>) -> PyGen {
    let func = Rc::clone(func);
    let alive = Alive::new(env);
    let env = Rc::clone(env);
    let name = usize::try_from(func.id)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("f");
    Generator::new(name, move |co| async move {
        let _alive = alive;
        let frame = Frame {
            co,
            vars: RefCell::new([None; VARS]),
            env,
        };
        match exec_block(&frame, &func.body, None).await? {
            Flow::Return(v) => Ok(v),
            Flow::Next => Ok(None),
        }
    })
}

/// A running function: its `Co`, its locals, and the run it belongs to.
struct Frame {
    co: PyCo,
    vars: RefCell<[Val; VARS]>,
    env: Rc<Env>,
}

impl Frame {
    fn eval(&self, e: Expr) -> Val {
        match e {
            Expr::None => None,
            Expr::Int(n) => Some(n),
            Expr::Var(v) => self.vars.borrow()[usize::from(v)],
        }
    }

    fn assign(&self, into: Option<u8>, value: Val) {
        if let Some(v) = into {
            self.vars.borrow_mut()[usize::from(v)] = value;
        }
    }
}

/// How a block finished, when it did not raise.
enum Flow {
    Next,
    Return(Val),
}

type Exec<'a> = Pin<Box<dyn Future<Output = Result<Flow, PyErr>> + 'a>>;

/// Runs a block; `handling` is the error of the `except` block it is the
/// body of, for a bare `raise`.
fn exec_block<'a>(frame: &'a Frame, body: &'a [Stmt], handling: Option<&'a PyErr>) -> Exec<'a> {
    Box::pin(async move {
        for stmt in body {
            if let Flow::Return(v) = exec_stmt(frame, stmt, handling).await? {
                return Ok(Flow::Return(v));
            }
        }
        Ok(Flow::Next)
    })
}

async fn exec_stmt(frame: &Frame, stmt: &Stmt, handling: Option<&PyErr>) -> Result<Flow, PyErr> {
    match stmt {
        Stmt::Yield { value, into } => {
            let sent = frame.co.yield_(frame.eval(*value)).await?;
            if let Some(v) = sent {
                frame.env.received.borrow_mut().push(v);
            }
            frame.assign(*into, sent);
        }
        Stmt::Return(value) => return Ok(Flow::Return(frame.eval(*value))),
        Stmt::Raise { kind, tag } => return Err(PyErr::new(*kind, format!("r{tag}"))),
        Stmt::Reraise => match handling {
            Some(e) => return Err(e.clone()),
            None => unreachable!("a bare raise is only generated in an except block"),
        },
        Stmt::Log { tag, value } => frame
            .env
            .log(format!("L{tag} {}", show(frame.eval(*value)))),
        Stmt::TryExcept {
            tag,
            body,
            catch,
            handler,
        } => {
            return match exec_block(frame, body, handling).await {
                Err(e) if catches(*catch, &e) => {
                    frame.env.log(format!("H{tag} {e:?}"));
                    exec_block(frame, handler, Some(&e)).await
                }
                other => other,
            };
        }
        Stmt::TryFinally { tag, body, cleanup } => {
            let instance = {
                let mut runs = frame.env.finally_runs.borrow_mut();
                runs.push(0);
                runs.len() - 1
            };
            let outcome = exec_block(frame, body, handling).await;
            frame.env.finally_runs.borrow_mut()[instance] += 1;
            frame.env.log(format!("F{tag}"));
            return match exec_block(frame, cleanup, handling).await {
                Ok(Flow::Next) => outcome,
                overridden => overridden,
            };
        }
        Stmt::Repeat { times, body } => {
            for _ in 0..*times {
                if let Flow::Return(v) = exec_block(frame, body, handling).await? {
                    return Ok(Flow::Return(v));
                }
            }
        }
        Stmt::YieldFrom { func, into } => {
            let r = frame.co.yield_from(generator(func, &frame.env)).await?;
            frame.assign(*into, r);
        }
        Stmt::YieldFromRange { len, into } => {
            frame
                .co
                .yield_from_iter((0..i64::from(*len)).map(Some))
                .await?;
            frame.assign(*into, None);
        }
    }
    Ok(Flow::Next)
}

fn catches(catch: Catch, e: &PyErr) -> bool {
    catch.catches(e.kind)
}

/// A value as Python's `repr` shows it.
pub fn show(v: Val) -> String {
    v.map_or_else(|| "None".to_owned(), |n| n.to_string())
}
