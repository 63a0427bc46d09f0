//! `wait_for` behaves as CPython 3.11's `asyncio.wait_for`: it gives the
//! awaitable's result or error if it finishes in time; on time-out it
//! cancels the awaitable, waits for it to finish cancelling (cleanup
//! included), and raises `TimeoutError` -- or gives the value or error the
//! awaitable ends with instead, if it swallows the cancellation; a timeout
//! of `None` waits as long as it takes, one of 0 or less gives up at once;
//! cancelling the task that waits cancels the awaitable too and waits for
//! it; and a cancellation that arrives once the awaitable is done is
//! swallowed, the result returned.
//!
//! Each transcript is compared with what `tests/python/toolkit_wait_for.py`
//! prints under CPython 3.11 on a virtual clock.

mod transcript;

use std::{cell::RefCell, rc::Rc};
use transcript::{Transcript, assert_matches_cpython, describe, flag, run_main, value_error};
use yieldfrom::asyncio::{
    Awaitable, CancelledError, Coroutine, EventLoop, Future, Suspend, Task, coroutine, sleep,
    wait_for,
};

const SCRIPT: &str = "toolkit_wait_for.py";

/// What the child does when it is cancelled (the Python `swallow`).
#[derive(Clone, Copy)]
enum OnCancel {
    Reraise,
    Return(&'static str),
    Raise(&'static str),
}

/// The Python `child(name, delay, result, cleanup, swallow)`.
fn child(
    out: &Transcript,
    name: &'static str,
    delay: f64,
    result: &'static str,
    cleanup: f64,
    on_cancel: OnCancel,
) -> Coroutine<&'static str> {
    let out = out.clone();
    coroutine(name, move |co| async move {
        out.say(format!("{name} starts"));
        if let Err(e) = co.yield_from(sleep(delay)).await {
            out.say(format!("{name} {}", describe(&e)));
            if cleanup > 0.0 {
                co.yield_from(sleep(cleanup)).await?;
                out.say(format!("{name} cleaned up"));
            }
            return match on_cancel {
                OnCancel::Reraise => Err(e),
                OnCancel::Return(v) => Ok(v),
                OnCancel::Raise(m) => Err(value_error(m)),
            };
        }
        out.say(format!("{name} finishes"));
        Ok(result)
    })
}

fn simple(
    out: &Transcript,
    name: &'static str,
    delay: f64,
    result: &'static str,
) -> Coroutine<&'static str> {
    child(out, name, delay, result, 0.0, OnCancel::Reraise)
}

/// The Python `report(awaitable, timeout)`: says what `wait_for` gave;
/// re-raises a `CancelledError`.
fn report<A>(out: &Transcript, awaitable: A, timeout: Option<f64>) -> Coroutine<()>
where
    A: Awaitable<&'static str> + 'static,
{
    let out = out.clone();
    coroutine("report", move |co| async move {
        match co.yield_from(wait_for(awaitable, timeout)).await {
            Ok(r) => out.say(format!("wait_for returned {r}")),
            Err(e) => {
                out.say(format!("wait_for raised {}", describe(&e)));
                if e.is::<CancelledError>() {
                    return Err(e);
                }
            }
        }
        Ok(())
    })
}

#[test]
fn an_awaitable_that_finishes_in_time_gives_its_result_as_soon_as_it_finishes() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        co.yield_from(report(&o, simple(&o, "a", 1.0, "A"), Some(2.0)))
            .await?;
        co.yield_from(sleep(5.0)).await?;
        o.say("main done");
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "in_time", &out);
}

#[test]
fn timing_out_cancels_the_task_and_raises_timeout_error() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let t = EventLoop::running()?.create_task(simple(&o, "a", 5.0, "A"))?;
        co.yield_from(report(&o, t.clone(), Some(1.0))).await?;
        o.say(format!("task cancelled {}", flag(t.cancelled())));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "timing_out_cancels_the_task", &out);
}

#[test]
fn timing_out_waits_until_the_awaitable_has_finished_cleaning_up() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let a = child(&o, "a", 5.0, "A", 0.5, OnCancel::Reraise);
        co.yield_from(report(&o, a, Some(1.0))).await
    }));
    assert_matches_cpython(SCRIPT, "timing_out_waits_for_the_cleanup", &out);
}

#[test]
fn an_awaitable_that_swallows_the_cancellation_gives_its_value_instead_of_timeout_error() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let a = child(&o, "a", 5.0, "A", 0.5, OnCancel::Return("late"));
        co.yield_from(report(&o, a, Some(1.0))).await
    }));
    assert_matches_cpython(SCRIPT, "a_swallowed_cancellation_gives_the_value", &out);
}

