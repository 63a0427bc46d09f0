//! The echo exchange that `benches/streams.rs` times and
//! `benches/idle_connections.rs` holds idle, for each Rust contender: ours
//! with streams, ours with a protocol, tokio current-thread.
//!
//! Clients connect `CONNECT_BATCH` at a time, each connection making a
//! first round trip before the next batch starts, then all run their
//! round trips at once: write a message, read the whole echo back. Servers
//! echo what they read, and every server listens with the same backlog,
//! `BACKLOG`, CPython's default. A connect completes once the OS has
//! queued the connection, before the server accepts it; the first round
//! trip shows it accepted, so no more than a batch ever waits in the
//! server's queue. Without it, on a loaded machine the next batch arrived
//! while the last still waited, the queue overflowed, and the dropped SYNs
//! cost a second each before their retransmission: the 10,000-connection
//! runs measured that (docs/io.md, "Figures: an echo under load").
//!
//! Up to `ONE_PROCESS_MAX` connections, server and clients share one loop
//! in one process. Beyond, they cannot: each connection takes a descriptor
//! at both ends, and the hard limit on descriptors here is 20,000 per
//! process, so the server runs in a child process (this same program, told
//! so by `SERVER_VAR`), started before the timing.

use std::{
    cell::{Cell, RefCell},
    env,
    io::{BufRead, BufReader, Write},
    process::{Child, ChildStdout, Command, Stdio},
    rc::Rc,
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpSocket, TcpStream},
    runtime::Runtime,
    task::{LocalSet, spawn_local},
};
use yieldfrom::{
    AnyError,
    asyncio::{
        Address, ClockKind, CoroutineCo, DEFAULT_LIMIT, EventLoop, Future, Protocol, Server,
        ServerOptions, StreamReader, StreamWriter, Transport, coroutine, open_connection, sleep,
        start_server_with,
    },
};

pub const HOST: &str = "127.0.0.1";

/// Connects in flight at once, at most: no more than the listen backlog.
const CONNECT_BATCH: usize = 100;

/// Every server's listen backlog: CPython's default, given explicitly to
/// each (tokio's `TcpListener::bind` would listen with 1024).
const BACKLOG: i32 = 100;

/// The most connections served in the clients' own process.
const ONE_PROCESS_MAX: usize = 1000;

/// Every run stops by itself after this long, finished or not.
pub const GUARD: Duration = Duration::from_mins(2);

/// Set in a child's environment to `CONTENDER SIZE CONNECTIONS`: it serves
/// that many connections and exits when they are all closed.
const SERVER_VAR: &str = "YIELDFROM_ECHO_SERVER";

/// Round trips in one run: 2,000 spread over the connections, or one per
/// connection where that is more.
pub fn round_trips(connections: usize) -> usize {
    2_000.max(connections)
}

#[derive(Clone, Copy, Debug)]
pub enum Contender {
    Streams,
    Protocol,
    Tokio,
}

impl Contender {
    fn name(self) -> &'static str {
        match self {
            Self::Streams => "streams",
            Self::Protocol => "protocol",
            Self::Tokio => "tokio",
        }
    }

    fn from_name(name: &str) -> Self {
        match name {
            "streams" => Self::Streams,
            "protocol" => Self::Protocol,
            "tokio" => Self::Tokio,
            _ => panic!("no contender {name:?}"),
        }
    }
}

/// Raises this process's soft limit on descriptors to its hard limit
/// (children inherit it); to be called first thing in `main`.
pub fn raise_descriptor_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    setrlimit(Resource::Nofile, limit).expect("raising RLIMIT_NOFILE to its hard limit");
}

/// Resident set size of this process, in bytes (`VmRSS`).
pub fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: usize = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kib * 1024
}

// --- counting connections (the child server) --------------------------------

/// Counts a server's connections; calls `on_connected` when the target
/// number are connected and `on_closed` when they are all closed.
pub struct Tally {
    target: usize,
    connected: Cell<usize>,
    closed: Cell<usize>,
    on_connected: RefCell<Option<Box<dyn FnOnce()>>>,
    on_closed: RefCell<Option<Box<dyn FnOnce()>>>,
}

