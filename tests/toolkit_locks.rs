//! `Lock`, `Semaphore`, `Semaphore::bounded` and `Condition` behave as
//! CPython 3.11's `asyncio.Lock`, `Semaphore`, `BoundedSemaphore` and
//! `Condition`: waiters are served first-in, first-out; a released lock
//! goes to the waiter it woke, not to a newcomer; a waiter cancelled
//! before its turn leaves the queue, and one cancelled just after being
//! woken passes its turn on, so no wake-up is lost and none is left stale;
//! a condition's waiter holds the lock again when `wait` ends, even when
//! cancelled, and (as in 3.11) a notified waiter that is cancelled takes
//! the notification with it; misuse raises CPython's errors and messages.
//!
//! Each transcript is compared with what `tests/python/toolkit_locks.py`
//! prints under CPython 3.11 on a virtual clock.

mod transcript;

use std::{cell::Cell, rc::Rc};
use transcript::{Transcript, assert_matches_cpython, describe, flag, run_main};
use yieldfrom::{
    AnyError,
    asyncio::{
        Condition, Coroutine, EventLoop, Lock, RuntimeError, Semaphore, Suspend, Task, ValueError,
        coroutine, gather, gather_results, sleep,
    },
};

const SCRIPT: &str = "toolkit_locks.py";

/// A lock or a semaphore, for the Python `hold`.
trait Acquire: Clone + 'static {
    fn acquire(&self) -> Coroutine<bool>;
    fn release(&self) -> Result<(), AnyError>;
}

impl Acquire for Lock {
    fn acquire(&self) -> Coroutine<bool> {
        Lock::acquire(self)
    }
    fn release(&self) -> Result<(), AnyError> {
        Lock::release(self)
    }
}

impl Acquire for Semaphore {
    fn acquire(&self) -> Coroutine<bool> {
        Semaphore::acquire(self)
    }
    fn release(&self) -> Result<(), AnyError> {
        Semaphore::release(self)
    }
}

/// The Python `hold(name, lock, seconds)`: waits for `lock`, holds it
/// `seconds`, releases it (also when cancelled meanwhile).
fn hold<L: Acquire>(out: &Transcript, name: String, lock: &L, seconds: f64) -> Coroutine<()> {
    let (out, lock) = (out.clone(), lock.clone());
    coroutine("hold", move |co| async move {
        out.say(format!("{name} waits"));
        if let Err(e) = co.yield_from(lock.acquire()).await {
            out.say(format!("{name} {} while waiting", describe(&e)));
            return Err(e);
        }
        out.say(format!("{name} holds"));
        let slept = co.yield_from(sleep(seconds)).await;
        lock.release()?;
        out.say(format!("{name} releases"));
        slept
    })
}

fn holders<L: Acquire>(
    out: &Transcript,
    lock: &L,
    names: impl IntoIterator<Item = usize>,
    seconds: impl Fn(usize) -> f64,
) -> Result<Vec<Task<()>>, AnyError> {
    let lp = EventLoop::running()?;
    names
        .into_iter()
        .map(|i| lp.create_task(hold(out, format!("w{i}"), lock, seconds(i))))
        .collect()
}

// Lock

#[test]
fn a_lock_is_handed_to_its_waiters_first_in_first_out() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lock = Lock::new();
        let workers = holders(&o, &lock, 1..=4, |_| 1.0)?;
        co.yield_from(gather(workers)?.wait()).await?;
        o.say(format!("locked {}", flag(lock.locked())));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "lock_wakes_waiters_first_in_first_out", &out);
}

#[test]
fn a_lock_waiter_cancelled_before_its_turn_leaves_no_stale_wake_up() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lock = Lock::new();
        co.yield_from(lock.acquire()).await?;
        let w = holders(&o, &lock, 1..=3, |_| 1.0)?;
        co.yield_from(sleep(0.5)).await?;
        w[1].cancel();
        co.yield_from(sleep(0.5)).await?;
        lock.release()?;
        o.say("main releases");
        co.yield_from(gather_results(w)?.wait()).await?;
        o.say(format!("locked {}", flag(lock.locked())));
        co.yield_from(lock.acquire()).await?;
        o.say("main acquires at once");
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "lock_waiter_cancelled_before_its_turn", &out);
}

