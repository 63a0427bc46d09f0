//! The generator-program language: a few Python statements, small enough to
//! generate at random and to run two ways (by the interpreter in
//! `interpret.rs`, and by CPython from the source `python.rs` renders).
//!
//! Every value is a Python `int` or `None` ([`Val`]). A program is one
//! generator function, `f0`, whose body may delegate to nested functions
//! with `yield from`; each function has three locals, `v0`, `v1` and `v2`,
//! which start as `None`.

use proptest::{
    collection::vec,
    prelude::*,
    strategy::{BoxedStrategy, Union},
};
use std::{fmt, rc::Rc};

/// A Python value in a program: an `int` or `None`.
pub type Val = Option<i64>;

/// How many locals each function has.
pub const VARS: usize = 3;

/// How deeply compound statements nest, counting each function a
/// `yield from` starts as one level.
const DEPTH: u32 = 4;

/// The most statements in one nested block.
const BLOCK: usize = 3;

/// The fewest and most statements in a program's main function.
const MAIN: std::ops::RangeInclusive<usize> = 1..=6;

/// A driver has fewer operations than this, after the `next()` most
/// drivers start with.
const DRIVER: usize = 12;

/// An exception class, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    ValueError,
    KeyError,
    TypeError,
    RuntimeError,
    AttributeError,
    GeneratorExit,
    /// The crate's `Interrupt::Exhausted`; has no Python counterpart, so it
    /// shows up as a difference if it is ever raised.
    Exhausted,
    /// An interrupt this suite does not know.
    Unknown,
}

impl Kind {
    /// The class name, as `type(e).__name__` gives it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ValueError => "ValueError",
            Self::KeyError => "KeyError",
            Self::TypeError => "TypeError",
            Self::RuntimeError => "RuntimeError",
            Self::AttributeError => "AttributeError",
            Self::GeneratorExit => "GeneratorExit",
            Self::Exhausted => "Exhausted",
            Self::Unknown => "Unknown",
        }
    }
}

/// What an `except` clause names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Catch {
    /// `except <kind>:`
    Kind(Kind),
    /// `except Exception:`, which catches everything but `GeneratorExit`.
    Exception,
}

impl Catch {
    /// Whether `except <self>` catches an error of class `kind`.
    pub fn catches(self, kind: Kind) -> bool {
        match self {
            Self::Kind(k) => k == kind,
            Self::Exception => kind != Kind::GeneratorExit,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::Kind(k) => k.name(),
            Self::Exception => "Exception",
        }
    }
}

/// An expression: a constant or a local.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expr {
    None,
    Int(i64),
    Var(u8),
}

/// A statement. `tag`s and function ids are given by [`Program::new`], in
/// source order, so that every log line and error message says where it
/// came from.
#[derive(Clone, Debug)]
pub enum Stmt {
    /// `yield value`, or `v = yield value`.
    Yield { value: Expr, into: Option<u8> },
    /// `return value`.
    Return(Expr),
    /// `raise Kind("r<tag>")`.
    Raise { kind: Kind, tag: u32 },
    /// A bare `raise` of the error being handled; only ever generated as a
    /// statement of an `except` block itself.
    Reraise,
    /// `log("L<tag>", value)`: a side effect, recorded in the trace.
    Log { tag: u32, value: Expr },
    /// `try: body / except catch: log_exc("H<tag>"); handler`.
    TryExcept {
        tag: u32,
        body: Vec<Stmt>,
        catch: Catch,
        handler: Vec<Stmt>,
    },
    /// `try: body / finally: LOG.append("F<tag>"); cleanup`.
    TryFinally {
        tag: u32,
        body: Vec<Stmt>,
        cleanup: Vec<Stmt>,
    },
    /// `for _ in range(times): body`.
    Repeat { times: u8, body: Vec<Stmt> },
    /// `v = yield from f<id>()`: delegation to a fresh generator of a
    /// nested function.
    YieldFrom { func: Rc<Func>, into: Option<u8> },
    /// `v = yield from range(len)`: delegation to a plain iterator.
    YieldFromRange { len: u8, into: Option<u8> },
}

/// A generator function `f<id>`.
#[derive(Clone, Debug)]
pub struct Func {
    pub id: u32,
    pub body: Vec<Stmt>,
}

/// A whole program: `f0` and the functions it delegates to.
#[derive(Clone)]
pub struct Program {
    pub main: Rc<Func>,
}

impl Program {
    /// A program whose main function has `body`, with every tag and
    /// function id numbered afresh in source order.
    pub fn new(body: &[Stmt]) -> Self {
        let mut n = Numbering::default();
        Self { main: n.func(body) }
    }

