//! Making connections and serving them: `create_connection`,
//! `create_server` and its [`Server`], their Unix-domain variants, and
//! `create_datagram_endpoint` (Python's `loop.create_*`), Unix only.
//!
//! Host names are resolved as CPython's `loop.getaddrinfo` resolves them:
//! with the system's resolver on the executor's threads
//! ([`EventLoop::run_in_executor`]), the coroutine waiting meanwhile while
//! the loop runs everything else. A literal IPv4 or IPv6 address needs no
//! resolver and goes to no thread (CPython's `_ipaddr_info`).

use super::{
    Coroutine, CoroutineCo, coroutine,
    datagram_transport::DatagramTransport,
    errors::{RuntimeError, ValueError},
    event_loop::{EventLoop, LoopInner},
    future::Future,
    os_errors::{GaiError, os_error},
    protocols::{DatagramProtocol, Protocol},
    registry::Key,
    sockets::{connect_in, stream_socket, tcp_socket},
    transport_base::{Address, Socket},
    transports::Transport,
};
use crate::AnyError;
use rustix::net::AddressFamily;
use std::{
    cell::{Cell, RefCell},
    fmt, io,
    net::{IpAddr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket},
    os::{
        fd::{AsFd, AsRawFd},
        unix::{
            fs::FileTypeExt,
            net::{UnixListener, UnixStream},
        },
    },
    path::Path,
    rc::{Rc, Weak},
};

/// CPython's default `backlog` for a server: the length of the queue of
/// connections the OS keeps for it, and how many one readiness of its
/// listening socket accepts at most.
const DEFAULT_BACKLOG: i32 = 100;

/// How a server listens: the keyword arguments of Python's
/// `loop.create_server` that are here. Give them to
/// [`EventLoop::create_server_with`], [`EventLoop::create_unix_server_with`],
/// and, for streams, [`start_server_with`](super::start_server_with) and
/// [`start_unix_server_with`](super::start_unix_server_with).
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::ServerOptions;
///
/// // Python's `backlog=1000`; every other argument keeps its default.
/// let options = ServerOptions::new().backlog(1000);
/// assert_eq!(options.get_backlog(), 1000);
/// assert_eq!(ServerOptions::default().get_backlog(), 100);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "options do nothing until given to a server"]
pub struct ServerOptions {
    backlog: i32,
}

impl ServerOptions {
    /// Python's defaults: `backlog=100`.
    pub const fn new() -> Self {
        Self {
            backlog: DEFAULT_BACKLOG,
        }
    }

    /// Python's `backlog=`: how many connections the OS queues for the
    /// server before it accepts them (`listen(2)`'s argument), and how
    /// many it accepts at most each time its socket is ready, as in
    /// CPython. The OS caps it (Linux at `net.core.somaxconn`, 4096 by
    /// default); below 0 counts as 0, as CPython's `socket.listen` makes
    /// it. With 0 the OS still queues a connection or so (Linux one), and
    /// the server accepts one per readiness where CPython's accepts none
    /// (`range(0)`) and never serves.
    pub const fn backlog(mut self, backlog: i32) -> Self {
        self.backlog = backlog;
        self
    }

    /// The `backlog` set.
    pub const fn get_backlog(&self) -> i32 {
        self.backlog
    }

    /// What `listen(2)` is given.
    fn listen_backlog(self) -> i32 {
        self.backlog.max(0)
    }