#[test]
fn a_lock_waiter_cancelled_just_after_being_woken_passes_the_lock_on() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lock = Lock::new();
        co.yield_from(lock.acquire()).await?;
        let w = holders(&o, &lock, 1..=3, |_| 1.0)?;
        co.yield_from(sleep(1.0)).await?;
        lock.release()?;
        w[0].cancel();
        o.say("main releases and cancels w1");
        co.yield_from(gather_results(w)?.wait()).await?;
        o.say(format!("locked {}", flag(lock.locked())));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "lock_waiter_cancelled_after_being_woken", &out);
}

#[test]
fn a_released_lock_goes_to_the_woken_waiter_not_to_a_newcomer() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let lock = Lock::new();
        co.yield_from(lock.acquire()).await?;
        let w1 = EventLoop::running()?.create_task(hold(&o, "w1".into(), &lock, 1.0))?;
        co.yield_from(sleep(1.0)).await?;
        lock.release()?;
        o.say("main releases and asks again");
        co.yield_from(lock.acquire()).await?;
        o.say("main holds again");
        lock.release()?;
        co.yield_from(w1.wait()).await
    }));
    assert_matches_cpython(
        SCRIPT,
        "lock_is_not_taken_by_a_newcomer_before_the_woken_waiter",
        &out,
    );
}

#[test]
fn releasing_a_lock_that_is_not_held_raises_runtime_error() {
    // Python: asyncio.Lock().release() -> RuntimeError('Lock is not
    // acquired.'); the same through a Condition.
    let lock = Lock::new();
    let err = lock.release().unwrap_err();
    assert_eq!(
        err.downcast_ref::<RuntimeError>()
            .map(|e| e.message.as_str()),
        Some("Lock is not acquired.")
    );
    let err = Condition::new().release().unwrap_err();
    assert_eq!(describe(&err), "RuntimeError(Lock is not acquired.)");
}

#[test]
fn the_lock_guard_releases_when_dropped() {
    // Python: `async with lock:` releases on the way out.
    run_main(coroutine("main", |co| async move {
        let lock = Lock::new();
        let guard = co.yield_from(lock.lock()).await?;
        assert!(lock.locked());
        drop(guard);
        assert!(!lock.locked());
        Ok(())
    }));
}

// Semaphore and BoundedSemaphore

/// The Python `say(f"value {sem._value} locked {flag(sem.locked())}")`.
fn say_value(out: &Transcript, sem: &Semaphore) {
    out.say(format!(
        "value {} locked {}",
        sem.value(),
        flag(sem.locked())
    ));
}

#[test]
fn a_semaphore_serves_its_waiters_first_in_first_out() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let sem = Semaphore::new(2);
        let workers = holders(&o, &sem, 1..=5, |_| 1.0)?;
        co.yield_(Suspend::NOW).await?;
        say_value(&o, &sem);
        co.yield_from(gather(workers)?.wait()).await?;
        say_value(&o, &sem);
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "semaphore_wakes_waiters_first_in_first_out", &out);
}

#[test]
fn a_permit_released_before_the_woken_waiter_runs_goes_to_the_next_waiter() {
    // The second permit finds w1 already woken; w2 starts before w1 runs,
    // finds w1 still in line, waits behind it, and is woken by w1.
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let sem = Semaphore::new(0);
        let lp = EventLoop::running()?;
        let w1 = lp.create_task(hold(&o, "w1".into(), &sem, 1.0))?;
        co.yield_(Suspend::NOW).await?;
        let w2 = lp.create_task(hold(&o, "w2".into(), &sem, 1.0))?;
        sem.release()?;
        sem.release()?;
        o.say(format!("main releases twice, value {}", sem.value()));
        co.yield_from(gather(vec![w1, w2])?.wait()).await?;
        say_value(&o, &sem);
        Ok(())
    }));
    assert_matches_cpython(
        SCRIPT,
        "semaphore_permit_released_before_the_woken_waiter_runs",
        &out,
    );
}

