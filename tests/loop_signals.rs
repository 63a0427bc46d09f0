//! Unix signals on the loop: `add_signal_handler` and
//! `remove_signal_handler` with Python's rules (the handler runs as a loop
//! callback, a second handler replaces the first, removing says whether
//! there was one, bad signal numbers and uncatchable signals are refused,
//! a closed loop refuses and keeps none).
//!
//! The tests send signals to their own process, where every test runs:
//! each takes the lock below, and a signal is only raised while a handler
//! for it is in place (without one, it would end the test process).
#![cfg(unix)]
#![allow(
    clippy::float_cmp,
    reason = "virtual-clock times are exact, and are compared exactly"
)]

mod trace;

use signal_hook::{
    consts::{SIGKILL, SIGSEGV, SIGSTOP, SIGUSR1, SIGUSR2},
    low_level::raise,
};
use std::{
    cell::RefCell,
    rc::Rc,
    sync::{Mutex, MutexGuard, PoisonError},
};
use trace::virtual_loop;
use yieldfrom::asyncio::{ClockKind, EventLoop, RuntimeError, ValueError};

static SIGNALS: Mutex<()> = Mutex::new(());

fn signals() -> MutexGuard<'static, ()> {
    SIGNALS.lock().unwrap_or_else(PoisonError::into_inner)
}

type Log = Rc<RefCell<Vec<String>>>;

/// A handler that logs `name` and stops `lp`.
fn logging(lp: &EventLoop, log: &Log, name: &'static str) -> impl FnMut() + 'static {
    let (lp, log) = (lp.clone(), log.clone());
    move || {
        log.borrow_mut().push(name.to_owned());
        lp.stop();
    }
}

/// Runs `lp` until a handler stops it, or for at most ten seconds of
/// loop time (a lost signal fails the test instead of hanging it).
fn run_until_stopped(lp: &EventLoop) {
    let stopper = lp.clone();
    let limit = lp.call_later(10.0, move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
    limit.cancel();
}

#[test]
fn a_signal_runs_its_handler_as_a_loop_callback_queued_behind_those_already_ready() {
    let _signals = signals();
    let lp = virtual_loop();
    let log = Log::default();
    lp.add_signal_handler(SIGUSR1, logging(&lp, &log, "signal"))
        .unwrap();
    let (sink, raiser) = (log.clone(), lp.clone());
    lp.call_soon(move || {
        raise(SIGUSR1).unwrap();
        // Runs in the iteration in which the loop reads the signal, and
        // queues the callback that logs "soon" before the handler is.
        let (sink, queuer) = (sink.clone(), raiser.clone());
        raiser
            .call_soon(move || {
                queuer
                    .call_soon(move || sink.borrow_mut().push("soon".into()))
                    .unwrap();
            })
            .unwrap();
    })
    .unwrap();
    run_until_stopped(&lp);
    // As in CPython, the loop reads the signal in one iteration and runs
    // the handler in the next, behind what that iteration queued; on the
    // virtual clock, in no time.
    assert_eq!(*log.borrow(), ["soon", "signal"]);
    assert_eq!(lp.time(), 0.0);
    assert!(lp.remove_signal_handler(SIGUSR1).unwrap());
}

#[test]
fn a_waiting_loop_is_woken_by_a_signal_from_another_thread() {
    let _signals = signals();
    let lp = EventLoop::new(ClockKind::Real);
    let log = Log::default();
    lp.add_signal_handler(SIGUSR1, logging(&lp, &log, "signal"))
        .unwrap();
    let sender = std::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        raise(SIGUSR1).unwrap();
    });
    run_until_stopped(&lp);
    sender.join().unwrap();
    assert_eq!(*log.borrow(), ["signal"]);
    assert!(lp.time() < 5.0, "woken only by the deadline");
    lp.close().unwrap();
}

#[test]
fn a_second_handler_for_the_same_signal_replaces_the_first() {
    let _signals = signals();
    let lp = virtual_loop();
    let log = Log::default();
    lp.add_signal_handler(SIGUSR2, logging(&lp, &log, "first"))
        .unwrap();
    lp.add_signal_handler(SIGUSR2, logging(&lp, &log, "second"))
        .unwrap();
    raise(SIGUSR2).unwrap();
    run_until_stopped(&lp);
    assert_eq!(*log.borrow(), ["second"]);
    assert!(lp.remove_signal_handler(SIGUSR2).unwrap());
}