    /// How many connections one readiness accepts at most.
    fn accepts_per_ready(self) -> usize {
        usize::try_from(self.backlog).map_or(1, |n| n.max(1))
    }
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// How long accepting pauses when the process is out of descriptors or
/// memory (CPython's `ACCEPT_RETRY_DELAY`).
const ACCEPT_RETRY_DELAY: f64 = 1.0;

/// What turns a host name and port into addresses: the system's resolver,
/// or a test's.
pub(crate) type Resolver = fn(&str, u16) -> io::Result<Vec<SocketAddr>>;

/// The system's resolver (Python's `socket.getaddrinfo`); it blocks.
pub(crate) fn system_resolver(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    (host, port).to_socket_addrs().map(Iterator::collect)
}

/// Resolves `host` and `port` (CPython's `_ensure_resolved`): a literal
/// address at once, a name with `resolver` on the executor, waited for.
async fn resolve(
    co: &CoroutineCo,
    lp: &Weak<LoopInner>,
    host: &str,
    port: u16,
    resolver: Resolver,
) -> Result<Vec<SocketAddr>, AnyError> {
    let addrs = if let Ok(ip) = host.parse::<IpAddr>() {
        vec![SocketAddr::new(ip, port)]
    } else {
        let host = host.to_owned();
        let resolving = upgrade(lp)?
            .run_in_executor(move || resolver(&host, port).map_err(|e| AnyError::from(GaiError(e))))
            .map_err(RuntimeError::from)?;
        resolving.wait_in(co).await??
    };
    if addrs.is_empty() {
        return Err(GaiError(io::Error::other("getaddrinfo() returned empty list")).into());
    }
    Ok(addrs)
}

/// The loop of a coroutine that holds it weakly.
fn upgrade(lp: &Weak<LoopInner>) -> Result<EventLoop, AnyError> {
    lp.upgrade()
        .map(EventLoop)
        .ok_or_else(|| RuntimeError::new("Event loop is closed").into())
}

/// A future of `lp` that is done once the callbacks scheduled before it
/// (a transport's `connection_made`) have run.
fn after_scheduled(lp: &EventLoop) -> Result<Future<()>, AnyError> {
    let made: Future<()> = lp.create_future();
    let setter = made.clone();
    lp.call_soon(move || {
        if !setter.done() {
            let _ = setter.set_result(());
        }
    })?;
    Ok(made)
}

/// One failure, or Python's "Multiple exceptions: ..." for several that
/// differ.
fn connect_failure(mut errors: Vec<AnyError>) -> AnyError {
    let first = errors.remove(0);
    if errors.iter().all(|e| e.to_string() == first.to_string()) {
        return first;
    }
    let all: Vec<String> = std::iter::once(&first)
        .chain(&errors)
        .map(ToString::to_string)
        .collect();
    os_error(io::Error::other(format!(
        "Multiple exceptions: {}",
        all.join(", ")
    )))
}

/// The body of [`EventLoop::create_connection`], run in the caller's
/// coroutine (`open_connection`'s: no generator of its own).
pub(crate) async fn connection_in<P: Protocol>(
    co: &CoroutineCo,
    lp: &Weak<LoopInner>,
    protocol_factory: impl FnOnce() -> P,
    host: &str,
    port: u16,
    resolver: Resolver,
) -> Result<(Transport, Rc<P>), AnyError> {
    let addrs = resolve(co, lp, host, port, resolver).await?;
    let mut errors = Vec::new();
    let mut connected = None;
    for addr in addrs {
        match connect_in(co, upgrade(lp)?, addr).await {
            Ok(stream) => {
                connected = Some(stream);
                break;
            }
            Err(e) => errors.push(e),
        }
    }
    let Some(stream) = connected else {
        return Err(connect_failure(errors));
    };
    // The connect's watcher has let go of it by now; if not, a duplicate
    // descriptor serves, and the shared one closes soon.
    let stream = Rc::try_unwrap(stream)
        .or_else(|shared| shared.try_clone())
        .map_err(os_error)?;
    start_transport(co, lp, protocol_factory, |lp, protocol| {
        Transport::start(lp, Socket::Tcp(stream), protocol, None)
    })
    .await
}

/// The body of [`EventLoop::create_unix_connection`], run in the caller's
/// coroutine (`open_unix_connection`'s: no generator of its own).
pub(crate) async fn unix_connection_in<P: Protocol>(
    co: &CoroutineCo,
    lp: &Weak<LoopInner>,
    protocol_factory: impl FnOnce() -> P,
    path: &Path,
) -> Result<(Transport, Rc<P>), AnyError> {
    let stream = UnixStream::connect(path).map_err(os_error)?;
    stream.set_nonblocking(true).map_err(os_error)?;
    start_transport(co, lp, protocol_factory, |lp, protocol| {
        Transport::start(lp, Socket::Unix(stream), protocol, None)
    })
    .await
}

/// Makes the protocol, starts its transport with `start`, and evaluates
/// to both once the transport's `connection_made` has run.
async fn start_transport<P, T>(
    co: &CoroutineCo,
    lp: &Weak<LoopInner>,
    protocol_factory: impl FnOnce() -> P,
    start: impl FnOnce(&EventLoop, Rc<P>) -> Result<T, AnyError>,
) -> Result<(T, Rc<P>), AnyError> {
    let protocol = Rc::new(protocol_factory());
    let lp = upgrade(lp)?;
    let transport = start(&lp, protocol.clone())?;
    let made = after_scheduled(&lp)?;
    // Not held across the wait: a suspended coroutine holding its loop
    // would keep the loop alive through the loop's own tasks.
    drop(lp);
    made.wait_in(co).await?;
    Ok((transport, protocol))
}

/// Making connections, servers and datagram endpoints (Python's
/// `loop.create_*`). Each evaluates, as in Python, to the transport and
/// the protocol the factory made, once `connection_made` has run.
impl EventLoop {
    /// Connects to `host`:`port` over TCP, trying each address the name
    /// resolves to in turn (Python's `loop.create_connection`).
    ///
    /// # Errors
    ///
    /// [`GaiError`] for a name that does not resolve;
    /// `ConnectionRefusedError` (or another OS error) when no address
    /// accepts, or Python's `OSError("Multiple exceptions: ...")` when
    /// several failed differently.
    pub fn create_connection<P: Protocol>(
        &self,
        protocol_factory: impl FnOnce() -> P + 'static,
        host: &str,
        port: u16,
    ) -> Coroutine<(Transport, Rc<P>)> {
        self.create_connection_with(protocol_factory, host, port, system_resolver)
    }

