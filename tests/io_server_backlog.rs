//! A server's `backlog` (Python's `create_server(..., backlog=n)`): how
//! many connections the OS completes and queues for it before the loop
//! accepts them. Linux queues one more than the backlog and drops the
//! connects past that (the client's SYN goes unanswered), so each test
//! connects from the test's thread while the loop does not run, counts the
//! connects that complete, then lets the loop accept them.
#![cfg(unix)]

mod net;

use net::{Traced, guarded_loop, inet, run_until};
use std::{
    cell::Cell,
    net::{SocketAddr, TcpStream},
    os::unix::net::UnixStream,
    path::Path,
    rc::Rc,
    time::Duration,
};
use yieldfrom::asyncio::{
    DEFAULT_LIMIT, EventLoop, Server, ServerOptions, StreamReader, StreamWriter, coroutine,
    run_with, start_server_with, start_unix_server_with,
};

/// Longer than a loopback connect takes under load, shorter than the
/// second a dropped SYN waits for its retransmission.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// A server on an ephemeral loopback port listening with `options`; how
/// many connections it accepted.
fn server_with(lp: &EventLoop, options: ServerOptions) -> (Server, Rc<Cell<usize>>) {
    let accepted: Rc<Cell<usize>> = Rc::default();
    let count = accepted.clone();
    let server = lp
        .run_until_complete(lp.create_server_with(
            move || {
                count.set(count.get() + 1);
                Traced::default()
            },
            "127.0.0.1",
            0,
            options,
        ))
        .unwrap();
    (server, accepted)
}

/// Connects to `addr` one after the other until a connect does not
/// complete, at most `most` times; the connections made.
fn connect_until_refused(addr: SocketAddr, most: usize) -> Vec<TcpStream> {
    (0..most)
        .map_while(|_| TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).ok())
        .collect()
}

/// As [`connect_until_refused`] over a Unix-domain socket: a connect to a
/// full queue would block, so it does not wait.
fn connect_unix_until_refused(path: &Path, most: usize) -> Vec<UnixStream> {
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let addr = SocketAddrUnix::new(path).unwrap();
    (0..most)
        .map_while(|_| {
            let fd = rustix::net::socket_with(
                AddressFamily::UNIX,
                SocketType::STREAM,
                SocketFlags::NONBLOCK,
                None,
            )
            .unwrap();
            rustix::net::connect(&fd, &addr).ok()?;
            Some(UnixStream::from(fd))
        })
        .collect()
}

#[test]
fn a_server_with_backlog_2_has_at_most_3_connections_queued_and_accepts_them_all_once_the_loop_runs()
 {
    let lp = guarded_loop();
    let (server, accepted) = server_with(&lp, ServerOptions::new().backlog(2));
    let queued = connect_until_refused(inet(&server.sockets()[0]), 10);
    assert_eq!(queued.len(), 3, "the OS queues the backlog and one more");
    run_until(&lp, || accepted.get() == 3);
    server.close();
}

#[test]
fn a_server_listens_with_python_s_default_backlog_of_100() {
    let lp = guarded_loop();
    let (server, accepted) = server_with(&lp, ServerOptions::default());
    let queued = connect_until_refused(inet(&server.sockets()[0]), 200);
    assert_eq!(
        queued.len(),
        101,
        "Rust's TcpListener::bind listens with 128"
    );
    run_until(&lp, || accepted.get() == 101);
    server.close();
}

#[test]
fn a_negative_backlog_listens_with_0_as_python_s_listen_does_and_the_server_still_accepts() {
    let lp = guarded_loop();
    let (server, accepted) = server_with(&lp, ServerOptions::new().backlog(-5));
    let addr = inet(&server.sockets()[0]);
    let queued = connect_until_refused(addr, 10);
    assert_eq!(queued.len(), 1, "listen(0) queues one connection on Linux");
    // Where CPython's server with a backlog of 0 accepts nothing
    // (`range(0)` accepts per readiness), this one accepts one at a time.
    run_until(&lp, || accepted.get() == 1);
    let more = connect_until_refused(addr, 1);
    assert_eq!(more.len(), 1);
    run_until(&lp, || accepted.get() == 2);
    server.close();
}

#[test]
fn start_server_and_start_unix_server_pass_the_backlog_to_the_listening_socket() {
    let dir = std::env::temp_dir().join(format!("yieldfrom-backlog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("server.sock");
    let accepted: Rc<Cell<usize>> = Rc::default();
    let counted = accepted.clone();
    let (tcp, unix) = run_with(
        yieldfrom::asyncio::ClockKind::Real,
        coroutine("main", move |co| async move {
            let count = move |_: StreamReader, _: StreamWriter| {
                counted.set(counted.get() + 1);
                coroutine("quiet", |_| async { Ok(()) })
            };
            let options = ServerOptions::new().backlog(4);
            let server = co
                .yield_from(start_server_with(
                    count.clone(),
                    "127.0.0.1",
                    0,
                    DEFAULT_LIMIT,
                    options,
                ))
                .await?;
            let unix_server = co
                .yield_from(start_unix_server_with(count, &path, DEFAULT_LIMIT, options))
                .await?;
            // The loop runs nothing while this task connects.
            let tcp = connect_until_refused(inet(&server.sockets()[0]), 10).len();
            let unix = connect_unix_until_refused(&path, 10).len();
            server.close();
            unix_server.close();
            Ok((tcp, unix))
        }),
    )
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!((tcp, unix), (5, 5), "the backlog and one more each");
    assert_eq!(accepted.get(), 0, "closed before accepting any");
}