impl Tally {
    fn new(
        target: usize,
        on_connected: impl FnOnce() + 'static,
        on_closed: impl FnOnce() + 'static,
    ) -> Rc<Self> {
        Rc::new(Self {
            target,
            connected: Cell::new(0),
            closed: Cell::new(0),
            on_connected: RefCell::new(Some(Box::new(on_connected))),
            on_closed: RefCell::new(Some(Box::new(on_closed))),
        })
    }

    fn connected(&self) {
        self.connected.set(self.connected.get() + 1);
        if self.connected.get() == self.target {
            let call = self.on_connected.borrow_mut().take();
            if let Some(f) = call {
                f();
            }
        }
    }

    fn closed(&self) {
        self.closed.set(self.closed.get() + 1);
        if self.closed.get() == self.target {
            let call = self.on_closed.borrow_mut().take();
            if let Some(f) = call {
                f();
            }
        }
    }
}

// --- ours with streams -------------------------------------------------------

fn server_options() -> ServerOptions {
    ServerOptions::new().backlog(BACKLOG)
}

fn streams_server(size: usize, tally: Option<Rc<Tally>>) -> yieldfrom::asyncio::Coroutine<Server> {
    let handler = move |reader: StreamReader, writer: StreamWriter| {
        let tally = tally.clone();
        coroutine("echo", move |co| async move {
            if let Some(t) = &tally {
                t.connected();
            }
            loop {
                let Ok(message) = co.yield_from(reader.readexactly(size)).await else {
                    break;
                };
                writer.write(&message)?;
                co.yield_from(writer.drain()).await?;
            }
            writer.close();
            if let Some(t) = &tally {
                t.closed();
            }
            Ok(())
        })
    };
    start_server_with(handler, HOST, 0, DEFAULT_LIMIT, server_options())
}

/// One round trip over streams: `message` written, its echo read back.
async fn streams_round_trip(
    co: &CoroutineCo,
    reader: &StreamReader,
    writer: &StreamWriter,
    message: &[u8],
) -> Result<(), AnyError> {
    writer.write(message)?;
    co.yield_from(writer.drain()).await?;
    let back = co.yield_from(reader.readexactly(message.len())).await?;
    assert_eq!(back.len(), message.len());
    Ok(())
}

/// Opens a stream connection and makes a first round trip over it: once
/// it returns, the server has accepted the connection.
fn streams_connect(
    port: u16,
    size: usize,
) -> yieldfrom::asyncio::Coroutine<(StreamReader, StreamWriter)> {
    coroutine("connect", move |co| async move {
        let (reader, writer) = co.yield_from(open_connection(HOST, port)).await?;
        streams_round_trip(&co, &reader, &writer, &vec![b'x'; size]).await?;
        Ok((reader, writer))
    })
}

/// Runs `connections` connects made by `connect` as tasks, `CONNECT_BATCH`
/// at a time, each batch once the one before has connected, and gives
/// what they evaluate to, in order.
async fn connect_in_batches<T: Clone + 'static>(
    co: &CoroutineCo,
    lp: &EventLoop,
    connections: usize,
    mut connect: impl FnMut() -> yieldfrom::asyncio::Coroutine<T>,
) -> Result<Vec<T>, AnyError> {
    let mut connected = Vec::with_capacity(connections);
    while connected.len() < connections {
        let batch = CONNECT_BATCH.min(connections - connected.len());
        let connects = (0..batch)
            .map(|_| lp.create_task(connect()))
            .collect::<Result<Vec<_>, _>>()?;
        for task in &connects {
            connected.push(task.future().wait_in(co).await?);
        }
    }
    Ok(connected)
}

