//! The same exchanges (echo, half-close, a large write that hits flow
//! control, a peer that resets) with our server and client, with CPython's
//! asyncio on one side, and with CPython on both
//! (`tests/python/io_protocols.py`): the protocols see the same calls in
//! the same order in all of them.
#![cfg(unix)]

mod net;
mod transcript;

use net::{Behaviour, OurServer, Traced, inet, resetting_peer, run_until, traced_server};
use std::{cell::RefCell, rc::Rc};
use transcript::cpython_transcript;
use yieldfrom::asyncio::{EventLoop, Server, Task};

const SCRIPT: &str = "io_protocols.py";
const BIG: usize = 8 << 20;

/// Our side of a scenario's server.
struct RustServer {
    port: u16,
    made: Rc<RefCell<Vec<Rc<Traced>>>>,
    server: Option<Server>,
    resetting: Option<Task<()>>,
}

impl OurServer for RustServer {
    fn start(lp: &EventLoop, name: &str) -> Self {
        let behaviour = match name {
            "echo" => Behaviour::Echo,
            "half_close" => Behaviour::EchoThenBye,
            "flow" => Behaviour::SlowReader,
            _ => {
                let (task, port) = resetting_peer(lp);
                return Self {
                    port,
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

    fn port(&self) -> u16 {
        self.port
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

/// Runs `name` three ways and compares each with CPython on both sides.
fn assert_same_exchange(name: &str) {
    net::assert_same_exchange::<RustServer>(SCRIPT, name, rust_client, || {
        cpython_transcript(SCRIPT, name)
    });
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
