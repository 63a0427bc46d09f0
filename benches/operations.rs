//! `next`, throw-and-catch, `close` and creation, each beside a bare
//! genawaiter `rc` generator and a hand-written state machine doing the
//! same work, in the same run. (`send` has its own file, `send.rs`.)
//!
//! Run with `cargo bench --bench operations`. CPython's side is
//! `benches/python/operations.py`.
//!
//! genawaiter has no `throw` and no `close`; its contender receives a
//! `Result` (an error to catch) or a flag (finish now) through
//! `resume_with`, which is what a body on the bare engine would do.

use divan::{Bencher, black_box, counter::ItemsCount};
use genawaiter::{GeneratorState, rc::Gen};
use std::fmt;
use yieldfrom::{AnyError, Co, Generator};

fn main() {
    divan::main();
}

/// Operations per sample iteration, so that the loop is amortised.
const OPS: u64 = 1000;

/// The error thrown in and caught: Python's `class Retry(Exception)`.
#[derive(Debug)]
struct Retry;

impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("retry")
    }
}

impl std::error::Error for Retry {}

/// Python's `next(g)` on a generator that counts up forever.
mod next {
    use super::{AnyError, Bencher, Gen, Generator, OPS, black_box};

    #[divan::bench(name = "1_hand_written_state_machine")]
    fn hand_written(bencher: Bencher) {
        struct Counter(u64);
        impl Iterator for Counter {
            type Item = u64;
            #[inline(never)]
            fn next(&mut self) -> Option<u64> {
                let n = self.0;
                self.0 = n.wrapping_add(1);
                Some(n)
            }
        }
        let mut machine = Counter(0);
        bencher.counter(OPS).bench_local(|| {
            for _ in 0..OPS {
                black_box(machine.next());
            }
        });
    }

    #[divan::bench(name = "2_bare_genawaiter_rc")]
    fn bare_genawaiter(bencher: Bencher) {
        let mut g = Gen::new(|co| async move {
            let mut n: u64 = 0;
            loop {
                co.yield_(n).await;
                n = n.wrapping_add(1);
            }
        });
        bencher.counter(OPS).bench_local(|| {
            for _ in 0..OPS {
                black_box(g.resume());
            }
        });
    }

    #[divan::bench(name = "3_yieldfrom_rc")]
    fn ours(bencher: Bencher) {
        let g: Generator<u64, (), (), AnyError> = Generator::new("counter", |co| async move {
            let mut n: u64 = 0;
            loop {
                co.yield_(n).await?;
                n = n.wrapping_add(1);
            }
        });
        bencher.counter(OPS).bench_local(|| {
            for _ in 0..OPS {
                let _ = black_box(g.next());
            }
        });
    }
}

/// Python's `g.throw(Retry())` into a body that catches `Retry`, counts it
/// and yields again. Every contender makes a fresh error per throw, as
/// `Retry()` does.
mod throw_catch {
    use super::{AnyError, Bencher, Co, Gen, Generator, OPS, Retry, black_box};

    #[divan::bench(name = "1_hand_written_state_machine")]
    fn hand_written(bencher: Bencher) {
        struct Catcher(u64);
        impl Catcher {
            #[inline(never)]
            fn throw(&mut self, error: AnyError) -> Result<u64, AnyError> {
                if error.is::<Retry>() {
                    self.0 += 1;
                    Ok(self.0)
                } else {
                    Err(error)
                }
            }
        }
        let mut machine = Catcher(0);
        bencher.counter(OPS).bench_local(|| {
            for _ in 0..OPS {
                let _ = black_box(machine.throw(black_box(AnyError::new(Retry))));
            }
        });
    }

    #[divan::bench(name = "2_bare_genawaiter_rc")]
    fn bare_genawaiter(bencher: Bencher) {
        let mut g = Gen::new(|co| async move {
            let mut caught: u64 = 0;
            loop {
                let received: Result<(), AnyError> = co.yield_(caught).await;
                match received {
                    Err(e) if e.is::<Retry>() => caught += 1,
                    Err(e) => return Err::<(), _>(e),
                    Ok(()) => {}
                }
            }
        });
        g.resume_with(Ok::<(), AnyError>(()));
        bencher.counter(OPS).bench_local(|| {
            for _ in 0..OPS {
                black_box(g.resume_with(Err(black_box(AnyError::new(Retry)))));
            }
        });
    }

