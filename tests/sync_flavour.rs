//! `yieldfrom::sync::Generator` has the root's semantics and is `Send` and
//! `Sync`: it may move between threads or be shared by them, and a resume
//! that races one running on another thread is told "generator already
//! executing", as CPython tells a second thread.

mod trace;

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{
        Arc, Weak,
        mpsc::{self, Receiver, Sender},
    },
    thread,
};
use trace::{Log, panic_text, unraisable_during};
use yieldfrom::{
    AnyError, Error, GenState, Step, UnraisableContext,
    sync::{Co, Generator},
};

#[test]
fn a_generator_can_be_resumed_from_one_thread_after_another() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<String, String, usize> =
        Generator::new("relay", move |co: Co<String, String>| async move {
            let mut seen = 0;
            let mut reply = String::from("ready");
            loop {
                match co.yield_(reply).await? {
                    Some(word) => {
                        body_log.push(format!("got {word}"));
                        seen += 1;
                        reply = word.to_uppercase();
                    }
                    None => return Ok(seen),
                }
            }
        });
    let g = Arc::new(g);
    assert_eq!(g.next().unwrap(), Step::Yielded("ready".into()));
    let remote = Arc::clone(&g);
    let from_other = thread::spawn(move || remote.send("ping".into()).unwrap())
        .join()
        .unwrap();
    assert_eq!(from_other, Step::Yielded("PING".into()));
    assert_eq!(g.send("pong".into()).unwrap(), Step::Yielded("PONG".into()));
    assert_eq!(g.next().unwrap(), Step::Returned(2));
    assert_eq!(log.take(), ["got ping", "got pong"]);
}

#[test]
fn a_generator_can_move_to_another_thread_and_finish_there() {
    let g: Generator<u32, (), u32> = Generator::new("mover", |co| async move {
        co.yield_(1).await?;
        co.yield_(2).await?;
        Ok(3)
    });
    g.next().unwrap();
    let (rest, outcome) = thread::spawn(move || {
        let rest: Vec<u32> = g.iter().collect();
        (rest, g.take_outcome())
    })
    .join()
    .unwrap();
    assert_eq!(rest, [2]);
    assert!(matches!(outcome, Some(Ok(3))));
}

/// A body that, once resumed the second time, tells the test it is running
/// and waits for leave to go on.
fn blocking(entered: Sender<()>, go: Receiver<()>) -> Generator<&'static str, u32> {
    Generator::new("blocking", move |co| async move {
        co.yield_("first").await?;
        entered.send(()).unwrap();
        go.recv().unwrap();
        co.yield_("after the race").await?;
        Ok(())
    })
}

#[test]
fn a_resume_racing_one_running_on_another_thread_is_told_already_executing() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel();
    let g = Arc::new(blocking(entered_tx, go_rx));
    g.next().unwrap();

    let runner = Arc::clone(&g);
    let running = thread::spawn(move || runner.next().unwrap());
    entered_rx.recv().unwrap();

    assert_eq!(g.state(), GenState::Running);
    assert!(g.is_running());
    let next = g.next().unwrap_err();
    assert!(matches!(
        next,
        Error::AlreadyExecuting {
            name: "blocking",
            ..
        }
    ));
    assert_eq!(next.to_string(), "generator already executing");
    match g.send(7) {
        Err(Error::AlreadyExecuting { value, .. }) => assert_eq!(value, 7),
        other => panic!("expected AlreadyExecuting, got {other:?}"),
    }
    match g.throw(AnyError::msg("racing")) {
        Err(Error::AlreadyExecuting { value, .. }) => assert_eq!(value.to_string(), "racing"),
        other => panic!("expected AlreadyExecuting, got {other:?}"),
    }
    assert!(matches!(g.close(), Err(Error::AlreadyExecuting { .. })));
    assert_eq!(g.state(), GenState::Running, "refusals change nothing");

    go_tx.send(()).unwrap();
    assert_eq!(running.join().unwrap(), Step::Yielded("after the race"));
    assert_eq!(g.state(), GenState::Suspended);
}

