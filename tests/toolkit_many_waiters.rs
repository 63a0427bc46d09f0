//! Many tasks waiting on one `Lock`, `Event`, `Semaphore`, `Condition` or
//! `Queue` are served first-in, first-out and all finish, also when most
//! of them are cancelled while they wait: leaving a line of waiters costs
//! O(1) amortised (issue 12, item 1), so these sizes run in linear time.
//!
//! Debug builds use 10,000 waiters; release builds (`cargo test
//! --release`) 100,000, a size at which a line scanned in full on every
//! wake-up makes some 5 x 10^9 steps per test.

use std::{cell::RefCell, rc::Rc};
use yieldfrom::asyncio::{
    ClockKind, Condition, Event, EventLoop, Lock, Queue, Semaphore, Task, coroutine, run_with,
    sleep,
};

const WAITERS: usize = if cfg!(debug_assertions) {
    10_000
} else {
    100_000
};

/// `WAITERS` tasks queue for a lock that `main` holds; if `cancel_odd`,
/// every other one is cancelled while it waits. Gives the order in which
/// the waiters took the lock, and whether the cancelled ones ended
/// cancelled.
fn lock_waiters(lock: &Lock, cancel_odd: bool) -> (Vec<usize>, bool) {
    let order = Rc::new(RefCell::new(Vec::new()));
    let (l, o) = (lock.clone(), order.clone());
    let all_cancelled = run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let guard = co.yield_from(l.lock()).await?;
            let mut tasks = Vec::new();
            for i in 0..WAITERS {
                let (l, o) = (l.clone(), o.clone());
                tasks.push(lp.create_task(coroutine("waiter", move |co| async move {
                    let _guard = co.yield_from(l.lock()).await?;
                    o.borrow_mut().push(i);
                    Ok(())
                }))?);
            }
            co.yield_from(sleep(1.0)).await?;
            let stride = if cancel_odd { 2 } else { 1 };
            if cancel_odd {
                for task in tasks.iter().skip(1).step_by(2) {
                    task.cancel();
                }
                co.yield_from(sleep(1.0)).await?;
            }
            drop(guard);
            for task in tasks.iter().step_by(stride) {
                task.future().wait_in(&co).await?;
            }
            Ok(tasks.iter().skip(1).step_by(2).all(Task::cancelled))
        }),
    )
    .unwrap();
    let order = order.borrow().clone();
    (order, all_cancelled)
}

#[test]
fn every_task_waiting_on_one_lock_takes_it_in_the_order_it_asked() {
    let lock = Lock::new();
    let (order, _) = lock_waiters(&lock, false);
    assert_eq!(order, (0..WAITERS).collect::<Vec<_>>());
    assert!(!lock.locked());
}

#[test]
fn every_other_lock_waiter_cancelled_the_rest_take_it_in_order() {
    let lock = Lock::new();
    let (order, all_cancelled) = lock_waiters(&lock, true);
    assert!(all_cancelled);
    assert_eq!(order, (0..WAITERS).step_by(2).collect::<Vec<_>>());
    assert!(!lock.locked());
}

#[test]
fn every_task_waiting_on_one_event_wakes_when_it_is_set() {
    let event = Event::new();
    let order = Rc::new(RefCell::new(Vec::new()));
    let (e, o) = (event.clone(), order.clone());
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let mut tasks = Vec::new();
            for i in 0..WAITERS {
                let (e, o) = (e.clone(), o.clone());
                tasks.push(lp.create_task(coroutine("waiter", move |co| async move {
                    co.yield_from(e.wait()).await?;
                    o.borrow_mut().push(i);
                    Ok(())
                }))?);
            }
            co.yield_from(sleep(1.0)).await?;
            e.set();
            for task in &tasks {
                task.future().wait_in(&co).await?;
            }
            Ok(())
        }),
    )
    .unwrap();
    assert_eq!(*order.borrow(), (0..WAITERS).collect::<Vec<_>>());
}

#[test]
fn every_task_waiting_on_one_semaphore_gets_a_permit_in_order() {
    let sem = Semaphore::new(0);
    let order = Rc::new(RefCell::new(Vec::new()));
    let (s, o) = (sem.clone(), order.clone());
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let mut tasks = Vec::new();
            for i in 0..WAITERS {
                let (s, o) = (s.clone(), o.clone());
                tasks.push(lp.create_task(coroutine("waiter", move |co| async move {
                    co.yield_from(s.acquire()).await?;
                    o.borrow_mut().push(i);
                    s.release()
                }))?);
            }
            co.yield_from(sleep(1.0)).await?;
            s.release()?;
            for task in &tasks {
                task.future().wait_in(&co).await?;
            }
            Ok(())
        }),
    )
    .unwrap();
    assert_eq!(*order.borrow(), (0..WAITERS).collect::<Vec<_>>());
    assert_eq!(sem.value(), 1);
}

#[test]
fn every_task_waiting_on_one_condition_is_notified_in_order() {
    let cond = Condition::new();
    let order = Rc::new(RefCell::new(Vec::new()));
    let (c, o) = (cond.clone(), order.clone());
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let mut tasks = Vec::new();
            for i in 0..WAITERS {
                let (c, o) = (c.clone(), o.clone());
                tasks.push(lp.create_task(coroutine("waiter", move |co| async move {
                    let _guard = co.yield_from(c.lock()).await?;
                    co.yield_from(c.wait()).await?;
                    o.borrow_mut().push(i);
                    Ok(())
                }))?);
            }
            co.yield_from(sleep(1.0)).await?;
            {
                let _guard = co.yield_from(c.lock()).await?;
                c.notify_all()?;
            }
            for task in &tasks {
                task.future().wait_in(&co).await?;
            }
            Ok(())
        }),
    )
    .unwrap();
    assert_eq!(*order.borrow(), (0..WAITERS).collect::<Vec<_>>());
}

#[test]
fn every_getter_waiting_on_one_queue_gets_one_item_in_order_even_with_half_cancelled() {
    let queue: Queue<usize> = Queue::new(0);
    let got = Rc::new(RefCell::new(Vec::new()));
    let (q, g) = (queue.clone(), got.clone());
    run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let mut tasks = Vec::new();
            for i in 0..WAITERS {
                let (q, g) = (q.clone(), g.clone());
                tasks.push(lp.create_task(coroutine("getter", move |co| async move {
                    let item = co.yield_from(q.get()).await?;
                    g.borrow_mut().push((i, item));
                    Ok(())
                }))?);
            }
            co.yield_from(sleep(1.0)).await?;
            for task in tasks.iter().skip(1).step_by(2) {
                task.cancel();
            }
            for item in 0..WAITERS / 2 {
                q.put_nowait(item)
                    .map_err(|_| yieldfrom::AnyError::msg("full"))?;
            }
            for task in tasks.iter().step_by(2) {
                task.future().wait_in(&co).await?;
            }
            Ok(())
        }),
    )
    .unwrap();
    let expected: Vec<_> = (0..WAITERS).step_by(2).zip(0..).collect();
    assert_eq!(*got.borrow(), expected);
    assert!(queue.empty());
}
