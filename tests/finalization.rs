//! Dropping a generator finalises it as CPython's finaliser does: a
//! suspended generator is closed first, so its cleanup runs exactly once;
//! whatever goes wrong while closing goes to the unraisable hook, never to
//! a panic. CPython reference: outcomes.md A11 (note 13).

mod trace;

use std::{
    cell::Cell,
    panic::{AssertUnwindSafe, catch_unwind},
    rc::Rc,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};
use trace::{Log, Tally, panic_text, unraisable_during, with_hook};
use yieldfrom::{
    AnyError, Co, GenState, Generator, GeneratorExit, UnraisableContext, set_unraisable_hook,
    take_unraisable_hook,
};

/// `g` after its first `next()`.
fn started<R: 'static>(g: Generator<&'static str, (), R>) -> Generator<&'static str, (), R> {
    g.next().unwrap();
    g
}

#[test]
fn dropping_a_suspended_generator_closes_it_and_its_cleanup_runs_once() {
    // def drop_catch():
    //     try: yield 1
    //     except GeneratorExit: log("handler: caught GeneratorExit")
    let log = Log::new();
    let body_log = log.clone();
    let ((), reports) = unraisable_during(|| {
        let g = started(Generator::new(
            "drop_catch",
            move |co: Co<&str>| async move {
                let _finally = body_log.finally("finally: runs");
                if let Err(e) = co.yield_("first").await {
                    body_log.push(format!("handler: caught {e}"));
                }
                Ok(())
            },
        ));
        assert!(log.take().is_empty());
        drop(g);
    });
    assert_eq!(
        log.take(),
        ["handler: caught GeneratorExit", "finally: runs"]
    );
    assert_eq!(reports, [], "closing cleanly reports nothing");
}

#[test]
fn dropping_a_generator_that_never_started_runs_none_of_its_body() {
    let log = Log::new();
    let body_log = log.clone();
    let captured = log.finally("captured value dropped");
    let g: Generator<&str> = Generator::new("drop_finally", move |co| async move {
        let _held = captured;
        body_log.push("body: first statement");
        let _finally = body_log.finally("finally: runs");
        co.yield_("first").await?;
        Ok(())
    });
    drop(g);
    assert_eq!(log.take(), ["captured value dropped"]);
}

/// A generator whose body makes `co.yield_from(sub)`, drops it unpolled,
/// logs that, and yields "outer".
fn dropping_a_yield_from_of(sub: Generator<&'static str>, log: &Log) -> Generator<&'static str> {
    let log = log.clone();
    Generator::new("outer", move |co: Co<&str>| async move {
        drop(co.yield_from(sub));
        log.push("outer: after the drop");
        co.yield_("outer").await?;
        Ok(())
    })
}

#[test]
fn a_yield_from_dropped_unpolled_closes_the_started_generator_it_was_given() {
    // s = sub(); next(s); then s is dropped by whoever held it:
    // def sub():
    //     try: yield "first"
    //     except GeneratorExit: log("sub: caught GeneratorExit")
    let log = Log::new();
    let sub_log = log.clone();
    let sub = started(Generator::new("sub", move |co: Co<&str>| async move {
        if let Err(e) = co.yield_("first").await {
            sub_log.push(format!("sub: caught {e}"));
        }
        Ok(())
    }));
    let ((), reports) = unraisable_during(|| {
        let outer = dropping_a_yield_from_of(sub, &log);
        assert_eq!(outer.next().unwrap(), yieldfrom::Step::Yielded("outer"));
    });
    assert_eq!(
        log.take(),
        ["sub: caught GeneratorExit", "outer: after the drop"]
    );
    assert_eq!(reports, [], "closing cleanly reports nothing");
}

#[test]
fn a_yield_from_dropped_unpolled_runs_none_of_a_generator_that_never_started() {
    let log = Log::new();
    let sub_log = log.clone();
    let captured = log.finally("sub: captured value dropped");
    let sub: Generator<&str> = Generator::new("sub", move |co| async move {
        let _held = captured;
        sub_log.push("sub: first statement");
        co.yield_("first").await?;
        Ok(())
    });
    let outer = dropping_a_yield_from_of(sub, &log);
    assert_eq!(outer.next().unwrap(), yieldfrom::Step::Yielded("outer"));
    assert_eq!(
        log.take(),
        ["sub: captured value dropped", "outer: after the drop"]
    );
}

#[test]
fn dropping_a_closed_generator_runs_nothing_more() {
    let log = Log::new();
    let body_log = log.clone();
    let g = started(Generator::new("closed", move |co| async move {
        let _finally = body_log.finally("finally: runs");
        co.yield_("first").await?;
        Ok(())
    }));
    g.close().unwrap();
    assert_eq!(log.take(), ["finally: runs"]);
    drop(g);
    assert!(log.take().is_empty());
}

#[test]
fn a_value_returned_while_closing_on_drop_is_discarded_quietly() {
    let dropped = Log::new();
    let ((), reports) = unraisable_during(|| {
        let g: Generator<&str, (), trace::Finally> = started(Generator::new("returns_on_exit", {
            let dropped = dropped.clone();
            move |co| async move {
                co.yield_("first").await.ok();
                Ok(dropped.finally("return value dropped"))
            }
        }));
        drop(g);
    });
    assert_eq!(dropped.take(), ["return value dropped"]);
    assert_eq!(reports, []);
}

#[test]
fn an_error_raised_while_closing_on_drop_goes_to_the_unraisable_hook() {
    // def drop_raise():
    //     try: yield 1
    //     except GeneratorExit: raise ValueError("raised in GeneratorExit handler")
    let log = Log::new();
    let body_log = log.clone();
    let ((), reports) = unraisable_during(|| {
        let g = started(Generator::new("drop_raise", move |co| async move {
            if co.yield_("first").await.is_err() {
                body_log.push("handler: caught GeneratorExit, raising ValueError");
                return Err(AnyError::msg("raised in GeneratorExit handler"));
            }
            Ok(())
        }));
        drop(g);
    });
    assert_eq!(
        log.take(),
        ["handler: caught GeneratorExit, raising ValueError"]
    );
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].generator, "drop_raise");
    assert_eq!(reports[0].context, UnraisableContext::Finalizing);
    assert_eq!(reports[0].message, "\"raised in GeneratorExit handler\"");
}