#[test]
fn a_body_resuming_its_own_generator_is_refused_rather_than_deadlocking() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Arc<Generator<&str>> = Arc::new_cyclic(|me: &Weak<Generator<&str>>| {
        let me = me.clone();
        Generator::new("self_resume", move |co: Co<&str>| async move {
            {
                let g = me.upgrade().unwrap();
                body_log.push(format!("inside: {}", g.state()));
                body_log.push(format!("next -> {}", g.next().unwrap_err()));
                body_log.push(format!("close -> {}", g.close().unwrap_err()));
            }
            co.yield_("after-attempt").await?;
            Ok(())
        })
    });
    assert_eq!(g.next().unwrap(), Step::Yielded("after-attempt"));
    assert_eq!(
        log.take(),
        [
            "inside: GEN_RUNNING",
            "next -> generator already executing",
            "close -> generator already executing",
        ]
    );
}

#[test]
fn a_panic_in_a_thread_safe_body_closes_it_and_later_calls_see_it_closed() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = Generator::new("sync_panicky", move |co| async move {
        let _finally = body_log.finally("finally: runs");
        co.yield_(1).await?;
        panic!("sync boom");
    });
    g.next().unwrap();
    let payload = catch_unwind(AssertUnwindSafe(|| g.next())).unwrap_err();
    assert_eq!(panic_text(&*payload), "sync boom");
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(log.take(), ["finally: runs"]);
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
    assert_eq!(g.close().unwrap(), None);
    drop(g);
    assert!(log.take().is_empty());
}

#[test]
fn a_panic_on_another_thread_leaves_the_shared_generator_closed() {
    let g: Arc<Generator<i32>> = Arc::new(Generator::new("shared_panicky", |co| async move {
        co.yield_(1).await?;
        panic!("boom on the worker");
    }));
    g.next().unwrap();
    let worker = Arc::clone(&g);
    let joined = thread::spawn(move || worker.next()).join();
    assert_eq!(panic_text(&*joined.unwrap_err()), "boom on the worker");
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
}

#[test]
fn dropping_a_suspended_generator_on_another_thread_closes_it_there() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = Generator::new("dropped_elsewhere", move |co| async move {
        if co.yield_(1).await.is_err() {
            body_log.push(format!("closed on {:?}", thread::current().name()));
        }
        Ok(())
    });
    g.next().unwrap();
    thread::Builder::new()
        .name("dropper".into())
        .spawn(move || drop(g))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(log.take(), ["closed on Some(\"dropper\")"]);
}

#[test]
fn an_error_while_closing_on_drop_goes_to_the_unraisable_hook() {
    let ((), reports) = unraisable_during(|| {
        let g: Generator<i32> = Generator::new("sync_drop_raise", |co| async move {
            co.yield_(1).await.ok();
            Err(AnyError::msg("cleanup failed"))
        });
        g.next().unwrap();
        thread::spawn(move || drop(g)).join().unwrap();
    });
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].generator, "sync_drop_raise");
    assert_eq!(reports[0].message, "\"cleanup failed\"");
}

#[test]
fn the_state_table_is_the_same_as_the_single_threaded_flavours() {
    let g: Generator<i32, i32, i32> = Generator::new("sync_core", |co| async move {
        let x = co.yield_(1).await?;
        co.yield_(x.unwrap_or(-1)).await?;
        Ok(5)
    });
    assert!(matches!(
        g.send(1),
        Err(Error::JustStarted { value: 1, .. })
    ));
    assert_eq!(g.state(), GenState::Created);
    assert_eq!(g.next().unwrap(), Step::Yielded(1));
    assert_eq!(g.send(42).unwrap(), Step::Yielded(42));
    assert_eq!(g.next().unwrap(), Step::Returned(5));
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
    assert_eq!(g.send(9).unwrap(), Step::Stopped(9));
    assert_eq!(g.throw(AnyError::msg("x")).unwrap_err().to_string(), "x");
    assert_eq!(g.close().unwrap(), None);
}

#[test]
fn a_panic_while_closing_on_drop_is_caught_and_reported() {
    let (dropped, reports) = unraisable_during(|| {
        let g: Generator<i32> = Generator::new("sync_drop_panic", |co| async move {
            match co.yield_(1).await {
                Err(e) => panic!("sync boom in cleanup on {e}"),
                Ok(_) => Ok(()),
            }
        });
        g.next().unwrap();
        thread::spawn(move || catch_unwind(AssertUnwindSafe(move || drop(g))).is_ok())
            .join()
            .unwrap()
    });
    assert!(dropped, "the panic does not escape drop");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].generator, "sync_drop_panic");
    assert_eq!(reports[0].context, UnraisableContext::FinalizerPanicked);
    assert_eq!(reports[0].message, "sync boom in cleanup on GeneratorExit");
}
