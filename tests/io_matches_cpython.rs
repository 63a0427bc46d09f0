//! The same exchanges (echo, half-close, a large write that hits flow
//! control, a peer that resets) with our server and client, with CPython's
//! asyncio on one side, and with CPython on both
//! (`tests/python/io_protocols.py`): the protocols see the same calls in
//! the same order in all of them.
#![cfg(unix)]

mod net;
mod transcript;

use net::{Behaviour, Traced, guarded_loop, inet, listener, reset, run_until, traced_server};
use std::{
    cell::RefCell,
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    rc::Rc,
    sync::mpsc::{self, Receiver},
    thread,
    time::{Duration, Instant},
};
use transcript::cpython_transcript;
use yieldfrom::asyncio::{EventLoop, Server, Task, coroutine};

const SCRIPT: &str = "io_protocols.py";
const BIG: usize = 8 << 20;

/// A `python3 io_protocols.py ...` process whose output lines arrive on a
/// channel, killed if it outlives its time.
struct PythonPeer {
    child: Child,
    lines: Receiver<String>,
}

impl PythonPeer {
    fn spawn(args: &[&str]) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
        let mut child = Command::new("python3")
            .arg(SCRIPT)
            .args(args)
            .current_dir(dir)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    fn line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(10))
            .expect("python3 printed a line in time")
    }

    fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// The rest of its output, once it has exited.
    fn finish(mut self) -> Vec<String> {
        let started = Instant::now();
        while !self.exited() {
            if started.elapsed() > Duration::from_secs(10) {
                let _ = self.child.kill();
                panic!("python3 did not exit in time");
            }
            thread::sleep(Duration::from_millis(5));
        }
        assert!(self.child.wait().unwrap().success(), "python3 failed");
        self.lines.try_iter().collect()
    }
}

/// Our side of a scenario's server.
struct RustServer {
    port: u16,
    made: Rc<RefCell<Vec<Rc<Traced>>>>,
    server: Option<Server>,
    resetting: Option<Task<()>>,
}

impl RustServer {
    fn start(lp: &EventLoop, name: &str) -> Self {
        let behaviour = match name {
            "echo" => Behaviour::Echo,
            "half_close" => Behaviour::EchoThenBye,
            "flow" => Behaviour::SlowReader,
            _ => {
                let (listening, addr) = listener();
                let accepting = lp.clone();
                let task = lp
                    .create_task(coroutine("reset", move |co| async move {
                        let (conn, _) = co.yield_from(accepting.sock_accept(&listening)).await?;
                        let words = b"last words".to_vec();
                        co.yield_from(accepting.sock_sendall(&conn, words)).await?;
                        // The client says it has read them: a reset would
                        // discard them.
                        co.yield_from(accepting.sock_recv(&conn, 2)).await?;
                        reset(Rc::try_unwrap(conn).expect("the only handle"));
                        Ok(())
                    }))
                    .unwrap();
                return Self {
                    port: addr.port(),
                    made: Rc::default(),
                    server: None,
                    resetting: Some(task),
                };
            }
        };
        let (server, made) = traced_server(lp, behaviour);
        Self {
            port: inet(&server.sockets()[0]).port(),
            made,
            server: Some(server),
            resetting: None,
        }
    }

    fn done(&self) -> bool {
        match &self.resetting {
            Some(task) => task.done(),
            None => self.made.borrow().first().is_some_and(|p| p.lost.get()),
        }
    }

    fn lines(&self) -> Vec<String> {
        if let Some(task) = &self.resetting {
            task.result().unwrap();
        }
        if let Some(server) = &self.server {
            server.close();
        }
        self.made
            .borrow()
            .first()
            .map(|p| p.log().iter().map(|l| format!("server: {l}")).collect())
            .unwrap_or_default()
    }
}

/// Our client's side of a scenario, to the end of its connection.
fn rust_client(lp: &EventLoop, name: &str, port: u16) -> Vec<String> {
    let (transport, protocol) = lp
        .run_until_complete(lp.create_connection(
            || Traced::new(Behaviour::Record),
            "127.0.0.1",
            port,
        ))
        .unwrap();
    match name {
        "echo" => {
            transport.write(b"hello ").unwrap();
            transport.writelines([&b"wor"[..], b"ld"]).unwrap();
            run_until(lp, || protocol.received.borrow().len() == 11);
            transport.close();
        }
        "half_close" => {
            transport.write(b"ping").unwrap();
            transport.write_eof();
        }
        "reset" => {
            run_until(lp, || protocol.received.borrow().len() == 10);
            transport.write(b"ok").unwrap();
        }
        "flow" => {
            let pattern: Vec<u8> = (0..=255_u8).map(|i| i % 253).collect();
            transport.write(&pattern.repeat(BIG / 256)).unwrap();
            run_until(lp, || transport.get_write_buffer_size() == 0);
            transport.close();
        }
        _ => {}
    }
    run_until(lp, || protocol.lost.get());
    protocol
        .log()
        .iter()
        .map(|l| format!("client: {l}"))
        .collect()
}

fn both_ours(name: &str) -> Vec<String> {
    let lp = guarded_loop();
    let server = RustServer::start(&lp, name);
    let client = rust_client(&lp, name, server.port);
    run_until(&lp, || server.done());
    let mut lines = server.lines();
    lines.extend(client);
    lines
}

fn our_client_their_server(name: &str) -> Vec<String> {
    let peer = PythonPeer::spawn(&["server", name]);
    let port: u16 = peer
        .line()
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .expect("the server says its port");
    let lp = guarded_loop();
    let client = rust_client(&lp, name, port);
    let mut lines = peer.finish();
    lines.extend(client);
    lines
}

fn their_client_our_server(name: &str) -> Vec<String> {
    let lp = guarded_loop();
    let server = RustServer::start(&lp, name);
    let mut peer = PythonPeer::spawn(&["client", name, &server.port.to_string()]);
    run_until(&lp, || server.done() && peer.exited());
    let mut lines = server.lines();
    lines.extend(peer.finish());
    lines
}

/// Runs `name` three ways and compares each with CPython on both sides.
fn assert_same_exchange(name: &str) {
    let ours = both_ours(name);
    let Some(cpython) = cpython_transcript(SCRIPT, name) else {
        return;
    };
    assert_eq!(ours, cpython, "{name}: ours on both sides");
    assert_eq!(
        our_client_their_server(name),
        cpython,
        "{name}: our client, CPython's server"
    );
    assert_eq!(
        their_client_our_server(name),
        cpython,
        "{name}: CPython's client, our server"
    );
}

#[test]
fn an_echo_exchange_matches_cpython() {
    assert_same_exchange("echo");
}

#[test]
fn a_half_closed_exchange_matches_cpython() {
    assert_same_exchange("half_close");
}

#[test]
fn a_large_write_to_a_slow_reader_pauses_and_resumes_as_in_cpython() {
    assert_same_exchange("flow");
}

#[test]
fn a_peer_that_resets_is_reported_as_in_cpython() {
    assert_same_exchange("reset");
}