#[test]
fn a_body_that_yields_instead_of_closing_on_drop_is_reported_and_never_resumed() {
    // def drop_yield():
    //     try: yield 1
    //     except GeneratorExit:
    //         log(...); yield "ignored"
    //         log("body: after ignored yield (should not run)")
    let log = Log::new();
    let body_log = log.clone();
    let ((), reports) = unraisable_during(|| {
        let g = started(Generator::new("drop_yield", move |co| async move {
            if co.yield_("first").await.is_err() {
                body_log.push("handler: caught GeneratorExit, yield 'ignored'");
                co.yield_("ignored").await?;
                body_log.push("body: after ignored yield (should not run)");
            }
            Ok(())
        }));
        drop(g);
    });
    assert_eq!(
        log.take(),
        ["handler: caught GeneratorExit, yield 'ignored'"]
    );
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].generator, "drop_yield");
    assert_eq!(reports[0].context, UnraisableContext::Finalizing);
    assert!(
        reports[0]
            .message
            .ends_with("generator ignored GeneratorExit"),
        "{:?}",
        reports[0].message
    );
}

#[test]
fn a_body_that_panics_while_closing_on_drop_is_caught_and_reported() {
    let log = Log::new();
    let body_log = log.clone();
    let (dropped, reports) = unraisable_during(|| {
        let g = started(Generator::new("drop_panic", move |co| async move {
            let _finally = body_log.finally("finally: runs");
            match co.yield_("first").await {
                Err(e) => panic!("boom in cleanup on {e}"),
                Ok(_) => Ok(()),
            }
        }));
        catch_unwind(AssertUnwindSafe(|| drop(g)))
    });
    assert!(dropped.is_ok(), "the panic does not escape drop");
    assert_eq!(log.take(), ["finally: runs"]);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].generator, "drop_panic");
    assert_eq!(reports[0].context, UnraisableContext::FinalizerPanicked);
    assert_eq!(reports[0].message, "boom in cleanup on GeneratorExit");
}

