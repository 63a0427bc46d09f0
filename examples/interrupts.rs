//! "Interrupts" with an `Event` (course notes 000): one task prints every
//! second, another waits on an event that `main` sets every three seconds.
//!
//! As the notes' program, it runs until you press Ctrl+C: `run` cancels
//! `main` and the other tasks, and returns `KeyboardInterrupt`; the program
//! then ends as CPython does on an uncaught `KeyboardInterrupt`, saying so
//! on stderr and ending by `SIGINT` (the shell's status 130).
//! `cargo run --example interrupts -- --virtual` runs it on the virtual
//! clock in no time, stopping at a deadline of 7.5 s, and prints CPython's
//! transcript (`examples/expected/interrupts.txt`).

use std::io::Write;
use yieldfrom::asyncio::{
    ClockKind, Coroutine, Event, EventLoop, KeyboardInterrupt, coroutine, sleep,
};

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
    let outputs = Outputs::from_args();
    if clock_from_args() == ClockKind::Virtual {
        outputs.run(ClockKind::Virtual, None, deadline())?;
        return Ok(());
    }
    match outputs.run(ClockKind::Real, None, main_coroutine()) {
        Err(e) if e.is::<KeyboardInterrupt>() => interrupted(),
        ended => Ok(ended?),
    }
}

/// Ends the program as CPython ends on an uncaught `KeyboardInterrupt`: it
/// says so on stderr (CPython prints the traceback above it) and ends by
/// the signal itself, so that the shell sees Ctrl+C.
fn interrupted() -> ! {
    eprintln!("KeyboardInterrupt");
    let _ = std::io::stdout().flush();
    #[cfg(unix)]
    let _ = signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGINT);
    // Where the signal cannot end the process: the status a shell gives it.
    std::process::exit(130)
}
