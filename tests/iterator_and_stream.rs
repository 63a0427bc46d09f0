//! A generator iterates, through `for x in &g`, `g.iter()` or `for x in g`,
//! as an `Iterator` and a `futures::Stream` of what it yields, like a
//! Python generator in a `for` loop; `g.next()` itself stays Python's
//! `next(g)`. Those interfaces can only say "no more items", so how it
//! ended (its return value, or the error that ended it) is kept for
//! `take_outcome`; an error nobody takes is reported to the unraisable hook
//! when the generator is dropped.

mod trace;

use futures::executor::block_on;
use std::{
    pin::Pin,
    task::{Context, Poll},
};
use trace::{Log, unraisable_during};
use yieldfrom::{AnyError, Error, GenState, Generator, Step, UnraisableContext};

fn count_to(n: u32) -> Generator<u32, (), &'static str> {
    Generator::new("count_to", move |co| async move {
        for k in 1..=n {
            co.yield_(k).await?;
        }
        Ok("counted")
    })
}

fn fails_after(n: u32) -> Generator<u32> {
    Generator::new("fails_after", move |co| async move {
        for k in 1..=n {
            co.yield_(k).await?;
        }
        Err(AnyError::msg("boom"))
    })
}

#[test]
fn iterating_gives_each_yielded_value_in_order() {
    assert_eq!(count_to(4).into_iter().collect::<Vec<_>>(), [1, 2, 3, 4]);
}

#[test]
fn each_step_of_iteration_resumes_the_body_with_none() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<u32, u32> = Generator::new("listener", move |co| async move {
        for k in 0..2 {
            let got = co.yield_(k).await?;
            body_log.push(format!("got {got:?}"));
        }
        Ok(())
    });
    assert_eq!(g.into_iter().collect::<Vec<_>>(), [0, 1]);
    assert_eq!(log.take(), ["got None", "got None"]);
}

#[test]
fn the_return_value_is_kept_for_take_outcome_and_handed_out_once() {
    let g = count_to(2);
    assert_eq!(g.iter().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(g.state(), GenState::Closed);
    assert!(matches!(g.take_outcome(), Some(Ok("counted"))));
    assert!(g.take_outcome().is_none());
}

#[test]
fn an_error_that_ends_iteration_is_kept_for_take_outcome() {
    let g = fails_after(1);
    let ((), reports) = unraisable_during(|| {
        assert_eq!(g.iter().collect::<Vec<_>>(), [1]);
        match g.take_outcome() {
            Some(Err(Error::Raised(e))) => assert_eq!(e.to_string(), "boom"),
            other => panic!("expected the raised error, got {other:?}"),
        }
        drop(g);
    });
    assert_eq!(reports, [], "a taken error is not reported");
}

#[test]
fn an_error_never_taken_is_reported_when_the_generator_is_dropped() {
    let ((), reports) = unraisable_during(|| {
        let items: Vec<_> = fails_after(2).into_iter().collect();
        assert_eq!(items, [1, 2]);
    });
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].generator, "fails_after");
    assert_eq!(reports[0].context, UnraisableContext::NeverRetrieved);
    assert_eq!(reports[0].message, "Raised(\"boom\")");
}

#[test]
fn a_return_value_never_taken_is_not_reported() {
    let ((), reports) = unraisable_during(|| {
        assert_eq!(count_to(1).into_iter().collect::<Vec<_>>(), [1]);
    });
    assert_eq!(reports, []);
}

#[test]
fn iteration_stays_finished_and_keeps_its_outcome() {
    let g = count_to(1);
    let mut items = g.iter();
    assert_eq!(items.next(), Some(1));
    assert_eq!(items.next(), None);
    assert_eq!(items.next(), None);
    assert_eq!(g.iter().next(), None);
    assert!(matches!(g.take_outcome(), Some(Ok("counted"))));
}

#[test]
fn iterating_a_closed_generator_gives_nothing_and_no_outcome() {
    let g = count_to(3);
    g.close().unwrap();
    assert_eq!(g.iter().count(), 0);
    assert!(g.take_outcome().is_none());
}

