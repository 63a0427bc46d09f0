//! Three generators nested a -> b -> c enter outermost first and finish
//! innermost first, whether they run to the end, are closed, thrown into
//! or dropped in the middle (`docs/cpython_reference/outcomes.md`, B9).
//!
//! Each test runs a scenario here and the same scenario in Python, and
//! compares the transcripts line by line: what every operation returned,
//! what the bodies logged meanwhile, and the delegation chain after it.
//! The expected transcripts were recorded from CPython 3.11.7; when
//! `python3` is on the PATH each test also runs the Python program and
//! checks that it still prints the same. Without `python3` that second
//! check is skipped with a note on stderr, except under CI (`CI` set),
//! where it fails.

use std::process::Command;
use yieldfrom::{AnyError, Error, Generator, Step};

mod trace;
use trace::{Log as Trace, ValueError};

/// The Python side: the bodies, the transcript helpers, then a scenario.
const PRELUDE: &str = r#"
import inspect

LOG = []
log = LOG.append

def n_c():
    log("c: enter")
    try:
        x = yield "c1"
        log(f"c: got {x!r}")
        yield "c2"
        log("c: return 'c-ret'")
        return "c-ret"
    finally:
        log("c: finally")

def n_b():
    log("b: enter")
    try:
        r = yield from n_c()
        log(f"b: yield from returned {r!r}")
        yield "b1"
        log("b: return 'b-ret'")
        return "b-ret"
    finally:
        log("b: finally")

def n_a():
    log("a: enter")
    try:
        r = yield from n_b()
        log(f"a: yield from returned {r!r}")
        log("a: return 'a-ret'")
        return "a-ret"
    finally:
        log("a: finally")

def chain(g):
    out = []
    while g is not None:
        out.append(f"{g.__name__}:{inspect.getgeneratorstate(g)}")
        g = g.gi_yieldfrom
    return " ".join(out)

def flush():
    for line in LOG:
        print(f"  {line}")
    LOG.clear()

def step(g, label, op):
    try:
        out = repr(op())
    except StopIteration as e:
        out = f"StopIteration({e.value!r})"
    except Exception as e:
        out = f"raise {e!r}"
    flush()
    print(f"{label} -> {out} | {chain(g)}")
"#;

type Gen = Generator<&'static str, &'static str, &'static str>;

/// Python's `repr` of a str, for the strings these bodies use.
fn py(s: &str) -> String {
    format!("'{s}'")
}

fn n_c(trace: &Trace) -> Gen {
    let trace = trace.clone();
    Generator::new("n_c", move |co| async move {
        trace.push("c: enter");
        let _finally = trace.finally("c: finally");
        let x = co.yield_("c1").await?;
        trace.push(format!("c: got {}", x.map_or("None".to_owned(), py)));
        co.yield_("c2").await?;
        trace.push("c: return 'c-ret'");
        Ok("c-ret")
    })
}

fn n_b(trace: &Trace) -> Gen {
    let trace = trace.clone();
    Generator::new("n_b", move |co| async move {
        trace.push("b: enter");
        let _finally = trace.finally("b: finally");
        let r = co.yield_from(n_c(&trace)).await?;
        trace.push(format!("b: yield from returned {}", py(r)));
        co.yield_("b1").await?;
        trace.push("b: return 'b-ret'");
        Ok("b-ret")
    })
}

fn n_a(trace: &Trace) -> Gen {
    let trace = trace.clone();
    Generator::new("n_a", move |co| async move {
        trace.push("a: enter");
        let _finally = trace.finally("a: finally");
        let r = co.yield_from(n_b(&trace)).await?;
        trace.push(format!("a: yield from returned {}", py(r)));
        trace.push("a: return 'a-ret'");
        Ok("a-ret")
    })
}

/// The transcript the Rust side writes, in the Python program's format.
struct Transcript {
    trace: Trace,
    lines: Vec<String>,
}

impl Transcript {
    fn new(trace: &Trace) -> Self {
        Self {
            trace: trace.clone(),
            lines: Vec::new(),
        }
    }

    fn flush(&mut self) {
        for line in self.trace.take() {
            self.lines.push(format!("  {line}"));
        }
    }