#[test]
fn semaphore_waiters_cancelled_before_or_just_after_being_woken_lose_no_permit() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let sem = Semaphore::bounded(1);
        co.yield_from(sem.acquire()).await?;
        let w = holders(&o, &sem, 1..=4, |_| 1.0)?;
        co.yield_from(sleep(0.5)).await?;
        w[0].cancel();
        co.yield_from(sleep(0.5)).await?;
        sem.release()?;
        w[1].cancel();
        o.say(format!(
            "main releases and cancels w2, value {}",
            sem.value()
        ));
        co.yield_from(gather_results(w)?.wait()).await?;
        say_value(&o, &sem);
        Ok(())
    }));
    assert_matches_cpython(
        SCRIPT,
        "semaphore_waiters_cancelled_before_and_after_being_woken",
        &out,
    );
}

#[test]
fn a_semaphore_under_churn_wakes_in_cpythons_order_and_ends_with_every_permit() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let sem = Semaphore::new(3);
        #[allow(clippy::cast_precision_loss, reason = "i < 12")]
        let workers = holders(&o, &sem, 0..12, |i| (i % 3 + 1) as f64 * 0.25)?;
        let lp = EventLoop::running()?;
        for (at, i) in [(0.1, 5), (0.3, 8), (0.5, 1), (0.75, 7)] {
            let w = workers[i].clone();
            lp.call_later(at, move || {
                w.cancel();
            })?;
        }
        co.yield_from(gather_results(workers)?.wait()).await?;
        say_value(&o, &sem);
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "semaphore_under_churn", &out);
}

#[test]
fn a_bounded_semaphore_refuses_to_go_above_its_initial_value() {
    // Python: asyncio.BoundedSemaphore(1).release() -> ValueError(
    // 'BoundedSemaphore released too many times'), value unchanged.
    let sem = Semaphore::bounded(1);
    let err = sem.release().unwrap_err();
    assert_eq!(
        err.downcast_ref::<ValueError>().map(|e| e.message.as_str()),
        Some("BoundedSemaphore released too many times")
    );
    assert_eq!(sem.value(), 1);
}

#[test]
fn an_unbounded_semaphore_may_be_released_above_its_initial_value() {
    // Python: s = asyncio.Semaphore(1); s.release(); s._value == 2.
    let sem = Semaphore::new(1);
    sem.release().unwrap();
    assert_eq!(sem.value(), 2);
    assert!(!sem.locked());
    let none = Semaphore::new(0);
    assert!(none.locked());
}

// Condition

/// The Python `cond_waiter(name, cond)`: waits under the lock, then holds
/// it a quarter of a second.
fn cond_waiter(out: &Transcript, name: String, cond: &Condition) -> Coroutine<()> {
    let (out, cond) = (out.clone(), cond.clone());
    coroutine("cond_waiter", move |co| async move {
        let _guard = co.yield_from(cond.lock()).await?;
        out.say(format!("{name} waits"));
        if let Err(e) = co.yield_from(cond.wait()).await {
            out.say(format!(
                "{name} {}, holding the lock {}",
                describe(&e),
                flag(cond.locked())
            ));
            return Err(e);
        }
        out.say(format!(
            "{name} woke, holding the lock {}",
            flag(cond.locked())
        ));
        co.yield_from(sleep(0.25)).await
    })
}

fn cond_waiters(
    out: &Transcript,
    cond: &Condition,
    names: impl IntoIterator<Item = usize>,
) -> Result<Vec<Task<()>>, AnyError> {
    let lp = EventLoop::running()?;
    names
        .into_iter()
        .map(|i| lp.create_task(cond_waiter(out, format!("w{i}"), cond)))
        .collect()
}

#[test]
fn a_condition_notifies_its_waiters_first_in_first_out_each_holding_the_lock() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let cond = Condition::new();
        let w = cond_waiters(&o, &cond, 1..=4)?;
        co.yield_from(sleep(1.0)).await?;
        {
            let _guard = co.yield_from(cond.lock()).await?;
            cond.notify(2)?;
            o.say("main notifies 2");
        }
        co.yield_from(sleep(1.0)).await?;
        {
            let _guard = co.yield_from(cond.lock()).await?;
            cond.notify_all()?;
            o.say("main notifies all");
        }
        co.yield_from(gather(w)?.wait()).await?;
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "condition_notifies_first_in_first_out", &out);
}

