//! A queue's `get()` and `put()` (and `Lock::acquire()`, `Event::wait()`,
//! `sleep()`, `Future::wait()`) are hand-written delegates that
//! `yield_from` drives in place, in the delegator's body; seen from
//! outside they are still a `yield from` level of their own, as under
//! CPython, where `await q.get()` delegates to the `get()` coroutine:
//! `gi_yieldfrom` names the wait while the delegator is suspended in it,
//! and `throw`, `close` and dropping the delegator reach the wait, which
//! leaves its line as CPython's `except` clause makes it.

use yieldfrom::{
    AnyError, GenState, Step,
    asyncio::{ClockKind, Coroutine, Event, Lock, Queue, coroutine, run_with},
};

/// A coroutine that waits on `q.get()` and returns what it got.
fn getter(q: &Queue<u32>) -> Coroutine<u32> {
    let q = q.clone();
    coroutine(
        "getter",
        move |co| async move { co.yield_from(q.get()).await },
    )
}

/// How many getters wait in `q`'s line, from its `Debug` form.
fn getters(q: &Queue<u32>) -> String {
    let shown = format!("{q:?}");
    let start = shown.find("getters: ").expect("Debug names the getters");
    shown[start..]
        .split(',')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Runs `check` inside a running loop (the waits need one), on a queue of
/// its own.
fn on_a_loop(check: impl FnOnce(&Queue<u32>) + 'static) {
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |_co| async move {
            check(&Queue::unbounded());
            Ok(())
        }),
    )
    .unwrap();
}

#[test]
fn a_coroutine_suspended_in_get_shows_queue_get_as_its_delegate() {
    on_a_loop(|q| {
        let g = getter(q);
        assert!(matches!(g.next(), Ok(Step::Yielded(_))));
        let delegate = g.delegate().expect("suspended in a yield from");
        assert_eq!(
            (delegate.name, delegate.state),
            ("Queue.get", Some(GenState::Suspended))
        );
        assert_eq!(g.delegation_chain().len(), 2);
        assert_eq!(getters(q), "getters: 1");
        q.put_nowait(7).unwrap();
        assert!(matches!(g.next(), Ok(Step::Returned(7))));
        assert_eq!(g.delegate(), None);
    });
}

#[test]
fn an_error_thrown_into_a_coroutine_waiting_on_get_leaves_the_line_and_comes_out() {
    on_a_loop(|q| {
        let g = getter(q);
        g.next().unwrap();
        let err = g.throw(AnyError::msg("stop waiting")).unwrap_err();
        assert_eq!(err.to_string(), "stop waiting");
        assert_eq!(getters(q), "getters: 0");
        q.put_nowait(1).unwrap();
        assert_eq!(q.qsize(), 1, "nobody took the item");
    });
}

#[test]
fn closing_or_dropping_a_coroutine_waiting_on_get_leaves_the_line() {
    on_a_loop(|q| {
        let closed = getter(q);
        let dropped = getter(q);
        closed.next().unwrap();
        dropped.next().unwrap();
        assert_eq!(getters(q), "getters: 2");
        assert_eq!(closed.close().unwrap(), None);
        assert_eq!(closed.state(), GenState::Closed);
        drop(dropped);
        assert_eq!(getters(q), "getters: 0");
    });
}

#[test]
fn a_getter_woken_then_closed_passes_its_turn_to_the_next() {
    on_a_loop(|q| {
        let first = getter(q);
        let second = getter(q);
        first.next().unwrap();
        second.next().unwrap();
        // Wakes `first`, which is closed before it can take the item: its
        // turn goes to `second`, as CPython's `except` clause passes it.
        q.put_nowait(5).unwrap();
        first.close().unwrap();
        assert!(matches!(second.next(), Ok(Step::Returned(5))));
    });
}

/// How many wait in line, from a `Debug` form that names its `waiters`.
fn waiting(shown: &str) -> String {
    let start = shown.find("waiters: ").expect("Debug names the waiters");
    shown[start..]
        .split([',', ' ', '}'])
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_coroutine_waiting_on_a_lock_or_an_event_shows_the_wait_and_leaves_its_line_when_closed() {
    on_a_loop(|_| {
        let (lock, event) = (Lock::new(), Event::new());
        assert!(matches!(lock.acquire().next(), Ok(Step::Returned(true))));
        let (l, e) = (lock.clone(), event.clone());
        let on_lock: Coroutine<bool> = coroutine("on_lock", move |co| async move {
            co.yield_from(l.acquire()).await
        });
        let on_event: Coroutine<bool> = coroutine("on_event", move |co| async move {
            co.yield_from(e.wait()).await
        });
        on_lock.next().unwrap();
        on_event.next().unwrap();
        let names = (
            on_lock.delegate().map(|d| d.name),
            on_event.delegate().map(|d| d.name),
        );
        assert_eq!(names, (Some("Lock.acquire"), Some("Event.wait")));
        assert_eq!(waiting(&format!("{lock:?}")), "1");
        assert_eq!(waiting(&format!("{event:?}")), "1");
        on_lock.close().unwrap();
        drop(on_event);
        assert_eq!(waiting(&format!("{lock:?}")), "0");
        assert_eq!(waiting(&format!("{event:?}")), "0");
    });
}
