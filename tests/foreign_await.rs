//! A body may await only its own `Co`'s futures (and futures built from
//! them). Awaiting anything that is not ready is a mistake in the Rust
//! body: the operation reports `Error::ForeignAwait` naming the generator,
//! the body is dropped at that await, and the generator is closed. A
//! foreign future that is ready at once is harmless. No CPython
//! counterpart.

mod trace;

use std::{
    cell::RefCell,
    future::Future,
    pin::Pin,
    rc::Rc,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};
use trace::{Log, panics_during, unraisable_during};
use yieldfrom::{AnyError, Co, Error, GenState, Generator, Step, UnraisableContext};

/// A future that is pending on its first poll and ready on the second,
/// like a task yielding to its executor.
#[derive(Default)]
struct PendingOnce(bool);

impl Future for PendingOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[test]
fn awaiting_a_future_that_never_resolves_is_reported_and_closes_the_generator() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = Generator::new("waits_forever", move |co| async move {
        co.yield_(1).await?;
        body_log.push("body: awaiting a foreign future");
        futures::future::pending::<()>().await;
        body_log.push("body: after the foreign future (never runs)");
        Ok(())
    });
    assert_eq!(g.next().unwrap(), Step::Yielded(1));
    let err = g.next().unwrap_err();
    assert!(matches!(
        err,
        Error::ForeignAwait {
            name: "waits_forever"
        }
    ));
    assert_eq!(err.generator_name(), Some("waits_forever"));
    assert_eq!(
        err.to_string(),
        "generator waits_forever awaited a future that is not a yield of its own Co; \
         generator bodies may only await co.yield_, co.yield_from and co.yield_from_iter"
    );
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(log.take(), ["body: awaiting a foreign future"]);
    assert_eq!(g.next().unwrap(), Step::Stopped(()));
}

#[test]
fn a_foreign_await_before_the_first_yield_is_reported_by_the_first_next() {
    let g: Generator<i32> = Generator::new("early", |co| async move {
        futures::future::pending::<()>().await;
        co.yield_(1).await?;
        Ok(())
    });
    assert!(matches!(
        g.next(),
        Err(Error::ForeignAwait { name: "early" })
    ));
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_future_that_is_pending_only_once_is_still_foreign() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = Generator::new("yields_to_executor", move |co| async move {
        co.yield_(1).await?;
        PendingOnce::default().await;
        body_log.push("body: after the foreign future (never runs)");
        co.yield_(2).await?;
        Ok(())
    });
    g.next().unwrap();
    assert!(matches!(g.next(), Err(Error::ForeignAwait { .. })));
    assert_eq!(g.state(), GenState::Closed);
    assert!(log.take().is_empty());
}

#[test]
fn the_body_is_dropped_at_the_foreign_await_so_its_cleanup_runs_then() {
    let log = Log::new();
    let body_log = log.clone();
    let g: Generator<i32> = Generator::new("cleanup", move |co| async move {
        let _outer = body_log.finally("outer finally");
        co.yield_(1).await?;
        let _inner = body_log.finally("inner finally");
        futures::future::pending::<()>().await;
        Ok(())
    });
    g.next().unwrap();
    assert!(log.take().is_empty());
    assert!(g.next().is_err());
    assert_eq!(log.take(), ["inner finally", "outer finally"]);
    drop(g);
    assert!(log.take().is_empty(), "cleanup ran once");
}

#[test]
fn a_foreign_future_that_is_ready_at_once_is_fine() {
    let g: Generator<i32, (), i32> = Generator::new("ready", |co| async move {
        let a = std::future::ready(20).await;
        co.yield_(a).await?;
        let b = async { 22 }.await;
        co.yield_(b).await?;
        Ok(a + b)
    });
    assert_eq!(g.next().unwrap(), Step::Yielded(20));
    assert_eq!(g.next().unwrap(), Step::Yielded(22));
    assert_eq!(g.next().unwrap(), Step::Returned(42));
}

/// Yields `n`, `n + 1`, ... `n + count - 1` through the caller's `Co`.
async fn emit(co: &Co<i32>, n: i32, count: i32) -> Result<(), AnyError> {
    for k in n..n + count {
        co.yield_(k).await?;
    }
    Ok(())
}

#[test]
fn an_async_helper_that_yields_through_the_same_co_is_not_foreign() {
    let g: Generator<i32> = Generator::new("helpers", |co| async move {
        emit(&co, 1, 2).await?;
        async { co.yield_(10).await }.await?;
        emit(&co, 20, 1).await
    });
    assert_eq!(g.into_iter().collect::<Vec<_>>(), [1, 2, 10, 20]);
}

