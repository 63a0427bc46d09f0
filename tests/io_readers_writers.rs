//! Watching file descriptors: `add_reader`, `remove_reader`, `add_writer`,
//! `remove_writer`, with asyncio's rules (level-triggered callbacks, a
//! second reader replaces the first, `remove_*` says whether one was
//! there, a closed loop refuses), waking a waiting loop from other threads,
//! and the virtual clock's rule with descriptors: it never jumps past
//! what the OS has ready.
#![cfg(unix)]
#![allow(
    clippy::float_cmp,
    reason = "virtual-clock times are exact, and are compared exactly"
)]

mod trace;

use std::{
    cell::{Cell, RefCell},
    fs::File,
    io::{ErrorKind, Read, Write},
    os::{fd::AsRawFd, unix::net::UnixStream},
    rc::Rc,
    thread,
    time::{Duration, Instant},
};
use trace::reporting_loop;
use yieldfrom::asyncio::{
    ClockKind, EventLoop, OsError, PermissionError, RuntimeError, ValueError,
};

/// A connected pair of non-blocking Unix sockets.
fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// Stops `lp` after `seconds` of its clock, whatever else happens: a test
/// that goes wrong ends instead of hanging.
fn deadline(lp: &EventLoop, seconds: f64) {
    let stopper = lp.clone();
    lp.call_later(seconds, move || stopper.stop()).unwrap();
}

#[test]
fn a_reader_runs_when_its_descriptor_becomes_readable() {
    let lp = EventLoop::new(ClockKind::Real);
    let (ours, mut theirs) = pair();
    let got = Rc::new(RefCell::new(Vec::new()));
    let (sink, stopper, mut reading) = (got.clone(), lp.clone(), ours.try_clone().unwrap());
    lp.add_reader(&ours, move || {
        let mut buf = [0; 64];
        let n = reading.read(&mut buf).unwrap();
        sink.borrow_mut().extend_from_slice(&buf[..n]);
        stopper.stop();
    })
    .unwrap();
    deadline(&lp, 10.0);
    theirs.write_all(b"hello").unwrap();
    lp.run_forever().unwrap();
    assert_eq!(*got.borrow(), b"hello");
    assert!(lp.time() < 5.0);
}

#[test]
fn a_reader_that_leaves_data_unread_runs_again_in_the_next_iteration() {
    let lp = EventLoop::new(ClockKind::Real);
    let (ours, mut theirs) = pair();
    theirs.write_all(b"abcde").unwrap();
    let got = Rc::new(RefCell::new(Vec::new()));
    let (sink, stopper, mut reading) = (got.clone(), lp.clone(), ours.try_clone().unwrap());
    lp.add_reader(&ours, move || {
        let mut one = [0; 1];
        let n = reading.read(&mut one).unwrap();
        sink.borrow_mut().extend_from_slice(&one[..n]);
        if sink.borrow().len() == 5 {
            stopper.stop();
        }
    })
    .unwrap();
    deadline(&lp, 10.0);
    lp.run_forever().unwrap();
    assert_eq!(*got.borrow(), b"abcde");
}

#[test]
fn a_second_reader_replaces_the_first_which_never_runs_again() {
    let lp = EventLoop::new(ClockKind::Real);
    let (ours, mut theirs) = pair();
    let log = Rc::new(RefCell::new(Vec::new()));
    let first = log.clone();
    lp.add_reader(&ours, move || first.borrow_mut().push("first"))
        .unwrap();
    let (second, stopper, mut reading) = (log.clone(), lp.clone(), ours.try_clone().unwrap());
    lp.add_reader(&ours, move || {
        let mut buf = [0; 8];
        let _ = reading.read(&mut buf);
        second.borrow_mut().push("second");
        stopper.stop();
    })
    .unwrap();
    deadline(&lp, 10.0);
    theirs.write_all(b"x").unwrap();
    lp.run_forever().unwrap();
    assert_eq!(*log.borrow(), ["second"]);
}

#[test]
fn remove_reader_and_remove_writer_say_whether_one_was_registered() {
    let lp = EventLoop::new(ClockKind::Real);
    let (ours, _theirs) = pair();
    assert!(!lp.remove_reader(&ours));
    assert!(!lp.remove_writer(&ours));
    lp.add_reader(&ours, || {}).unwrap();
    lp.add_writer(&ours, || {}).unwrap();
    assert!(lp.remove_reader(&ours));
    assert!(!lp.remove_reader(&ours));
    assert!(lp.remove_writer(&ours));
    assert!(!lp.remove_writer(&ours));
}

#[test]
fn a_closed_loop_refuses_new_readers_and_writers_and_removes_nothing() {
    let lp = EventLoop::new(ClockKind::Real);
    let (ours, _theirs) = pair();
    lp.add_reader(&ours, || {}).unwrap();
    lp.close().unwrap();
    for refused in [lp.add_reader(&ours, || {}), lp.add_writer(&ours, || {})] {
        let e = refused.unwrap_err();
        assert_eq!(
            e.downcast_ref::<RuntimeError>().map(ToString::to_string),
            Some("Event loop is closed".to_owned())
        );
    }
    assert!(!lp.remove_reader(&ours));
}

