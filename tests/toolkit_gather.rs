//! `gather` runs its awaitables at once and behaves as CPython 3.11's
//! `asyncio.gather`: results come in argument order whatever order the
//! children finish in; the first error (or a child's cancellation) is the
//! gather's error at once while the other children run on; with
//! `gather_results` (`return_exceptions=True`) each error takes its place
//! in the list; cancelling the gather, or the task awaiting it, cancels
//! every child that is still pending, and the gather then fails with
//! `CancelledError` without itself counting as cancelled.
//!
//! Each transcript is compared with what `tests/python/toolkit_gather.py`
//! prints under CPython 3.11 on a virtual clock.

mod transcript;

use transcript::{Transcript, assert_matches_cpython, child, describe, flag, run_main};
use yieldfrom::asyncio::{
    CancelledError, Coroutine, EventLoop, Future, coroutine, ensure_future, gather, gather_results,
    gather_tuple, sleep, sleep_with,
};

const SCRIPT: &str = "toolkit_gather.py";

#[test]
fn results_come_in_argument_order_whatever_order_the_children_finish_in() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let children = vec![
            child(&o, "a", 2.0, Ok("A")),
            child(&o, "b", 1.0, Ok("B")),
            child(&o, "c", 1.5, Ok("C")),
        ];
        let results = co.yield_from(gather(children)?.wait()).await?;
        o.say(format!("results {}", results.join(" ")));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "results_in_argument_order", &out);
}

#[test]
fn the_first_error_ends_the_gather_at_once_and_the_other_children_run_on() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let children = vec![
            child(&o, "a", 2.0, Ok("A")),
            child(&o, "b", 1.0, Err("bad")),
            child(&o, "c", 3.0, Ok("C")),
        ];
        if let Err(e) = co.yield_from(gather(children)?.wait()).await {
            o.say(format!("gather raised {}", describe(&e)));
        }
        co.yield_from(sleep(5.0)).await?;
        o.say("main done");
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "first_error_ends_the_gather", &out);
}

#[test]
fn gather_results_puts_each_error_and_cancellation_in_its_place() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let victim = lp.create_task(child(&o, "c", 2.0, Ok("C")))?;
        let cancel = victim.clone();
        lp.call_later(0.25, move || {
            cancel.cancel();
        })?;
        let children = vec![
            ensure_future(child(&o, "a", 1.0, Ok("A")))?,
            ensure_future(child(&o, "b", 0.5, Err("bad")))?,
            victim.future().clone(),
        ];
        let results = co.yield_from(gather_results(children)?.wait()).await?;
        for r in results {
            match r {
                Ok(v) => o.say(format!("ok {v}")),
                Err(e) => o.say(describe(&e)),
            }
        }
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "return_exceptions_puts_errors_in_place", &out);
}

#[test]
fn cancelling_the_gather_cancels_its_pending_children_and_it_fails_without_being_cancelled() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let ready: Future<&str> = lp.create_future();
        ready.set_result("R")?;
        let g = gather(vec![
            ready,
            ensure_future(child(&o, "a", 1.0, Ok("A")))?,
            ensure_future(child(&o, "b", 2.0, Ok("B")))?,
        ])?;
        co.yield_from(sleep(0.5)).await?;
        o.say(format!("cancel returned {}", flag(g.cancel())));
        match co.yield_from(g.wait()).await {
            Err(e) if e.is::<CancelledError>() => o.say(format!("gather raised {}", describe(&e))),
            other => o.say(format!("unexpected {other:?}")),
        }
        o.say(format!(
            "cancelled {} done {}",
            flag(g.cancelled()),
            flag(g.done())
        ));
        o.say(format!("cancel again returned {}", flag(g.cancel())));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "cancelling_the_gather", &out);
}

#[test]
fn the_message_given_to_cancel_reaches_every_child_and_the_gathers_error() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let g = gather(vec![
            child(&o, "a", 1.0, Ok("A")),
            child(&o, "b", 2.0, Ok("B")),
        ])?;
        co.yield_from(sleep(0.5)).await?;
        g.cancel_with("stop");
        if let Err(e) = co.yield_from(g.wait()).await {
            o.say(format!("gather raised {}", describe(&e)));
        }
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "cancelling_the_gather_with_a_message", &out);
}

#[test]
fn a_cancelled_child_fails_the_gather_at_once_and_leaves_the_other_children_running() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let a = lp.create_task(child(&o, "a", 1.0, Ok("A")))?;
        let b = lp.create_task(child(&o, "b", 2.0, Ok("B")))?;
        let c = lp.create_task(child(&o, "c", 3.0, Ok("C")))?;
        let gathering = gather(vec![a.clone(), b.clone(), c.clone()])?;
        co.yield_from(sleep(0.5)).await?;
        b.cancel();
        if let Err(e) = co.yield_from(gathering.wait()).await {
            o.say(format!("gather raised {}", describe(&e)));
        }
        o.say(format!("gather cancelled {}", flag(gathering.cancelled())));
        co.yield_from(sleep(3.0)).await?;
        o.say(format!(
            "a {} c {} b cancelled {}",
            a.result()?,
            c.result()?,
            flag(b.cancelled())
        ));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "cancelling_a_child", &out);
}

