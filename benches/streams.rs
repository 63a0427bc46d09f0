//! An echo over asyncio-style streams on the loopback interface: clients
//! write a message, drain, and read the echo back with `readexactly`; the
//! server's handler does the same the other way.
//!
//! Run with `cargo bench --bench streams`; CPython's side, with asyncio's
//! streams, is `benches/python/streams.py`. One operation is one round
//! trip. Each sample builds the loop, starts the server, connects the
//! clients, runs every round trip, and closes everything: connection set-up
//! is part of the figure, as in the Python script. The round trips of a
//! sample are spread over the connections, which run at once.

use divan::Bencher;
use yieldfrom::asyncio::{
    Address, ClockKind, EventLoop, StreamReader, StreamWriter, coroutine, open_connection,
    start_server,
};

fn main() {
    divan::main();
}

/// Round trips per sample.
const ROUNDS: usize = 2_000;

/// Runs `ROUNDS` round trips of `size`-byte messages over `connections`
/// connections at once.
fn echo(connections: usize, size: usize) {
    let lp = EventLoop::new(ClockKind::Real);
    let handler = move |reader: StreamReader, writer: StreamWriter| {
        coroutine("echo", move |co| async move {
            loop {
                let message = co.yield_from(reader.readexactly(size)).await;
                let Ok(message) = message else { break };
                writer.write(&message)?;
                co.yield_from(writer.drain()).await?;
            }
            writer.close();
            Ok(())
        })
    };
    let server = lp
        .run_until_complete(start_server(handler, "127.0.0.1", 0))
        .unwrap();
    let Address::Inet(addr) = server.sockets()[0].clone() else {
        unreachable!("a TCP server")
    };
    let per_connection = ROUNDS / connections;
    let clients: Vec<_> = (0..connections)
        .map(|_| {
            lp.create_task(coroutine("client", move |co| async move {
                let (reader, writer) = co
                    .yield_from(open_connection("127.0.0.1", addr.port()))
                    .await?;
                let message = vec![b'x'; size];
                for _ in 0..per_connection {
                    writer.write(&message)?;
                    co.yield_from(writer.drain()).await?;
                    let back = co.yield_from(reader.readexactly(size)).await?;
                    assert_eq!(back.len(), size);
                }
                writer.close();
                co.yield_from(writer.wait_closed()).await
            }))
            .unwrap()
        })
        .collect();
    for client in &clients {
        lp.run_until_done(client.future()).unwrap();
    }
    server.close();
    lp.close().unwrap();
}

#[divan::bench(name = "echo_64b_yieldfrom_streams", args = [1, 100], sample_count = 10, sample_size = 1)]
fn echo_64b(bencher: Bencher, connections: usize) {
    bencher
        .counter(ROUNDS)
        .bench_local(|| echo(connections, 64));
}

#[divan::bench(name = "echo_16k_yieldfrom_streams", args = [1, 100], sample_count = 10, sample_size = 1)]
fn echo_16k(bencher: Bencher, connections: usize) {
    bencher
        .counter(ROUNDS)
        .bench_local(|| echo(connections, 16 * 1024));
}
