//! Helpers for the I/O suites: loops that cannot hang, sockets on the
//! loopback interface, a peer that resets its connection, and the count of
//! open file descriptors.
#![cfg(unix)]
#![allow(dead_code, reason = "each suite uses only some of these helpers")]

pub mod example_server;

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

use std::{
    cell::{Cell, RefCell},
    io::{BufRead, BufReader, Read},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc::{self, Receiver, RecvTimeoutError},
    thread,
    time::Instant,
};
use yieldfrom::{
    AnyError,
    asyncio::{Address, Protocol, Server, Task, Transport, coroutine, sleep},
};

/// Runs `lp` in short slices until `done` holds; panics after [`GUARD`]
/// seconds of wall time.
pub fn run_until(lp: &EventLoop, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed().as_secs_f64() < GUARD,
            "the condition did not hold within {GUARD} s"
        );
        lp.run_until_complete(sleep(0.002)).unwrap();
    }
}

/// What a [`Traced`] protocol does when data or EOF arrives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Behaviour {
    /// Only records.
    #[default]
    Record,
    /// Writes back what it receives; on EOF, closes (returns false).
    Echo,
    /// Reads nothing for its first 0.1 s (`pause_reading` when the
    /// connection is made, `resume_reading` later), then records.
    SlowReader,
    /// Writes back what it receives; on EOF, keeps the transport open
    /// (returns true), writes "bye" to the half-closed connection, then
    /// closes it.
    EchoThenBye,
}

/// A protocol that writes down what happens to it, in the words Python's
/// `tests/python/io_protocols.py` prints: `connection_made`, `data b'...'`
/// (consecutive chunks merged; `data N bytes` past 64 bytes), `eof_received`, `pause_writing`,
/// `resume_writing`, `connection_lost None` or `connection_lost <error>`.
#[derive(Debug, Default)]
pub struct Traced {
    pub behaviour: Behaviour,
    pub log: RefCell<Vec<String>>,
    pub transport: RefCell<Option<Transport>>,
    pub received: RefCell<Vec<u8>>,
    pub lost: Cell<bool>,
    pub error: RefCell<Option<AnyError>>,
}

impl Traced {
    pub fn new(behaviour: Behaviour) -> Self {
        Self {
            behaviour,
            ..Self::default()
        }
    }

    pub fn transport(&self) -> Transport {
        self.transport.borrow().clone().expect("connection made")
    }

    pub fn log(&self) -> Vec<String> {
        self.log.borrow().clone()
    }

    fn say(&self, line: String) {
        self.log.borrow_mut().push(line);
    }
}

