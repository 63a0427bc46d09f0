//! An echo on the loopback interface, timed for each Rust contender: ours
//! with streams (`write`, `drain`, `readexactly` on both sides), ours with
//! a protocol (the server writes back what `data_received` gets; a client
//! sends its next message once the whole echo is back), and tokio
//! current-thread (`write_all`, `read_exact`). The exchange itself is in
//! `benches/echo/mod.rs`.
//!
//! Run with `cargo bench --bench streams`; CPython's side (asyncio and
//! uvloop, each with streams and with a protocol) is
//! `benches/python/streams.py`. One operation is one round trip; a run is
//! `echo::round_trips(N)` of them (2,000, or 10,000 over 10,000
//! connections) over N connections at once, connections included. Up to
//! 100 connections a sample also builds the loop and the server; at 10,000
//! the server runs in a child process started before the sample (see
//! `benches/echo/mod.rs` for why).

// The idle part of the shared echo is benches/idle_connections.rs's.
#[allow(dead_code)]
mod echo;

use divan::Bencher;
use echo::Contender;

fn main() {
    echo::raise_descriptor_limit();
    if echo::serve_if_child() {
        return;
    }
    divan::main();
}

fn bench(bencher: Bencher, contender: Contender, connections: usize, size: usize) {
    bencher
        .counter(echo::round_trips(connections))
        .with_inputs(|| echo::prepare(contender, connections, size))
        .bench_local_values(|server| echo::run(contender, connections, size, server));
}

// Ten samples, or fewer where ten would take more than 8 s (10,000
// connections).

#[divan::bench(args = [1, 100, 10_000], sample_count = 10, sample_size = 1, max_time = 8)]
fn echo_64b_yieldfrom_streams(bencher: Bencher, connections: usize) {
    bench(bencher, Contender::Streams, connections, 64);
}

#[divan::bench(args = [1, 100, 10_000], sample_count = 10, sample_size = 1, max_time = 8)]
fn echo_16k_yieldfrom_streams(bencher: Bencher, connections: usize) {
    bench(bencher, Contender::Streams, connections, 16 * 1024);
}

#[divan::bench(args = [1, 100, 10_000], sample_count = 10, sample_size = 1, max_time = 8)]
fn echo_64b_yieldfrom_protocol(bencher: Bencher, connections: usize) {
    bench(bencher, Contender::Protocol, connections, 64);
}

#[divan::bench(args = [1, 100, 10_000], sample_count = 10, sample_size = 1, max_time = 8)]
fn echo_16k_yieldfrom_protocol(bencher: Bencher, connections: usize) {
    bench(bencher, Contender::Protocol, connections, 16 * 1024);
}

#[divan::bench(args = [1, 100, 10_000], sample_count = 10, sample_size = 1, max_time = 8)]
fn echo_64b_tokio_current_thread(bencher: Bencher, connections: usize) {
    bench(bencher, Contender::Tokio, connections, 64);
}

#[divan::bench(args = [1, 100, 10_000], sample_count = 10, sample_size = 1, max_time = 8)]
fn echo_16k_tokio_current_thread(bencher: Bencher, connections: usize) {
    bench(bencher, Contender::Tokio, connections, 16 * 1024);
}
