//! Socket coroutines on non-blocking std sockets (Python's `loop.sock_recv`
//! and friends, from tulip's `BaseSelectorEventLoop`), Unix only.
//!
//! Each tries its system call at once; only when the OS says it would block
//! does it watch the socket (a reader or a writer) and wait on a future
//! that the watcher completes with the next call that succeeds or fails.
//! However the wait ends (a result, an error, a cancellation, the coroutine
//! closed) the watcher is removed; a watcher that runs after its future is
//! done calls nothing, so a cancelled `sock_recv` never takes bytes it
//! cannot report: they stay in the socket for the next read.
//!
//! The socket is shared, `Rc<S>`: an operation holds it until it ends, so
//! that the descriptor it watches cannot be closed under it. Its watcher,
//! and the clone in it, go before the coroutine gives its result, so a
//! socket dropped right after closes at once; a cancelled operation lets
//! go when its task runs the cancellation.

use super::{
    Coroutine, CoroutineCo, coroutine,
    errors::ValueError,
    event_loop::{EventLoop, LoopInner},
    os_errors::os_error,
    selector::Direction,
};
use crate::AnyError;
use rustix::net::AddressFamily;
use std::{
    io::{self, Read, Write},
    net::{SocketAddr, TcpListener, TcpStream, UdpSocket},
    os::{
        fd::{AsFd, AsRawFd, OwnedFd, RawFd},
        unix::net::{self as unix, UnixListener, UnixStream},
    },
    rc::{Rc, Weak},
};

/// Refuses a socket left in blocking mode, as CPython 3.11 does: a system
/// call on it would stop the whole loop.
pub(crate) fn check_non_blocking(sock: &impl AsFd) -> Result<(), AnyError> {
    let flags = rustix::fs::fcntl_getfl(sock).map_err(|e| os_error(e.into()))?;
    if flags.contains(rustix::fs::OFlags::NONBLOCK) {
        Ok(())
    } else {
        Err(ValueError::new("the socket must be non-blocking").into())
    }
}

/// A new stream socket of `family`, non-blocking and closed on `exec`
/// (the flags std gives its own sockets), for the system calls std does
/// not make: a connect that does not wait, a `listen` with a backlog.
pub(crate) fn stream_socket(family: AddressFamily) -> io::Result<OwnedFd> {
    use rustix::net::{SocketFlags, SocketType};
    let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
    Ok(rustix::net::socket_with(
        family,
        SocketType::STREAM,
        flags,
        None,
    )?)
}

/// A new TCP socket of `addr`'s address family, as [`stream_socket`] makes
/// it.
pub(crate) fn tcp_socket(addr: &SocketAddr) -> io::Result<OwnedFd> {
    stream_socket(if addr.is_ipv4() {
        AddressFamily::INET
    } else {
        AddressFamily::INET6
    })
}

/// Removes a watcher when the operation that made it ends, by any path.
struct Unwatch {
    lp: Weak<LoopInner>,
    fd: RawFd,
    direction: Direction,
}

impl Drop for Unwatch {
    fn drop(&mut self) {
        if let Some(inner) = self.lp.upgrade() {
            let lp = EventLoop(inner);
            match self.direction {
                Direction::Read => lp.remove_reader(&self.fd),
                Direction::Write => lp.remove_writer(&self.fd),
            };
        }
    }
}