    /// [`create_connection`](Self::create_connection) resolving with
    /// `resolver`.
    fn create_connection_with<P: Protocol>(
        &self,
        protocol_factory: impl FnOnce() -> P + 'static,
        host: &str,
        port: u16,
        resolver: Resolver,
    ) -> Coroutine<(Transport, Rc<P>)> {
        let lp = Rc::downgrade(&self.0);
        let host = host.to_owned();
        coroutine("create_connection", move |co| async move {
            connection_in(&co, &lp, protocol_factory, &host, port, resolver).await
        })
    }

    /// Connects to the Unix-domain socket at `path` (Python's
    /// `loop.create_unix_connection`). The connect itself is the OS's
    /// blocking one, which on a local socket returns at once unless the
    /// server's backlog is full.
    ///
    /// # Errors
    ///
    /// The OS's: [`FileNotFoundError`](super::FileNotFoundError) for no
    /// such socket, `ConnectionRefusedError` when nobody listens on it.
    pub fn create_unix_connection<P: Protocol>(
        &self,
        protocol_factory: impl FnOnce() -> P + 'static,
        path: impl AsRef<Path>,
    ) -> Coroutine<(Transport, Rc<P>)> {
        let lp = Rc::downgrade(&self.0);
        let path = path.as_ref().to_owned();
        coroutine("create_unix_connection", move |co| async move {
            unix_connection_in(&co, &lp, protocol_factory, &path).await
        })
    }

