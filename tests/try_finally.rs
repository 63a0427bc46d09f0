//! `try_finally(body, cleanup)` is Python's `try: body finally: cleanup`
//! with a cleanup that yields or awaits: the cleanup runs after a body
//! that returns, raises, is thrown into, closed or cancelled; the body's
//! outcome stands unless the cleanup fails, whose error then replaces it;
//! a cleanup that yields during `close` makes `close` fail as CPython's
//! "generator ignored GeneratorExit".
//!
//! The generator cases state CPython 3.11's outcomes in comments; the
//! asyncio ones are compared with `tests/python/try_finally.py`.

mod trace;
mod transcript;

use trace::Log;
use transcript::{Transcript, assert_matches_cpython, describe, flag, run_main, value_error};
use yieldfrom::{
    AnyError, Co, Error, GenState, Generator, Step,
    asyncio::{Coroutine, EventLoop, RuntimeError, coroutine, sleep},
    try_finally,
};

const SCRIPT: &str = "try_finally.py";

/// def g(log):
///     try:
///         x = yield 1
///         yield x
///         return "done"
///     finally:
///         log.append("cleanup starts")
///         yield "cleanup"
///         log.append("cleanup ends")
fn g(log: &Log) -> Generator<Option<i32>, i32, &'static str> {
    let log = log.clone();
    Generator::new("g", move |co: Co<_, i32>| async move {
        try_finally(
            async {
                let x = co.yield_(Some(1)).await?;
                co.yield_(x).await?;
                Ok("done")
            },
            || async {
                log.push("cleanup starts");
                co.yield_(None).await?;
                log.push("cleanup ends");
                Ok(())
            },
        )
        .await
    })
}

#[test]
fn the_cleanup_yields_after_a_body_that_returns_and_the_return_value_stands() {
    // next(it), it.send(5), next(it) -> 1 5 cleanup; next(it) ->
    // StopIteration('done'); log ['cleanup starts', 'cleanup ends']
    let log = Log::new();
    let it = g(&log);
    assert_eq!(it.next().unwrap(), Step::Yielded(Some(1)));
    assert_eq!(it.send(5).unwrap(), Step::Yielded(Some(5)));
    assert_eq!(it.next().unwrap(), Step::Yielded(None));
    assert_eq!(it.next().unwrap(), Step::Returned("done"));
    assert_eq!(log.take(), ["cleanup starts", "cleanup ends"]);
}

#[test]
fn the_cleanup_yields_after_an_error_thrown_into_the_body_and_the_error_then_propagates() {
    // next(it); it.throw(ValueError('bad')) -> 'cleanup'; next(it) raises
    // ValueError('bad'); log ['cleanup starts', 'cleanup ends']
    let log = Log::new();
    let it = g(&log);
    it.next().unwrap();
    assert_eq!(it.throw(value_error("bad")).unwrap(), Step::Yielded(None));
    let e = it.next().unwrap_err().raised().expect("raised");
    assert_eq!(describe(&e), "ValueError(bad)");
    assert_eq!(log.take(), ["cleanup starts", "cleanup ends"]);
}

#[test]
fn a_cleanup_that_yields_during_close_makes_close_fail_as_generator_ignored_generator_exit() {
    // next(it); it.close() raises RuntimeError('generator ignored
    // GeneratorExit'); log ['cleanup starts']; the frame is still there
    let log = Log::new();
    let it = g(&log);
    it.next().unwrap();
    assert!(matches!(
        it.close(),
        Err(Error::IgnoredGeneratorExit { .. })
    ));
    assert_eq!(log.take(), ["cleanup starts"]);
    assert_eq!(it.state(), GenState::Suspended);
}

#[test]
fn a_cleanup_that_does_not_yield_runs_on_close_and_close_succeeds() {
    // def k(log):
    //     try: yield 1
    //     finally: log.append('cleanup')
    // next(it); it.close() -> None; log ['cleanup']
    let log = Log::new();
    let cleanup_log = log.clone();
    let it: Generator<i32> = Generator::new("k", move |co| async move {
        try_finally(
            async {
                co.yield_(1).await?;
                Ok(())
            },
            || async {
                cleanup_log.push("cleanup");
                Ok(())
            },
        )
        .await
    });
    it.next().unwrap();
    assert_eq!(it.close().unwrap(), None);
    assert_eq!(log.take(), ["cleanup"]);
    assert_eq!(it.state(), GenState::Closed);
}