#[test]
fn removing_a_handler_says_whether_there_was_one_and_the_signal_no_longer_reaches_it() {
    let _signals = signals();
    let (removed_from, kept_by) = (virtual_loop(), virtual_loop());
    let log = Log::default();
    removed_from
        .add_signal_handler(SIGUSR1, logging(&removed_from, &log, "removed"))
        .unwrap();
    // Another loop keeps the signal, so that raising it cannot end the
    // test process.
    kept_by
        .add_signal_handler(SIGUSR1, logging(&kept_by, &log, "kept"))
        .unwrap();
    assert!(removed_from.remove_signal_handler(SIGUSR1).unwrap());
    assert!(!removed_from.remove_signal_handler(SIGUSR1).unwrap());
    assert!(!removed_from.remove_signal_handler(SIGUSR2).unwrap());
    raise(SIGUSR1).unwrap();
    run_until_stopped(&kept_by);
    removed_from.stop();
    removed_from.run_forever().unwrap();
    assert_eq!(*log.borrow(), ["kept"]);
    assert!(kept_by.remove_signal_handler(SIGUSR1).unwrap());
}

#[test]
fn a_signal_taken_by_two_loops_runs_the_handler_of_each() {
    let _signals = signals();
    let (one, two) = (virtual_loop(), virtual_loop());
    let log = Log::default();
    one.add_signal_handler(SIGUSR2, logging(&one, &log, "one"))
        .unwrap();
    two.add_signal_handler(SIGUSR2, logging(&two, &log, "two"))
        .unwrap();
    raise(SIGUSR2).unwrap();
    run_until_stopped(&one);
    run_until_stopped(&two);
    assert_eq!(*log.borrow(), ["one", "two"]);
    assert!(one.remove_signal_handler(SIGUSR2).unwrap());
    assert!(two.remove_signal_handler(SIGUSR2).unwrap());
}

#[test]
fn bad_signal_numbers_are_a_value_error_with_pythons_message() {
    let _signals = signals();
    let lp = virtual_loop();
    for signal in [0, -1, 32, 65, 1000] {
        let error = lp.add_signal_handler(signal, || {}).unwrap_err();
        assert_eq!(
            error.downcast_ref::<ValueError>(),
            Some(&ValueError {
                message: format!("invalid signal number {signal}")
            }),
            "add {signal}"
        );
    }
    for signal in [0, -1, 65] {
        let error = lp.remove_signal_handler(signal).unwrap_err();
        assert!(error.is::<ValueError>(), "remove {signal}: {error}");
    }
}

#[test]
fn sigkill_and_sigstop_cannot_be_caught_nor_can_a_fault_signal() {
    let lp = virtual_loop();
    for signal in [SIGKILL, SIGSTOP] {
        let error = lp.add_signal_handler(signal, || {}).unwrap_err();
        assert_eq!(error.to_string(), format!("sig {signal} cannot be caught"));
        assert!(error.is::<RuntimeError>());
        assert!(!lp.remove_signal_handler(signal).unwrap());
    }
    let error = lp.add_signal_handler(SIGSEGV, || {}).unwrap_err();
    assert!(error.is::<RuntimeError>(), "{error}");
}

#[test]
fn a_closed_loop_refuses_a_handler_and_keeps_none_it_had() {
    let _signals = signals();
    let (closed, other) = (virtual_loop(), virtual_loop());
    let log = Log::default();
    closed
        .add_signal_handler(SIGUSR1, logging(&closed, &log, "closed"))
        .unwrap();
    other
        .add_signal_handler(SIGUSR1, logging(&other, &log, "other"))
        .unwrap();
    closed.close().unwrap();
    assert!(!closed.remove_signal_handler(SIGUSR1).unwrap());
    let error = closed.add_signal_handler(SIGUSR1, || {}).unwrap_err();
    assert_eq!(error.to_string(), "Event loop is closed");
    raise(SIGUSR1).unwrap();
    run_until_stopped(&other);
    assert_eq!(*log.borrow(), ["other"]);
    assert!(other.remove_signal_handler(SIGUSR1).unwrap());
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

#[cfg(target_os = "linux")]
#[test]
fn handlers_replaced_removed_or_closed_with_their_loop_leave_no_descriptor_open() {
    let _signals = signals();
    let before = open_descriptors();
    for _ in 0..100 {
        let lp = virtual_loop();
        lp.add_signal_handler(SIGUSR1, || {}).unwrap();
        lp.add_signal_handler(SIGUSR1, || {}).unwrap();
        lp.add_signal_handler(SIGUSR2, || {}).unwrap();
        assert!(lp.remove_signal_handler(SIGUSR2).unwrap());
        lp.close().unwrap();
    }
    assert_eq!(open_descriptors(), before);
}
