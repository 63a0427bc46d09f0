//! Generator basics from the course notes: `send`, `throw`, `close` and the
//! generator's state, printing what `examples/python/generator_basics.py`
//! prints under CPython.

use std::fmt;
use yieldfrom::{AnyError, Co, Generator, GeneratorExit, Step};

/// Python's `ValueError`.
#[derive(Debug)]
struct ValueError(&'static str);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ValueError {}

/// Adds up what it is sent and yields the running total; a `ValueError`
/// thrown in leaves the total as it is; on close it reports the total.
fn accumulator() -> Generator<i64, i64> {
    Generator::new("accumulator", |co: Co<i64, i64>| async move {
        let mut total = 0;
        loop {
            match co.yield_(total).await {
                Ok(value) => total += value.unwrap_or(0),
                Err(e) if e.is::<GeneratorExit>() => {
                    println!("closing with total {total}");
                    return Err(e);
                }
                Err(e) => match e.downcast_ref::<ValueError>() {
                    Some(ValueError(why)) => {
                        println!("caught ValueError('{why}'), total stays {total}");
                    }
                    None => return Err(e),
                },
            }
        }
    })
}

/// Prints a yielded value as Python's `print` would.
fn show(step: Step<i64, ()>) {
    match step {
        Step::Yielded(total) => println!("{total}"),
        Step::Returned(()) | Step::Stopped(()) => println!("StopIteration"),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let g = accumulator();
    println!("{}", g.state());
    show(g.next()?);
    show(g.send(10)?.without_value());
    show(g.send(5)?.without_value());
    println!("{}", g.state());
    show(g.throw(AnyError::new(ValueError("negative")))?);
    show(g.send(1)?.without_value());
    g.close()?;
    println!("{}", g.state());
    show(g.next()?);
    Ok(())
}
