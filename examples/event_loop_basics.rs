//! The event loop from the course notes (002): a long computation that
//! gives up control with `sleep(0)` beside a background task;
//! `run_forever` stopped by a task; `call_soon`, `call_later` and
//! `call_at`; a `Runner` running two coroutines on one loop; and, on the
//! real clock, debug mode reporting a slow callback.
//!
//! `cargo run --example event_loop_basics -- --virtual` runs on the virtual
//! clock in no time, printing CPython's transcripts
//! (`examples/expected/event_loop_basics.txt`).

use std::{cell::RefCell, rc::Rc, time::Duration};
use yieldfrom::{
    AnyError,
    asyncio::{ClockKind, Coroutine, EventLoop, LoopReport, Runner, Suspend, coroutine, sleep},
};

mod common;
use common::{Outputs, clock_from_args, say, say_at};

fn long_computation() -> Coroutine {
    let computation = coroutine("long_computation", |co| async move {
        let mut result: u64 = 0;
        for i in 0..1_000_000u64 {
            result += i * i;
            if i % 10_000 == 0 {
                // Give up control: `await asyncio.sleep(0)`.
                co.yield_(Suspend::NOW).await?;
                #[allow(clippy::cast_precision_loss)]
                let percent = i as f64 / 10_000.0;
                say(format!("Прогресс: {percent:.1}%"))?;
            }
        }
        Ok(result)
    });
    coroutine("main", move |co| async move {
        // It never returns; `()` names the type it would return.
        let background = EventLoop::running()?.create_task(coroutine::<(), _>(
            "background_task",
            |co| async move {
                loop {
                    say("Фоновая задача работает!")?;
                    co.yield_from(sleep(0.5)).await?;
                }
            },
        ))?;
        let result = co.yield_from(computation).await?;
        say(format!("Результат: {result}"))?;
        background.cancel();
        Ok(())
    })
}

fn run_forever_stop(clock: ClockKind, outputs: &Outputs) -> Result<(), AnyError> {
    let lp = EventLoop::new(clock);
    outputs.start(&lp);
    let stopper = lp.clone();
    lp.create_task(coroutine::<(), _>("periodic_task", |co| async move {
        let mut counter = 0;
        loop {
            counter += 1;
            say(format!("Итерация {counter}"))?;
            co.yield_from(sleep(0.3)).await?;
        }
    }))?;
    lp.create_task(coroutine("schedule_stop", move |co| async move {
        co.yield_from(sleep(2.0)).await?;
        stopper.stop();
        Ok(())
    }))?;
    lp.run_forever()?;
    say_at(&lp, "Event loop остановлен");
    let pending = lp.all_tasks();
    say_at(&lp, format!("pending {}", pending.len()));
    for task in &pending {
        task.cancel();
    }
    lp.run_until_done(&lp.all_done(&pending))?;
    let cancelled = pending.iter().filter(|t| t.cancelled()).count();
    say_at(&lp, format!("cancelled {cancelled}"));
    lp.close()?;
    outputs.write(&lp, Some("run_forever_stop"))
}

fn callbacks(clock: ClockKind, outputs: &Outputs) -> Result<(), AnyError> {
    let lp = EventLoop::new(clock);
    outputs.start(&lp);
    let results = Rc::new(RefCell::new(Vec::new()));
    let my_callback = |value: &'static str| {
        let (results, lp) = (results.clone(), lp.clone());
        move || {
            results.borrow_mut().push(value);
            say_at(&lp, format!("Callback: {value}"));
        }
    };
    lp.call_soon(my_callback("first"))?;
    lp.call_soon(my_callback("second"))?;
    lp.call_later(0.1, my_callback("delayed"))?;
    lp.call_at(lp.time() + 0.2, my_callback("at_time"))?;
    lp.run_until_complete(sleep(0.3))?;
    let shown: Vec<String> = results.borrow().iter().map(|v| format!("'{v}'")).collect();
    say_at(&lp, format!("Все результаты: [{}]", shown.join(", ")));
    lp.close()?;
    outputs.write(&lp, Some("callbacks"))
}

fn runner_two_runs(clock: ClockKind, outputs: &Outputs) -> Result<(), AnyError> {
    let task = |name: &'static str| {
        coroutine(name, move |co| async move {
            co.yield_from(sleep(0.1)).await?;
            Ok(name)
        })
    };
    let runner = Runner::new(clock);
    outputs.start(runner.event_loop());
    let result1 = runner.run(task("task1"))?;
    let result2 = runner.run(task("task2"))?;
    say_at(
        runner.event_loop(),
        format!("Результаты: {result1}, {result2}"),
    );
    let lp = runner.event_loop().clone();
    runner.close()?;
    outputs.write(&lp, Some("runner_two_runs"))
}

/// Debug mode: a task step that blocks for 150 ms is reported (its time is
/// real time on either clock, so this part runs on the real clock only).
fn slow_callback(outputs: &Outputs) -> Result<(), AnyError> {
    let lp = EventLoop::new(ClockKind::Real);
    outputs.start(&lp);
    lp.set_debug(true);
    lp.set_slow_callback_duration(Duration::from_millis(100));
    lp.set_reporter(|report| {
        if let LoopReport::SlowCallback {
            callback, duration, ..
        } = report
        {
            println!(
                "Executing {callback} took {:.3} seconds",
                duration.as_secs_f64()
            );
        }
    });
    lp.run_until_complete(coroutine("blocking", |_co| async move {
        // `time.sleep(0.15)`: blocks the whole loop, which debug mode flags.
        std::thread::sleep(Duration::from_millis(150));
        Ok(())
    }))?;
    lp.close()?;
    outputs.write(&lp, Some("slow_callback"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = clock_from_args();
    let outputs = Outputs::from_args();
    println!("== long_computation");
    outputs.run(clock, Some("long_computation"), long_computation())?;
    println!("== run_forever_stop");
    run_forever_stop(clock, &outputs)?;
    println!("== callbacks");
    callbacks(clock, &outputs)?;
    println!("== runner_two_runs");
    runner_two_runs(clock, &outputs)?;
    if clock == ClockKind::Real {
        println!("== slow_callback");
        slow_callback(&outputs)?;
    }
    Ok(())
}