    fn step<V, W>(
        &mut self,
        g: &Gen,
        label: &str,
        outcome: Result<Step<&str, &str, V>, Error<AnyError, W>>,
    ) {
        let out = match outcome {
            Ok(Step::Yielded(y)) => py(y),
            Ok(Step::Returned(r)) => format!("StopIteration({})", py(r)),
            Ok(Step::Stopped(_)) => "StopIteration(None)".to_owned(),
            Err(Error::Raised(e)) => match e.downcast_ref::<ValueError>() {
                Some(ValueError(why)) => format!("raise ValueError({})", py(why)),
                None => format!("raise {e:?}"),
            },
            Err(other) => format!("raise {other:?}"),
        };
        self.closed(g, label, &out);
    }

    fn closed(&mut self, g: &Gen, label: &str, out: &str) {
        self.flush();
        let chain: Vec<String> = g
            .delegation_chain()
            .iter()
            .map(|f| format!("{}:{}", f.name, f.state.expect("only generators here")))
            .collect();
        self.lines
            .push(format!("{label} -> {out} | {}", chain.join(" ")));
    }
}

/// Runs `scenario` (appended to [`PRELUDE`]) under `python3` and returns
/// what it printed, or `None` if there is no `python3` outside CI.
fn cpython(scenario: &str) -> Option<Vec<String>> {
    let program = format!("{PRELUDE}\n{scenario}");
    let output = match Command::new("python3").arg("-c").arg(&program).output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "python3 is required under CI to check the CPython transcripts"
            );
            eprintln!("SKIPPED the CPython half of this test: python3 is not on the PATH");
            return None;
        }
        Err(e) => panic!("could not run python3: {e}"),
    };
    assert!(
        output.status.success(),
        "python3 failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(
        String::from_utf8(output.stdout)
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect(),
    )
}

/// Checks the Rust transcript against the one recorded from CPython, and
/// against a live run of the Python scenario when python3 is there.
fn assert_matches_cpython(rust: &[String], recorded: &[&str], scenario: &str) {
    assert_eq!(rust, recorded, "the Rust transcript differs from CPython's");
    if let Some(live) = cpython(scenario) {
        assert_eq!(
            live, recorded,
            "python3 no longer prints the recorded transcript"
        );
    }
}

#[test]
fn three_nested_generators_run_to_the_end_enter_outermost_first_and_finish_innermost_first() {
    const SCENARIO: &str = r#"
g = n_a()
step(g, "next", lambda: next(g))
step(g, "send 'x'", lambda: g.send("x"))
step(g, "next", lambda: next(g))
step(g, "next", lambda: next(g))
step(g, "next", lambda: next(g))
"#;
    const RECORDED: &[&str] = &[
        "  a: enter",
        "  b: enter",
        "  c: enter",
        "next -> 'c1' | n_a:GEN_SUSPENDED n_b:GEN_SUSPENDED n_c:GEN_SUSPENDED",
        "  c: got 'x'",
        "send 'x' -> 'c2' | n_a:GEN_SUSPENDED n_b:GEN_SUSPENDED n_c:GEN_SUSPENDED",
        "  c: return 'c-ret'",
        "  c: finally",
        "  b: yield from returned 'c-ret'",
        "next -> 'b1' | n_a:GEN_SUSPENDED n_b:GEN_SUSPENDED",
        "  b: return 'b-ret'",
        "  b: finally",
        "  a: yield from returned 'b-ret'",
        "  a: return 'a-ret'",
        "  a: finally",
        "next -> StopIteration('a-ret') | n_a:GEN_CLOSED",
        "next -> StopIteration(None) | n_a:GEN_CLOSED",
    ];
    let trace = Trace::default();
    let mut t = Transcript::new(&trace);
    let g = n_a(&trace);
    t.step(&g, "next", g.next());
    t.step(&g, "send 'x'", g.send("x"));
    t.step(&g, "next", g.next());
    t.step(&g, "next", g.next());
    t.step(&g, "next", g.next());

    assert_matches_cpython(&t.lines, RECORDED, SCENARIO);
}