#[test]
fn a_foreign_await_while_handling_a_thrown_error_is_reported_by_throw() {
    let g: Generator<i32> = Generator::new("throw_then_wait", |co| async move {
        if co.yield_(1).await.is_err() {
            futures::future::pending::<()>().await;
        }
        Ok(())
    });
    g.next().unwrap();
    assert!(matches!(
        g.throw(AnyError::msg("x")),
        Err(Error::ForeignAwait {
            name: "throw_then_wait"
        })
    ));
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_foreign_await_while_handling_generator_exit_is_reported_by_close() {
    let g: Generator<i32> = Generator::new("close_then_wait", |co| async move {
        if co.yield_(1).await.is_err() {
            futures::future::pending::<()>().await;
        }
        Ok(())
    });
    g.next().unwrap();
    assert!(matches!(
        g.close(),
        Err(Error::ForeignAwait {
            name: "close_then_wait"
        })
    ));
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_foreign_await_after_send_does_not_hand_the_value_back() {
    let g: Generator<i32, String> = Generator::new("send_then_wait", |co| async move {
        let _delivered = co.yield_(1).await?;
        futures::future::pending::<()>().await;
        Ok(())
    });
    g.next().unwrap();
    let err = g.send(String::from("delivered")).unwrap_err();
    assert!(matches!(err, Error::ForeignAwait { .. }));
    assert!(err.into_value().is_none(), "the body received the value");
}

#[test]
fn a_foreign_await_while_closing_on_drop_goes_to_the_unraisable_hook() {
    let ((), reports) = unraisable_during(|| {
        let g: Generator<i32> = Generator::new("drop_then_wait", |co| async move {
            if co.yield_(1).await.is_err() {
                futures::future::pending::<()>().await;
            }
            Ok(())
        });
        g.next().unwrap();
        drop(g);
    });
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].generator, "drop_then_wait");
    assert_eq!(reports[0].context, UnraisableContext::Finalizing);
    assert_eq!(
        reports[0].message,
        "generator drop_then_wait awaited a foreign future while closing"
    );
}

#[test]
fn the_thread_safe_flavour_reports_a_foreign_await_the_same_way() {
    let g: yieldfrom::sync::Generator<i32> =
        yieldfrom::sync::Generator::new("sync_waits", |co| async move {
            co.yield_(1).await?;
            futures::future::pending::<()>().await;
            Ok(())
        });
    g.next().unwrap();
    assert!(matches!(
        g.next(),
        Err(Error::ForeignAwait { name: "sync_waits" })
    ));
    assert_eq!(g.state(), GenState::Closed);
}

/// A `Co` taken out of another generator's body, as a body may smuggle
/// one out through a channel or a shared slot.
type SmuggledCo = Rc<RefCell<Option<Rc<Co<i32>>>>>;

/// A generator whose `Co` is put in `slot` as soon as it is made; its body
/// runs `body` with the `Co` shared.
fn lending_its_co<F>(
    name: &'static str,
    slot: &SmuggledCo,
    body: impl FnOnce(Rc<Co<i32>>) -> F,
) -> Generator<i32>
where
    F: Future<Output = Result<(), AnyError>> + 'static,
{
    let slot = Rc::clone(slot);
    Generator::new(name, move |co| {
        let co = Rc::new(co);
        *slot.borrow_mut() = Some(Rc::clone(&co));
        body(co)
    })
}

/// A generator that yields once through whatever `Co` is in `slot`.
fn yielding_through(slot: &SmuggledCo) -> Generator<i32> {
    let slot = Rc::clone(slot);
    Generator::new("borrower", move |_own| async move {
        let other = slot.borrow().clone().expect("a Co in the slot");
        other.yield_(7).await?;
        Ok(())
    })
}

fn assert_foreign_await_without_panicking(borrower: &Generator<i32>) {
    let (result, panics) = panics_during(|| borrower.next());
    assert!(
        matches!(result, Err(Error::ForeignAwait { name: "borrower" })),
        "{result:?}"
    );
    assert_eq!(panics, Vec::<String>::new());
    assert_eq!(borrower.state(), GenState::Closed);
}