/// Whether an error only says "not now".
fn would_block(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

/// The coroutine of every socket operation: `attempt` at once, then, while
/// it would block, again each time `fd` is ready in `direction`.
fn operation<T, F>(
    name: &'static str,
    lp: &EventLoop,
    fd: RawFd,
    direction: Direction,
    check: Result<(), AnyError>,
    attempt: F,
) -> Coroutine<T>
where
    T: Clone + 'static,
    F: FnMut() -> io::Result<T> + 'static,
{
    let lp = lp.clone();
    coroutine(name, move |co| async move {
        check?;
        until_done(&co, lp, fd, direction, attempt).await
    })
}

/// The body of [`operation`], run in the caller's coroutine (no generator
/// of its own: a connection made by `create_connection` costs one fewer).
async fn until_done<T, F>(
    co: &CoroutineCo,
    lp: EventLoop,
    fd: RawFd,
    direction: Direction,
    mut attempt: F,
) -> Result<T, AnyError>
where
    T: Clone + 'static,
    F: FnMut() -> io::Result<T> + 'static,
{
    match attempt() {
        Ok(value) => return Ok(value),
        Err(e) if would_block(&e) => {}
        Err(e) => return Err(os_error(e)),
    }
    let future = lp.create_future::<T>();
    let wake = future.clone();
    let watcher = move || {
        // Done already (cancelled, most likely): take nothing more from
        // the socket, since nobody would get it.
        if wake.done() {
            return;
        }
        match attempt() {
            Ok(value) => drop(wake.set_result(value)),
            Err(e) if would_block(&e) => {}
            Err(e) => drop(wake.set_exception(os_error(e))),
        }
    };
    match direction {
        Direction::Read => lp.add_reader(&fd, watcher)?,
        Direction::Write => lp.add_writer(&fd, watcher)?,
    }
    let unwatch = Unwatch {
        lp: Rc::downgrade(&lp.0),
        fd,
        direction,
    };
    // Not held across the wait: a loop nobody else holds must be free to
    // drop.
    drop(lp);
    let outcome = future.wait_in(co).await;
    drop(unwatch);
    outcome
}

/// A connect to `addr` started on a new non-blocking TCP socket: the
/// socket's descriptor and the attempt that gives the socket once it is
/// connected ([`EventLoop::sock_connect`]'s, for [`until_done`]).
fn start_connect(
    addr: SocketAddr,
) -> Result<(RawFd, impl FnMut() -> io::Result<Rc<TcpStream>> + 'static), AnyError> {
    let sock = Rc::new(TcpStream::from(tcp_socket(&addr).map_err(os_error)?));
    match rustix::net::connect(&*sock, &addr) {
        Ok(()) | Err(rustix::io::Errno::INPROGRESS | rustix::io::Errno::INTR) => {}
        Err(e) => return Err(os_error(e.into())),
    }
    let fd = sock.as_raw_fd();
    let mut first = true;
    let attempt = move || {
        if std::mem::take(&mut first) && sock.peer_addr().is_err() {
            // Still in progress: the socket becomes writable once the
            // connection is made or has failed.
            return Err(io::ErrorKind::WouldBlock.into());
        }
        match sock.take_error()? {
            Some(e) => Err(e),
            None => Ok(sock.clone()),
        }
    };
    Ok((fd, attempt))
}

/// Connects to `addr` in the caller's coroutine: what
/// [`EventLoop::sock_connect`] does, without a coroutine of its own.
pub(crate) async fn connect_in(
    co: &CoroutineCo,
    lp: EventLoop,
    addr: SocketAddr,
) -> Result<Rc<TcpStream>, AnyError> {
    let (fd, attempt) = start_connect(addr)?;
    until_done(co, lp, fd, Direction::Write, attempt).await
}

/// A listening socket [`EventLoop::sock_accept`] accepts on: a
/// [`TcpListener`] or a [`UnixListener`].
pub trait Listener: AsFd + sealed::Sealed + 'static {
    /// The connected socket an accept gives.
    type Stream: AsFd + 'static;
    /// The peer's address.
    type Addr: Clone + 'static;

    /// One `accept` system call.
    ///
    /// # Errors
    ///
    /// The OS's.
    fn accept_now(&self) -> io::Result<(Self::Stream, Self::Addr)>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for std::net::TcpListener {}
    impl Sealed for std::os::unix::net::UnixListener {}
}

impl Listener for TcpListener {
    type Stream = TcpStream;
    type Addr = SocketAddr;

    fn accept_now(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = self.accept()?;
        stream.set_nonblocking(true)?;
        Ok((stream, addr))
    }
}

impl Listener for UnixListener {
    type Stream = UnixStream;
    type Addr = unix::SocketAddr;

    fn accept_now(&self) -> io::Result<(UnixStream, unix::SocketAddr)> {
        let (stream, addr) = self.accept()?;
        stream.set_nonblocking(true)?;
        Ok((stream, addr))
    }
}

/// The socket coroutines (Python's `loop.sock_*`). Every socket must be in
/// non-blocking mode (`set_nonblocking(true)`); each coroutine raises
/// `ValueError("the socket must be non-blocking")` for one that is not,
/// and the OS's errors under their Python names
/// ([`ConnectionResetError`](super::ConnectionResetError), ...).
/// Cancelling one removes its watcher, and loses no data it had not
/// reported.
impl EventLoop {
    /// Receives up to `n` bytes (Python's `loop.sock_recv`); empty at end
    /// of stream.
    ///
    /// # Errors
    ///
    /// As the impl block says.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{io::Write, os::unix::net::UnixStream, rc::Rc};
    /// use yieldfrom::asyncio::{ClockKind, EventLoop};
    ///
    /// let lp = EventLoop::new(ClockKind::Real);
    /// let (ours, mut theirs) = UnixStream::pair().unwrap();
    /// ours.set_nonblocking(true).unwrap();
    /// theirs.write_all(b"ping").unwrap();
    /// let got = lp.run_until_complete(lp.sock_recv(&Rc::new(ours), 16)).unwrap();
    /// assert_eq!(got, b"ping");
    /// ```
    pub fn sock_recv<S>(&self, sock: &Rc<S>, n: usize) -> Coroutine<Vec<u8>>
    where
        S: AsFd + 'static,
        for<'a> &'a S: Read,
    {
        let sock = sock.clone();
        let (fd, check) = (sock.as_fd().as_raw_fd(), check_non_blocking(&*sock));
        operation("sock_recv", self, fd, Direction::Read, check, move || {
            let mut buf = vec![0; n];
            let got = (&*sock).read(&mut buf)?;
            buf.truncate(got);
            Ok(buf)
        })
    }