#[test]
fn an_error_raised_while_cancelling_is_raised_instead_of_timeout_error() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let a = child(&o, "a", 5.0, "A", 0.0, OnCancel::Raise("in cleanup"));
        co.yield_from(report(&o, a, Some(1.0))).await
    }));
    assert_matches_cpython(SCRIPT, "an_error_while_cancelling_is_raised", &out);
}

#[test]
fn no_timeout_waits_as_long_as_it_takes() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        co.yield_from(report(&o, simple(&o, "a", 100.0, "A"), None))
            .await
    }));
    assert_matches_cpython(SCRIPT, "no_timeout_waits_as_long_as_it_takes", &out);
}

#[test]
fn a_timeout_of_zero_or_less_gives_a_done_result_and_otherwise_cancels_at_once() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let done: Future<&str> = lp.create_future();
        done.set_result("D")?;
        co.yield_from(report(&o, done, Some(0.0))).await?;
        co.yield_from(report(&o, simple(&o, "never", 1.0, "N"), Some(0.0)))
            .await?;
        let started = lp.create_task(simple(&o, "b", 1.0, "B"))?;
        co.yield_(Suspend::NOW).await?;
        co.yield_from(report(&o, started.clone(), Some(-1.0)))
            .await?;
        o.say(format!("task cancelled {}", flag(started.cancelled())));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "zero_timeout", &out);
}

#[test]
fn an_error_from_the_awaitable_in_time_is_raised_as_it_is() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let failing = coroutine("failing", |co| async move {
            co.yield_from(sleep(1.0)).await?;
            Err::<&str, _>(value_error("bad"))
        });
        co.yield_from(report(&o, failing, Some(2.0))).await
    }));
    assert_matches_cpython(SCRIPT, "an_error_from_the_awaitable", &out);
}

#[test]
fn cancelling_the_waiting_task_cancels_the_awaitable_and_waits_for_it() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let inner = lp.create_task(child(&o, "inner", 5.0, "I", 0.5, OnCancel::Reraise))?;
        let (oo, waited) = (o.clone(), inner.clone());
        let outer = lp.create_task(coroutine("outer", move |co| async move {
            co.yield_from(report(&oo, waited, Some(10.0))).await?;
            oo.say("outer after wait_for");
            Ok(())
        }))?;
        co.yield_from(sleep(1.0)).await?;
        outer.cancel();
        if co.yield_from(outer.wait()).await.is_err() {
            o.say(format!(
                "outer cancelled {} inner cancelled {}",
                flag(outer.cancelled()),
                flag(inner.cancelled())
            ));
        }
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "cancelling_the_waiting_task", &out);
}

#[test]
fn a_cancellation_arriving_after_the_awaitable_finished_is_swallowed_and_the_result_returned() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let inner = lp.create_task(simple(&o, "inner", 1.0, "I"))?;
        let outer_slot: Rc<RefCell<Option<Task<&str>>>> = Rc::default();
        let (co_out, awaited, slot) = (o.clone(), inner.clone(), outer_slot.clone());
        lp.create_task(coroutine("canceller", move |co| async move {
            co.yield_from(awaited.wait()).await?;
            let cancelled = slot.borrow().as_ref().is_some_and(Task::cancel);
            co_out.say(format!("canceller cancels outer: {}", flag(cancelled)));
            Ok(())
        }))?;
        co.yield_(Suspend::NOW).await?;
        let oo = o.clone();
        let outer = lp.create_task(coroutine("outer", move |co| async move {
            co.yield_from(report(&oo, inner, Some(10.0))).await?;
            oo.say("outer goes on");
            Ok("outer done")
        }))?;
        *outer_slot.borrow_mut() = Some(outer.clone());
        let r = co.yield_from(outer.wait()).await?;
        o.say(format!(
            "outer returned {r}, cancelled {}",
            flag(outer.cancelled())
        ));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "a_cancellation_after_the_awaitable_finished", &out);
}

#[test]
fn on_the_tick_of_the_timeout_the_timer_armed_first_wins() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        co.yield_from(report(&o, simple(&o, "coro", 1.0, "C"), Some(1.0)))
            .await?;
        let t = EventLoop::running()?.create_task(simple(&o, "task", 1.0, "T"))?;
        co.yield_(Suspend::NOW).await?;
        co.yield_from(report(&o, t, Some(1.0))).await
    }));
    assert_matches_cpython(SCRIPT, "finishing_on_the_tick_of_the_timeout", &out);
}

#[test]
fn wait_for_raises_runtime_error_without_a_running_loop() {
    // Python: `asyncio.wait_for(coro, 1).send(None)` with no loop raises
    // RuntimeError ("no running event loop").
    let coro = wait_for(sleep(1.0), Some(1.0));
    let err = coro.next().unwrap_err();
    let err = err.raised().expect("an error raised by the body");
    assert!(describe(&err).starts_with("RuntimeError("), "{err:?}");
}
