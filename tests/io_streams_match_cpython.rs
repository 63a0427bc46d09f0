//! The same streams exchanges (a line echo, a read cut short, half-close,
//! a large write under flow control, a reset peer, a read cancelled
//! mid-way) with our `start_server` and `open_connection`, with CPython's
//! asyncio streams on one side, and with CPython on both
//! (`tests/python/io_streams.py`): each side's reads, drains and closes
//! give the same results in all of them.
#![cfg(unix)]

mod net;
mod transcript;

use net::{OurServer, py_bytes, resetting_peer};
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};
use transcript::{cpython_transcript, flag};
use yieldfrom::{
    AnyError,
    asyncio::{
        Address, CancelledError, ConnectionResetError, Coroutine, DEFAULT_HIGH_WATER, EventLoop,
        IncompleteReadError, Server, StreamReader, StreamWriter, Task, coroutine, open_connection,
        sleep, start_server,
    },
};

const SCRIPT: &str = "io_streams.py";
const BIG: usize = 8 << 20;
const CHUNK: usize = 64 * 1024;

type Log = Rc<RefCell<Vec<String>>>;

/// An error as `io_streams.py`'s `describe` writes it.
fn describe(e: &AnyError) -> String {
    if let Some(incomplete) = e.downcast_ref::<IncompleteReadError>() {
        let expected = incomplete
            .expected
            .map_or_else(|| "None".to_owned(), |n| n.to_string());
        return format!(
            "IncompleteReadError {e} partial={} expected={expected}",
            py_bytes(&incomplete.partial)
        );
    }
    if e.is::<CancelledError>() {
        return "CancelledError".to_owned();
    }
    if e.is::<ConnectionResetError>() {
        return format!("ConnectionResetError {e}");
    }
    format!("<unexpected {e:?}>")
}

/// What the server does with its one connection in scenario `name`.
fn server_side(name: &str, reader: StreamReader, writer: StreamWriter, log: Log) -> Coroutine<()> {
    let name = name.to_owned();
    coroutine("server_side", move |co| async move {
        let say = |line: String| log.borrow_mut().push(line);
        match name.as_str() {
            "echo" => loop {
                let line = co.yield_from(reader.readline()).await?;
                say(format!("line {}", py_bytes(&line)));
                if line.is_empty() {
                    break;
                }
                writer.write(&line)?;
                co.yield_from(writer.drain()).await?;
            },
            "incomplete" => {
                writer.write(b"abc")?;
                co.yield_from(writer.drain()).await?;
            }
            "half_close" => {
                let question = co.yield_from(reader.read(-1)).await?;
                let at_eof = flag(reader.at_eof());
                say(format!("read {} at_eof {at_eof}", py_bytes(&question)));
                writer.write(b"pong")?;
            }
            "flow" => {
                co.yield_from(sleep(0.1)).await?;
                let data = co.yield_from(reader.read(-1)).await?;
                let intact = data
                    .iter()
                    .step_by(CHUNK)
                    .copied()
                    .eq((0..=255_u8).cycle().take(BIG / CHUNK));
                say(format!("read {} bytes intact {}", data.len(), flag(intact)));
                writer.write(b"done")?;
            }
            "cancel" => {
                writer.write(b"hello")?;
                co.yield_from(writer.drain()).await?;
                // The rest once the client says its read is cancelled (a
                // timer here lost the race on a loaded machine).
                co.yield_from(reader.readexactly(1)).await?;
                writer.write(b"world\n")?;
            }
            _ => {}
        }
        writer.close();
        co.yield_from(writer.wait_closed()).await?;
        say("closed".to_owned());
        Ok(())
    })
}

