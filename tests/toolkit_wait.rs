//! `wait` and `as_completed` behave as CPython 3.11's `asyncio.wait` and
//! `asyncio.as_completed`: `wait` returns once all are done, once the
//! first is done, or once one raises (a cancelled one does not count), or
//! when its timeout passes, and cancels nothing either way, nor when the
//! task waiting is cancelled; `as_completed` gives the outcomes in the
//! order they finish, and a `TimeoutError` for each one still pending when
//! its timeout passes.
//!
//! Each transcript is compared with what `tests/python/toolkit_wait.py`
//! prints under CPython 3.11 on a virtual clock (`wait` gives sets there;
//! both sides list a set's outcomes sorted).

mod transcript;

use transcript::{Transcript, assert_matches_cpython, describe, run_main, value_error};
use yieldfrom::asyncio::{
    ClockKind, Coroutine, DoneAndPending, EventLoop, Future, ReturnWhen, ValueError, as_completed,
    coroutine, run_with, sleep, wait,
};

const SCRIPT: &str = "toolkit_wait.py";

/// Sleeps `delay`, then returns its name or raises `ValueError(fail)`.
fn child(
    out: &Transcript,
    name: &'static str,
    delay: f64,
    fail: Option<&'static str>,
) -> Coroutine<&'static str> {
    let out = out.clone();
    coroutine(name, move |co| async move {
        co.yield_from(sleep(delay)).await?;
        if let Some(message) = fail {
            out.say(format!("{name} raises"));
            return Err(value_error(message));
        }
        out.say(format!("{name} finishes"));
        Ok(name)
    })
}

/// One task per `(name, delay, fail)`, as the Python `tasks(*specs)`.
fn tasks(
    out: &Transcript,
    specs: &[(&'static str, f64, Option<&'static str>)],
) -> Result<Vec<Future<&'static str>>, yieldfrom::AnyError> {
    let lp = EventLoop::running()?;
    specs
        .iter()
        .map(|&(name, delay, fail)| {
            Ok(lp
                .create_task(child(out, name, delay, fail))?
                .future()
                .clone())
        })
        .collect()
}

fn outcome(f: &Future<&'static str>) -> String {
    if f.cancelled() {
        return "cancelled".to_owned();
    }
    match f.result() {
        Ok(v) => v.to_owned(),
        Err(e) => describe(&e),
    }
}

fn show(out: &Transcript, (done, pending): &DoneAndPending<&'static str>) {
    let mut done: Vec<String> = done.iter().map(outcome).collect();
    done.sort();
    out.say(format!(
        "done [{}] pending {}",
        done.join(" "),
        pending.len()
    ));
}

fn after(out: &Transcript, fs: &[Future<&'static str>]) {
    let all: Vec<String> = fs.iter().map(outcome).collect();
    out.say(format!("after: {}", all.join(" ")));
}

#[test]
fn all_completed_returns_once_every_future_is_done() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let fs = tasks(&o, &[("a", 1.0, None), ("b", 3.0, None), ("c", 2.0, None)])?;
        let r = co
            .yield_from(wait(fs, None, ReturnWhen::AllCompleted))
            .await?;
        show(&o, &r);
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "all_completed", &out);
}

#[test]
fn first_completed_returns_with_every_future_done_by_then() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let fs = tasks(&o, &[("a", 2.0, None), ("b", 1.0, None), ("c", 1.0, None)])?;
        let r = co
            .yield_from(wait(fs.clone(), None, ReturnWhen::FirstCompleted))
            .await?;
        show(&o, &r);
        co.yield_from(sleep(5.0)).await?;
        let r = co
            .yield_from(wait(fs, None, ReturnWhen::FirstCompleted))
            .await?;
        show(&o, &r);
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "first_completed", &out);
}

