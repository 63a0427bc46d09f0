//! What every transport shares (CPython's `_SelectorTransport`), Unix
//! only: the socket and its addresses, the closing state, the water marks
//! of the write buffer, and the buffer reads land in. The stream transport
//! is in `transports.rs`, the datagram transport in
//! `datagram_transport.rs`.

use super::{
    errors::ValueError,
    event_loop::{EventLoop, LoopInner},
    registry::Key,
};
use crate::AnyError;
use std::{
    cell::{Cell, RefCell},
    error::Error,
    fmt,
    io::{self, Read, Write},
    net::{Shutdown, SocketAddr, TcpStream, UdpSocket},
    os::{
        fd::{AsFd, AsRawFd, BorrowedFd, RawFd},
        unix::net::{self as unix, UnixStream},
    },
    rc::{Rc, Weak},
};

/// How much one read asks for (CPython's `max_size`).
pub(super) const MAX_READ: usize = 256 * 1024;

/// asyncio's default high-water mark for write buffers.
pub const DEFAULT_HIGH_WATER: usize = 64 * 1024;

/// After how many writes to a lost connection CPython starts warning
/// (`LOG_THRESHOLD_FOR_CONNLOST_WRITES`).
const WARN_AFTER_LOST_WRITES: u32 = 5;

/// The socket under a transport (what Python's
/// `get_extra_info("socket")` gives).
#[derive(Debug)]
#[non_exhaustive]
pub enum Socket {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A Unix-domain stream connection.
    Unix(UnixStream),
    /// A UDP socket.
    Udp(UdpSocket),
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Self::Tcp(s) => s.as_fd(),
            Self::Unix(s) => s.as_fd(),
            Self::Udp(s) => s.as_fd(),
        }
    }
}

impl Socket {
    pub(super) fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => (&*s).read(buf),
            Self::Unix(s) => (&*s).read(buf),
            Self::Udp(s) => s.recv(buf),
        }
    }

    pub(super) fn send(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => (&*s).write(buf),
            Self::Unix(s) => (&*s).write(buf),
            Self::Udp(s) => s.send(buf),
        }
    }

    pub(super) fn shutdown_write(&self) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.shutdown(Shutdown::Write),
            Self::Unix(s) => s.shutdown(Shutdown::Write),
            Self::Udp(_) => Ok(()),
        }
    }

    /// The peer's address (Python's `getpeername()`); `None` if there is
    /// none (an unconnected UDP socket).
    #[must_use]
    pub fn peer_address(&self) -> Option<Address> {
        match self {
            Self::Tcp(s) => s.peer_addr().ok().map(Address::Inet),
            Self::Unix(s) => s.peer_addr().ok().map(Address::Unix),
            Self::Udp(s) => s.peer_addr().ok().map(Address::Inet),
        }
    }

    /// The socket's own address (Python's `getsockname()`).
    #[must_use]
    pub fn local_address(&self) -> Option<Address> {
        match self {
            Self::Tcp(s) => s.local_addr().ok().map(Address::Inet),
            Self::Unix(s) => s.local_addr().ok().map(Address::Unix),
            Self::Udp(s) => s.local_addr().ok().map(Address::Inet),
        }
    }
}

/// A socket address: Python's `('127.0.0.1', 8080)` tuple or a Unix path.
#[derive(Clone, Debug)]
pub enum Address {
    /// An IPv4 or IPv6 address and port.
    Inet(SocketAddr),
    /// A Unix-domain address.
    Unix(unix::SocketAddr),
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inet(addr) => write!(f, "{addr}"),
            Self::Unix(addr) => match addr.as_pathname() {
                Some(path) => write!(f, "{}", path.display()),
                None => f.write_str(""),
            },
        }
    }
}

/// What [`Transport::get_extra_info`](super::Transport::get_extra_info) gives.
#[derive(Clone, Debug)]
pub enum ExtraInfo {
    /// For `"peername"` and `"sockname"`.
    Address(Address),
    /// For `"socket"`. Holding it keeps the descriptor open after the
    /// transport is closed.
    Socket(Rc<Socket>),
}

/// A write to a transport whose connection is lost (or being lost after
/// [`abort`](super::Transport::abort) or [`close`](super::Transport::close)): the data
/// was not sent. CPython drops such data silently, logging
/// "`socket.send() raised exception.`" from the fifth such write on; here each write says
/// so, and the caller still has its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportClosedError {
    /// How many writes were refused this way so far, this one included.
    pub writes: u32,
}

impl fmt::Display for TransportClosedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the connection is lost: the data was not sent")?;
        if self.writes >= WARN_AFTER_LOST_WRITES {
            f.write_str(" (socket.send() raised exception.)")?;
        }
        Ok(())
    }
}

impl Error for TransportClosedError {}

/// Runs `f` with `call_soon`, or at once on a loop that is closed (or
/// gone): what a transport owes its protocol must still happen when the
/// loop closes it.
pub(super) fn soon(lp: Option<EventLoop>, f: impl FnOnce() + 'static) {
    match lp {
        Some(lp) if !lp.is_closed() => drop(lp.call_soon(f)),
        _ => f(),
    }
}

/// The write buffer's water marks and whether the protocol was paused.
pub(super) struct Flow {
    pub(super) high: Cell<usize>,
    pub(super) low: Cell<usize>,
    paused: Cell<bool>,
}