/// Connects `connections` stream clients, `CONNECT_BATCH` at a time, then
/// runs `rounds` round trips over them at once; each closes when done.
fn streams_clients(
    port: u16,
    connections: usize,
    size: usize,
    rounds: usize,
) -> yieldfrom::asyncio::Coroutine<()> {
    coroutine("clients", move |co| async move {
        let lp = EventLoop::running()?;
        let streams =
            connect_in_batches(&co, &lp, connections, || streams_connect(port, size)).await?;
        let per_connection = rounds / connections;
        let clients = streams
            .into_iter()
            .map(|(reader, writer)| {
                lp.create_task(coroutine("client", move |co| async move {
                    let message = vec![b'x'; size];
                    for _ in 0..per_connection {
                        streams_round_trip(&co, &reader, &writer, &message).await?;
                    }
                    writer.close();
                    co.yield_from(writer.wait_closed()).await
                }))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for client in &clients {
            client.future().wait_in(&co).await?;
        }
        Ok(())
    })
}

// --- ours with a protocol ----------------------------------------------------

/// Writes back whatever it receives.
struct EchoServer {
    transport: RefCell<Option<Transport>>,
    tally: Option<Rc<Tally>>,
}

impl Protocol for EchoServer {
    fn connection_made(&self, transport: Transport) {
        *self.transport.borrow_mut() = Some(transport);
        if let Some(t) = &self.tally {
            t.connected();
        }
    }

    fn data_received(&self, data: &[u8]) {
        if let Some(transport) = &*self.transport.borrow() {
            transport.write(data).expect("echo write");
        }
    }

    fn connection_lost(&self, _error: Option<AnyError>) {
        self.transport.borrow_mut().take();
        if let Some(t) = &self.tally {
            t.closed();
        }
    }
}

fn protocol_server(tally: Option<Rc<Tally>>) -> yieldfrom::asyncio::Coroutine<Server> {
    let lp = EventLoop::running().expect("a running loop");
    lp.create_server_with(
        move || EchoServer {
            transport: RefCell::new(None),
            tally: tally.clone(),
        },
        HOST,
        0,
        server_options(),
    )
}

/// Sends a message, waits for all of its echo, `rounds` times, then closes;
/// before, a first round trip (`greet`) that `greeted` waits for.
struct EchoClient {
    transport: RefCell<Option<Transport>>,
    message: Rc<[u8]>,
    received: Cell<usize>,
    rounds_left: Cell<usize>,
    /// Set once the first round trip is back.
    greeted: Future<()>,
    lost: Future<()>,
}

impl EchoClient {
    fn greet(&self) {
        let transport = self.transport.borrow().clone().expect("connected");
        transport.write(&self.message).expect("client write");
    }

    fn start(&self) {
        let transport = self.transport.borrow().clone().expect("connected");
        if self.rounds_left.get() == 0 {
            transport.close();
        } else {
            transport.write(&self.message).expect("client write");
        }
    }
}

impl Protocol for EchoClient {
    fn connection_made(&self, transport: Transport) {
        *self.transport.borrow_mut() = Some(transport);
    }

    fn data_received(&self, data: &[u8]) {
        self.received.set(self.received.get() + data.len());
        if self.received.get() == self.message.len() {
            self.received.set(0);
            if self.greeted.done() {
                self.rounds_left.set(self.rounds_left.get() - 1);
                self.start();
            } else {
                let _ = self.greeted.set_result(());
            }
        }
    }

    fn connection_lost(&self, _error: Option<AnyError>) {
        self.transport.borrow_mut().take();
        // Set once: a transport loses its connection once.
        let _ = self.lost.set_result(());
    }
}

fn protocol_clients(
    port: u16,
    connections: usize,
    size: usize,
    rounds: usize,
) -> yieldfrom::asyncio::Coroutine<()> {
    coroutine("clients", move |co| async move {
        let lp = EventLoop::running()?;
        let message: Rc<[u8]> = vec![b'x'; size].into();
        let per_connection = rounds / connections;
        let clients = connect_in_batches(&co, &lp, connections, || {
            let client = EchoClient {
                transport: RefCell::new(None),
                message: message.clone(),
                received: Cell::new(0),
                rounds_left: Cell::new(per_connection),
                greeted: lp.create_future(),
                lost: lp.create_future(),
            };
            let connecting = lp.create_connection(move || client, HOST, port);
            coroutine("connect", move |co| async move {
                let (_, client) = co.yield_from(connecting).await?;
                client.greet();
                client.greeted.wait_in(&co).await?;
                Ok(client)
            })
        })
        .await?;
        for client in &clients {
            client.start();
        }
        for client in &clients {
            client.lost.wait_in(&co).await?;
        }
        Ok(())
    })
}

// --- ours: one run -------------------------------------------------------------

fn ours_server(
    contender: Contender,
    size: usize,
    tally: Option<Rc<Tally>>,
) -> yieldfrom::asyncio::Coroutine<Server> {
    match contender {
        Contender::Streams => streams_server(size, tally),
        Contender::Protocol => protocol_server(tally),
        Contender::Tokio => unreachable!("tokio is not ours"),
    }
}

/// A real-clock loop with a timer that stops it after `GUARD`.
fn guarded_loop() -> EventLoop {
    let lp = EventLoop::new(ClockKind::Real);
    lp.call_later(GUARD.as_secs_f64(), || {
        if let Ok(lp) = EventLoop::running() {
            lp.stop();
        }
    })
    .expect("a new loop");
    lp
}

fn ours_clients(contender: Contender, port: u16, connections: usize, size: usize) {
    let lp = guarded_loop();
    let rounds = round_trips(connections);
    let clients = match contender {
        Contender::Streams => streams_clients(port, connections, size, rounds),
        _ => protocol_clients(port, connections, size, rounds),
    };
    lp.run_until_complete(clients).expect("the clients' run");
    lp.close().expect("closing the clients' loop");
}

fn ours_one_process(contender: Contender, connections: usize, size: usize) {
    let lp = guarded_loop();
    let server = lp
        .run_until_complete(coroutine("serve", move |co| async move {
            co.yield_from(ours_server(contender, size, None)).await
        }))
        .expect("the server");
    let rounds = round_trips(connections);
    let clients = match contender {
        Contender::Streams => streams_clients(port_of(&server), connections, size, rounds),
        _ => protocol_clients(port_of(&server), connections, size, rounds),
    };
    lp.run_until_complete(clients).expect("the echo run");
    server.close();
    lp.close().expect("closing the loop");
}

fn port_of(server: &Server) -> u16 {
    let Address::Inet(addr) = server.sockets()[0].clone() else {
        unreachable!("a TCP server")
    };
    addr.port()
}

/// The child's side with ours: serve, say the port, say the RSS the
/// connections added once they are all made, exit once they are all
/// closed.
fn ours_child(contender: Contender, size: usize, connections: usize) {
    let lp = guarded_loop();
    let all_connected: Future<()> = lp.create_future();
    let all_closed: Future<()> = lp.create_future();
    let (connected, closed) = (all_connected.clone(), all_closed.clone());
    let tally = Tally::new(
        connections,
        move || drop(connected.set_result(())),
        move || drop(closed.set_result(())),
    );
    let baseline = rss();
    let server = lp
        .run_until_complete(coroutine("serve", move |co| async move {
            co.yield_from(ours_server(contender, size, Some(tally)))
                .await
        }))
        .expect("the server");
    say(&format!("port {}", port_of(&server)));
    lp.run_until_done(&all_connected).expect("all connected");
    // Let every handler reach its first read.
    lp.run_until_complete(sleep(0.0)).expect("one iteration");
    say(&format!("connected {}", rss().saturating_sub(baseline)));
    lp.run_until_done(&all_closed).expect("all closed");
    server.close();
    lp.close().expect("closing the server's loop");
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .expect("stdout");
}

// --- tokio current-thread ------------------------------------------------------

fn tokio_runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

/// Accepts forever, each connection echoed by a task of its own.
async fn tokio_serve(listener: TcpListener, size: usize, tally: Option<Rc<Tally>>) {
    loop {
        let (mut stream, _) = listener.accept().await.expect("accept");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        let tally = tally.clone();
        spawn_local(async move {
            if let Some(t) = &tally {
                t.connected();
            }
            let mut buffer = vec![0; size];
            while stream.read_exact(&mut buffer).await.is_ok() {
                if stream.write_all(&buffer).await.is_err() {
                    break;
                }
            }
            drop(stream);
            if let Some(t) = &tally {
                t.closed();
            }
        });
    }
}

/// A listener on an ephemeral loopback port with `BACKLOG`.
fn tokio_listener() -> TcpListener {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket
        .bind((std::net::Ipv4Addr::LOCALHOST, 0).into())
        .expect("bind");
    socket
        .listen(u32::try_from(BACKLOG).expect("a backlog of 0 or more"))
        .expect("listen")
}

/// Connects and makes a first round trip: once it returns, the server
/// has accepted the connection.
async fn tokio_connect(port: u16, size: usize) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect((HOST, port)).await?;
    stream.set_nodelay(true)?;
    let mut back = vec![0; size];
    stream.write_all(&vec![b'x'; size]).await?;
    stream.read_exact(&mut back).await?;
    Ok(stream)
}

async fn tokio_clients(port: u16, connections: usize, size: usize) {
    let mut streams = Vec::with_capacity(connections);
    while streams.len() < connections {
        let batch = CONNECT_BATCH.min(connections - streams.len());
        let connects: Vec<_> = (0..batch)
            .map(|_| spawn_local(tokio_connect(port, size)))
            .collect();
        for connect in connects {
            streams.push(connect.await.expect("a connect task").expect("connect"));
        }
    }
    let per_connection = round_trips(connections) / connections;
    let clients: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            spawn_local(async move {
                let message = vec![b'x'; size];
                let mut back = vec![0; size];
                for _ in 0..per_connection {
                    stream.write_all(&message).await?;
                    stream.read_exact(&mut back).await?;
                }
                Ok::<_, std::io::Error>(())
            })
        })
        .collect();
    for client in clients {
        client.await.expect("a client task").expect("a round trip");
    }
}