#[test]
fn a_generator_dropped_while_a_panic_unwinds_is_closed_without_aborting() {
    let log = Log::new();
    let body_log = log.clone();
    let (outer, reports) = unraisable_during(|| {
        catch_unwind(AssertUnwindSafe(|| {
            let _g = started(Generator::new("unwound", move |co| async move {
                if co.yield_("first").await.is_err() {
                    body_log.push("handler: closing during unwinding");
                    panic!("second panic, in cleanup");
                }
                Ok(())
            }));
            panic!("first panic");
        }))
    });
    assert_eq!(panic_text(&*outer.unwrap_err()), "first panic");
    assert_eq!(log.take(), ["handler: closing during unwinding"]);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].context, UnraisableContext::FinalizerPanicked);
    assert_eq!(reports[0].message, "second panic, in cleanup");
}

#[test]
fn a_generator_left_suspended_by_an_ignored_close_is_closed_again_on_drop() {
    let log = Log::new();
    let body_log = log.clone();
    let ((), reports) = unraisable_during(|| {
        let g = started(Generator::new("stubborn", move |co| async move {
            if co.yield_("first").await.is_err() {
                if let Err(e) = co.yield_("ignored").await {
                    body_log.push(format!("second handler: {e}"));
                }
            }
            Ok(())
        }));
        assert!(g.close().is_err());
        assert_eq!(g.state(), GenState::Suspended);
        drop(g);
    });
    assert_eq!(log.take(), ["second handler: GeneratorExit"]);
    assert_eq!(reports, []);
}

#[test]
fn a_generator_owned_by_a_dropped_generator_is_finalised_in_turn() {
    // def outer():
    //     inner = make_inner(); next(inner)
    //     try: yield 1
    //     except GeneratorExit: log("outer: handler"); raise
    //     finally: log("outer: finally")
    // The inner generator is finalised when the outer frame lets go of it.
    let log = Log::new();
    let (inner_log, outer_log) = (log.clone(), log.clone());
    let inner: Generator<&str> = started(Generator::new("inner", move |co: Co<&str>| async move {
        let _finally = inner_log.finally("inner: finally");
        if let Err(e) = co.yield_("i1").await {
            inner_log.push(format!("inner: handler ({e})"));
            return Err(e);
        }
        Ok(())
    }));
    let ((), reports) = unraisable_during(|| {
        let outer = started(Generator::new("outer", move |co: Co<&str>| async move {
            let _inner = inner;
            let _finally = outer_log.finally("outer: finally");
            if let Err(e) = co.yield_("o1").await {
                outer_log.push(format!("outer: handler ({e})"));
                return Err(e);
            }
            Ok(())
        }));
        drop(outer);
    });
    assert_eq!(
        log.take(),
        [
            "outer: handler (GeneratorExit)",
            "outer: finally",
            "inner: handler (GeneratorExit)",
            "inner: finally",
        ]
    );
    assert_eq!(reports, []);
}

#[test]
fn a_generator_dropped_while_closing_another_on_drop_is_finalised_at_once() {
    // def outer(inner):
    //     next(inner)
    //     try: yield 1
    //     finally:
    //         del inner
    //         log("outer: after dropping inner")
    // CPython finalises `inner` at the `del`; only chains deeper than its
    // trashcan's 50 levels wait for the outermost finalisation.
    let log = Log::new();
    let (inner_log, outer_log) = (log.clone(), log.clone());
    let inner: Generator<&str> = started(Generator::new("inner", move |co| async move {
        let _finally = inner_log.finally("inner: finally");
        co.yield_("i1").await?;
        Ok(())
    }));
    let ((), reports) = unraisable_during(|| {
        let outer = started(Generator::new("outer", move |co: Co<&str>| async move {
            let mut inner = Some(inner);
            let got = co.yield_("o1").await;
            drop(inner.take());
            outer_log.push("outer: after dropping inner");
            got.map(drop)
        }));
        drop(outer);
    });
    assert_eq!(
        log.take(),
        ["inner: finally", "outer: after dropping inner"]
    );
    assert_eq!(reports, []);
}

#[test]
fn a_long_chain_of_generators_owning_generators_drops_without_overflowing_the_stack() {
    let dropped = Rc::new(Cell::new(0_usize));
    let mut g: Generator<u8> = Generator::new("leaf", |_co| async move { Ok(()) });
    for _ in 0..100_000 {
        let inner = g;
        let counter = Rc::clone(&dropped);
        let tally = Tally(counter);
        g = Generator::new("link", move |_co| async move {
            let _keep = (inner, tally);
            Ok(())
        });
    }
    drop(g);
    assert_eq!(dropped.get(), 100_000);
}

