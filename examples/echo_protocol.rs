//! The echo server of asyncio's documentation ("TCP Echo Server" with
//! protocols), serving each client until it is done:
//! `examples/python/echo_protocol.py` is the Python it mirrors. The same
//! server as `echo_server`, written as a [`Protocol`] the transport calls
//! rather than as a coroutine per client.
//!
//! ```sh
//! cargo run --example echo_protocol -- --port 8888
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
    use std::{
        cell::{Cell, RefCell},
        collections::HashMap,
        rc::Rc,
    };
    use yieldfrom::{
        AnyError,
        asyncio::{
            Address, Coroutine, EventLoop, Protocol, TimeoutError, Transport, coroutine, run,
            wait_for,
        },
    };

    /// How long the connections have to send what they still owe their
    /// clients once the server stops; a client that reads nothing is cut
    /// off.
    const GRACE: f64 = 2.0;

    /// Every open connection's transport, under a number of its own: the
    /// server's, shared by its protocols (Python's `connections` dict).
    #[derive(Clone, Default)]
    struct Connections(Rc<RefCell<Table>>);

    #[derive(Default)]
    struct Table {
        open: HashMap<u64, Transport>,
        next: u64,
    }

    impl Connections {
        fn transports(&self) -> Vec<Transport> {
            self.0.borrow().open.values().cloned().collect()
        }
    }

    /// One connection's protocol. The transport calls it from the loop,
    /// and may call it again while one of its calls runs, so what changes
    /// is in cells.
    struct EchoServerProtocol {
        connections: Connections,
        id: Cell<u64>,
        peer: RefCell<String>,
        transport: RefCell<Option<Transport>>,
        echoed: Cell<usize>,
    }

    impl EchoServerProtocol {
        fn new(connections: Connections) -> Self {
            Self {
                connections,
                id: Cell::new(0),
                peer: RefCell::default(),
                transport: RefCell::default(),
                echoed: Cell::new(0),
            }
        }

        fn transport(&self) -> Option<Transport> {
            self.transport.borrow().clone()
        }
    }

    impl Protocol for EchoServerProtocol {
        fn connection_made(&self, transport: Transport) {
            let peer = match transport.peername() {
                Some(Address::Inet(addr)) => addr.to_string(),
                _ => "?".to_owned(),
            };
            println!("{peer} connected");
            *self.peer.borrow_mut() = peer;
            let mut table = self.connections.0.borrow_mut();
            self.id.set(table.next);
            table.next += 1;
            table.open.insert(self.id.get(), transport.clone());
            *self.transport.borrow_mut() = Some(transport);
        }

        fn data_received(&self, data: &[u8]) {
            let Some(transport) = self.transport() else {
                return;
            };
            // Refused only once the connection is lost, and then
            // `connection_lost` is on its way.
            if transport.write(data).is_ok() {
                self.echoed.set(self.echoed.get() + data.len());
            }
        }

        fn eof_received(&self) -> bool {
            // The client is done: `false` closes the transport once every
            // echo is sent.
            false
        }

        // A client slow to read its echoes: stop reading from it until it
        // catches up, rather than buffer without bound.
        fn pause_writing(&self) {
            if let Some(transport) = self.transport() {
                transport.pause_reading();
            }
        }

        fn resume_writing(&self) {
            if let Some(transport) = self.transport() {
                transport.resume_reading();
            }
        }

        fn connection_lost(&self, error: Option<AnyError>) {
            let peer = self.peer.borrow();
            match error {
                None => println!("{peer} closed after {} bytes", self.echoed.get()),
                Some(error) => println!("{peer} lost: {error}"),
            }
            self.connections.0.borrow_mut().open.remove(&self.id.get());
            // The transport lets go of its protocol now; the protocol lets
            // go of its transport too, so that neither keeps the other.
            self.transport.borrow_mut().take();
        }
    }

    fn main_coroutine(port: u16) -> Coroutine {
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let connections = Connections::default();
            let serving = connections.clone();
            let server = co
                .yield_from(lp.create_server(
                    move || EchoServerProtocol::new(serving.clone()),
                    "127.0.0.1",
                    port,
                ))
                .await?;
            let stop = stop_signals()?;
            announce(&server)?;
            let signal = co.yield_from(stop.wait()).await?;

            server.close();
            for transport in connections.transports() {
                transport.close();
            }
            // The server's `wait_closed` waits for its connections too
            // (CPython 3.12's rule; for 3.11 the Python waits on a future
            // per connection).
            match co
                .yield_from(wait_for(server.wait_closed(), Some(GRACE)))
                .await
            {
                Err(e) if e.is::<TimeoutError>() => {}
                waited => waited?,
            }
            for transport in connections.transports() {
                transport.abort();
            }
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
