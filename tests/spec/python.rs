//! Renders programs and drivers as Python, and runs a batch of them under
//! CPython in one `python3` process.
//!
//! The Python driver prints exactly the trace `drive::Run::lines` builds:
//! the side effects, then one line per operation with its answer and the
//! generator's state after it, then `drop` and what dropping caused. Two
//! things are normalised on both sides: `close()` shows no value (CPython
//! 3.11 discards a value returned on `GeneratorExit`; `Generator::close`
//! hands it back, as 3.13 does), and the message of `AttributeError` from
//! sending to a `range` delegate is shown as `<no send>` (it names
//! `range_iterator` in Python and the Rust iterator type here).

use super::{
    interpret::NO_SEND,
    program::{Case, Expr, Op, Program, Stmt, throw_message},
};
use std::{
    env,
    fmt::Write as _,
    io::Write as _,
    process::{Command, Stdio},
};

/// The Python half of every script: formatting, the log, and the driver.
const PRELUDE: &str = r#"
import gc, inspect, sys

LOG = []

# CPython leaves a generator it gave up on (one that yielded on
# GeneratorExit while being finalised) in a reference cycle with the
# traceback of its exception, so the generators it still holds are
# finalised only when the cycle collector runs. yieldfrom finalises them at
# once. Automatic collections are off; instead, after such a report, the
# collector runs before the next side effect is recorded: as soon as any
# difference could be seen.
gc.disable()
GAVE_UP = False
COLLECTING = False

def settle():
    global GAVE_UP, COLLECTING
    if COLLECTING:
        return
    COLLECTING = True
    try:
        while GAVE_UP:
            GAVE_UP = False
            gc.collect()
    finally:
        COLLECTING = False

def record(line):
    settle()
    LOG.append(line)

def fmt(v):
    return "None" if v is None else str(v)

def fmt_exc(e):
    name = type(e).__name__
    msg = str(e.args[0]) if e.args else ""
    if name == "AttributeError" and msg.endswith("has no attribute 'send'"):
        msg = NO_SEND
    return f"{name}({msg})"

def log(tag, value):
    record(f"{tag} {fmt(value)}")

def log_exc(tag):
    record(f"{tag} {fmt_exc(sys.exc_info()[1])}")

def unraisable(u):
    global GAVE_UP
    record("unraisable " + fmt_exc(u.exc_value))
    GAVE_UP = True

sys.unraisablehook = unraisable

KINDS = {
    "ValueError": ValueError,
    "KeyError": KeyError,
    "TypeError": TypeError,
    "GeneratorExit": GeneratorExit,
}

def step(g, op):
    try:
        if op[0] == "next":
            return "yield " + fmt(next(g))
        if op[0] == "send":
            return "yield " + fmt(g.send(op[1]))
        if op[0] == "throw":
            return "yield " + fmt(g.throw(KINDS[op[1]](op[2])))
        if op[0] == "close":
            g.close()
            return "closed"
        if op[0] == "state":
            return inspect.getgeneratorstate(g)
        return str(g.gi_yieldfrom is not None)
    except StopIteration as e:
        return "stop " + fmt(e.value)
    except BaseException as e:
        return "raise " + fmt_exc(e)

def describe(op):
    if op[0] == "send":
        return f"send {op[1]}"
    if op[0] == "throw":
        return f"throw {op[1]}({op[2]})"
    return op[0]

def run(case, make, ops):
    LOG.clear()
    g = make()
    for op in ops:
        out = step(g, op)
        record(f"{describe(op)} -> {out} [{inspect.getgeneratorstate(g)}]")
    record("drop")
    del g
    settle()
    # Anything else a case left in a cycle, finalised before its trace ends.
    gc.collect(0)
    print(f"CASE {case}")
    for line in LOG:
        print("E " + line)
"#;

fn expr(e: Expr) -> String {
    match e {
        Expr::None => "None".to_owned(),
        Expr::Int(n) => n.to_string(),
        Expr::Var(v) => format!("v{v}"),
    }
}

fn target(into: Option<u8>) -> String {
    into.map(|v| format!("v{v} = ")).unwrap_or_default()
}

fn line(out: &mut String, indent: usize, text: &str) {
    let _ = writeln!(out, "{:indent$}{text}", "", indent = indent * 4);
}

fn block(out: &mut String, indent: usize, body: &[Stmt]) {
    if body.is_empty() {
        line(out, indent, "pass");
    }
    for stmt in body {
        match stmt {
            Stmt::Yield { value, into } => {
                line(
                    out,
                    indent,
                    &format!("{}yield {}", target(*into), expr(*value)),
                );
            }
            Stmt::Return(value) => line(out, indent, &format!("return {}", expr(*value))),
            Stmt::Raise { kind, tag } => {
                line(out, indent, &format!("raise {}(\"r{tag}\")", kind.name()));
            }
            Stmt::Reraise => line(out, indent, "raise"),
            Stmt::Log { tag, value } => {
                line(out, indent, &format!("log(\"L{tag}\", {})", expr(*value)));
            }
            Stmt::TryExcept {
                tag,
                body,
                catch,
                handler,
            } => {
                line(out, indent, "try:");
                block(out, indent + 1, body);
                line(out, indent, &format!("except {}:", catch.name()));
                line(out, indent + 1, &format!("log_exc(\"H{tag}\")"));
                block(out, indent + 1, handler);
            }
            Stmt::TryFinally { tag, body, cleanup } => {
                line(out, indent, "try:");
                block(out, indent + 1, body);
                line(out, indent, "finally:");
                line(out, indent + 1, &format!("record(\"F{tag}\")"));
                block(out, indent + 1, cleanup);
            }
            Stmt::Repeat { times, body } => {
                line(out, indent, &format!("for _ in range({times}):"));
                block(out, indent + 1, body);
            }
            Stmt::YieldFrom { func, into } => {
                line(
                    out,
                    indent,
                    &format!("{}yield from f{}()", target(*into), func.id),
                );
            }
            Stmt::YieldFromRange { len, into } => {
                line(
                    out,
                    indent,
                    &format!("{}yield from range({len})", target(*into)),
                );
            }
        }
    }
}