#[test]
fn yielding_through_the_co_of_a_generator_that_has_not_started_is_a_foreign_await() {
    let slot = SmuggledCo::default();
    let lender = lending_its_co("lender", &slot, |co| async move {
        co.yield_(1).await?;
        Ok(())
    });
    let borrower = yielding_through(&slot);
    assert_foreign_await_without_panicking(&borrower);
    assert_eq!(lender.state(), GenState::Created);
}

#[test]
fn yielding_through_the_co_of_the_generator_that_is_running_it_is_a_foreign_await() {
    let slot = SmuggledCo::default();
    let borrower = Rc::new(yielding_through(&slot));
    let inner = Rc::clone(&borrower);
    let lender = lending_its_co("lender", &slot, move |_co| async move {
        assert_foreign_await_without_panicking(&inner);
        Ok(())
    });
    assert_eq!(lender.next().unwrap(), Step::Returned(()));
}

#[test]
fn yielding_through_the_co_of_a_generator_suspended_in_a_yield_from_is_a_foreign_await() {
    let slot = SmuggledCo::default();
    let lender = lending_its_co("lender", &slot, |co| async move {
        let sub: Generator<i32> = Generator::new("sub", |co| async move {
            co.yield_(1).await?;
            co.yield_(2).await?;
            Ok(())
        });
        co.yield_from(sub).await?;
        co.yield_(3).await?;
        Ok(())
    });
    assert_eq!(lender.next().unwrap(), Step::Yielded(1));
    let borrower = yielding_through(&slot);
    assert_foreign_await_without_panicking(&borrower);
    assert_eq!(lender.next().unwrap(), Step::Yielded(2));
    assert_eq!(
        lender.next().unwrap(),
        Step::Yielded(3),
        "the lender goes on unharmed"
    );
}

#[test]
fn yielding_through_the_co_of_a_generator_suspended_at_a_yield_is_a_foreign_await() {
    let slot = SmuggledCo::default();
    let lender = lending_its_co("lender", &slot, |co| async move {
        co.yield_(1).await?;
        co.yield_(2).await?;
        Ok(())
    });
    assert_eq!(lender.next().unwrap(), Step::Yielded(1));
    let borrower = yielding_through(&slot);
    assert_foreign_await_without_panicking(&borrower);
    assert_eq!(
        lender.next().unwrap(),
        Step::Yielded(2),
        "the lender goes on unharmed"
    );
}

#[test]
fn yielding_through_the_co_of_a_generator_that_has_finished_is_a_foreign_await() {
    let slot = SmuggledCo::default();
    let lender = lending_its_co("lender", &slot, |_co| async move { Ok(()) });
    assert_eq!(lender.next().unwrap(), Step::Returned(()));
    let borrower = yielding_through(&slot);
    assert_foreign_await_without_panicking(&borrower);
}

#[test]
fn a_yield_from_through_another_generators_co_is_a_foreign_await_and_drops_the_delegate() {
    let slot = SmuggledCo::default();
    let _lender = lending_its_co("lender", &slot, |co| async move {
        co.yield_(1).await?;
        Ok(())
    });
    let log = Log::new();
    let sub_log = log.clone();
    let sub: Generator<i32> = Generator::new("sub", move |co| async move {
        let _finally = sub_log.finally("sub: dropped");
        co.yield_(1).await?;
        Ok(())
    });
    let smuggled = Rc::clone(&slot);
    let borrower: Generator<i32> = Generator::new("borrower", move |_own| async move {
        let other = smuggled.borrow().clone().expect("a Co in the slot");
        other.yield_from(sub).await
    });
    assert_foreign_await_without_panicking(&borrower);
    assert!(log.take().is_empty(), "sub never started, so nothing ran");
}

#[test]
fn the_thread_safe_flavour_reports_yielding_through_another_generators_co_alike() {
    use yieldfrom::sync::{Co as SyncCo, Generator as SyncGenerator};
    let slot: Arc<Mutex<Option<SyncCo<i32>>>> = Arc::default();
    let lent = Arc::clone(&slot);
    let _lender: SyncGenerator<i32> = SyncGenerator::new("lender", move |co| {
        *lent.lock().unwrap() = Some(co);
        async move { Ok(()) }
    });
    let borrower: SyncGenerator<i32> = SyncGenerator::new("borrower", move |_own| async move {
        let other = slot.lock().unwrap().take().expect("a Co in the slot");
        other.yield_(7).await?;
        Ok(())
    });
    let (result, panics) = panics_during(|| borrower.next());
    assert!(
        matches!(result, Err(Error::ForeignAwait { name: "borrower" })),
        "{result:?}"
    );
    assert_eq!(panics, Vec::<String>::new());
}
