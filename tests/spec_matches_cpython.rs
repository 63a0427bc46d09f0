//! For random generator programs and random drivers, a `yieldfrom`
//! generator does what CPython 3.11 does with the same program written in
//! Python: every operation's answer (value yielded or returned, error kind
//! and message), the state after it, and every side effect (log lines,
//! handlers entered, `finally` blocks, unraisable errors) in the same order,
//! up to and including dropping the generator.
//!
//! The cases are generated in batches; each batch is rendered into one
//! Python script and run by one `python3` process. A case that differs is
//! shrunk (running `python3` once per shrinking step, for that case alone)
//! and reported as its Python source beside both traces.
//!
//! Without CPython 3.11 the test is skipped with a loud message, except in
//! CI (`CI=true`), where it fails. `docs/spec.md` explains the two
//! normalisations the traces make.

mod spec;

use proptest::{
    strategy::{Strategy, ValueTree},
    test_runner::{Config, RngAlgorithm, TestRng, TestRunner},
};
use spec::{
    budget, drive,
    program::{self, Case},
    python::{Python, render_case},
};
use std::fmt::Write as _;

/// Cases per `python3` process.
const BATCH: usize = 500;

/// The most shrinking steps (each one a `python3` run) for a failing case.
const SHRINK_STEPS: usize = 300;

/// Our trace of `case`.
fn ours(case: &Case) -> Vec<String> {
    drive::run(case).lines()
}

#[test]
fn random_programs_under_random_drivers_behave_exactly_as_under_cpython() {
    let Some(python) = Python::find() else {
        return;
    };
    let seed = budget::seed();
    let total = budget::cases(budget::DIFFERENTIAL_CASES) as usize;
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = program::case();
    let mut done = 0;
    while done < total {
        let n = BATCH.min(total - done);
        let mut trees: Vec<_> = (0..n)
            .map(|_| {
                strategy
                    .new_tree(&mut runner)
                    .expect("cases can be generated")
            })
            .collect();
        let cases: Vec<Case> = trees.iter().map(ValueTree::current).collect();
        let expected = python.traces(&cases);
        assert_eq!(expected.len(), n, "python3 reported every case");
        for (i, case) in cases.iter().enumerate() {
            if ours(case) != expected[i] {
                let failure = shrink(&python, &mut *trees[i]);
                panic!("{}", report(seed, done + i, &failure));
            }
        }
        done += n;
    }
    eprintln!("{total} random cases behaved as under CPython 3.11 (seed {seed})");
}

/// A case whose traces differ, with both of them.
struct Failure {
    case: Case,
    cpython: Vec<String>,
    ours: Vec<String>,
    steps: usize,
}

/// Shrinks the failing case `tree` holds as proptest would, keeping the
/// simplest version that still differs.
fn shrink(python: &Python, tree: &mut dyn ValueTree<Value = Case>) -> Failure {
    let differs = |case: &Case| {
        let cpython = python.traces([case]).remove(0);
        let ours = ours(case);
        (cpython != ours).then_some((cpython, ours))
    };
    let case = tree.current();
    let (cpython, ours) = differs(&case).expect("the case differed before shrinking");
    let mut best = Failure {
        case,
        cpython,
        ours,
        steps: 0,
    };
    if !tree.simplify() {
        return best;
    }
    for step in 1..=SHRINK_STEPS {
        let case = tree.current();
        if let Some((cpython, ours)) = differs(&case) {
            best = Failure {
                case,
                cpython,
                ours,
                steps: step,
            };
            if !tree.simplify() {
                break;
            }
        } else if !tree.complicate() {
            break;
        }
    }
    best
}

/// The failure as the Python program beside both traces, the first
/// differing line marked.
fn report(seed: u64, number: usize, failure: &Failure) -> String {
    let mut out = format!(
        "case {number} behaves differently under CPython 3.11 and yieldfrom \
         (seed {seed}: YIELDFROM_SPEC_SEED={seed} replays it); \
         shrunk in {} steps to:\n\n",
        failure.steps
    );
    out.push_str(&render_case(0, &failure.case));
    let width = failure
        .cpython
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .max("CPython 3.11".len());
    let _ = writeln!(out, "\n   {:width$} | yieldfrom", "CPython 3.11");
    let lines = failure.cpython.len().max(failure.ours.len());
    let first = (0..lines)
        .find(|&i| failure.cpython.get(i) != failure.ours.get(i))
        .unwrap_or(0);
    for i in 0..lines {
        let mark = if i == first { ">>" } else { "  " };
        let left = failure.cpython.get(i).map_or("", String::as_str);
        let right = failure.ours.get(i).map_or("", String::as_str);
        let _ = writeln!(out, "{mark} {left:width$} | {right}");
    }
    out
}