/// Bytes as Python's `repr(bytes)` shows printable ASCII.
pub fn py_bytes(data: &[u8]) -> String {
    let text: String = data
        .iter()
        .map(|&b| match b {
            b'\'' => "\\'".to_owned(),
            b'\\' => "\\\\".to_owned(),
            b'\n' => "\\n".to_owned(),
            32..=126 => char::from(b).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect();
    format!("b'{text}'")
}

impl Protocol for Traced {
    fn connection_made(&self, transport: Transport) {
        self.say("connection_made".to_owned());
        if self.behaviour == Behaviour::SlowReader {
            transport.pause_reading();
            let resuming = transport.clone();
            let lp = EventLoop::running().unwrap();
            lp.call_later(0.1, move || resuming.resume_reading())
                .unwrap();
        }
        *self.transport.borrow_mut() = Some(transport);
    }

    fn data_received(&self, data: &[u8]) {
        self.received.borrow_mut().extend_from_slice(data);
        let received = self.received.borrow();
        // Large transfers are logged by size: their bytes would swamp
        // the trace.
        let merged = if received.len() > 64 {
            format!("{} bytes", received.len())
        } else {
            py_bytes(&received)
        };
        drop(received);
        let mut log = self.log.borrow_mut();
        if log.last().is_some_and(|l| l.starts_with("data ")) {
            log.pop();
        }
        log.push(format!("data {merged}"));
        drop(log);
        if matches!(self.behaviour, Behaviour::Echo | Behaviour::EchoThenBye) {
            self.transport().write(data).unwrap();
        }
    }

    fn eof_received(&self) -> bool {
        self.say("eof_received".to_owned());
        match self.behaviour {
            Behaviour::Record | Behaviour::Echo | Behaviour::SlowReader => false,
            Behaviour::EchoThenBye => {
                let transport = self.transport();
                transport.write(b"bye").unwrap();
                transport.close();
                true
            }
        }
    }

    fn connection_lost(&self, error: Option<AnyError>) {
        match &error {
            None => self.say("connection_lost None".to_owned()),
            Some(e) => self.say(format!("connection_lost {e}")),
        }
        *self.error.borrow_mut() = error;
        self.lost.set(true);
    }

    fn pause_writing(&self) {
        self.say("pause_writing".to_owned());
    }

    fn resume_writing(&self) {
        self.say("resume_writing".to_owned());
    }
}

pub fn inet(address: &Address) -> SocketAddr {
    match address {
        Address::Inet(addr) => *addr,
        Address::Unix(_) => panic!("not an inet address"),
    }
}

/// A server of `Traced` protocols on an ephemeral loopback port; the
/// protocols it made, in order.
pub fn traced_server(
    lp: &EventLoop,
    behaviour: Behaviour,
) -> (Server, Rc<RefCell<Vec<Rc<Traced>>>>) {
    let made: Rc<RefCell<Vec<Rc<Traced>>>> = Rc::default();
    let sink = made.clone();
    let server = lp
        .run_until_complete(lp.create_server(
            move || {
                let protocol = Rc::new(Traced::new(behaviour));
                sink.borrow_mut().push(protocol.clone());
                SharedTraced(protocol)
            },
            "127.0.0.1",
            0,
        ))
        .unwrap();
    (server, made)
}

/// A `Traced` shared with the test, as a protocol.
pub struct SharedTraced(pub Rc<Traced>);

impl Protocol for SharedTraced {
    fn connection_made(&self, transport: Transport) {
        self.0.connection_made(transport);
    }
    fn data_received(&self, data: &[u8]) {
        self.0.data_received(data);
    }
    fn eof_received(&self) -> bool {
        self.0.eof_received()
    }
    fn connection_lost(&self, error: Option<AnyError>) {
        self.0.connection_lost(error);
    }
    fn pause_writing(&self) {
        self.0.pause_writing();
    }
    fn resume_writing(&self) {
        self.0.resume_writing();
    }
}

/// A client of `server` that records what happens to it.
pub fn client_of(lp: &EventLoop, server: &Server) -> (Transport, Rc<Traced>) {
    let port = inet(&server.sockets()[0]).port();
    lp.run_until_complete(lp.create_connection(
        || Traced::new(Behaviour::Record),
        "127.0.0.1",
        port,
    ))
    .unwrap()
}

/// A raw peer on `lp` that sends "last words", waits for the client's
/// two bytes saying it has read them (a reset would discard them unread),
/// then resets the connection; and the port it listens on.
pub fn resetting_peer(lp: &EventLoop) -> (Task<()>, u16) {
    let (listening, addr) = listener();
    let accepting = lp.clone();
    let task = lp
        .create_task(coroutine("reset", move |co| async move {
            let (conn, _) = co.yield_from(accepting.sock_accept(&listening)).await?;
            let words = b"last words".to_vec();
            co.yield_from(accepting.sock_sendall(&conn, words)).await?;
            co.yield_from(accepting.sock_recv(&conn, 2)).await?;
            // A receive that did not have to wait lets go of its handle
            // on the next turn.
            co.yield_from(sleep(0.0)).await?;
            reset(Rc::try_unwrap(conn).expect("the only handle"));
            Ok(())
        }))
        .unwrap();
    (task, addr.port())
}

/// The lines a child process prints on `output`, as they come, read by a
/// thread of their own.
pub fn lines_of(output: impl Read + Send + 'static) -> Receiver<String> {
    let (send, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

/// A `python3 SCRIPT ...` process (a script of `tests/python`) whose
/// output lines arrive on a channel, killed if it outlives its time or
/// the test that started it fails.
pub struct PythonPeer {
    child: Child,
    lines: Receiver<String>,
}

impl PythonPeer {
    pub fn spawn(script: &str, args: &[&str]) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
        let mut child = Command::new("python3")
            .arg(script)
            .args(args)
            .current_dir(dir)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let lines = lines_of(child.stdout.take().unwrap());
        Self { child, lines }
    }

    pub fn line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(10))
            .expect("python3 printed a line in time")
    }

    /// The port a server peer says it listens on (its "port N" line).
    pub fn port(&self) -> u16 {
        self.line()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .expect("the server says its port")
    }

    pub fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// The rest of its output, once it has exited.
    pub fn finish(mut self) -> Vec<String> {
        let started = Instant::now();
        while !self.exited() {
            if started.elapsed() > Duration::from_secs(10) {
                let _ = self.child.kill();
                panic!("python3 did not exit in time");
            }
            thread::sleep(Duration::from_millis(5));
        }
        assert!(self.child.wait().unwrap().success(), "python3 failed");
        // The thread that forwards its output may not have read its last
        // lines yet: they are all in once the pipe is at its end.
        let mut rest = Vec::new();
        loop {
            match self.lines.recv_timeout(Duration::from_secs(10)) {
                Ok(line) => rest.push(line),
                Err(RecvTimeoutError::Disconnected) => return rest,
                Err(RecvTimeoutError::Timeout) => panic!("python3's output did not end"),
            }
        }
    }
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Our side of a scenario's server, in a comparison with CPython.
pub trait OurServer: Sized {
    /// Serves scenario `name` on `lp`.
    fn start(lp: &EventLoop, name: &str) -> Self;
    fn port(&self) -> u16;
    /// Whether its one connection is over.
    fn done(&self) -> bool;
    /// Its trace, `server: ...` lines; closes the server.
    fn lines(&self) -> Vec<String>;
}

/// Our client's trace of scenario `name` against `port`: `client: ...`
/// lines, to the end of its connection.
pub type OurClient = fn(&EventLoop, &str, u16) -> Vec<String>;

fn both_ours<S: OurServer>(name: &str, client: OurClient) -> Vec<String> {
    let lp = guarded_loop();
    let server = S::start(&lp, name);
    let client = client(&lp, name, server.port());
    run_until(&lp, || server.done());
    let mut lines = server.lines();
    lines.extend(client);
    lines
}

fn our_client_their_server(script: &str, name: &str, client: OurClient) -> Vec<String> {
    let peer = PythonPeer::spawn(script, &["server", name]);
    let port = peer.port();
    let client = client(&guarded_loop(), name, port);
    let mut lines = peer.finish();
    lines.extend(client);
    lines
}

fn their_client_our_server<S: OurServer>(script: &str, name: &str) -> Vec<String> {
    let lp = guarded_loop();
    let server = S::start(&lp, name);
    let mut peer = PythonPeer::spawn(script, &["client", name, &server.port().to_string()]);
    run_until(&lp, || server.done() && peer.exited());
    let mut lines = server.lines();
    lines.extend(peer.finish());
    lines
}

/// Runs scenario `name` with ours on both sides, then (when there is a
/// CPython to ask: `cpython` gives its trace with CPython on both sides)
/// with our client against `script`'s server and `script`'s client
/// against our server, and compares each trace with CPython's.
pub fn assert_same_exchange<S: OurServer>(
    script: &str,
    name: &str,
    client: OurClient,
    cpython: impl FnOnce() -> Option<Vec<String>>,
) {
    let ours = both_ours::<S>(name, client);
    let Some(cpython) = cpython() else {
        return;
    };
    assert_eq!(ours, cpython, "{name}: ours on both sides");
    assert_eq!(
        our_client_their_server(script, name, client),
        cpython,
        "{name}: our client, CPython's server"
    );
    assert_eq!(
        their_client_our_server::<S>(script, name),
        cpython,
        "{name}: CPython's client, our server"
    );
}
