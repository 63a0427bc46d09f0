//! `send` through a `yield from` chain of growing depth, in the same run.
//!
//! Run with `cargo bench --bench delegation`. Issue 3's target: a send
//! through depth 1000 costs at most 1.5x a send through depth 1.

use divan::{Bencher, black_box};
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

#[divan::bench(args = [0, 1, 10, 100, 1000])]
fn send_through_depth(bencher: Bencher, depth: usize) {
    let g = chain(depth);
    g.next().unwrap();
    bencher.counter(SENDS).bench_local(|| {
        for i in 0..SENDS {
            let _ = black_box(g.send(black_box(i)));
        }
    });
}