    /// Every function, `f0` first, in source order.
    pub fn funcs(&self) -> Vec<Rc<Func>> {
        fn walk(body: &[Stmt], out: &mut Vec<Rc<Func>>) {
            for stmt in body {
                match stmt {
                    Stmt::YieldFrom { func, .. } => {
                        out.push(Rc::clone(func));
                        walk(&func.body, out);
                    }
                    Stmt::TryExcept { body, handler, .. } => {
                        walk(body, out);
                        walk(handler, out);
                    }
                    Stmt::TryFinally { body, cleanup, .. } => {
                        walk(body, out);
                        walk(cleanup, out);
                    }
                    Stmt::Repeat { body, .. } => walk(body, out),
                    _ => {}
                }
            }
        }
        let mut out = vec![Rc::clone(&self.main)];
        walk(&self.main.body, &mut out);
        out
    }
}

#[derive(Default)]
struct Numbering {
    tags: u32,
    funcs: u32,
}

impl Numbering {
    fn tag(&mut self) -> u32 {
        self.tags += 1;
        self.tags
    }

    fn func(&mut self, body: &[Stmt]) -> Rc<Func> {
        let id = self.funcs;
        self.funcs += 1;
        Rc::new(Func {
            id,
            body: self.block(body),
        })
    }

    fn block(&mut self, body: &[Stmt]) -> Vec<Stmt> {
        body.iter().map(|s| self.stmt(s)).collect()
    }

    fn stmt(&mut self, stmt: &Stmt) -> Stmt {
        match stmt {
            Stmt::Raise { kind, .. } => Stmt::Raise {
                kind: *kind,
                tag: self.tag(),
            },
            Stmt::Log { value, .. } => Stmt::Log {
                tag: self.tag(),
                value: *value,
            },
            Stmt::TryExcept {
                body,
                catch,
                handler,
                ..
            } => {
                let tag = self.tag();
                Stmt::TryExcept {
                    tag,
                    body: self.block(body),
                    catch: *catch,
                    handler: self.block(handler),
                }
            }
            Stmt::TryFinally { body, cleanup, .. } => {
                let tag = self.tag();
                Stmt::TryFinally {
                    tag,
                    body: self.block(body),
                    cleanup: self.block(cleanup),
                }
            }
            Stmt::Repeat { times, body } => Stmt::Repeat {
                times: *times,
                body: self.block(body),
            },
            Stmt::YieldFrom { func, into } => Stmt::YieldFrom {
                func: self.func(&func.body),
                into: *into,
            },
            other => other.clone(),
        }
    }
}

/// One operation of a driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `next(g)`
    Next,
    /// `g.send(v)`
    Send(i64),
    /// `g.throw(Kind("t<position>"))`, the message naming the operation's
    /// position in the driver.
    Throw(Kind),
    /// `g.close()`
    Close,
    /// `inspect.getgeneratorstate(g)`
    State,
    /// `g.gi_yieldfrom is not None`
    Delegating,
}

impl Op {
    /// How the trace names the operation at `position` in its driver.
    pub fn describe(self, position: usize) -> String {
        match self {
            Self::Next => "next".to_owned(),
            Self::Send(v) => format!("send {v}"),
            Self::Throw(kind) => format!("throw {}({})", kind.name(), throw_message(position)),
            Self::Close => "close".to_owned(),
            Self::State => "state".to_owned(),
            Self::Delegating => "delegating".to_owned(),
        }
    }
}

/// The message of the error thrown by the operation at `position`.
pub fn throw_message(position: usize) -> String {
    format!("t{position}")
}

/// A program and the operations that drive it; dropped at the end.
#[derive(Clone)]
pub struct Case {
    pub program: Program,
    pub ops: Vec<Op>,
}

/// Shown as the Python it stands for, so that a failing case reads as a
/// program.
impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::spec::python::render_case(0, self))
    }
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::spec::python::render_functions(self, 0))
    }
}

fn expr() -> BoxedStrategy<Expr> {
    prop_oneof![
        1 => Just(Expr::None),
        3 => (0..10i64).prop_map(Expr::Int),
        2 => var().prop_map(Expr::Var),
    ]
    .boxed()
}

/// A local's number.
fn var() -> BoxedStrategy<u8> {
    (0..VARS)
        .prop_map(|v| u8::try_from(v).expect("there are few locals"))
        .boxed()
}

fn into() -> BoxedStrategy<Option<u8>> {
    proptest::option::weighted(0.6, var()).boxed()
}

/// The kinds a body raises.
fn raised_kind() -> BoxedStrategy<Kind> {
    prop_oneof![
        Just(Kind::ValueError),
        Just(Kind::KeyError),
        Just(Kind::TypeError),
        Just(Kind::RuntimeError),
    ]
    .boxed()
}