/// Every function of `program` as Python `def`s, indented `indent` levels.
/// Each starts with its locals and an unreachable `yield`, which makes it a
/// generator function whatever its body holds.
pub fn render_functions(program: &Program, indent: usize) -> String {
    let mut out = String::new();
    for func in program.funcs() {
        line(&mut out, indent, &format!("def f{}():", func.id));
        line(&mut out, indent + 1, "v0 = v1 = v2 = None");
        line(&mut out, indent + 1, "if False:");
        line(&mut out, indent + 2, "yield");
        block(&mut out, indent + 1, &func.body);
    }
    out
}

fn driver(ops: &[Op]) -> String {
    let items: Vec<String> = ops
        .iter()
        .enumerate()
        .map(|(position, op)| match op {
            Op::Next => "(\"next\",)".to_owned(),
            Op::Send(v) => format!("(\"send\", {v})"),
            Op::Throw(kind) => format!(
                "(\"throw\", \"{}\", \"{}\")",
                kind.name(),
                throw_message(position)
            ),
            Op::Close => "(\"close\",)".to_owned(),
            Op::State => "(\"state\",)".to_owned(),
            Op::Delegating => "(\"delegating\",)".to_owned(),
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// The case as a Python snippet: its functions, then the run of its
/// driver, reported as case number `number`.
pub fn render_case(number: usize, case: &Case) -> String {
    let mut out = String::new();
    line(&mut out, 0, &format!("def make_{number}():"));
    out.push_str(&render_functions(&case.program, 1));
    line(&mut out, 1, "return f0()");
    line(
        &mut out,
        0,
        &format!("run({number}, make_{number}, {})", driver(&case.ops)),
    );
    out
}

/// A whole script for `cases`, numbered from 0.
pub fn script<'a>(cases: impl IntoIterator<Item = &'a Case>) -> String {
    let mut out = format!("NO_SEND = {NO_SEND:?}\n{PRELUDE}\n");
    for (number, case) in cases.into_iter().enumerate() {
        out.push_str(&render_case(number, case));
        out.push('\n');
    }
    out
}

/// Prints, for example, `CPython 3 11`.
const VERSION_PROBE: &str =
    "import platform, sys; print(platform.python_implementation(), *sys.version_info[:2])";

/// A CPython 3.11 interpreter to compare with.
pub struct Python {
    program: String,
}

/// Whether this run is CI's: `CI` set to something other than empty,
/// `0` or `false`.
fn in_ci() -> bool {
    env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

impl Python {
    /// The interpreter named by `YIELDFROM_PYTHON`, or `python3`, if it is
    /// CPython 3.11. Without one, the differential tests skip with a loud
    /// message, except in CI (`CI=true`), where this panics.
    pub fn find() -> Option<Self> {
        let program = env::var("YIELDFROM_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let probe = Command::new(&program).args(["-c", VERSION_PROBE]).output();
        let problem = match probe {
            Ok(out) if out.status.success() => {
                let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
                if version == "CPython 3 11" {
                    return Some(Self { program });
                }
                format!("`{program}` is {version}, not CPython 3.11")
            }
            Ok(out) => format!(
                "`{program}` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Err(e) => format!("`{program}` could not be run: {e}"),
        };
        assert!(
            !in_ci(),
            "the differential tests need CPython 3.11 in CI: {problem}"
        );
        // Straight to the process's stderr, past the test harness's
        // capture, so that the skip is seen even when the test passes.
        let _ = writeln!(
            std::io::stderr(),
            "\n==================================================================\n\
             SKIPPED: the differential tests against CPython did not run:\n\
             {problem}.\n\
             Put CPython 3.11 on the PATH as `python3`, or name it in\n\
             YIELDFROM_PYTHON, to run them. (In CI, with CI=true, this fails.)\n\
             ==================================================================\n"
        );
        None
    }

    /// The trace CPython gives each case, in order.
    ///
    /// # Panics
    ///
    /// If the interpreter fails or prints something unexpected.
    pub fn traces<'a>(&self, cases: impl IntoIterator<Item = &'a Case>) -> Vec<Vec<String>> {
        let source = script(cases);
        let mut child = Command::new(&self.program)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 starts");
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let writer = {
            let source = source.clone();
            std::thread::spawn(move || stdin.write_all(source.as_bytes()))
        };
        let out = child.wait_with_output().expect("python3 runs");
        writer
            .join()
            .expect("the writer thread does not panic")
            .expect("the script is written to python3");
        assert!(
            out.status.success(),
            "python3 failed on the script:\n{}\n--- script ---\n{source}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut traces: Vec<Vec<String>> = Vec::new();
        for text in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(number) = text.strip_prefix("CASE ") {
                assert_eq!(number.parse::<usize>().ok(), Some(traces.len()));
                traces.push(Vec::new());
            } else if let Some(event) = text.strip_prefix("E ") {
                traces
                    .last_mut()
                    .expect("a trace line follows a CASE line")
                    .push(event.to_owned());
            } else {
                panic!("unexpected output from python3: {text:?}");
            }
        }
        traces
    }
}
