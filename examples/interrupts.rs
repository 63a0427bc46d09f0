//! "Interrupts" with an `Event` (course notes 000): one task prints every
//! second, another waits on an event that `main` sets every three seconds.
//!
//! The notes' program runs forever; this one stops at a deadline of 7.5 s,
//! after which `run` cancels the tasks still running.
//! `cargo run --example interrupts -- --virtual` runs it on the virtual
//! clock in no time, printing CPython's transcript
//! (`examples/expected/interrupts.txt`).

use yieldfrom::asyncio::{Coroutine, Event, EventLoop, coroutine, sleep};

mod common;
use common::{Outputs, clock_from_args, say};

fn print_message() -> Coroutine {
    coroutine("print_message", |co| async move {
        loop {
            say("Имитация работы функции")?;
            co.yield_from(sleep(1.0)).await?;
        }
    })
}

fn interrupt_handler(interrupt_flag: Event) -> Coroutine {
    coroutine("interrupt_handler", move |co| async move {
        loop {
            // Wait for the flag to be set.
            co.yield_from(interrupt_flag.wait()).await?;
            say("Произошло прерывание! В этом месте может быть установлен любой обработчик")?;
            // Clear it for the next time.
            interrupt_flag.clear();
        }
    })
}

fn main_coroutine() -> Coroutine {
    coroutine("main", |co| async move {
        let lp = EventLoop::running()?;
        let interrupt_flag = Event::new();
        lp.create_task(print_message())?;
        lp.create_task(interrupt_handler(interrupt_flag.clone()))?;
        loop {
            co.yield_from(sleep(3.0)).await?;
            // Raise the flag: the interrupt.
            interrupt_flag.set();
        }
    })
}

fn deadline() -> Coroutine {
    coroutine("deadline", |co| async move {
        EventLoop::running()?.create_task(main_coroutine())?;
        co.yield_from(sleep(7.5)).await?;
        say("deadline")
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = clock_from_args();
    Outputs::from_args().run(clock, None, deadline())?;
    Ok(())
}