impl Flow {
    fn new() -> Self {
        Self {
            high: Cell::new(DEFAULT_HIGH_WATER),
            low: Cell::new(DEFAULT_HIGH_WATER / 4),
            paused: Cell::new(false),
        }
    }

    /// CPython's `_set_write_buffer_limits`.
    pub(super) fn set_limits(
        &self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), AnyError> {
        let high = high.unwrap_or_else(|| low.map_or(DEFAULT_HIGH_WATER, |low| 4 * low));
        let low = low.unwrap_or(high / 4);
        if high < low {
            return Err(ValueError::new(format!(
                "high ({high}) must be >= low ({low}) must be >= 0"
            ))
            .into());
        }
        self.high.set(high);
        self.low.set(low);
        Ok(())
    }

    /// Whether to call `pause_writing` now.
    pub(super) fn should_pause(&self, size: usize) -> bool {
        size > self.high.get() && !self.paused.replace(true)
    }

    /// Whether to call `resume_writing` now.
    pub(super) fn should_resume(&self, size: usize) -> bool {
        self.paused.get() && size <= self.low.get() && self.paused.replace(false)
    }
}

/// What stream and datagram transports share: the loop, the socket, the
/// closing state, the registration that lets the loop's `close` close
/// them.
pub(super) struct Base {
    lp: Weak<LoopInner>,
    pub(super) fd: RawFd,
    sock: RefCell<Option<Rc<Socket>>>,
    /// `close` or `abort` was called, or EOF closed it.
    pub(super) closing: Cell<bool>,
    /// How many times the connection was found lost: nonzero once
    /// `connection_lost` is due (CPython's `_conn_lost`).
    pub(super) conn_lost: Cell<u32>,
    /// Reading paused by `pause_reading`.
    pub(super) reading_paused: Cell<bool>,
    pub(super) flow: Flow,
    closer: Cell<Option<Key>>,
}

impl Base {
    pub(super) fn new(lp: &EventLoop, sock: Socket) -> Self {
        Self {
            lp: Rc::downgrade(&lp.0),
            fd: sock.as_fd().as_raw_fd(),
            sock: RefCell::new(Some(Rc::new(sock))),
            closing: Cell::new(false),
            conn_lost: Cell::new(0),
            reading_paused: Cell::new(false),
            flow: Flow::new(),
            closer: Cell::new(None),
        }
    }

    pub(super) fn lp(&self) -> Option<EventLoop> {
        self.lp.upgrade().map(EventLoop)
    }

    pub(super) fn sock(&self) -> Option<Rc<Socket>> {
        self.sock.borrow().clone()
    }

    pub(super) fn remove_reader(&self) {
        if let Some(lp) = self.lp() {
            lp.remove_reader(&self.fd);
        }
    }

    pub(super) fn remove_writer(&self) {
        if let Some(lp) = self.lp() {
            lp.remove_writer(&self.fd);
        }
    }

    /// Lets the loop's `close` call `close_now` on the transport.
    pub(super) fn register_closer(&self, close_now: Box<dyn Fn()>) {
        if let Some(lp) = self.lp() {
            self.closer
                .set(Some(lp.0.closers.borrow_mut().insert(close_now)));
        }
    }

    /// The end of the connection: the socket is closed (unless someone
    /// holds it from `get_extra_info`) and the loop forgets the transport.
    pub(super) fn release(&self) {
        // A close that waited for the buffer to drain ends here without
        // having counted the loss: later writes are refused all the same.
        self.conn_lost.set(self.conn_lost.get().max(1));
        self.remove_reader();
        self.remove_writer();
        self.sock.borrow_mut().take();
        if let (Some(key), Some(lp)) = (self.closer.take(), self.lp()) {
            let closer = lp.0.closers.borrow_mut().remove(key);
            drop(closer);
        }
    }

    /// CPython's `close` up to the call: stops reading; whether
    /// `connection_lost` is due now (nothing is left to send).
    pub(super) fn begin_close(&self, nothing_buffered: bool) -> bool {
        if self.closing.replace(true) {
            return false;
        }
        self.remove_reader();
        if !nothing_buffered {
            return false;
        }
        self.conn_lost.set(self.conn_lost.get() + 1);
        self.remove_writer();
        true
    }

    /// CPython's `_force_close` up to the call: stops reading and writing;
    /// whether `connection_lost` is due (not if it was already).
    pub(super) fn begin_force_close(&self) -> bool {
        if self.conn_lost.get() > 0 {
            return false;
        }
        self.remove_writer();
        if !self.closing.replace(true) {
            self.remove_reader();
        }
        self.conn_lost.set(self.conn_lost.get() + 1);
        true
    }

    pub(super) fn extra_info(&self, name: &str) -> Option<ExtraInfo> {
        let sock = self.sock()?;
        match name {
            "peername" => sock.peer_address().map(ExtraInfo::Address),
            "sockname" => sock.local_address().map(ExtraInfo::Address),
            "socket" => Some(ExtraInfo::Socket(sock)),
            _ => None,
        }
    }
}

thread_local! {
    /// The buffer reads land in before `data_received` sees them: one per
    /// thread rather than 256 KiB per connection.
    pub(super) static READ_BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

pub(super) fn would_block(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}
