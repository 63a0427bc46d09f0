//! The task programs of seed 003 -- `create_task`, cancelling a task,
//! `wait_for` with a timeout, `shield` -- written with `yieldfrom` and run
//! on the virtual clock print what CPython 3.11 prints running them on a
//! virtual clock: the same lines, in the same order, at the same loop
//! times.
//!
//! The expected transcripts come from `tests/python/seed_003.py`. The
//! other programs of 003 are in `seed_programs.rs`, among them the cancel
//! example as the book has it; here it is as the notes indent it.

mod transcript;

use transcript::{Transcript, assert_matches_cpython, delay, flag, run_main};
use yieldfrom::asyncio::{
    CancelledError, EventLoop, TimeoutError, coroutine, shield, sleep, wait_for,
};

const SCRIPT: &str = "seed_003.py";

/// The name of `value`'s type without its path or parameters, as Python's
/// `type(x).__name__`.
fn type_name_of<T>(value: &T) -> &'static str {
    let full = std::any::type_name_of_val(value);
    let bare = full.split('<').next().unwrap_or(full);
    bare.rsplit("::").next().unwrap_or(bare)
}

#[test]
fn a_task_made_with_create_task_runs_in_the_background_until_awaited() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let sleep_for_three = EventLoop::running()?.create_task(delay(&o, 3))?;
        o.say(format!(
            "{}, done {}",
            type_name_of(&sleep_for_three),
            flag(sleep_for_three.done())
        ));
        let result = co.yield_from(sleep_for_three.wait()).await?;
        o.say(result.to_string());
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "create_task", &out);
}

#[test]
fn awaiting_coroutines_directly_runs_them_one_after_the_other() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let add_one = |number: u32| coroutine("add_one", move |_co| async move { Ok(number + 1) });
        let greeting = delay(&o, 1);
        let hello_world_message = coroutine("hello_world_message", move |co| async move {
            co.yield_from(greeting).await?;
            Ok("Hello world!")
        });
        let message = co.yield_from(hello_world_message).await?;
        let one_plus_one = co.yield_from(add_one(1)).await?;
        o.say(one_plus_one.to_string());
        o.say(message);
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "awaiting_coroutines_one_after_the_other", &out);
}

#[test]
fn the_cancel_example_as_the_notes_indent_it_waits_out_the_whole_task() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let long_task = EventLoop::running()?.create_task(delay(&o, 10))?;
        let mut second_elapsed = 0;
        while !long_task.done() {
            o.say("Задача не закончилась, следующая проверка через секунду");
            co.yield_from(sleep(1.0)).await?;
            second_elapsed += 1;
            if second_elapsed == 5 {
                long_task.cancel();
            }
            match co.yield_from(long_task.wait()).await {
                Err(e) if e.is::<CancelledError>() => o.say("Задача снята"),
                Err(e) => return Err(e),
                Ok(_) => {}
            }
        }
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "cancel_as_the_notes_indent_it", &out);
}

#[test]
fn wait_for_with_a_timeout_cancels_the_task_and_raises_timeout_error() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let delay_task = EventLoop::running()?.create_task(delay(&o, 2))?;
        match co.yield_from(wait_for(delay_task.clone(), Some(1.0))).await {
            Ok(result) => o.say(result.to_string()),
            Err(e) if e.is::<TimeoutError>() => {
                o.say("Тайм-аут!");
                o.say(format!(
                    "Задача была снята? {}",
                    flag(delay_task.cancelled())
                ));
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "wait_for_with_a_timeout", &out);
}

#[test]
fn a_shielded_task_outlives_the_timeout_and_can_still_be_awaited() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let task = EventLoop::running()?.create_task(delay(&o, 10))?;
        match co
            .yield_from(wait_for(shield(task.clone())?, Some(5.0)))
            .await
        {
            Ok(result) => o.say(result.to_string()),
            Err(e) if e.is::<TimeoutError>() => {
                o.say("Задача заняла более 5 с, скоро она закончится");
                let result = co.yield_from(task.wait()).await?;
                o.say(result.to_string());
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "shield_from_a_timeout", &out);
}
