//! `shield` behaves as CPython 3.11's `asyncio.shield`: cancelling the
//! task that waits on the shield, or the shield's own future, or timing it
//! out with `wait_for`, leaves the inner task running to its end; while
//! the shield stands, the inner task's result, error or cancellation
//! passes through it; a shield over something already done is that thing.
//!
//! Each transcript is compared with what `tests/python/toolkit_shield.py`
//! prints under CPython 3.11 on a virtual clock.

mod transcript;

use std::{cell::RefCell, rc::Rc};
use transcript::{Transcript, assert_matches_cpython, child, describe, flag, run_main};
use yieldfrom::asyncio::{EventLoop, Future, Suspend, coroutine, shield, sleep, wait_for};

const SCRIPT: &str = "toolkit_shield.py";

#[test]
fn cancelling_the_task_waiting_on_a_shield_leaves_the_inner_task_running() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let inner = lp.create_task(child(&o, "inner", 2.0, Ok("I")))?;
        let (wo, shielded) = (o.clone(), inner.clone());
        let w = lp.create_task(coroutine("waiter", move |co| async move {
            match co.yield_from(shield(shielded)?.wait()).await {
                Err(e) => {
                    wo.say(format!("waiter got {}", describe(&e)));
                    Err(e)
                }
                ok => ok,
            }
        }))?;
        co.yield_from(sleep(1.0)).await?;
        o.say(format!("cancel returned {}", flag(w.cancel())));
        co.yield_(Suspend::NOW).await?;
        o.say(format!(
            "waiter cancelled {} inner done {}",
            flag(w.cancelled()),
            flag(inner.done())
        ));
        let r = co.yield_from(inner.wait()).await?;
        o.say(format!("inner gave {r}"));
        Ok(())
    }));
    assert_matches_cpython(
        SCRIPT,
        "cancelling_the_waiter_leaves_the_inner_task_running",
        &out,
    );
}

#[test]
fn wait_for_on_a_shielded_task_times_out_without_cancelling_it() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let inner = EventLoop::running()?.create_task(child(&o, "inner", 2.0, Ok("I")))?;
        if let Err(e) = co
            .yield_from(wait_for(shield(inner.clone())?, Some(1.0)))
            .await
        {
            o.say(format!(
                "wait_for raised {}, inner cancelled {}",
                describe(&e),
                flag(inner.cancelled())
            ));
        }
        let r = co.yield_from(inner.wait()).await?;
        o.say(format!("inner gave {r}"));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "wait_for_a_shielded_task", &out);
}

#[test]
fn cancelling_the_shield_itself_cancels_only_the_shield() {
    let out = Transcript::new();
    let o = out.clone();
    let reports = Rc::new(RefCell::new(Vec::<String>::new()));
    let seen = reports.clone();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        lp.set_reporter(move |r| seen.borrow_mut().push(r.to_string()));
        let inner = lp.create_task(child(&o, "inner", 1.0, Err("bad")))?;
        let outer = shield(inner.clone())?;
        co.yield_from(sleep(0.5)).await?;
        o.say(format!("cancel returned {}", flag(outer.cancel())));
        if let Err(e) = co.yield_from(outer.wait()).await {
            o.say(format!(
                "outer raised {}, cancelled {}",
                describe(&e),
                flag(outer.cancelled())
            ));
        }
        co.yield_from(sleep(1.0)).await?;
        o.say(format!(
            "inner done {}, cancelled {}",
            flag(inner.done()),
            flag(inner.cancelled())
        ));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "cancelling_the_shield_itself", &out);
    // The cancelled shield stopped forwarding, so nobody retrieved inner's
    // error: CPython logs "Task exception was never retrieved ...
    // ValueError('bad')" for it, and so do we.
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].contains("never retrieved"), "{reports:?}");
}

#[test]
fn the_inner_result_error_or_cancellation_passes_through_the_shield() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let ok = shield(child(&o, "ok", 1.0, Ok("OK")))?;
        let failing = shield(child(&o, "failing", 1.0, Err("bad")))?;
        let inner = lp.create_task(child(&o, "cancelled", 2.0, Ok("C")))?;
        let cancelled = shield(inner.clone())?;
        let r = co.yield_from(ok.wait()).await?;
        o.say(format!("ok gave {r}"));
        if let Err(e) = co.yield_from(failing.wait()).await {
            o.say(format!("failing raised {}", describe(&e)));
        }
        inner.cancel();
        if let Err(e) = co.yield_from(cancelled.wait()).await {
            o.say(format!(
                "cancelled raised {}, outer cancelled {}",
                describe(&e),
                flag(cancelled.cancelled())
            ));
        }
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "the_outcome_of_the_inner_task_passes_through", &out);
}

#[test]
fn a_shield_over_a_done_future_is_done_at_once_with_its_outcome() {
    // Python: `asyncio.shield(f) is f` when `f` is done; cancelling it then
    // returns False.
    run_main(coroutine("main", |_co| async move {
        let lp = EventLoop::running()?;
        let f: Future<u8> = lp.create_future();
        f.set_result(7)?;
        let s = shield(f)?;
        assert!(s.done());
        assert_eq!(s.result()?, 7);
        assert!(!s.cancel());
        Ok(())
    }));
}