    /// Listens on `host`:`port` over TCP, on every address the name
    /// resolves to, and serves each connection with a new protocol from
    /// `protocol_factory` (Python's `loop.create_server`). Port 0 picks a
    /// free port: see [`Server::sockets`]. Serving starts at once.
    ///
    /// # Errors
    ///
    /// [`GaiError`] for a name that does not resolve; `OsError`
    /// "[Errno 98] Address already in use" for a port taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{io::{Read, Write}, net::TcpStream};
    /// use yieldfrom::asyncio::{Address, ClockKind, EventLoop, Protocol, Transport};
    /// use std::cell::RefCell;
    ///
    /// #[derive(Default)]
    /// struct Echo(RefCell<Option<Transport>>);
    /// impl Protocol for Echo {
    ///     fn connection_made(&self, transport: Transport) {
    ///         *self.0.borrow_mut() = Some(transport);
    ///     }
    ///     fn data_received(&self, data: &[u8]) {
    ///         if let Some(t) = &*self.0.borrow() {
    ///             t.write(data).unwrap();
    ///         }
    ///     }
    /// }
    ///
    /// let lp = EventLoop::new(ClockKind::Real);
    /// let server = lp.run_until_complete(lp.create_server(Echo::default, "127.0.0.1", 0)).unwrap();
    /// let Address::Inet(addr) = server.sockets()[0].clone() else { unreachable!() };
    /// let client = std::thread::spawn(move || {
    ///     let mut conn = TcpStream::connect(addr).unwrap();
    ///     conn.write_all(b"echo").unwrap();
    ///     let mut back = [0; 4];
    ///     conn.read_exact(&mut back).unwrap();
    ///     back
    /// });
    /// while !client.is_finished() {
    ///     lp.run_until_complete(yieldfrom::asyncio::sleep(0.01)).unwrap();
    /// }
    /// assert_eq!(&client.join().unwrap(), b"echo");
    /// server.close();
    /// ```
    pub fn create_server<P: Protocol>(
        &self,
        protocol_factory: impl Fn() -> P + 'static,
        host: &str,
        port: u16,
    ) -> Coroutine<Server> {
        self.create_server_with(protocol_factory, host, port, ServerOptions::new())
    }

    /// [`create_server`](Self::create_server) with Python's keyword
    /// arguments (`backlog=`) in `options`.
    ///
    /// # Errors
    ///
    /// As [`create_server`](Self::create_server).
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{ClockKind, EventLoop, Protocol, ServerOptions};
    ///
    /// struct Quiet;
    /// impl Protocol for Quiet {}
    ///
    /// let lp = EventLoop::new(ClockKind::Real);
    /// // Python's `await loop.create_server(Quiet, "127.0.0.1", 0, backlog=1000)`
    /// let listening = lp.create_server_with(|| Quiet, "127.0.0.1", 0, ServerOptions::new().backlog(1000));
    /// let server = lp.run_until_complete(listening).unwrap();
    /// assert!(server.is_serving());
    /// server.close();
    /// ```
    pub fn create_server_with<P: Protocol>(
        &self,
        protocol_factory: impl Fn() -> P + 'static,
        host: &str,
        port: u16,
        options: ServerOptions,
    ) -> Coroutine<Server> {
        let lp = Rc::downgrade(&self.0);
        let host = host.to_owned();
        coroutine("create_server", move |co| async move {
            let mut listeners = Vec::new();
            for addr in resolve(&co, &lp, &host, port, system_resolver).await? {
                listeners.push(Listening::tcp(addr, options).map_err(os_error)?);
            }
            Server::start(&upgrade(&lp)?, listeners, protocol_factory, options)
        })
    }

    /// Listens on the Unix-domain socket `path` (Python's
    /// `loop.create_unix_server`). A socket file left there by an earlier
    /// server is removed first, as CPython does; the file stays after the
    /// server closes, as in CPython 3.11.
    ///
    /// # Errors
    ///
    /// The OS's, as `OsError`: `[Errno 98] Address already in use` when
    /// something other than a socket is at `path`.
    pub fn create_unix_server<P: Protocol>(
        &self,
        protocol_factory: impl Fn() -> P + 'static,
        path: impl AsRef<Path>,
    ) -> Coroutine<Server> {
        self.create_unix_server_with(protocol_factory, path, ServerOptions::new())
    }

