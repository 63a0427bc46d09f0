//! Properties of the event loop, stated for random schedules (issue #4,
//! part 5). Each needs no Python: it states what asyncio guarantees.
//!
//! `YIELDFROM_SPEC_CASES` raises the number of cases, as for the other
//! property suites.

// Virtual time is exact: comparing it with `==` is the property.
#![allow(clippy::float_cmp)]

use proptest::prelude::*;
use std::{cell::RefCell, rc::Rc};
use yieldfrom::asyncio::{
    ClockKind, Coroutine, EventLoop, Suspend, coroutine, gather, run_with, sleep,
};

fn config() -> ProptestConfig {
    let cases = std::env::var("YIELDFROM_SPEC_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(300);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

type Log = Rc<RefCell<Vec<usize>>>;

proptest! {
    #![proptest_config(config())]

    /// Callbacks scheduled with `call_soon` run in the order they were
    /// scheduled, also when some schedule more from inside a callback
    /// (those run after every callback already queued).
    #[test]
    fn callbacks_run_first_in_first_out(children in prop::collection::vec(0usize..3, 1..30)) {
        let lp = EventLoop::new(ClockKind::Virtual);
        let log: Log = Rc::default();
        let mut expected_first = Vec::new();
        let mut expected_second = Vec::new();
        let mut next_child = children.len();
        for (i, &n) in children.iter().enumerate() {
            expected_first.push(i);
            let (log, lp2) = (log.clone(), lp.clone());
            let kids: Vec<usize> = (next_child..next_child + n).collect();
            next_child += n;
            expected_second.extend(kids.iter().copied());
            lp.call_soon(move || {
                log.borrow_mut().push(i);
                for k in kids {
                    let log = log.clone();
                    lp2.call_soon(move || log.borrow_mut().push(k)).unwrap();
                }
            })
            .unwrap();
        }
        let stopper = lp.clone();
        lp.call_later(1.0, move || stopper.stop()).unwrap();
        lp.run_forever().unwrap();
        expected_first.extend(expected_second);
        prop_assert_eq!(log.borrow().clone(), expected_first);
    }

    /// Timers fire in deadline order; timers with equal deadlines fire in
    /// the order they were scheduled; a cancelled timer never fires. The
    /// virtual clock reads each timer's deadline when it fires, and never
    /// goes backwards.
    #[test]
    fn timers_fire_in_deadline_order_with_ties_in_scheduling_order(
        timers in prop::collection::vec((0u32..20, any::<bool>()), 1..60)
    ) {
        let lp = EventLoop::new(ClockKind::Virtual);
        let fired: Rc<RefCell<Vec<(usize, f64)>>> = Rc::default();
        for (i, &(when, cancel)) in timers.iter().enumerate() {
            let (fired, clock) = (fired.clone(), lp.clone());
            let handle = lp
                .call_at(f64::from(when) / 4.0, move || {
                    fired.borrow_mut().push((i, clock.time()));
                })
                .unwrap();
            if cancel {
                handle.cancel();
            }
        }
        let stopper = lp.clone();
        lp.call_at(100.0, move || stopper.stop()).unwrap();
        lp.run_forever().unwrap();

        let mut expected: Vec<(usize, f64)> = timers
            .iter()
            .enumerate()
            .filter(|(_, (_, cancel))| !cancel)
            .map(|(i, &(when, _))| (i, f64::from(when) / 4.0))
            .collect();
        // A stable sort by deadline keeps equal deadlines in scheduling order.
        expected.sort_by(|a, b| a.1.total_cmp(&b.1));
        let fired = fired.borrow().clone();
        prop_assert_eq!(&fired, &expected);
        prop_assert!(fired.windows(2).all(|w| w[0].1 <= w[1].1), "time went backwards: {fired:?}");
        prop_assert_eq!(lp.time(), 100.0);
    }

    /// When nothing is ready, the virtual clock jumps straight to the next
    /// deadline: every wake-up of a sleeping task happens exactly at the
    /// time it asked for, however the sleeps interleave.
    #[test]
    fn the_virtual_clock_jumps_to_the_next_deadline_when_idle(
        sleeps in prop::collection::vec(prop::collection::vec(0u32..8, 1..5), 1..8)
    ) {
        let woke: Rc<RefCell<Vec<(f64, f64)>>> = Rc::default();
        let record = woke.clone();
        run_with(ClockKind::Virtual, coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let mut tasks = Vec::new();
            for plan in sleeps {
                let record = record.clone();
                tasks.push(lp.create_task(coroutine("sleeper", move |co| async move {
                    let lp = EventLoop::running()?;
                    for step in plan {
                        let delay = f64::from(step) / 2.0;
                        let asked = lp.time() + delay;
                        co.yield_from(sleep(delay)).await?;
                        record.borrow_mut().push((asked, lp.time()));
                    }
                    Ok(())
                }))?);
            }
            for task in tasks {
                co.yield_from(task.wait()).await?;
            }
            Ok(())
        }))
        .unwrap();
        for &(asked, at) in woke.borrow().iter() {
            prop_assert_eq!(asked, at);
        }
    }

    /// At the end of `run`, every task made is done: it finished, failed, or
    /// was cancelled; none is left pending.
    #[test]
    fn every_task_ends_done_or_cancelled_at_shutdown(
        plans in prop::collection::vec((0u32..6, any::<bool>()), 0..12),
        main_sleeps in 0u32..4,
    ) {
        let made: Rc<RefCell<Vec<yieldfrom::asyncio::TaskRef>>> = Rc::default();
        let record = made.clone();
        run_with(ClockKind::Virtual, coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            for (turns, forever) in plans {
                let task = lp.create_task(coroutine("worker", move |co| async move {
                    let mut n = 0;
                    while forever || n < turns {
                        co.yield_from(sleep(0.5)).await?;
                        n += 1;
                    }
                    Ok(())
                }))?;
                record.borrow_mut().push(task.as_ref_erased());
            }
            co.yield_from(sleep(f64::from(main_sleeps))).await
        }))
        .unwrap();
        for task in made.borrow().iter() {
            prop_assert!(task.done(), "{task:?} still pending");
        }
    }

    /// `gather` gives the results in argument order, whatever order the
    /// children finish in.
    #[test]
    fn gather_results_follow_argument_order(delays in prop::collection::vec(0u32..10, 0..12)) {
        let expected: Vec<usize> = (0..delays.len()).collect();
        let results = run_with(ClockKind::Virtual, coroutine("main", move |co| async move {
            let children: Vec<Coroutine<usize>> = delays
                .into_iter()
                .enumerate()
                .map(|(i, d)| {
                    coroutine("child", move |co| async move {
                        for _ in 0..d % 3 {
                            co.yield_(Suspend::NOW).await?;
                        }
                        co.yield_from(sleep(f64::from(d) / 3.0)).await?;
                        Ok(i)
                    })
                })
                .collect();
            co.yield_from(gather(children)?.wait()).await
        }))
        .unwrap();
        prop_assert_eq!(results, expected);
    }
}