/// What the client does in scenario `name`; its lines.
fn client_side(name: &str, port: u16) -> Coroutine<Vec<String>> {
    let name = name.to_owned();
    coroutine("client_side", move |co| async move {
        let mut log = Vec::new();
        let (reader, writer) = co.yield_from(open_connection("127.0.0.1", port)).await?;
        match name.as_str() {
            "echo" => {
                writer.write(b"hello\n")?;
                writer.writelines([&b"wor"[..], b"ld\n"])?;
                co.yield_from(writer.drain()).await?;
                for _ in 0..2 {
                    let line = co.yield_from(reader.readline()).await?;
                    log.push(format!("line {}", py_bytes(&line)));
                }
                writer.write_eof();
                let line = co.yield_from(reader.readline()).await?;
                let at_eof = flag(reader.at_eof());
                log.push(format!("line {} at_eof {at_eof}", py_bytes(&line)));
            }
            "incomplete" => {
                if let Err(e) = co.yield_from(reader.readexactly(10)).await {
                    log.push(describe(&e));
                }
                log.push(format!("at_eof {}", flag(reader.at_eof())));
            }
            "half_close" => {
                writer.write(b"ping")?;
                writer.write_eof();
                let reply = co.yield_from(reader.read(-1)).await?;
                log.push(format!("read {}", py_bytes(&reply)));
            }
            "flow" => {
                let transport = writer.transport().clone();
                let mut waited = false;
                for byte in (0..=255_u8).cycle().take(BIG / CHUNK) {
                    writer.write(&vec![byte; CHUNK])?;
                    let over = transport.get_write_buffer_size() > DEFAULT_HIGH_WATER;
                    co.yield_from(writer.drain()).await?;
                    if over {
                        waited = true;
                        let size = transport.get_write_buffer_size();
                        if size > DEFAULT_HIGH_WATER / 4 {
                            log.push(format!("drain returned with {size} bytes buffered"));
                        }
                    }
                }
                log.push(format!("went over the high-water mark {}", flag(waited)));
                writer.write_eof();
                let reply = co.yield_from(reader.read(-1)).await?;
                log.push(format!("read {}", py_bytes(&reply)));
            }
            "reset" => {
                let words = co.yield_from(reader.readexactly(10)).await?;
                log.push(format!("read {}", py_bytes(&words)));
                writer.write(b"ok")?;
                co.yield_from(writer.drain()).await?;
                let steps = [
                    ("read", co.yield_from(reader.read(100)).await.map(drop)),
                    ("drain", co.yield_from(writer.drain()).await),
                    ("wait_closed", co.yield_from(writer.wait_closed()).await),
                ];
                for (what, outcome) in steps {
                    match outcome {
                        Ok(()) => log.push(format!("{what} ok")),
                        Err(e) => log.push(format!("{what} {}", describe(&e))),
                    }
                }
                return Ok(log);
            }
            "cancel" => {
                let reading = reader.clone();
                let task = EventLoop::running()?
                    .create_task(coroutine("reading", move |co| async move {
                        co.yield_from(reading.readexactly(11)).await
                    }))?;
                while reader.buffered() < 5 {
                    co.yield_from(sleep(0.002)).await?;
                }
                task.cancel();
                if let Err(e) = co.yield_from(task.wait()).await {
                    log.push(format!("read {}", describe(&e)));
                }
                writer.write(b"!")?;
                let line = co.yield_from(reader.readline()).await?;
                log.push(format!("line {}", py_bytes(&line)));
            }
            _ => {}
        }
        writer.close();
        co.yield_from(writer.wait_closed()).await?;
        log.push("closed".to_owned());
        Ok(log)
    })
}

/// Our side of a scenario's server, serving one connection.
struct RustServer {
    port: u16,
    log: Log,
    done: Rc<Cell<bool>>,
    server: Option<Server>,
    resetting: Option<Task<()>>,
}

impl OurServer for RustServer {
    fn start(lp: &EventLoop, name: &str) -> Self {
        let (log, done) = (Log::default(), Rc::new(Cell::new(false)));
        if name == "reset" {
            let (task, port) = resetting_peer(lp);
            return Self {
                port,
                log,
                done,
                server: None,
                resetting: Some(task),
            };
        }
        let (sink, finished, name) = (log.clone(), done.clone(), name.to_owned());
        let handler = move |reader, writer| {
            let (sink, finished) = (sink.clone(), finished.clone());
            let serving = server_side(&name, reader, writer, sink);
            coroutine("handler", move |co| async move {
                let outcome = co.yield_from(serving).await;
                finished.set(true);
                outcome
            })
        };
        let server = lp
            .run_until_complete(start_server(handler, "127.0.0.1", 0))
            .unwrap();
        let Address::Inet(addr) = server.sockets()[0].clone() else {
            unreachable!("a TCP server")
        };
        Self {
            port: addr.port(),
            log,
            done,
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
            None => self.done.get(),
        }
    }

    fn lines(&self) -> Vec<String> {
        if let Some(task) = &self.resetting {
            task.result().unwrap();
        }
        if let Some(server) = &self.server {
            server.close();
        }
        self.log
            .borrow()
            .iter()
            .map(|l| format!("server: {l}"))
            .collect()
    }
}

fn rust_client(lp: &EventLoop, name: &str, port: u16) -> Vec<String> {
    let lines = lp.run_until_complete(client_side(name, port)).unwrap();
    lines.iter().map(|l| format!("client: {l}")).collect()
}

/// Runs `name` three ways and compares each with CPython on both sides.
fn assert_same_exchange(name: &str) {
    net::assert_same_exchange::<RustServer>(SCRIPT, name, rust_client, || {
        cpython_transcript(SCRIPT, name)
    });
}

#[test]
fn a_line_echo_over_streams_matches_cpython() {
    assert_same_exchange("echo");
}

#[test]
fn readexactly_cut_short_by_the_peer_matches_cpython() {
    assert_same_exchange("incomplete");
}

#[test]
fn a_half_closed_streams_exchange_matches_cpython() {
    assert_same_exchange("half_close");
}

#[test]
fn a_large_write_drained_to_a_slow_reader_matches_cpython() {
    assert_same_exchange("flow");
}

#[test]
fn a_reset_peer_seen_by_read_drain_and_wait_closed_matches_cpython() {
    assert_same_exchange("reset");
}

#[test]
fn a_read_cancelled_mid_way_loses_nothing_as_in_cpython() {
    assert_same_exchange("cancel");
}
