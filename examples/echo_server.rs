//! The echo server of asyncio's documentation ("TCP echo server using
//! streams"), serving each client until it is done:
//! `examples/python/echo_server.py` is the Python it mirrors.
//!
//! ```sh
//! cargo run --example echo_server -- --port 8888
//! nc 127.0.0.1 8888
//! ```
//!
//! It prints `listening on 127.0.0.1:PORT` first (`--port 0` picks a free
//! port), a line when a client comes and when it goes, and on `SIGINT`
//! (Ctrl+C) or `SIGTERM` closes the server and every connection, says so
//! and ends with status 0.

#[cfg(unix)]
mod common;

#[cfg(unix)]
mod echo {
    use super::common::serve::{announce, port_from_args, stop_signals};
    use std::{cell::RefCell, collections::HashMap, rc::Rc};
    use yieldfrom::{
        AnyError,
        asyncio::{
            Address, BrokenPipeError, ConnectionAbortedError, ConnectionResetError, Coroutine,
            EventLoop, ExtraInfo, RuntimeError, StreamReader, StreamWriter, TaskRef, TimeoutError,
            TransportClosedError, coroutine, run, start_server, wait_for,
        },
    };

    /// How long the connections have to send what they still owe their
    /// clients once the server stops; a client that reads nothing is cut
    /// off.
    const GRACE: f64 = 2.0;

    /// The connections being served: each one's writer, and the task
    /// serving it (Python's `connections` dict), under a number of its own.
    #[derive(Clone, Default)]
    struct Connections(Rc<RefCell<Table>>);

    #[derive(Default)]
    struct Table {
        open: HashMap<u64, (StreamWriter, TaskRef)>,
        next: u64,
    }

    /// Takes a connection out of [`Connections`] however its handler ends
    /// (Python's `finally: del connections[writer]`).
    struct Served {
        connections: Connections,
        id: u64,
    }

    impl Drop for Served {
        fn drop(&mut self) {
            self.connections.0.borrow_mut().open.remove(&self.id);
        }
    }

    impl Connections {
        /// Puts the running handler's connection in the table.
        fn serve(&self, writer: &StreamWriter) -> Result<Served, AnyError> {
            let task = EventLoop::running()?
                .current_task()
                .ok_or_else(|| RuntimeError {
                    message: "a handler runs as a task".into(),
                })?;
            let mut table = self.0.borrow_mut();
            let id = table.next;
            table.next += 1;
            table.open.insert(id, (writer.clone(), task));
            Ok(Served {
                connections: self.clone(),
                id,
            })
        }

        fn writers(&self) -> Vec<StreamWriter> {
            self.0
                .borrow()
                .open
                .values()
                .map(|(w, _)| w.clone())
                .collect()
        }

        fn handlers(&self) -> Vec<TaskRef> {
            self.0
                .borrow()
                .open
                .values()
                .map(|(_, t)| t.clone())
                .collect()
        }
    }

    /// Python's `except ConnectionError`; and a write to a connection
    /// already lost, which CPython drops silently and this crate refuses.
    fn connection_ended(error: &AnyError) -> bool {
        error.is::<ConnectionResetError>()
            || error.is::<BrokenPipeError>()
            || error.is::<ConnectionAbortedError>()
            || error.is::<TransportClosedError>()
    }

    fn handle_echo(
        reader: StreamReader,
        writer: StreamWriter,
        connections: Connections,
    ) -> Coroutine {
        coroutine("handle_echo", move |co| async move {
            let peer = match writer.get_extra_info("peername") {
                Some(ExtraInfo::Address(Address::Inet(addr))) => addr.to_string(),
                _ => "?".to_owned(),
            };
            println!("{peer} connected");
            let _served = connections.serve(&writer)?;
            let mut echoed = 0;
            let served: Result<(), AnyError> = async {
                loop {
                    let data = co.yield_from(reader.read(65536)).await?;
                    if data.is_empty() {
                        break;
                    }
                    writer.write(&data)?;
                    // Waits while the client is slow to read what it is sent.
                    co.yield_from(writer.drain()).await?;
                    echoed += data.len();
                }
                // The client is done (or the server is stopping): every
                // echo is sent before the connection closes.
                writer.close();
                co.yield_from(writer.wait_closed()).await
            }
            .await;
            match served {
                Ok(()) => println!("{peer} closed after {echoed} bytes"),
                Err(error) if connection_ended(&error) => println!("{peer} lost: {error}"),
                Err(error) => return Err(error),
            }
            Ok(())
        })
    }

    fn main_coroutine(port: u16) -> Coroutine {
        coroutine("main", move |co| async move {
            let connections = Connections::default();
            let serving = connections.clone();
            let server = co
                .yield_from(start_server(
                    move |reader, writer| handle_echo(reader, writer, serving.clone()),
                    "127.0.0.1",
                    port,
                ))
                .await?;
            let stop = stop_signals()?;
            announce(&server)?;
            let signal = co.yield_from(stop.wait()).await?;

            server.close();
            for writer in connections.writers() {
                writer.close();
            }
            let lp = EventLoop::running()?;
            let handlers = lp.all_done(&connections.handlers());
            match co.yield_from(wait_for(handlers, Some(GRACE))).await {
                Err(e) if e.is::<TimeoutError>() => {}
                waited => waited?,
            }
            for writer in connections.writers() {
                writer.transport().abort();
            }
            lp.all_done(&connections.handlers()).wait_in(&co).await?;
            co.yield_from(server.wait_closed()).await?;
            println!("stopped by {signal}");
            Ok(())
        })
    }

    pub fn main() -> Result<(), AnyError> {
        run(main_coroutine(port_from_args(8888)?))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    #[cfg(unix)]
    echo::main()?;
    Ok(())
}
