//! Helpers for the I/O suites: loops that cannot hang, sockets on the
//! loopback interface, a peer that resets its connection, and the count of
//! open file descriptors.
#![cfg(unix)]
#![allow(dead_code, reason = "each suite uses only some of these helpers")]

use std::{
    net::{SocketAddr, TcpListener, TcpStream},
    rc::Rc,
    time::Duration,
};
use yieldfrom::asyncio::{ClockKind, EventLoop};

/// Seconds after which a test's loop is stopped whatever happens: a test
/// whose code is wrong fails instead of hanging.
pub const GUARD: f64 = 10.0;

/// A real-clock loop that stops itself after [`GUARD`] seconds.
pub fn guarded_loop() -> EventLoop {
    let lp = EventLoop::new(ClockKind::Real);
    let stopper = lp.clone();
    lp.call_later(GUARD, move || stopper.stop()).unwrap();
    lp
}

/// A non-blocking listener on an ephemeral loopback port, and its address.
pub fn listener() -> (Rc<TcpListener>, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    (Rc::new(listener), addr)
}

/// A loopback address where nobody listens: a port just freed.
pub fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Closes `stream` with a reset (`SO_LINGER` 0): its peer's next read
/// fails with `ECONNRESET`.
pub fn reset(stream: TcpStream) {
    rustix::net::sockopt::set_socket_linger(&stream, Some(Duration::ZERO)).unwrap();
    drop(stream);
}

/// How many file descriptors this process has open.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}
