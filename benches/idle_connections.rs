//! Memory per idle connection: 10,000 stream connections on the loopback
//! interface, each client a task waiting in `readexactly`, each server
//! connection a handler task waiting in `readexactly`; the growth of each
//! process's resident set size (`VmRSS`) from before the first connection
//! to when all are made, divided by the number of connections. The
//! server runs in a child process (`benches/echo/mod.rs`).
//!
//! Run with `cargo bench --bench idle_connections`; prints
//! `memory/idle_connection_client BYTES` and
//! `memory/idle_connection_server BYTES`. CPython's side is
//! `benches/python/idle_connections.py`.

// Only the idle part of the shared echo is this bench's.
#[allow(dead_code)]
mod echo;

const CONNECTIONS: usize = 10_000;

fn main() {
    echo::raise_descriptor_limit();
    if echo::serve_if_child() {
        return;
    }
    // `cargo bench` passes `--bench`; there is nothing to choose.
    let (client, server) = echo::idle_streams(CONNECTIONS);
    println!("memory/idle_connection_client {}", client / CONNECTIONS);
    println!("memory/idle_connection_server {}", server / CONNECTIONS);
}