/// The kinds a driver throws.
fn thrown_kind() -> BoxedStrategy<Kind> {
    prop_oneof![
        3 => Just(Kind::ValueError),
        2 => Just(Kind::KeyError),
        1 => Just(Kind::TypeError),
        2 => Just(Kind::GeneratorExit),
    ]
    .boxed()
}

fn catch() -> BoxedStrategy<Catch> {
    prop_oneof![
        3 => Just(Catch::Kind(Kind::ValueError)),
        2 => Just(Catch::Kind(Kind::KeyError)),
        3 => Just(Catch::Kind(Kind::GeneratorExit)),
        1 => Just(Catch::Kind(Kind::RuntimeError)),
        1 => Just(Catch::Kind(Kind::AttributeError)),
        2 => Just(Catch::Exception),
    ]
    .boxed()
}

/// A simple statement; `handler` allows a bare `raise`.
fn leaf(handler: bool) -> BoxedStrategy<Stmt> {
    let mut choices = vec![
        (
            8,
            (expr(), into())
                .prop_map(|(value, into)| Stmt::Yield { value, into })
                .boxed(),
        ),
        (1, expr().prop_map(Stmt::Return).boxed()),
        (
            1,
            raised_kind()
                .prop_map(|kind| Stmt::Raise { kind, tag: 0 })
                .boxed(),
        ),
        (
            1,
            expr().prop_map(|value| Stmt::Log { tag: 0, value }).boxed(),
        ),
        (
            2,
            (0..4u8, into())
                .prop_map(|(len, into)| Stmt::YieldFromRange { len, into })
                .boxed(),
        ),
    ];
    if handler {
        choices.push((2, Just(Stmt::Reraise).boxed()));
    }
    Union::new_weighted(choices).boxed()
}

/// Statements nested up to [`DEPTH`] deep.
fn statement() -> BoxedStrategy<Stmt> {
    let mut plain = vec(leaf(false), 0..=BLOCK).boxed();
    let mut handler = vec(leaf(true), 0..=BLOCK).boxed();
    let mut stmt = leaf(false);
    for _ in 0..DEPTH {
        let compound = prop_oneof![
            3 => (plain.clone(), catch(), handler.clone()).prop_map(|(body, catch, handler)| {
                Stmt::TryExcept {
                    tag: 0,
                    body,
                    catch,
                    handler,
                }
            }),
            2 => (plain.clone(), plain.clone()).prop_map(|(body, cleanup)| Stmt::TryFinally {
                tag: 0,
                body,
                cleanup,
            }),
            2 => (1..=3u8, plain.clone()).prop_map(|(times, body)| Stmt::Repeat { times, body }),
            3 => (plain.clone(), into()).prop_map(|(body, into)| Stmt::YieldFrom {
                func: Rc::new(Func { id: 0, body }),
                into,
            }),
        ]
        .boxed();
        stmt = Union::new_weighted(vec![(3, leaf(false)), (2, compound.clone())]).boxed();
        let in_handler = Union::new_weighted(vec![(3, leaf(true)), (2, compound)]);
        plain = vec(stmt.clone(), 0..=BLOCK).boxed();
        handler = vec(in_handler, 0..=BLOCK).boxed();
    }
    stmt
}

/// Random programs.
pub fn program() -> BoxedStrategy<Program> {
    vec(statement(), MAIN)
        .prop_map(|body| Program::new(&body))
        .boxed()
}

/// Random drivers; `throws` lists the kinds that may be thrown.
pub fn driver_with(throws: BoxedStrategy<Kind>) -> BoxedStrategy<Vec<Op>> {
    let op = prop_oneof![
        6 => Just(Op::Next),
        5 => (0..100i64).prop_map(Op::Send),
        3 => throws.prop_map(Op::Throw),
        1 => Just(Op::Close),
        1 => Just(Op::State),
        1 => Just(Op::Delegating),
    ];
    // Most drivers start the generator first: anything else on a fresh
    // generator either is refused or closes it.
    (proptest::bool::weighted(0.85), vec(op, 0..DRIVER))
        .prop_map(|(start, mut ops)| {
            if start {
                ops.insert(0, Op::Next);
            }
            ops
        })
        .boxed()
}

/// Random drivers throwing any kind, `GeneratorExit` included.
pub fn driver() -> BoxedStrategy<Vec<Op>> {
    driver_with(thrown_kind())
}

/// Random drivers that throw only ordinary errors, never `GeneratorExit`.
pub fn driver_without_thrown_exit() -> BoxedStrategy<Vec<Op>> {
    driver_with(
        thrown_kind()
            .prop_map(|k| {
                if k == Kind::GeneratorExit {
                    Kind::ValueError
                } else {
                    k
                }
            })
            .boxed(),
    )
}

/// Random cases: a program and a driver.
pub fn case() -> BoxedStrategy<Case> {
    (program(), driver())
        .prop_map(|(program, ops)| Case { program, ops })
        .boxed()
}