#[test]
fn an_error_raised_in_the_cleanup_replaces_the_bodys() {
    // def h():
    //     try: yield 1; raise ValueError('body')
    //     finally: yield 'cleanup'; raise KeyError('cleanup')
    // next(it), next(it) -> 1 cleanup; next(it) raises KeyError('cleanup')
    // (with ValueError('body') as its __context__, which we do not keep)
    let it: Generator<&'static str> = Generator::new("h", |co| async move {
        try_finally(
            async {
                co.yield_("1").await?;
                Err::<(), _>(value_error("body"))
            },
            || async {
                co.yield_("cleanup").await?;
                Err(RuntimeError {
                    message: "cleanup".to_owned(),
                }
                .into())
            },
        )
        .await
    });
    assert_eq!(it.next().unwrap(), Step::Yielded("1"));
    assert_eq!(it.next().unwrap(), Step::Yielded("cleanup"));
    let e = it.next().unwrap_err().raised().expect("raised");
    assert_eq!(describe(&e), "RuntimeError(cleanup)");
}

/// `worker(work, fail)` of the Python script.
fn worker(out: &Transcript, work: f64, fail: Option<&'static str>) -> Coroutine<&'static str> {
    let out = out.clone();
    coroutine("worker", move |co| async move {
        try_finally(
            async {
                out.say("work starts");
                co.yield_from(sleep(work)).await?;
                if let Some(fail) = fail {
                    return Err(value_error(fail));
                }
                out.say("work ends");
                Ok("W")
            },
            || async {
                out.say("cleanup starts");
                co.yield_from(sleep(1)).await?;
                out.say("cleanup ends");
                Ok(())
            },
        )
        .await
    })
}

#[test]
fn a_cleanup_that_awaits_runs_after_a_body_that_returns() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let gave = co.yield_from(worker(&o, 2.0, None)).await?;
        o.say(format!("worker gave {gave}"));
        Ok(())
    }));
    assert_matches_cpython(
        SCRIPT,
        "a_cleanup_that_awaits_runs_after_a_body_that_returns",
        &out,
    );
}

#[test]
fn a_cleanup_that_awaits_runs_after_a_body_that_raises() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let e = co
            .yield_from(worker(&o, 2.0, Some("bad")))
            .await
            .unwrap_err();
        o.say(format!("worker raised {}", describe(&e)));
        Ok(())
    }));
    assert_matches_cpython(
        SCRIPT,
        "a_cleanup_that_awaits_runs_after_a_body_that_raises",
        &out,
    );
}

#[test]
fn a_cleanup_that_awaits_runs_when_the_task_is_cancelled() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let task = EventLoop::running()?.create_task(worker(&o, 5.0, None))?;
        co.yield_from(sleep(1)).await?;
        task.cancel_with("stop");
        let e = co.yield_from(task.wait()).await.unwrap_err();
        o.say(format!(
            "task ended {} cancelled {}",
            describe(&e),
            flag(task.cancelled())
        ));
        Ok(())
    }));
    assert_matches_cpython(
        SCRIPT,
        "a_cleanup_that_awaits_runs_when_the_task_is_cancelled",
        &out,
    );
}

#[test]
fn an_error_in_the_cleanup_replaces_the_bodys() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let failing: Coroutine<()> = coroutine("failing", |co| async move {
            try_finally(
                async {
                    co.yield_from(sleep(1)).await?;
                    Err::<(), AnyError>(value_error("body"))
                },
                || async {
                    co.yield_from(sleep(1)).await?;
                    Err(RuntimeError {
                        message: "cleanup".to_owned(),
                    }
                    .into())
                },
            )
            .await
        });
        let e = co.yield_from(failing).await.unwrap_err();
        o.say(format!("caught {}", describe(&e)));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "an_error_in_the_cleanup_replaces_the_bodys", &out);
}
