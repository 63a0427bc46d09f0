//! `send` on a suspended generator, beside the references it is judged
//! against, in the same run: a bare genawaiter `rc` generator and a
//! hand-written state machine doing the same work.
//!
//! Run with `cargo bench --bench send`. Issue 2's target: ours at most
//! 1.25x bare genawaiter rc.
//!
//! Two more genawaiter contenders measure the floor that Python's semantics
//! put under any layer on this engine, with no bookkeeping at all: one is
//! resumed with `Option<u64>`, as `next()` must be told apart from `send(v)`
//! (issue 2, item 7); the other also turns each yield into a `Result`
//! decided by a thread-local flag, as a yield must be able to raise what
//! `throw` or `close` deliver (item 3).

use divan::{Bencher, black_box};
use genawaiter::rc::Gen;
use std::cell::Cell;
use yieldfrom::{AnyError, Generator};

fn main() {
    divan::main();
}

/// Sends per sample iteration, so that setup is amortised.
const SENDS: u64 = 1000;

/// The body every contender runs: add what was sent to a running total and
/// yield the total.
#[divan::bench(name = "1_hand_written_state_machine")]
fn hand_written(bencher: Bencher) {
    struct Totaliser {
        total: u64,
        started: bool,
    }
    impl Totaliser {
        #[inline(never)]
        fn send(&mut self, v: u64) -> u64 {
            if self.started {
                self.total = self.total.wrapping_add(v);
            } else {
                self.started = true;
            }
            self.total
        }
    }
    let mut machine = Totaliser {
        total: 0,
        started: false,
    };
    bencher.counter(SENDS).bench_local(|| {
        for i in 0..SENDS {
            black_box(machine.send(black_box(i)));
        }
    });
}

/// The totaliser on a bare genawaiter generator of the engine `$engine`.
macro_rules! bare_genawaiter {
    ($bencher:expr, $engine:ident) => {{
        let mut g = genawaiter::$engine::Gen::new(|co| async move {
            let mut total: u64 = 0;
            loop {
                let v: u64 = co.yield_(total).await;
                total = total.wrapping_add(v);
            }
        });
        g.resume_with(0);
        $bencher.counter(SENDS).bench_local(|| {
            for i in 0..SENDS {
                black_box(g.resume_with(black_box(i)));
            }
        });
    }};
}

#[divan::bench(name = "2_bare_genawaiter_rc")]
fn bare_genawaiter_rc(bencher: Bencher) {
    bare_genawaiter!(bencher, rc);
}

#[divan::bench(name = "2a_genawaiter_rc_option_resume")]
fn genawaiter_option_resume(bencher: Bencher) {
    let mut g = Gen::new(|co| async move {
        let mut total: u64 = 0;
        loop {
            if let Some(v) = co.yield_(total).await {
                total = total.wrapping_add(v);
            }
        }
    });
    g.resume_with(None);
    bencher.counter(SENDS).bench_local(|| {
        for i in 0..SENDS {
            black_box(g.resume_with(black_box(Some(i))));
        }
    });
}

thread_local! {
    /// Set by a driver that throws; never set here, but the body cannot know.
    static THROWING: Cell<bool> = const { Cell::new(false) };
}

#[divan::bench(name = "2b_genawaiter_rc_python_shape")]
fn genawaiter_python_shape(bencher: Bencher) {
    let mut g = Gen::new(|co| async move {
        let mut total: u64 = 0;
        loop {
            let sent = co.yield_(total).await;
            let sent = if THROWING.with(Cell::get) {
                Err(AnyError::msg("thrown"))
            } else {
                Ok(sent)
            };
            if let Some(v) = sent? {
                total = total.wrapping_add(v);
            }
        }
        #[allow(unreachable_code)]
        Ok::<(), AnyError>(())
    });
    g.resume_with(None);
    bencher.counter(SENDS).bench_local(|| {
        for i in 0..SENDS {
            black_box(g.resume_with(black_box(Some(i))));
        }
    });
}

/// The totaliser on one of our generators, `$generator` being the
/// flavour's `Generator` type.
macro_rules! ours {
    ($bencher:expr, $generator:ty) => {{
        let g: $generator = <$generator>::new("total", |co| async move {
            let mut total: u64 = 0;
            loop {
                if let Some(v) = co.yield_(total).await? {
                    total = total.wrapping_add(v);
                }
            }
        });
        g.next().unwrap();
        $bencher.counter(SENDS).bench_local(|| {
            for i in 0..SENDS {
                let _ = black_box(g.send(black_box(i)));
            }
        });
    }};
}

#[divan::bench(name = "3_yieldfrom_rc")]
fn ours_rc(bencher: Bencher) {
    ours!(bencher, Generator<u64, u64, (), AnyError>);
}

#[divan::bench(name = "4a_bare_genawaiter_sync")]
fn bare_genawaiter_sync(bencher: Bencher) {
    bare_genawaiter!(bencher, sync);
}

#[divan::bench(name = "4b_yieldfrom_sync")]
fn ours_sync(bencher: Bencher) {
    ours!(bencher, yieldfrom::sync::Generator<u64, u64, (), AnyError>);
}
