//! Tasks from the course notes (003): `call_soon` from a coroutine, three
//! tasks sleeping at once, code that runs while others sleep, and
//! cancelling a long task.
//!
//! `cargo run --example tasks -- --virtual` runs each on the virtual clock
//! in no time, printing CPython's transcripts (`examples/expected/tasks.txt`).

use yieldfrom::asyncio::{CancelledError, Coroutine, EventLoop, coroutine, sleep};

mod common;
use common::{Outputs, clock_from_args, say};

/// `utils.delay` of the book the notes follow.
fn delay(seconds: u32) -> Coroutine<u32> {
    coroutine("delay", move |co| async move {
        say(format!("sleeping for {seconds} second(s)"))?;
        co.yield_from(sleep(f64::from(seconds))).await?;
        say(format!("finished sleeping for {seconds} second(s)"))?;
        Ok(seconds)
    })
}

fn call_soon_from_main() -> Coroutine {
    coroutine("main", |co| async move {
        let lp = EventLoop::running()?;
        lp.call_soon(|| {
            let _ = say("Меня вызовут в близжайшем будущем");
        })?;
        co.yield_from(delay(1)).await.map(drop)
    })
}

fn three_delays() -> Coroutine {
    coroutine("main", |co| async move {
        let lp = EventLoop::running()?;
        let sleep_for_three = lp.create_task(delay(3))?;
        let sleep_again = lp.create_task(delay(3))?;
        let sleep_one_more = lp.create_task(delay(3))?;
        co.yield_from(sleep_for_three.wait()).await?;
        co.yield_from(sleep_again.wait()).await?;
        co.yield_from(sleep_one_more.wait()).await?;
        say("Время выполнения 3 с")
    })
}

fn hello_every_second() -> Coroutine {
    let hello = coroutine("hello_every_second", |co| async move {
        for _ in 0..2 {
            co.yield_from(sleep(1.0)).await?;
            say("Пока я жду, исполняется другой код")?;
        }
        Ok(())
    });
    coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let first_delay = lp.create_task(delay(3))?;
        let second_delay = lp.create_task(delay(3))?;
        co.yield_from(hello).await?;
        co.yield_from(first_delay.wait()).await?;
        co.yield_from(second_delay.wait()).await.map(drop)
    })
}

fn cancel_long_task() -> Coroutine {
    coroutine("main", |co| async move {
        let lp = EventLoop::running()?;
        let long_task = lp.create_task(delay(10))?;
        let mut seconds_elapsed = 0;
        while !long_task.done() {
            say("Задача не закончилась, следующая проверка через секунду")?;
            co.yield_from(sleep(1.0)).await?;
            seconds_elapsed += 1;
            if seconds_elapsed == 5 {
                long_task.cancel();
            }
        }
        match co.yield_from(long_task.wait()).await {
            Err(e) if e.is::<CancelledError>() => say("Задача снята"),
            other => other.map(drop),
        }
    })
}

/// One of the notes' programs: makes its `main` coroutine.
type Program = fn() -> Coroutine;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = clock_from_args();
    let programs: [(&str, Program); 4] = [
        ("call_soon_from_main", call_soon_from_main),
        ("three_delays", three_delays),
        ("hello_every_second", hello_every_second),
        ("cancel_long_task", cancel_long_task),
    ];
    let outputs = Outputs::from_args();
    for (name, program) in programs {
        println!("== {name}");
        outputs.run(clock, Some(name), program())?;
    }
    Ok(())
}