    /// Receives into `buf` (Python's `loop.sock_recv_into`), and hands it
    /// back with how many bytes were written at its start.
    ///
    /// # Errors
    ///
    /// As the impl block says; `buf` is lost with an error.
    pub fn sock_recv_into<S>(&self, sock: &Rc<S>, buf: Vec<u8>) -> Coroutine<(Vec<u8>, usize)>
    where
        S: AsFd + 'static,
        for<'a> &'a S: Read,
    {
        let sock = sock.clone();
        let (fd, check) = (sock.as_fd().as_raw_fd(), check_non_blocking(&*sock));
        let mut buf = Some(buf);
        operation(
            "sock_recv_into",
            self,
            fd,
            Direction::Read,
            check,
            move || {
                let mut target = buf.take().unwrap_or_default();
                match (&*sock).read(&mut target) {
                    Ok(got) => Ok((target, got)),
                    Err(e) => {
                        buf = Some(target);
                        Err(e)
                    }
                }
            },
        )
    }

    /// Sends all of `data` (Python's `loop.sock_sendall`), waiting for room
    /// as often as needed. Cancelled midway, some of it may have been sent.
    ///
    /// # Errors
    ///
    /// As the impl block says: `BrokenPipeError` or `ConnectionResetError`
    /// for a peer that went away.
    pub fn sock_sendall<S>(&self, sock: &Rc<S>, data: Vec<u8>) -> Coroutine<()>
    where
        S: AsFd + 'static,
        for<'a> &'a S: Write,
    {
        let sock = sock.clone();
        let (fd, check) = (sock.as_fd().as_raw_fd(), check_non_blocking(&*sock));
        let mut sent = 0;
        operation(
            "sock_sendall",
            self,
            fd,
            Direction::Write,
            check,
            move || {
                while sent < data.len() {
                    match (&*sock).write(&data[sent..])? {
                        0 => return Err(io::ErrorKind::WriteZero.into()),
                        n => sent += n,
                    }
                }
                Ok(())
            },
        )
    }

    /// Accepts a connection (Python's `loop.sock_accept`): the new socket,
    /// already non-blocking, and the peer's address.
    ///
    /// # Errors
    ///
    /// As the impl block says.
    pub fn sock_accept<L: Listener>(
        &self,
        listener: &Rc<L>,
    ) -> Coroutine<(Rc<L::Stream>, L::Addr)> {
        let listener = listener.clone();
        let (fd, check) = (listener.as_fd().as_raw_fd(), check_non_blocking(&*listener));
        operation("sock_accept", self, fd, Direction::Read, check, move || {
            let (stream, addr) = listener.accept_now()?;
            Ok((Rc::new(stream), addr))
        })
    }

    /// Connects to `addr` (Python's `loop.sock_connect`) on a new
    /// non-blocking TCP socket, which it gives back. (std makes sockets
    /// connected, so the socket is the result rather than an argument.)
    ///
    /// # Errors
    ///
    /// `ConnectionRefusedError` when nobody listens there; other OS errors
    /// as the impl block says.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::TcpListener;
    /// use yieldfrom::asyncio::{ClockKind, EventLoop};
    ///
    /// let lp = EventLoop::new(ClockKind::Real);
    /// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let stream = lp.run_until_complete(lp.sock_connect(addr)).unwrap();
    /// assert_eq!(stream.peer_addr().unwrap(), addr);
    /// ```
    pub fn sock_connect(&self, addr: SocketAddr) -> Coroutine<Rc<TcpStream>> {
        match start_connect(addr) {
            Ok((fd, attempt)) => {
                operation("sock_connect", self, fd, Direction::Write, Ok(()), attempt)
            }
            Err(error) => coroutine("sock_connect", move |_| async move { Err(error) }),
        }
    }

    /// Receives one datagram of at most `n` bytes, and who sent it
    /// (Python's `loop.sock_recvfrom`).
    ///
    /// # Errors
    ///
    /// As the impl block says.
    pub fn sock_recvfrom(
        &self,
        sock: &Rc<UdpSocket>,
        n: usize,
    ) -> Coroutine<(Vec<u8>, SocketAddr)> {
        let sock = sock.clone();
        let (fd, check) = (sock.as_raw_fd(), check_non_blocking(&*sock));
        operation(
            "sock_recvfrom",
            self,
            fd,
            Direction::Read,
            check,
            move || {
                let mut buf = vec![0; n];
                let (got, from) = sock.recv_from(&mut buf)?;
                buf.truncate(got);
                Ok((buf, from))
            },
        )
    }

    /// Sends `data` as one datagram to `addr` (Python's
    /// `loop.sock_sendto`); how many bytes were sent.
    ///
    /// # Errors
    ///
    /// As the impl block says.
    pub fn sock_sendto(
        &self,
        sock: &Rc<UdpSocket>,
        data: Vec<u8>,
        addr: SocketAddr,
    ) -> Coroutine<usize> {
        let sock = sock.clone();
        let (fd, check) = (sock.as_raw_fd(), check_non_blocking(&*sock));
        operation(
            "sock_sendto",
            self,
            fd,
            Direction::Write,
            check,
            move || sock.send_to(&data, addr),
        )
    }
}