#[test]
fn a_descriptor_that_is_not_open_or_cannot_be_watched_is_an_os_error() {
    // CPython 3.11's `loop.add_reader`: OSError "[Errno 9] Bad file
    // descriptor", PermissionError "[Errno 1] Operation not permitted" for
    // a regular file, ValueError "Invalid file descriptor: -1".
    let lp = EventLoop::new(ClockKind::Real);
    let e = lp.add_reader(&i32::MAX, || {}).unwrap_err();
    assert!(e.is::<OsError>(), "{e:?}");
    assert_eq!(e.to_string(), "[Errno 9] Bad file descriptor");
    let os = e
        .as_error()
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>());
    assert_eq!(
        os.and_then(std::io::Error::raw_os_error),
        Some(9),
        "EBADF kept"
    );
    let file = File::open("Cargo.toml").unwrap();
    let e = lp.add_reader(&file, || {}).unwrap_err();
    assert!(e.is::<PermissionError>(), "{e:?}");
    assert_eq!(e.to_string(), "[Errno 1] Operation not permitted");
    let os = e
        .as_error()
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>());
    assert_eq!(
        os.map(std::io::Error::kind),
        Some(ErrorKind::PermissionDenied)
    );
    assert!(!lp.remove_reader(&file));
    let e = lp.add_writer(&-1, || {}).unwrap_err();
    let invalid = e.downcast_ref::<ValueError>().expect("a ValueError");
    assert_eq!(invalid.message, "Invalid file descriptor: -1");
}

#[test]
fn a_writer_runs_while_its_descriptor_is_writable() {
    let lp = EventLoop::new(ClockKind::Real);
    let (ours, mut theirs) = pair();
    let (stopper, mut writing, remover) = (lp.clone(), ours.try_clone().unwrap(), lp.clone());
    let fd = ours.as_raw_fd();
    lp.add_writer(&ours, move || {
        writing.write_all(b"from the writer").unwrap();
        assert!(remover.remove_writer(&fd));
        stopper.stop();
    })
    .unwrap();
    deadline(&lp, 10.0);
    lp.run_forever().unwrap();
    let mut buf = [0; 32];
    let n = theirs.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"from the writer");
}

#[test]
fn another_thread_wakes_a_loop_that_waits_only_on_descriptors() {
    let lp = EventLoop::new(ClockKind::Real);
    let (ours, _theirs) = pair();
    lp.add_reader(&ours, || {}).unwrap();
    let remote = lp.remote();
    let started = Instant::now();
    let caller = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        assert!(remote.call_soon_threadsafe(EventLoop::stop).is_ok());
    });
    lp.run_forever().unwrap();
    caller.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn the_virtual_clock_does_not_jump_while_a_descriptor_is_ready() {
    let lp = EventLoop::new(ClockKind::Virtual);
    let (ours, mut theirs) = pair();
    theirs.write_all(b"ready").unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let (seen, clock, remover, mut reading) = (
        log.clone(),
        lp.clone(),
        lp.clone(),
        ours.try_clone().unwrap(),
    );
    let fd = ours.as_raw_fd();
    lp.add_reader(&ours, move || {
        let mut buf = [0; 8];
        let n = reading.read(&mut buf).unwrap();
        seen.borrow_mut()
            .push(format!("read {n} at {}", clock.time()));
        assert!(remover.remove_reader(&fd));
    })
    .unwrap();
    let (seen, clock, stopper) = (log.clone(), lp.clone(), lp.clone());
    lp.call_later(100.0, move || {
        seen.borrow_mut().push(format!("timer at {}", clock.time()));
        stopper.stop();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(*log.borrow(), ["read 5 at 0", "timer at 100"]);
}

#[test]
fn a_virtual_loop_with_no_timer_waits_on_its_descriptors_in_real_time() {
    let lp = EventLoop::new(ClockKind::Virtual);
    let (ours, mut theirs) = pair();
    let got = Rc::new(Cell::new(0));
    let (count, stopper, mut reading) = (got.clone(), lp.clone(), ours.try_clone().unwrap());
    lp.add_reader(&ours, move || {
        let mut buf = [0; 8];
        count.set(reading.read(&mut buf).unwrap());
        stopper.stop();
    })
    .unwrap();
    let writer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        theirs.write_all(b"late").unwrap();
        theirs
    });
    lp.run_forever().unwrap();
    drop(writer.join().unwrap());
    assert_eq!(got.get(), 4);
    assert_eq!(lp.time(), 0.0);
}

#[test]
fn closing_the_loop_stops_watching_and_drops_the_callbacks() {
    let (lp, _reports) = reporting_loop();
    let (ours, _theirs) = pair();
    let held = Rc::new(());
    let watch = Rc::downgrade(&held);
    lp.add_reader(&ours, move || drop(held.clone())).unwrap();
    lp.close().unwrap();
    assert!(watch.upgrade().is_none());
}

#[test]
fn a_reader_that_panics_is_reported_and_stays_registered() {
    let lp = EventLoop::new(ClockKind::Real);
    let (ours, mut theirs) = pair();
    let reports = Rc::new(Cell::new(0));
    let counted = reports.clone();
    lp.set_reporter(move |_| counted.set(counted.get() + 1));
    let calls = Rc::new(Cell::new(0));
    let (count, stopper, mut reading) = (calls.clone(), lp.clone(), ours.try_clone().unwrap());
    lp.add_reader(&ours, move || {
        let mut one = [0; 1];
        let _ = reading.read(&mut one);
        count.set(count.get() + 1);
        if count.get() == 2 {
            stopper.stop();
        }
        panic!("the reader fails");
    })
    .unwrap();
    deadline(&lp, 10.0);
    theirs.write_all(b"ab").unwrap();
    lp.run_forever().unwrap();
    assert_eq!((calls.get(), reports.get()), (2, 2));
}