    /// [`create_unix_server`](Self::create_unix_server) with Python's
    /// keyword arguments (`backlog=`) in `options`.
    ///
    /// # Errors
    ///
    /// As [`create_unix_server`](Self::create_unix_server).
    pub fn create_unix_server_with<P: Protocol>(
        &self,
        protocol_factory: impl Fn() -> P + 'static,
        path: impl AsRef<Path>,
        options: ServerOptions,
    ) -> Coroutine<Server> {
        let lp = Rc::downgrade(&self.0);
        let path = path.as_ref().to_owned();
        coroutine("create_unix_server", move |_| async move {
            if std::fs::metadata(&path).is_ok_and(|m| m.file_type().is_socket()) {
                std::fs::remove_file(&path).map_err(os_error)?;
            }
            let listener = Listening::unix(&path, options).map_err(os_error)?;
            Server::start(&upgrade(&lp)?, vec![listener], protocol_factory, options)
        })
    }

    /// Opens a UDP endpoint bound to `local_addr` (any port on the
    /// matching wildcard address if `None`) and, with `remote_addr`,
    /// connected to it (Python's `loop.create_datagram_endpoint`).
    ///
    /// # Errors
    ///
    /// `ValueError("unexpected address family")` with neither address;
    /// the OS's errors, as `OsError`.
    pub fn create_datagram_endpoint<P: DatagramProtocol>(
        &self,
        protocol_factory: impl FnOnce() -> P + 'static,
        local_addr: Option<SocketAddr>,
        remote_addr: Option<SocketAddr>,
    ) -> Coroutine<(DatagramTransport, Rc<P>)> {
        let lp = Rc::downgrade(&self.0);
        coroutine("create_datagram_endpoint", move |co| async move {
            let local = match (local_addr, remote_addr) {
                (Some(local), _) => local,
                (None, Some(SocketAddr::V4(_))) => SocketAddr::from(([0, 0, 0, 0], 0)),
                (None, Some(SocketAddr::V6(_))) => SocketAddr::from(([0_u16; 8], 0)),
                (None, None) => {
                    return Err(ValueError::new("unexpected address family").into());
                }
            };
            let sock = UdpSocket::bind(local).map_err(os_error)?;
            if let Some(remote) = remote_addr {
                sock.connect(remote).map_err(os_error)?;
            }
            sock.set_nonblocking(true).map_err(os_error)?;
            start_transport(&co, &lp, protocol_factory, |lp, protocol| {
                DatagramTransport::start(lp, sock, protocol)
            })
            .await
        })
    }
}

/// A listening socket of a server.
enum Listening {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listening {
    /// A socket listening on `addr` with `options`' backlog, made as std's
    /// `TcpListener::bind` makes one (`SO_REUSEADDR`, as CPython's
    /// `create_server` sets too), which always listens with 128.
    fn tcp(addr: SocketAddr, options: ServerOptions) -> io::Result<Self> {
        let fd = tcp_socket(&addr)?;
        rustix::net::sockopt::set_socket_reuseaddr(&fd, true)?;
        rustix::net::bind(&fd, &addr)?;
        rustix::net::listen(&fd, options.listen_backlog())?;
        Ok(Self::Tcp(TcpListener::from(fd)))
    }

    /// A socket listening at `path` with `options`' backlog.
    fn unix(path: &Path, options: ServerOptions) -> io::Result<Self> {
        let fd = stream_socket(AddressFamily::UNIX)?;
        rustix::net::bind(&fd, &rustix::net::SocketAddrUnix::new(path)?)?;
        rustix::net::listen(&fd, options.listen_backlog())?;
        Ok(Self::Unix(UnixListener::from(fd)))
    }

    /// One accept, the new socket non-blocking from the start
    /// (`accept4` with `SOCK_NONBLOCK`: no `ioctl` after it).
    fn accept(&self) -> io::Result<Socket> {
        use rustix::net::SocketFlags;
        let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
        Ok(match self {
            Self::Tcp(l) => Socket::Tcp(TcpStream::from(rustix::net::accept_with(l, flags)?)),
            Self::Unix(l) => Socket::Unix(UnixStream::from(rustix::net::accept_with(l, flags)?)),
        })
    }

