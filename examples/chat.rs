//! A line-based chat server on streams: the program of
//! `examples/python/chat.py`, on this crate's loop.
//!
//! Every line a client sends goes to every other client, after the
//! sender's name (`client-3: hello`); the sender does not get its own line
//! back (its terminal shows it already). The newcomer is welcomed
//! (`* welcome client-3, 2 others here`), and the others hear of joins and
//! leaves (`* client-3 joined`, `* client-3 left`). A line cut short by its
//! client leaving is dropped: it was never finished (never "sent"). A line
//! longer than the reader's limit (64 KiB) disconnects its client.
//!
//! Each client has an outbox and a task of its own that writes it out and
//! waits for `drain`, so a client that stops reading holds up no one. What
//! waits for a client (its outbox and its transport's buffer) is bounded:
//! a line that would take it past `MAX_BACKLOG` disconnects the client at
//! once, dropping what it had waiting (`* client-3 left (too slow)`), as an
//! IRC server drops a client whose send queue is full.
//!
//! On `SIGINT` or `SIGTERM` (taken before the `listening on` line is
//! printed) the server stops accepting, tells every client
//! `* server shutting down` after what it had waiting, closes the
//! connections (aborting those still not flushed `GRACE` seconds later)
//! and exits with status 0.
//!
//! ```text
//! cargo run --example chat -- --port 8888    # 0 picks a free port
//! nc 127.0.0.1 8888                          # in other terminals
//! ```

mod common;

#[cfg(unix)]
mod chat {
    use std::{
        cell::{Cell, RefCell},
        collections::BTreeMap,
        rc::Rc,
    };
    use yieldfrom::{
        AnyError,
        asyncio::{
            CancelledError, Coroutine, Event, EventLoop, StreamReader, StreamWriter, Task,
            TimeoutError, ValueError, coroutine, run, start_server, wait_for,
        },
    };

    use super::common::serve::{announce, option_from_args, port_from_args, stop_signals};

    /// How many bytes may wait for one client before it is disconnected,
    /// unless `--max-backlog BYTES` says otherwise.
    const MAX_BACKLOG: usize = 1 << 20;
    /// Seconds the connections have to flush their goodbyes at shutdown.
    const GRACE: f64 = 2.0;

    /// A line on its way to clients: one allocation shared by every outbox.
    type Line = Rc<[u8]>;

    /// What waits for one client, shared by the room and the client's own
    /// task.
    #[derive(Default)]
    struct Outbox {
        lines: RefCell<Vec<Line>>,
        /// Bytes in `lines`.
        queued: Cell<usize>,
        /// Set when there is something to write, or `finished` becomes true.
        ready: Event,
        /// Close the connection once `lines` is written out.
        finished: Cell<bool>,
    }

    /// A client in the room: its writer, and the outbox its own task writes
    /// out.
    struct Client {
        /// Its number, in the order of joining.
        id: u64,
        name: String,
        writer: StreamWriter,
        outbox: Rc<Outbox>,
        sending: Task<()>,
    }

    impl Client {
        fn new(id: u64, writer: StreamWriter) -> Result<Self, AnyError> {
            let outbox = Rc::new(Outbox::default());
            let sending =
                EventLoop::running()?.create_task(send_all(writer.clone(), outbox.clone()))?;
            Ok(Self {
                id,
                name: format!("client-{id}"),
                writer,
                outbox,
                sending,
            })
        }

        /// Bytes waiting for this client: its outbox and its transport's
        /// buffer.
        fn backlog(&self) -> usize {
            self.outbox.queued.get() + self.writer.transport().get_write_buffer_size()
        }

        fn send(&self, line: Line) {
            let outbox = &self.outbox;
            outbox.queued.set(outbox.queued.get() + line.len());
            outbox.lines.borrow_mut().push(line);
            outbox.ready.set();
        }

        /// Closes the connection once the outbox is written out.
        fn finish(&self) {
            self.outbox.finished.set(true);
            self.outbox.ready.set();
        }
    }

    /// The client's own task: writes out whatever its outbox holds, in one
    /// write, then waits for `drain`, so that the transport's buffer stays
    /// near its high-water mark however slowly the client reads.
    fn send_all(writer: StreamWriter, outbox: Rc<Outbox>) -> Coroutine<()> {
        coroutine("send_all", move |co| async move {
            loop {
                co.yield_from(outbox.ready.wait()).await?;
                outbox.ready.clear();
                let lines = outbox.lines.take();
                outbox.queued.set(0);
                let sent = match writer.write(&lines.concat()) {
                    Ok(()) => co.yield_from(writer.drain()).await,
                    Err(e) => Err(e),
                };
                match sent {
                    Ok(()) if outbox.finished.get() && outbox.lines.borrow().is_empty() => break,
                    Ok(()) => {}
                    Err(e) if e.is::<CancelledError>() => return Err(e),
                    // A lost connection is the reading side's news to tell.
                    Err(_) => return Ok(()),
                }
            }
            writer.close();
            Ok(())
        })
    }

    /// Who is here.
    struct Room {
        max_backlog: usize,
        /// By number: in the order they joined.
        clients: RefCell<BTreeMap<u64, Rc<Client>>>,
        joined: Cell<u64>,
        closing: Cell<bool>,
    }