fn tokio_guarded<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio_runtime();
    LocalSet::new().block_on(&runtime, async move {
        tokio::time::timeout(GUARD, future)
            .await
            .expect("the run ended within its guard time")
    })
}

fn tokio_one_process(connections: usize, size: usize) {
    tokio_guarded(async move {
        let listener = tokio_listener();
        let port = listener.local_addr().expect("local address").port();
        let server = spawn_local(tokio_serve(listener, size, None));
        tokio_clients(port, connections, size).await;
        server.abort();
    });
}

fn tokio_child(size: usize, connections: usize) {
    tokio_guarded(async move {
        let (connected_tx, connected_rx) = futures::channel::oneshot::channel();
        let (closed_tx, closed_rx) = futures::channel::oneshot::channel();
        let tally = Tally::new(
            connections,
            move || {
                let _ = connected_tx.send(());
            },
            move || {
                let _ = closed_tx.send(());
            },
        );
        let baseline = rss();
        let listener = tokio_listener();
        say(&format!(
            "port {}",
            listener.local_addr().expect("local address").port()
        ));
        let server = spawn_local(tokio_serve(listener, size, Some(tally)));
        connected_rx.await.expect("all connected");
        tokio::task::yield_now().await;
        say(&format!("connected {}", rss().saturating_sub(baseline)));
        closed_rx.await.expect("all closed");
        server.abort();
    });
}