    fn address(&self) -> Option<Address> {
        match self {
            Self::Tcp(l) => l.local_addr().ok().map(Address::Inet),
            Self::Unix(l) => l.local_addr().ok().map(Address::Unix),
        }
    }

    fn fd(&self) -> std::os::fd::RawFd {
        match self {
            Self::Tcp(l) => l.as_fd().as_raw_fd(),
            Self::Unix(l) => l.as_fd().as_raw_fd(),
        }
    }
}

/// A listening server (Python's `asyncio.Server`): made by
/// [`EventLoop::create_server`] or [`EventLoop::create_unix_server`]. A
/// cheap handle.
///
/// Closing it stops listening; the connections it accepted go on until
/// they close, and [`wait_closed`](Self::wait_closed) waits for them too
/// (CPython 3.12's rule: 3.11's `wait_closed` returned at once once the
/// server was closed). Closing the loop closes the server and every
/// connection.
#[derive(Clone)]
pub struct Server(Rc<ServerInner>);

struct ServerInner {
    lp: Weak<LoopInner>,
    /// `None` once closed.
    listeners: RefCell<Option<Vec<Rc<Listening>>>>,
    factory: Box<dyn Fn() -> Rc<dyn Protocol>>,
    /// How many connections one readiness accepts at most.
    accepts_per_ready: usize,
    serving: Cell<bool>,
    /// Connections accepted and not yet lost.
    active: Cell<usize>,
    /// Who waits in `wait_closed`; `None` once they were woken.
    waiters: RefCell<Option<Vec<Future<()>>>>,
    serving_forever: RefCell<Option<Future<()>>>,
    closer: Cell<Option<Key>>,
}

impl Server {
    fn start<P: Protocol>(
        lp: &EventLoop,
        listeners: Vec<Listening>,
        factory: impl Fn() -> P + 'static,
        options: ServerOptions,
    ) -> Result<Self, AnyError> {
        let server = Self(Rc::new(ServerInner {
            lp: Rc::downgrade(&lp.0),
            listeners: RefCell::new(Some(listeners.into_iter().map(Rc::new).collect())),
            factory: Box::new(move || Rc::new(factory()) as Rc<dyn Protocol>),
            accepts_per_ready: options.accepts_per_ready(),
            serving: Cell::new(false),
            active: Cell::new(0),
            waiters: RefCell::new(Some(Vec::new())),
            serving_forever: RefCell::new(None),
            closer: Cell::new(None),
        }));
        let weak = Rc::downgrade(&server.0);
        let key = lp.0.closers.borrow_mut().insert(Box::new(move || {
            if let Some(inner) = weak.upgrade() {
                Self(inner).close();
            }
        }));
        server.0.closer.set(Some(key));
        server.start_serving()?;
        Ok(server)
    }

    fn lp(&self) -> Option<EventLoop> {
        self.0.lp.upgrade().map(EventLoop)
    }

    /// Starts accepting, if it is not (Python's `server.start_serving`).
    ///
    /// # Errors
    ///
    /// `RuntimeError` if the loop is closed.
    pub fn start_serving(&self) -> Result<(), AnyError> {
        if self.0.serving.get() {
            return Ok(());
        }
        let Some(lp) = self.lp() else {
            return Err(RuntimeError::new("Event loop is closed").into());
        };
        let listeners = self.0.listeners.borrow().clone().unwrap_or_default();
        for listener in listeners {
            let (server, accepting) = (self.clone(), listener.clone());
            lp.add_reader(&listener.fd(), move || server.accept_ready(&accepting))?;
        }
        self.0.serving.set(true);
        Ok(())
    }

