//! `send` through a `yield from` chain of growing depth, in the same run,
//! beside bare genawaiter `rc` generators that forward by hand, level by
//! level, as CPython does.
//!
//! Run with `cargo bench --bench delegation`; CPython's side is
//! `benches/python/delegation.py`. Issue 3's target: a send through depth
//! 1000 costs at most 1.5x a send through depth 1.

use divan::{Bencher, black_box};
use genawaiter::{GeneratorState, rc::Gen};
use std::{future::Future, pin::Pin};
use yieldfrom::{AnyError, Generator};

fn main() {
    divan::main();
}

const SENDS: u64 = 1000;

type Link = Generator<u64, u64, u64, AnyError>;

/// The innermost generator: totals what it is sent, forever.
fn leaf() -> Link {
    Generator::new("leaf", |co| async move {
        let mut total: u64 = 0;
        loop {
            if let Some(v) = co.yield_(total).await? {
                total = total.wrapping_add(v);
            }
        }
    })
}

/// `depth` generators, each delegating to the next, over a leaf.
fn chain(depth: usize) -> Link {
    let mut g = leaf();
    for _ in 0..depth {
        let sub = g;
        g = Generator::new("level", move |co| async move { co.yield_from(sub).await });
    }
    g
}

/// The depths every contender is measured at.
const DEPTHS: [usize; 5] = [0, 1, 10, 100, 1000];

#[divan::bench(args = DEPTHS)]
fn send_through_depth(bencher: Bencher, depth: usize) {
    let g = chain(depth);
    g.next().unwrap();
    bencher.counter(SENDS).bench_local(|| {
        for i in 0..SENDS {
            let _ = black_box(g.send(black_box(i)));
        }
    });
}

/// A bare genawaiter generator; the body is boxed so that every level has
/// the same type.
type RawLink = Gen<u64, u64, Pin<Box<dyn Future<Output = ()>>>>;

/// The same leaf on the bare engine.
fn raw_leaf() -> RawLink {
    Gen::new(|co| {
        let body: Pin<Box<dyn Future<Output = ()>>> = Box::pin(async move {
            let mut total: u64 = 0;
            loop {
                let v = co.yield_(total).await;
                total = total.wrapping_add(v);
            }
        });
        body
    })
}

/// `depth` bare generators, each resuming the next with what it is sent
/// and yielding what that yields: `yield from` by hand, one level at a
/// time.
fn raw_chain(depth: usize) -> RawLink {
    let mut g = raw_leaf();
    for _ in 0..depth {
        let mut sub = g;
        g = Gen::new(move |co| {
            let body: Pin<Box<dyn Future<Output = ()>>> = Box::pin(async move {
                let mut input = 0;
                loop {
                    match sub.resume_with(input) {
                        GeneratorState::Yielded(y) => input = co.yield_(y).await,
                        GeneratorState::Complete(()) => return,
                    }
                }
            });
            body
        });
    }
    g
}

// Its cost grows with the depth (about 45 ms a sample at depth 1000), so
// fewer samples.
#[divan::bench(args = DEPTHS, sample_count = 20)]
fn send_through_depth_bare_genawaiter_forwarding(bencher: Bencher, depth: usize) {
    let mut g = raw_chain(depth);
    g.resume_with(0);
    bencher.counter(SENDS).bench_local(|| {
        for i in 0..SENDS {
            black_box(g.resume_with(black_box(i)));
        }
    });
}