#[test]
fn first_exception_returns_at_the_first_error_and_a_cancellation_is_no_error() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let fs = tasks(
            &o,
            &[("a", 1.0, None), ("b", 2.0, Some("bad")), ("c", 3.0, None)],
        )?;
        let r = co
            .yield_from(wait(fs, None, ReturnWhen::FirstException))
            .await?;
        show(&o, &r);
        let fs = tasks(&o, &[("d", 1.0, None), ("e", 2.0, None)])?;
        let first = fs[0].clone();
        EventLoop::running()?.call_later(0.5, move || {
            first.cancel();
        })?;
        let r = co
            .yield_from(wait(fs, None, ReturnWhen::FirstException))
            .await?;
        show(&o, &r);
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "first_exception", &out);
}

#[test]
fn a_timeout_returns_what_is_done_and_cancels_nothing() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let fs = tasks(&o, &[("a", 1.0, None), ("b", 2.0, None), ("c", 3.0, None)])?;
        let r = co
            .yield_from(wait(fs.clone(), Some(1.5), ReturnWhen::AllCompleted))
            .await?;
        show(&o, &r);
        co.yield_from(sleep(2.0)).await?;
        after(&o, &fs);
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "timeout_cancels_nothing", &out);
}

#[test]
fn cancelling_the_task_that_waits_cancels_none_of_the_futures() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let fs = tasks(&o, &[("a", 1.0, None), ("b", 2.0, None)])?;
        let waited = fs.clone();
        let w = lp.create_task(coroutine("waiter", move |co| async move {
            co.yield_from(wait(waited, None, ReturnWhen::AllCompleted))
                .await?;
            Ok(())
        }))?;
        co.yield_from(sleep(0.5)).await?;
        w.cancel();
        if co.yield_from(w.wait()).await.is_err() {
            o.say("waiter cancelled");
        }
        co.yield_from(sleep(2.0)).await?;
        after(&o, &fs);
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "cancelling_the_waiting_task", &out);
}

#[test]
fn waiting_on_no_futures_raises_value_error() {
    // Python 3.11:
    //   async def main(): await asyncio.wait([])
    //   asyncio.run(main())
    //   -> ValueError: Set of Tasks/Futures is empty.
    let err = run_with(
        ClockKind::Virtual,
        coroutine("main", |co| async move {
            co.yield_from(wait(
                Vec::<Future<u8>>::new(),
                None,
                ReturnWhen::AllCompleted,
            ))
            .await
        }),
    )
    .unwrap_err();
    let e = err.downcast_ref::<ValueError>();
    assert_eq!(
        e.map(|e| e.message.as_str()),
        Some("Set of Tasks/Futures is empty."),
        "{err:?}"
    );
}

#[test]
fn as_completed_gives_outcomes_in_the_order_they_finish() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let fs = vec![
            child(&o, "a", 3.0, None),
            child(&o, "b", 1.0, None),
            child(&o, "c", 2.0, Some("bad")),
        ];
        for next in as_completed(fs, None)? {
            match co.yield_from(next).await {
                Ok(v) => o.say(format!("next gave {v}")),
                Err(e) => o.say(format!("next raised {}", describe(&e))),
            }
        }
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "as_completed_in_finishing_order", &out);
}

#[test]
fn as_completed_raises_timeout_error_for_each_one_pending_at_its_timeout() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let fs = tasks(&o, &[("a", 1.0, None), ("b", 2.0, None), ("c", 3.0, None)])?;
        for next in as_completed(fs.clone(), Some(1.5))? {
            match co.yield_from(next).await {
                Ok(v) => o.say(format!("next gave {v}")),
                Err(e) => o.say(format!("next raised {}", describe(&e))),
            }
        }
        co.yield_from(sleep(2.0)).await?;
        after(&o, &fs);
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "as_completed_with_a_timeout", &out);
}

#[test]
fn as_completed_needs_a_running_loop() {
    // CPython 3.11's as_completed is a lazy generator that falls back to
    // the policy's event loop; `yieldfrom` has no implicit loop, so it
    // needs a running one and says so at once with RuntimeError.
    let err = as_completed(vec![sleep(1.0)], None).unwrap_err();
    assert!(describe(&err).starts_with("RuntimeError("), "{err:?}");
}