#[test]
fn iteration_carries_on_from_where_explicit_calls_left_the_generator() {
    let g = count_to(4);
    assert_eq!(g.next().unwrap(), Step::Yielded(1));
    assert_eq!(g.iter().take(2).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(g.next().unwrap(), Step::Yielded(4));
    assert_eq!(g.next().unwrap(), Step::Returned("counted"));
    assert!(
        g.take_outcome().is_none(),
        "explicit calls hand the outcome out directly"
    );
}

#[test]
fn stopping_iteration_early_leaves_the_generator_suspended_until_dropped() {
    // for x in g: break   -- then `del g` closes it
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<u32> = Generator::new("naturals", move |co| async move {
        let _finally = body_log.finally("finally: runs");
        for k in 0.. {
            co.yield_(k).await?;
        }
        Ok(())
    });
    assert_eq!(g.iter().take(3).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(g.state(), GenState::Suspended);
    assert!(log.take().is_empty());
    drop(g);
    assert_eq!(log.take(), ["finally: runs"]);
}

#[test]
fn as_a_stream_it_gives_the_same_values() {
    let items: Vec<u32> = block_on(futures::StreamExt::collect(count_to(3).into_iter()));
    assert_eq!(items, [1, 2, 3]);
}

#[test]
fn as_a_stream_the_outcome_is_kept_for_take_outcome() {
    let g = count_to(2);
    let mut stream = g.iter();
    block_on(async {
        assert_eq!(futures::StreamExt::next(&mut stream).await, Some(1));
        assert_eq!(futures::StreamExt::next(&mut stream).await, Some(2));
        assert_eq!(futures::StreamExt::next(&mut stream).await, None);
        assert_eq!(futures::StreamExt::next(&mut stream).await, None);
    });
    assert!(matches!(g.take_outcome(), Some(Ok("counted"))));
}

#[test]
fn as_a_stream_an_error_is_kept_for_take_outcome() {
    let g = fails_after(1);
    let items: Vec<u32> = block_on(futures::StreamExt::collect(g.iter()));
    assert_eq!(items, [1]);
    assert!(matches!(g.take_outcome(), Some(Err(Error::Raised(_)))));
}

#[test]
fn a_stream_poll_is_always_ready() {
    let mut g = count_to(1).into_iter();
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    assert_eq!(
        futures::Stream::poll_next(Pin::new(&mut g), &mut cx),
        Poll::Ready(Some(1))
    );
    assert_eq!(
        futures::Stream::poll_next(Pin::new(&mut g), &mut cx),
        Poll::Ready(None)
    );
    assert!(matches!(g.take_outcome(), Some(Ok("counted"))));
}

#[test]
fn the_thread_safe_flavour_iterates_the_same_way() {
    let g: yieldfrom::sync::Generator<u32, (), u32> =
        yieldfrom::sync::Generator::new("sync_count", |co| async move {
            co.yield_(1).await?;
            co.yield_(2).await?;
            Ok(3)
        });
    assert_eq!(g.iter().collect::<Vec<_>>(), [1, 2]);
    assert!(matches!(g.take_outcome(), Some(Ok(3))));
}

#[test]
fn a_for_loop_takes_the_generator_by_reference_or_by_value() {
    // for x in g: total += x
    let g = count_to(3);
    let mut total = 0;
    for x in &g {
        total += x;
    }
    assert_eq!(total, 6);
    assert!(matches!(g.take_outcome(), Some(Ok("counted"))));
    let mut seen = Vec::new();
    for x in count_to(2) {
        seen.push(x);
    }
    assert_eq!(seen, [1, 2]);
}

#[test]
fn an_iterator_refused_by_its_running_generator_ends_for_good_and_keeps_the_refusal() {
    use std::{sync::mpsc, thread};
    let (started, wait_started) = mpsc::channel();
    let (go, wait_go) = mpsc::channel::<()>();
    let g: yieldfrom::sync::Generator<u32> =
        yieldfrom::sync::Generator::new("busy", move |co| async move {
            started.send(()).unwrap();
            wait_go.recv().unwrap();
            co.yield_(1).await?;
            co.yield_(2).await?;
            Ok(())
        });
    thread::scope(|scope| {
        let runner = scope.spawn(|| g.next().unwrap());
        wait_started.recv().unwrap();
        let mut items = g.iter();
        assert_eq!(items.next(), None, "refused: the generator is running");
        assert!(matches!(
            g.take_outcome(),
            Some(Err(Error::AlreadyExecuting { .. }))
        ));
        go.send(()).unwrap();
        assert_eq!(runner.join().unwrap(), Step::Yielded(1));
        // The generator could go on, but this iterator has ended.
        assert_eq!(items.next(), None);
        assert_eq!(g.next().unwrap(), Step::Yielded(2));
    });
}