#[test]
fn closing_three_nested_generators_in_the_middle_cleans_up_innermost_first() {
    const SCENARIO: &str = r#"
g = n_a()
step(g, "next", lambda: next(g))
step(g, "next", lambda: next(g))
step(g, "close", lambda: g.close())
step(g, "next", lambda: next(g))
"#;
    const RECORDED: &[&str] = &[
        "  a: enter",
        "  b: enter",
        "  c: enter",
        "next -> 'c1' | n_a:GEN_SUSPENDED n_b:GEN_SUSPENDED n_c:GEN_SUSPENDED",
        "  c: got None",
        "next -> 'c2' | n_a:GEN_SUSPENDED n_b:GEN_SUSPENDED n_c:GEN_SUSPENDED",
        "  c: finally",
        "  b: finally",
        "  a: finally",
        "close -> None | n_a:GEN_CLOSED",
        "next -> StopIteration(None) | n_a:GEN_CLOSED",
    ];
    let trace = Trace::default();
    let mut t = Transcript::new(&trace);
    let g = n_a(&trace);
    t.step(&g, "next", g.next());
    t.step(&g, "next", g.next());
    let closed = g.close().expect("close succeeds");
    t.closed(&g, "close", &format!("{closed:?}"));
    t.step(&g, "next", g.next());

    assert_matches_cpython(&t.lines, RECORDED, SCENARIO);
}

#[test]
fn closing_three_nested_generators_after_the_innermost_returned_cleans_up_the_other_two() {
    const SCENARIO: &str = r#"
g = n_a()
step(g, "next", lambda: next(g))
step(g, "next", lambda: next(g))
step(g, "next", lambda: next(g))
step(g, "close", lambda: g.close())
"#;
    const RECORDED: &[&str] = &[
        "  a: enter",
        "  b: enter",
        "  c: enter",
        "next -> 'c1' | n_a:GEN_SUSPENDED n_b:GEN_SUSPENDED n_c:GEN_SUSPENDED",
        "  c: got None",
        "next -> 'c2' | n_a:GEN_SUSPENDED n_b:GEN_SUSPENDED n_c:GEN_SUSPENDED",
        "  c: return 'c-ret'",
        "  c: finally",
        "  b: yield from returned 'c-ret'",
        "next -> 'b1' | n_a:GEN_SUSPENDED n_b:GEN_SUSPENDED",
        "  b: finally",
        "  a: finally",
        "close -> None | n_a:GEN_CLOSED",
    ];
    let trace = Trace::default();
    let mut t = Transcript::new(&trace);
    let g = n_a(&trace);
    t.step(&g, "next", g.next());
    t.step(&g, "next", g.next());
    t.step(&g, "next", g.next());
    let closed = g.close().expect("close succeeds");
    t.closed(&g, "close", &format!("{closed:?}"));

    assert_matches_cpython(&t.lines, RECORDED, SCENARIO);
}

#[test]
fn an_error_thrown_into_three_nested_generators_cleans_up_innermost_first_and_comes_out() {
    const SCENARIO: &str = r#"
g = n_a()
step(g, "next", lambda: next(g))
step(g, "throw ValueError('x')", lambda: g.throw(ValueError("x")))
step(g, "next", lambda: next(g))
"#;
    const RECORDED: &[&str] = &[
        "  a: enter",
        "  b: enter",
        "  c: enter",
        "next -> 'c1' | n_a:GEN_SUSPENDED n_b:GEN_SUSPENDED n_c:GEN_SUSPENDED",
        "  c: finally",
        "  b: finally",
        "  a: finally",
        "throw ValueError('x') -> raise ValueError('x') | n_a:GEN_CLOSED",
        "next -> StopIteration(None) | n_a:GEN_CLOSED",
    ];
    let trace = Trace::default();
    let mut t = Transcript::new(&trace);
    let g = n_a(&trace);
    t.step(&g, "next", g.next());
    t.step(&g, "throw ValueError('x')", g.throw(ValueError("x").into()));
    t.step(&g, "next", g.next());

    assert_matches_cpython(&t.lines, RECORDED, SCENARIO);
}

#[test]
fn dropping_three_nested_generators_in_the_middle_cleans_up_innermost_first() {
    const SCENARIO: &str = r#"
g = n_a()
step(g, "next", lambda: next(g))
del g
flush()
print("dropped")
"#;
    const RECORDED: &[&str] = &[
        "  a: enter",
        "  b: enter",
        "  c: enter",
        "next -> 'c1' | n_a:GEN_SUSPENDED n_b:GEN_SUSPENDED n_c:GEN_SUSPENDED",
        "  c: finally",
        "  b: finally",
        "  a: finally",
        "dropped",
    ];
    let trace = Trace::default();
    let mut t = Transcript::new(&trace);
    let g = n_a(&trace);
    t.step(&g, "next", g.next());
    drop(g);
    t.flush();
    t.lines.push("dropped".to_owned());

    assert_matches_cpython(&t.lines, RECORDED, SCENARIO);
}