#[test]
fn a_hook_that_panics_does_not_break_the_drop() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let dropped = with_hook(
        move || {
            set_unraisable_hook(move |_| {
                seen.fetch_add(1, Ordering::SeqCst);
                panic!("the hook itself panics");
            });
        },
        || {
            let g: Generator<&str> = started(Generator::new("bad_cleanup", |co| async move {
                co.yield_("first").await.ok();
                Err(AnyError::msg("cleanup failed"))
            }));
            catch_unwind(AssertUnwindSafe(|| drop(g)))
        },
    );
    assert!(dropped.is_ok());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn without_a_hook_an_unraisable_error_is_printed_not_panicked() {
    let dropped = with_hook(
        || {},
        || {
            let g: Generator<&str> = started(Generator::new("printed", |co| async move {
                co.yield_("first").await.ok();
                Err(AnyError::msg("cleanup failed"))
            }));
            catch_unwind(AssertUnwindSafe(|| drop(g)))
        },
    );
    assert!(dropped.is_ok());
}

#[test]
fn take_unraisable_hook_says_whether_a_hook_was_set() {
    with_hook(
        || {},
        || {
            assert!(!take_unraisable_hook());
            set_unraisable_hook(|_| {});
            assert!(take_unraisable_hook());
            assert!(!take_unraisable_hook());
        },
    );
}

#[test]
fn a_generator_exit_that_escapes_while_closing_on_drop_is_not_reported() {
    let ((), reports) = unraisable_during(|| {
        let g = started(Generator::new("fresh_exit", |co| async move {
            if co.yield_("first").await.is_err() {
                return Err(GeneratorExit.into());
            }
            Ok(())
        }));
        drop(g);
    });
    assert_eq!(reports, []);
}

#[test]
fn a_panic_in_the_cleanup_of_a_generator_dropped_while_closing_another_is_reported_for_it_alone() {
    let log = Log::new();
    let outer_log = log.clone();
    let ((), reports) = unraisable_during(|| {
        let inner: Generator<&str> = started(Generator::new("inner", |co| async move {
            match co.yield_("i1").await {
                Err(e) => panic!("inner cleanup panicked on {e}"),
                Ok(_) => Ok(()),
            }
        }));
        let outer = started(Generator::new("outer", move |co: Co<&str>| async move {
            let mut inner = Some(inner);
            let got = co.yield_("o1").await;
            drop(inner.take());
            outer_log.push("outer: carried on after dropping inner");
            got.map(drop)
        }));
        drop(outer);
    });
    assert_eq!(log.take(), ["outer: carried on after dropping inner"]);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].generator, "inner");
    assert_eq!(reports[0].context, UnraisableContext::FinalizerPanicked);
    assert_eq!(
        reports[0].message,
        "inner cleanup panicked on GeneratorExit"
    );
}

#[test]
fn a_hook_may_drop_a_generator_whose_close_fails_and_hear_about_it() {
    fn failing(name: &'static str) -> Generator<&'static str> {
        started(Generator::new(name, |co| async move {
            co.yield_("first").await.ok();
            Err(AnyError::msg("cleanup failed"))
        }))
    }
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    with_hook(
        move || {
            set_unraisable_hook(move |u| {
                let first = {
                    let mut seen = sink.lock().unwrap();
                    seen.push(u.generator);
                    seen.len() == 1
                };
                if first {
                    drop(failing("dropped_by_the_hook"));
                }
            });
        },
        || drop(failing("dropped_by_the_test")),
    );
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["dropped_by_the_test", "dropped_by_the_hook"]
    );
}

thread_local! {
    static KEPT: std::cell::RefCell<Option<Generator<i32>>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn a_suspended_generator_kept_in_a_thread_local_is_closed_when_the_thread_ends() {
    let log = Log::new();
    let in_thread = log.clone();
    std::thread::spawn(move || {
        let body_log = in_thread.clone();
        let g: Generator<i32> = Generator::new("kept", move |co| async move {
            let _cleanup = body_log.finally("cleanup");
            co.yield_(1).await?;
            Ok(())
        });
        g.next().unwrap();
        KEPT.with(|k| *k.borrow_mut() = Some(g));
    })
    .join()
    .expect("the thread ends without a panic");
    assert_eq!(log.take(), ["cleanup"]);
}