#[test]
fn cancelling_the_task_that_awaits_a_gather_cancels_the_children() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let wo = o.clone();
        let waiter = coroutine("waiter", move |co| async move {
            let g = gather(vec![
                child(&wo, "a", 1.0, Ok("A")),
                child(&wo, "b", 2.0, Ok("B")),
            ])?;
            match co.yield_from(g.wait()).await {
                Err(e) => {
                    wo.say(format!("waiter got {}", describe(&e)));
                    Err(e)
                }
                Ok(_) => Ok(()),
            }
        });
        let w = EventLoop::running()?.create_task(waiter)?;
        co.yield_from(sleep(0.5)).await?;
        o.say(format!("cancel returned {}", flag(w.cancel())));
        if co.yield_from(w.wait()).await.is_err() {
            o.say(format!("waiter cancelled {}", flag(w.cancelled())));
        }
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "cancelling_the_task_that_awaits_the_gather", &out);
}

#[test]
fn the_same_future_given_twice_is_awaited_once_and_reported_in_both_places() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let f: Future<&str> = lp.create_future();
        let setter = f.clone();
        lp.call_later(1.0, move || setter.set_result("F").unwrap())?;
        let c = ensure_future(child(&o, "c", 0.5, Ok("C")))?;
        let results = co.yield_from(gather(vec![f.clone(), f, c])?.wait()).await?;
        o.say(format!("results {}", results.join(" ")));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "the_same_future_twice", &out);
}

#[test]
fn once_the_gather_has_failed_cancelling_it_does_nothing_and_the_children_run_on() {
    let out = Transcript::new();
    let o = out.clone();
    let lp_reports = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let reports = lp_reports.clone();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        lp.set_reporter(move |r| reports.borrow_mut().push(r.to_string()));
        let g = gather(vec![
            child(&o, "a", 2.0, Err("late")),
            child(&o, "b", 1.0, Err("bad")),
            child(&o, "c", 3.0, Ok("C")),
        ])?;
        if let Err(e) = co.yield_from(g.wait()).await {
            o.say(format!("gather raised {}", describe(&e)));
        }
        o.say(format!(
            "cancel after the error returned {}",
            flag(g.cancel())
        ));
        co.yield_from(sleep(5.0)).await?;
        o.say("main done");
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "a_child_error_after_the_gather_failed", &out);
    // The gather retrieved a's late error: nothing reports it as lost.
    assert_eq!(*lp_reports.borrow(), Vec::<String>::new());
}

#[test]
fn cancelling_a_gather_results_fails_it_with_cancelled_error_once_the_children_are_done() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let g = gather_results(vec![
            child(&o, "a", 1.0, Ok("A")),
            child(&o, "b", 2.0, Ok("B")),
        ])?;
        co.yield_from(sleep(0.5)).await?;
        o.say(format!("cancel returned {}", flag(g.cancel())));
        match co.yield_from(g.wait()).await {
            Ok(results) => o.say(format!("gather gave {} results", results.len())),
            Err(e) => o.say(format!(
                "gather raised {}, cancelled {}",
                describe(&e),
                flag(g.cancelled())
            )),
        }
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "cancelling_a_gather_with_return_exceptions", &out);
}

#[test]
fn an_empty_gather_is_done_at_once_with_no_results() {
    // Python: `asyncio.gather()` is a future already done with `[]`.
    run_main(coroutine("main", |_co| async move {
        let g = gather(Vec::<Future<u8>>::new())?;
        assert!(g.done());
        assert_eq!(g.result()?, Vec::<u8>::new());
        let r = gather_results(Vec::<Future<u8>>::new())?;
        assert!(r.done());
        assert!(r.result()?.is_empty());
        Ok(())
    }));
}

#[test]
fn gather_needs_a_running_loop() {
    // CPython 3.11 falls back to the policy's event loop here (a
    // deprecated path); `yieldfrom` has no implicit loop, so gather needs
    // a running one and says so with RuntimeError.
    let err = gather(vec![sleep(1.0)]).unwrap_err();
    assert!(describe(&err).starts_with("RuntimeError("), "{err:?}");
}

#[test]
fn gather_tuple_gives_results_of_different_types_as_a_tuple_and_fails_as_gather_does() {
    let out = Transcript::new();
    let o = out.clone();
    let count = |o: &Transcript, seconds: f64| -> Coroutine<u32> {
        let o = o.clone();
        coroutine("count", move |co| async move {
            co.yield_from(sleep(seconds)).await?;
            o.say("count finishes");
            Ok(42)
        })
    };
    run_main(coroutine("main", move |co| async move {
        let all = gather_tuple((
            count(&o, 2.0),
            child(&o, "b", 1.0, Ok("B")),
            sleep_with(0.5, true),
        ))?;
        let (n, name, done) = co.yield_from(all.wait()).await?;
        o.say(format!("results {n} {name} {}", flag(done)));
        let failing = gather_tuple((count(&o, 1.0), child(&o, "c", 0.5, Err("bad"))))?;
        if let Err(e) = co.yield_from(failing.wait()).await {
            o.say(format!("gather raised {}", describe(&e)));
        }
        co.yield_from(sleep(2.0)).await?;
        o.say("main done");
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "results_of_different_types_come_as_a_tuple", &out);
}
