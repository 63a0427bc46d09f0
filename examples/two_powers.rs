//! Two workers printing powers of two, as generator-based coroutines with
//! `yield from` (course notes 004: `Worker_1` every 0.1 s, `Worker_2` every
//! 0.5 s, ten powers each).
//!
//! `cargo run --example two_powers` runs on the real clock and prints the
//! elapsed time at the end, as the notes do; `-- --virtual` runs on the
//! virtual clock in no time and prints each line after its loop time, as
//! CPython's transcript (`examples/expected/two_powers_ten.txt`) does.

use std::time::Instant;
use yieldfrom::asyncio::{ClockKind, Coroutine, EventLoop, coroutine, sleep};

mod common;
use common::{Outputs, clock_from_args, say};

/// `print_two_powers(name, limit, frequency)`: `for ... else: print("Done")`.
fn print_two_powers(name: &'static str, limit: u32, frequency: f64) -> Coroutine {
    coroutine("print_two_powers", move |co| async move {
        for i in 0..limit {
            say(format!("{name} {}", 2u64.pow(i)))?;
            co.yield_from(sleep(frequency)).await?;
        }
        say("Done")
    })
}

fn coroutine_1() -> Coroutine {
    coroutine("coroutine_1", |co| async move {
        co.yield_from(print_two_powers("Worker_1", 10, 0.1)).await
    })
}

fn coroutine_2() -> Coroutine {
    coroutine("coroutine_2", |co| async move {
        co.yield_from(print_two_powers("Worker_2", 10, 0.5)).await
    })
}

fn main_coroutine() -> Coroutine {
    coroutine("main", |co| async move {
        let lp = EventLoop::running()?;
        let task1 = lp.create_task(coroutine_1())?;
        let task2 = lp.create_task(coroutine_2())?;
        co.yield_from(task1.wait()).await?;
        co.yield_from(task2.wait()).await?;
        if lp.clock() == ClockKind::Virtual {
            say("main done")?;
        }
        Ok(())
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = clock_from_args();
    let start = Instant::now();
    Outputs::from_args().run(clock, None, main_coroutine())?;
    if clock == ClockKind::Real {
        println!("{}", start.elapsed().as_secs_f64());
    }
    Ok(())
}