    /// CPython's `_accept_connection`: up to `backlog` connections.
    fn accept_ready(&self, listener: &Rc<Listening>) {
        let Some(lp) = self.lp() else { return };
        for _ in 0..self.0.accepts_per_ready {
            match listener.accept() {
                Ok(sock) => {
                    let protocol = (self.0.factory)();
                    self.0.active.set(self.0.active.get() + 1);
                    if Transport::start(&lp, sock, protocol, Some(self.clone())).is_err() {
                        self.detach();
                    }
                }
                Err(e) if is_out_of_resources(&e) => {
                    // Accepting again at once would spin: wait for
                    // descriptors or memory to be freed.
                    lp.remove_reader(&listener.fd());
                    self.0.serving.set(false);
                    let server = self.clone();
                    let _ = lp.call_later(ACCEPT_RETRY_DELAY, move || {
                        if server.0.listeners.borrow().is_some() {
                            let _ = server.start_serving();
                        }
                    });
                    return;
                }
                // Nothing more to accept, or one connection that went
                // away before it was accepted.
                Err(_) => return,
            }
        }
    }

    /// A connection it accepted is lost.
    pub(crate) fn detach(&self) {
        let active = self.0.active.get().saturating_sub(1);
        self.0.active.set(active);
        if active == 0 && self.0.listeners.borrow().is_none() {
            self.wake_up();
        }
    }

    fn wake_up(&self) {
        let waiters = self.0.waiters.borrow_mut().take();
        for waiter in waiters.into_iter().flatten() {
            if !waiter.done() {
                let _ = waiter.set_result(());
            }
        }
    }

    /// Stops listening and closes the listening sockets (Python's
    /// `server.close`); connections already accepted go on. Closing
    /// twice does nothing.
    pub fn close(&self) {
        let Some(listeners) = self.0.listeners.borrow_mut().take() else {
            return;
        };
        if let Some(lp) = self.lp() {
            for listener in &listeners {
                lp.remove_reader(&listener.fd());
            }
            if let Some(key) = self.0.closer.take() {
                let closer = lp.0.closers.borrow_mut().remove(key);
                drop(closer);
            }
        }
        drop(listeners);
        self.0.serving.set(false);
        let forever = self.0.serving_forever.borrow_mut().take();
        if let Some(forever) = forever {
            forever.cancel();
        }
        if self.0.active.get() == 0 {
            self.wake_up();
        }
    }

    /// Waits until the server is closed and every connection it accepted
    /// is lost (Python's `server.wait_closed`).
    ///
    /// # Errors
    ///
    /// `CancelledError` if the waiting task is cancelled.
    pub fn wait_closed(&self) -> Coroutine<()> {
        let server = self.clone();
        coroutine("Server.wait_closed", move |co| async move {
            let waiter = {
                let mut waiters = server.0.waiters.borrow_mut();
                let Some(waiters) = waiters.as_mut() else {
                    return Ok(());
                };
                let Some(lp) = server.lp() else {
                    return Ok(());
                };
                let waiter: Future<()> = lp.create_future();
                waiters.push(waiter.clone());
                waiter
            };
            drop(server);
            waiter.wait_in(&co).await
        })
    }

    /// Serves until cancelled, then closes the server and waits for it
    /// to close before raising the `CancelledError` (Python's
    /// `server.serve_forever`).
    ///
    /// # Errors
    ///
    /// `RuntimeError` if the server is closed or already serving forever;
    /// `CancelledError` when cancelled, or when [`close`](Self::close) is
    /// called.
    pub fn serve_forever(&self) -> Coroutine<()> {
        let server = self.clone();
        coroutine("Server.serve_forever", move |co| async move {
            if server.0.serving_forever.borrow().is_some() {
                return Err(RuntimeError::new(format!(
                    "server {server:?} is already being awaited on serve_forever()"
                ))
                .into());
            }
            if server.0.listeners.borrow().is_none() {
                return Err(RuntimeError::new(format!("server {server:?} is closed")).into());
            }
            server.start_serving()?;
            let Some(lp) = server.lp() else {
                return Err(RuntimeError::new("Event loop is closed").into());
            };
            let forever: Future<()> = lp.create_future();
            drop(lp);
            *server.0.serving_forever.borrow_mut() = Some(forever.clone());
            let outcome = forever.wait_in(&co).await;
            server.0.serving_forever.borrow_mut().take();
            let error = outcome
                .err()
                .unwrap_or_else(|| RuntimeError::new("serve_forever ended").into());
            server.close();
            co.yield_from(server.wait_closed()).await?;
            Err(error)
        })
    }