#[test]
fn wait_for_returns_once_the_predicate_holds_after_a_notification() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let cond = Condition::new();
        let counter = Rc::new(Cell::new(0));
        let (c, n, oo) = (cond.clone(), counter.clone(), o.clone());
        let consumer =
            EventLoop::running()?.create_task(coroutine("consumer", move |co| async move {
                let _guard = co.yield_from(c.lock()).await?;
                let seen = n.clone();
                co.yield_from(c.wait_for(move || seen.get() >= 3)).await?;
                oo.say(format!("consumer sees {}", n.get()));
                Ok(())
            }))?;
        for _ in 0..4 {
            co.yield_from(sleep(1.0)).await?;
            let _guard = co.yield_from(cond.lock()).await?;
            counter.set(counter.get() + 1);
            cond.notify_all()?;
        }
        co.yield_from(consumer.wait()).await
    }));
    assert_matches_cpython(SCRIPT, "condition_wait_for_a_predicate", &out);
}

#[test]
fn a_condition_waiter_cancelled_before_a_notify_takes_none_and_holds_the_lock_again() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let cond = Condition::new();
        let w = cond_waiters(&o, &cond, 1..=3)?;
        co.yield_from(sleep(0.5)).await?;
        w[1].cancel();
        for pause in [0.5, 1.0] {
            co.yield_from(sleep(pause)).await?;
            let _guard = co.yield_from(cond.lock()).await?;
            cond.notify(1)?;
            o.say("main notifies 1");
        }
        co.yield_from(gather_results(w)?.wait()).await?;
        o.say(format!("locked {}", flag(cond.locked())));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "condition_waiter_cancelled_before_notify", &out);
}

#[test]
fn a_condition_waiter_cancelled_after_a_notify_takes_the_notification_with_it() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let cond = Condition::new();
        let w = cond_waiters(&o, &cond, 1..=2)?;
        co.yield_from(sleep(1.0)).await?;
        {
            let _guard = co.yield_from(cond.lock()).await?;
            cond.notify(1)?;
            w[0].cancel();
            o.say("main notifies 1 and cancels w1");
        }
        co.yield_from(sleep(1.0)).await?;
        {
            let _guard = co.yield_from(cond.lock()).await?;
            o.say(format!("w2 done {}", flag(w[1].done())));
            cond.notify(1)?;
            o.say("main notifies 1");
        }
        co.yield_from(gather_results(w)?.wait()).await?;
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "condition_waiter_cancelled_after_notify", &out);
}

#[test]
fn a_condition_waiter_cancelled_while_taking_the_lock_back_still_ends_holding_it() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let cond = Condition::new();
        let w1 = EventLoop::running()?.create_task(cond_waiter(&o, "w1".into(), &cond))?;
        co.yield_from(sleep(0.25)).await?;
        {
            let _guard = co.yield_from(cond.lock()).await?;
            cond.notify(1)?;
            o.say("main notifies and keeps the lock");
            co.yield_from(sleep(0.5)).await?;
            w1.cancel();
            o.say("main cancels w1");
            co.yield_from(sleep(0.5)).await?;
            o.say("main releases");
        }
        if co.yield_from(w1.wait()).await.is_err() {
            o.say(format!(
                "w1 cancelled {}, locked {}",
                flag(w1.cancelled()),
                flag(cond.locked())
            ));
        }
        Ok(())
    }));
    assert_matches_cpython(
        SCRIPT,
        "condition_waiter_cancelled_while_taking_the_lock_back",
        &out,
    );
}

#[test]
fn waiting_or_notifying_without_the_lock_raises_cpythons_runtime_errors() {
    // Python 3.11:
    //   await asyncio.Condition().wait()  -> RuntimeError('cannot wait on un-acquired lock')
    //   asyncio.Condition().notify()      -> RuntimeError('cannot notify on un-acquired lock')
    //   asyncio.Condition().notify_all()  -> the same
    run_main(coroutine("main", |co| async move {
        let cond = Condition::new();
        let err = co.yield_from(cond.wait()).await.unwrap_err();
        assert_eq!(
            describe(&err),
            "RuntimeError(cannot wait on un-acquired lock)"
        );
        let err = cond.notify(1).unwrap_err();
        assert_eq!(
            describe(&err),
            "RuntimeError(cannot notify on un-acquired lock)"
        );
        let err = cond.notify_all().unwrap_err();
        assert_eq!(
            describe(&err),
            "RuntimeError(cannot notify on un-acquired lock)"
        );
        assert!(!cond.locked());
        Ok(())
    }));
}