// --- the child server, from the parent's side -------------------------------

/// A server running in a child process.
pub struct ServerChild {
    child: Child,
    stdout: BufReader<ChildStdout>,
    pub port: u16,
}

impl ServerChild {
    /// Starts this program as a server of `connections` connections and
    /// waits for its port.
    pub fn spawn(contender: Contender, size: usize, connections: usize) -> Self {
        let mut child = Command::new(env::current_exe().expect("this program's path"))
            .env(
                SERVER_VAR,
                format!("{} {size} {connections}", contender.name()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server's process");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut server = Self {
            child,
            stdout,
            port: 0,
        };
        server.port = server
            .read_line()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .expect("the server's port");
        server
    }

    /// The server's next line on stdout.
    pub fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("the server's output");
        line.trim_end().to_owned()
    }
}

impl Drop for ServerChild {
    /// Waits for the server to finish (it does once its connections are
    /// closed), killing it if it has not after a few seconds.
    fn drop(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// If this process was started as a child server, serves and returns
/// `true`; the caller then exits.
pub fn serve_if_child() -> bool {
    let Ok(spec) = env::var(SERVER_VAR) else {
        return false;
    };
    let mut parts = spec.split_whitespace();
    let contender = Contender::from_name(parts.next().expect("a contender"));
    let size = parts.next().and_then(|s| s.parse().ok()).expect("a size");
    let connections = parts.next().and_then(|s| s.parse().ok()).expect("a count");
    match contender {
        Contender::Tokio => tokio_child(size, connections),
        _ => ours_child(contender, size, connections),
    }
    true
}

// --- one timed run ------------------------------------------------------------

/// What a run needs made before its timing: the child server, beyond
/// `ONE_PROCESS_MAX` connections.
pub fn prepare(contender: Contender, connections: usize, size: usize) -> Option<ServerChild> {
    (connections > ONE_PROCESS_MAX).then(|| ServerChild::spawn(contender, size, connections))
}

/// One run: `round_trips(connections)` round trips of `size`-byte
/// messages; returns the child server, to be waited for after the timing.
pub fn run(
    contender: Contender,
    connections: usize,
    size: usize,
    server: Option<ServerChild>,
) -> Option<ServerChild> {
    match (&server, contender) {
        (Some(child), Contender::Tokio) => {
            let port = child.port;
            tokio_guarded(tokio_clients(port, connections, size));
        }
        (Some(child), _) => ours_clients(contender, child.port, connections, size),
        (None, Contender::Tokio) => tokio_one_process(connections, size),
        (None, _) => ours_one_process(contender, connections, size),
    }
    server
}

// --- idle connections (benches/idle_connections.rs) ------------------------------

/// Holds `connections` idle stream connections to a child server, each
/// client a task waiting to read; returns the RSS they added to this
/// process and to the server's, in bytes.
pub fn idle_streams(connections: usize) -> (usize, usize) {
    let mut server = ServerChild::spawn(Contender::Streams, 64, connections);
    let port = server.port;
    let lp = guarded_loop();
    let baseline = rss();
    let clients = coroutine("idle clients", move |co| async move {
        let lp = EventLoop::running()?;
        let streams =
            connect_in_batches(&co, &lp, connections, || open_connection(HOST, port)).await?;
        let mut writers = Vec::with_capacity(connections);
        let mut readers = Vec::with_capacity(connections);
        for (reader, writer) in streams {
            writers.push(writer);
            readers.push(lp.create_task(coroutine("idle", move |co| async move {
                // Waits until the server closes: an EOF ends the read.
                let _ = co.yield_from(reader.readexactly(64)).await;
                Ok(())
            }))?);
        }
        co.yield_from(sleep(0.0)).await?;
        Ok((writers, readers))
    });
    let (writers, readers) = lp.run_until_complete(clients).expect("idle connections");
    let client_bytes = rss().saturating_sub(baseline);
    let server_bytes = server
        .read_line()
        .strip_prefix("connected ")
        .and_then(|b| b.parse().ok())
        .expect("the server's figure");
    for writer in &writers {
        writer.close();
    }
    drop(writers);
    for reader in &readers {
        lp.run_until_done(reader.future())
            .expect("an idle client ends");
    }
    lp.close().expect("closing the clients' loop");
    (client_bytes, server_bytes)
}