    /// Whether it is accepting connections.
    pub fn is_serving(&self) -> bool {
        self.0.serving.get()
    }

    /// The addresses it listens on, empty once closed (Python's
    /// `[s.getsockname() for s in server.sockets]`).
    pub fn sockets(&self) -> Vec<Address> {
        self.0
            .listeners
            .borrow()
            .iter()
            .flatten()
            .filter_map(|l| l.address())
            .collect()
    }

    /// The loop it serves on, if it still exists.
    pub fn get_loop(&self) -> Option<EventLoop> {
        self.lp()
    }
}

/// Whether an accept failed for want of descriptors or memory (CPython's
/// `EMFILE, ENFILE, ENOBUFS, ENOMEM`).
fn is_out_of_resources(error: &io::Error) -> bool {
    use rustix::io::Errno;
    error.raw_os_error().is_some_and(|code| {
        [Errno::MFILE, Errno::NFILE, Errno::NOBUFS, Errno::NOMEM]
            .iter()
            .any(|e| e.raw_os_error() == code)
    })
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Server sockets={:?}>", self.sockets())
    }
}

#[cfg(test)]
mod tests {
    use super::{Protocol, Resolver};
    use crate::asyncio::{Address, ClockKind, EventLoop};
    use std::{
        io,
        net::{SocketAddr, TcpListener},
        sync::{
            Condvar, Mutex, PoisonError,
            atomic::{AtomicBool, Ordering},
        },
        time::Duration,
    };

    struct Quiet;
    impl Protocol for Quiet {}

    /// Connects, through `resolver`, to a listener on 127.0.0.1 named
    /// `host`, while a timer of the loop runs `timer` soon; gives the
    /// connection's peer.
    fn connect(host: &str, resolver: Resolver, timer: impl FnOnce() + 'static) -> Option<Address> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let lp = EventLoop::new(ClockKind::Real);
        lp.call_later(0.01, timer).unwrap();
        let (transport, _) = lp
            .run_until_complete(lp.create_connection_with(|| Quiet, host, port, resolver))
            .unwrap();
        transport.peername()
    }

    /// Opened by the loop's timer; a resolver still waiting after this long
    /// was stopping the loop.
    static GATE: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());
    const BLOCKED_LOOP: Duration = Duration::from_secs(10);

    fn resolver_waiting_for_the_loop(_host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        let (open, opened) = &GATE;
        let open = open.lock().unwrap_or_else(PoisonError::into_inner);
        let (_open, waited) = opened
            .wait_timeout_while(open, BLOCKED_LOOP, |open| !*open)
            .unwrap_or_else(PoisonError::into_inner);
        if waited.timed_out() {
            return Err(io::Error::other(
                "the loop ran nothing while a name resolved",
            ));
        }
        Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
    }

    #[test]
    fn a_host_name_resolves_off_the_loop_thread_while_the_loop_fires_its_timers() {
        // The resolution finishes only once a timer of the loop has fired:
        // resolving on the loop's thread would stop that timer, and the
        // resolver would give up.
        let peer = connect("resolved.invalid", resolver_waiting_for_the_loop, || {
            let (open, opened) = &GATE;
            *open.lock().unwrap_or_else(PoisonError::into_inner) = true;
            opened.notify_all();
        });
        assert!(peer.is_some());
    }

    static CALLED: AtomicBool = AtomicBool::new(false);

    #[allow(clippy::unnecessary_wraps, reason = "the signature of a Resolver")]
    fn recording_resolver(_host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        CALLED.store(true, Ordering::SeqCst);
        Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
    }

    #[test]
    fn a_literal_address_needs_no_resolver_and_no_thread() {
        let peer = connect("127.0.0.1", recording_resolver, || {});
        assert!(peer.is_some());
        assert!(
            !CALLED.load(Ordering::SeqCst),
            "127.0.0.1 went to the resolver"
        );
    }
}