    #[divan::bench(name = "3_yieldfrom_rc")]
    fn ours(bencher: Bencher) {
        let g: Generator<u64, (), (), AnyError> =
            Generator::new("catcher", |co: Co<u64>| async move {
                let mut caught: u64 = 0;
                loop {
                    match co.yield_(caught).await {
                        Err(e) if e.is::<Retry>() => caught += 1,
                        Err(e) => return Err(e),
                        Ok(_) => {}
                    }
                }
            });
        g.next().unwrap();
        bencher.counter(OPS).bench_local(|| {
            for _ in 0..OPS {
                let _ = black_box(g.throw(black_box(AnyError::new(Retry))));
            }
        });
    }
}

/// Python's `g.close()` on a suspended generator whose body lets
/// `GeneratorExit` propagate. Each close needs a fresh started generator:
/// they are made before the timing, and dropped after it. A fixed sample
/// size keeps each sample well above the timer's precision.
mod close {
    use super::{AnyError, Bencher, Gen, Generator, GeneratorState, ItemsCount, black_box};

    #[divan::bench(name = "1_hand_written_state_machine", sample_size = 100)]
    fn hand_written(bencher: Bencher) {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            Suspended,
            Closed,
        }
        struct Machine {
            state: State,
            total: u64,
        }
        impl Machine {
            #[inline(never)]
            fn close(&mut self) -> Option<u64> {
                match self.state {
                    State::Suspended => {
                        self.state = State::Closed;
                        None
                    }
                    State::Closed => Some(self.total),
                }
            }
        }
        bencher
            .counter(ItemsCount::new(1usize))
            .with_inputs(|| Machine {
                state: State::Suspended,
                total: 0,
            })
            .bench_local_refs(|m| black_box(m.close()));
    }

    #[divan::bench(name = "2_bare_genawaiter_rc", sample_size = 100)]
    fn bare_genawaiter(bencher: Bencher) {
        bencher
            .counter(ItemsCount::new(1usize))
            .with_inputs(|| {
                let mut g = Gen::new(|co| async move {
                    let mut total: u64 = 0;
                    loop {
                        // `true` asks the body to finish, as `close` does.
                        if co.yield_(total).await {
                            return total;
                        }
                        total += 1;
                    }
                });
                g.resume_with(false);
                g
            })
            .bench_local_refs(|g| {
                let finished = g.resume_with(true);
                debug_assert!(matches!(finished, GeneratorState::Complete(_)));
                black_box(finished)
            });
    }

    #[divan::bench(name = "3_yieldfrom_rc", sample_size = 100)]
    fn ours(bencher: Bencher) {
        bencher
            .counter(ItemsCount::new(1usize))
            .with_inputs(|| {
                let g: Generator<u64, (), (), AnyError> =
                    Generator::new("totaliser", |co| async move {
                        let mut total: u64 = 0;
                        loop {
                            co.yield_(total).await?;
                            total += 1;
                        }
                    });
                g.next().unwrap();
                g
            })
            .bench_local_refs(|g| {
                let closed = g.close();
                debug_assert!(matches!(closed, Ok(None)));
                black_box(closed)
            });
    }
}

/// Python's `totaliser()`: make a generator and drop it without starting
/// it. The hand-written machine is boxed, so that it too is an object on
/// the heap.
mod create {
    use super::{AnyError, Bencher, Gen, Generator, OPS, black_box};

    #[divan::bench(name = "1_hand_written_state_machine")]
    fn hand_written(bencher: Bencher) {
        // Built only to be measured: nothing reads it back.
        #[allow(dead_code)]
        struct Totaliser {
            total: u64,
            started: bool,
        }
        bencher.counter(OPS).bench_local(|| {
            for _ in 0..OPS {
                black_box(Box::new(Totaliser {
                    total: black_box(0),
                    started: false,
                }));
            }
        });
    }

    #[divan::bench(name = "2_bare_genawaiter_rc")]
    fn bare_genawaiter(bencher: Bencher) {
        bencher.counter(OPS).bench_local(|| {
            for _ in 0..OPS {
                black_box(Gen::new(|co| async move {
                    let mut total: u64 = 0;
                    loop {
                        let v: u64 = co.yield_(total).await;
                        total = total.wrapping_add(v);
                    }
                }));
            }
        });
    }

    #[divan::bench(name = "3_yieldfrom_rc")]
    fn ours(bencher: Bencher) {
        bencher.counter(OPS).bench_local(|| {
            for _ in 0..OPS {
                let g: Generator<u64, u64, (), AnyError> =
                    Generator::new("totaliser", |co| async move {
                        let mut total: u64 = 0;
                        loop {
                            if let Some(v) = co.yield_(total).await? {
                                total = total.wrapping_add(v);
                            }
                        }
                    });
                drop(black_box(g));
            }
        });
    }
}