    impl Room {
        fn new(max_backlog: usize) -> Self {
            Self {
                max_backlog,
                clients: RefCell::default(),
                joined: Cell::default(),
                closing: Cell::default(),
            }
        }

        fn join(&self, writer: StreamWriter) -> Result<Rc<Client>, AnyError> {
            self.joined.set(self.joined.get() + 1);
            let peer = writer.transport().peername();
            let client = Rc::new(Client::new(self.joined.get(), writer)?);
            match peer {
                Some(peer) => println!("{} joined ({peer})", client.name),
                None => println!("{} joined", client.name),
            }
            self.broadcast(&line(format!("* {} joined\n", client.name)), None);
            let others = self.clients.borrow().len();
            self.clients.borrow_mut().insert(client.id, client.clone());
            client.send(line(format!(
                "* welcome {}, {others} others here\n",
                client.name
            )));
            Ok(client)
        }

        fn is_here(&self, client: &Rc<Client>) -> bool {
            self.clients.borrow().contains_key(&client.id)
        }

        fn leave(&self, client: &Rc<Client>, reason: Option<&str>) {
            if self.clients.borrow_mut().remove(&client.id).is_none() {
                return;
            }
            let why = reason.map(|r| format!(" ({r})")).unwrap_or_default();
            println!("{} left{why}", client.name);
            self.broadcast(&line(format!("* {} left{why}\n", client.name)), None);
        }

        /// Sends `line` to everyone but `sender`, disconnecting whoever it
        /// would take past the room's `max_backlog`.
        fn broadcast(&self, line: &Line, sender: Option<&Rc<Client>>) {
            let clients: Vec<Rc<Client>> = self.clients.borrow().values().cloned().collect();
            for client in &clients {
                if sender.is_some_and(|s| s.id == client.id) || !self.is_here(client) {
                    continue;
                }
                if client.backlog() + line.len() > self.max_backlog {
                    client.sending.cancel();
                    client.writer.transport().abort();
                    self.leave(client, Some("too slow"));
                } else {
                    client.send(line.clone());
                }
            }
        }

        /// Says goodbye to everyone; the connections close once their outboxes
        /// are written out.
        fn close(&self) -> Vec<Rc<Client>> {
            self.closing.set(true);
            let clients: Vec<Rc<Client>> = self.clients.take().into_values().collect();
            for client in &clients {
                client.send(line("* server shutting down\n".to_owned()));
                client.finish();
            }
            clients
        }
    }

    fn line(text: String) -> Line {
        text.into_bytes().into()
    }

    /// One connection, from its first line to its last.
    fn serve(room: Rc<Room>, reader: StreamReader, writer: StreamWriter) -> Coroutine<()> {
        coroutine("serve", move |co| async move {
            if room.closing.get() {
                writer.close();
                return Ok(());
            }
            let client = room.join(writer)?;
            let reason = loop {
                match co.yield_from(reader.readline()).await {
                    Ok(said) if said.ends_with(b"\n") => {
                        let said = [client.name.as_bytes(), b": ", &said].concat();
                        room.broadcast(&said.into(), Some(&client));
                    }
                    Err(e) if e.is::<ValueError>() => break Some("line too long"),
                    Err(e) if e.is::<CancelledError>() => return Err(e),
                    // The end of the stream (a line it cut short is
                    // dropped), or the connection lost (reset, ...).
                    Ok(_) | Err(_) => break None,
                }
            };
            room.leave(&client, reason);
            client.finish();
            Ok(())
        })
    }

    fn chat(port: u16, max_backlog: usize) -> Coroutine<()> {
        coroutine("chat", move |co| async move {
            let room = Rc::new(Room::new(max_backlog));
            let serving = room.clone();
            let server = co
                .yield_from(start_server(
                    move |reader, writer| serve(serving.clone(), reader, writer),
                    "127.0.0.1",
                    port,
                ))
                .await?;
            let stop = stop_signals()?;
            announce(&server)?;
            let stopped_by = co.yield_from(stop.wait()).await?;
            server.close();
            let clients = room.close();
            // The server's `wait_closed` waits for its connections too
            // (CPython 3.12's rule), those that left the room included.
            match co
                .yield_from(wait_for(server.wait_closed(), Some(GRACE)))
                .await
            {
                Err(e) if e.is::<TimeoutError>() => {
                    for client in &clients {
                        client.writer.transport().abort();
                    }
                }
                waited => waited?,
            }
            println!("stopped by {stopped_by}");
            Ok(())
        })
    }

    pub fn main() -> Result<(), AnyError> {
        let max_backlog = match option_from_args("--max-backlog") {
            None => MAX_BACKLOG,
            Some(bytes) => bytes.parse().map_err(|_| ValueError {
                message: format!("--max-backlog takes a number of bytes, not {bytes:?}"),
            })?,
        };
        run(chat(port_from_args(8888)?, max_backlog))
    }
}

fn main() -> std::process::ExitCode {
    #[cfg(unix)]
    let ended = chat::main();
    #[cfg(not(unix))]
    let ended: Result<(), &str> = Err("streams need Unix");
    match ended {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
