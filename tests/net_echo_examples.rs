//! The echo examples serve clients someone else wrote: CPython's
//! `asyncio.open_connection` and plain `socket` clients
//! (`tests/python/echo_clients.py`), a client that half-closes, one that
//! resets, fifty at once; and they stop cleanly on `SIGINT` and `SIGTERM`.
//! Each scenario runs against both examples (`echo_server` over streams,
//! `echo_protocol` over a `Protocol`) and against the Python programs they
//! mirror (`examples/python/`), which must print the same lines.
#![cfg(unix)]

mod net;

use net::{
    PythonPeer,
    example_server::{ExampleServer, Program, Stopped, WAIT},
};
use signal_hook::consts::{SIGINT, SIGTERM};
use std::{
    io::{ErrorKind, Read, Write},
    net::{TcpListener, TcpStream},
    os::unix::process::ExitStatusExt,
};

const SERVERS: [Program; 4] = [
    Program::Example("echo_server"),
    Program::Python("echo_server.py"),
    Program::Example("echo_protocol"),
    Program::Python("echo_protocol.py"),
];

/// Runs a client kind of `echo_clients.py` against `server` to its end.
fn client(server: &ExampleServer, args: &[&str]) -> Vec<String> {
    let port = server.port().to_string();
    let mut all = vec![args[0], port.as_str()];
    all.extend(&args[1..]);
    PythonPeer::spawn("echo_clients.py", &all).finish()
}

/// A server's lines with the client's address (`127.0.0.1:PORT`, a new
/// port each run) written `PEER`.
fn anonymous(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .map(|line| match line.strip_prefix("127.0.0.1:") {
            Some(rest) => {
                let after_port = rest.trim_start_matches(|c: char| c.is_ascii_digit());
                format!("PEER{after_port}")
            }
            None => line,
        })
        .collect()
}

/// A stop that went as it should: status 0, nothing on stderr, and
/// `expected` then `stopped by SIGNAL` printed after what was read.
fn assert_clean_stop(program: Program, stopped: Stopped, expected: &[&str], signal: &str) {
    assert_eq!(
        (stopped.status.code(), stopped.status.signal()),
        (Some(0), None),
        "{program:?} ended with {}; stderr: {}",
        stopped.status,
        stopped.stderr
    );
    assert_eq!(stopped.stderr, "", "{program:?}'s stderr");
    let mut lines = anonymous(stopped.lines);
    assert_eq!(
        lines.pop().as_deref(),
        Some(format!("stopped by {signal}").as_str()),
        "{program:?}'s last line"
    );
    lines.sort();
    let mut expected: Vec<&str> = expected.to_vec();
    expected.sort_unstable();
    assert_eq!(lines, expected, "{program:?}'s lines as it stopped");
}

/// Runs one client of `echo_clients.py` (`args`) against each server,
/// which must print `expected` to it, say the client connected and then
/// `closed after BYTES bytes`, and stop cleanly on `signal`.
fn one_client(args: &[&str], expected: &[&str], bytes: usize, signal: (i32, &str)) {
    for program in SERVERS {
        let mut server = ExampleServer::start(program);
        assert_eq!(client(&server, args), expected, "{program:?}");
        assert_eq!(
            anonymous(server.lines(2)),
            [
                "PEER connected".to_owned(),
                format!("PEER closed after {bytes} bytes")
            ],
            "{program:?}"
        );
        assert_clean_stop(program, server.stop(signal.0), &[], signal.1);
    }
}

const THREE_LINES: [&str; 3] = [
    r"echo b'line 0\n'",
    r"echo b'line 1\n'",
    r"echo b'line 2\n'",
];

#[test]
fn an_asyncio_streams_client_gets_each_line_back_then_eof_after_its_write_eof() {
    let mut expected = THREE_LINES.to_vec();
    expected.push("after write_eof b''");
    one_client(&["streams"], &expected, 21, (SIGINT, "SIGINT"));
}

#[test]
fn a_socket_client_gets_each_line_back_and_its_close_ends_the_connection() {
    one_client(&["socket"], &THREE_LINES, 21, (SIGTERM, "SIGTERM"));
}

#[test]
fn a_client_that_shuts_down_its_write_side_after_a_mebibyte_still_gets_every_byte_back_then_eof() {
    one_client(
        &["half_close", "1048576"],
        &[
            "sent 1048576 bytes, 1048576 came back",
            "the same bytes: True, then EOF: True",
        ],
        1 << 20,
        (SIGINT, "SIGINT"),
    );
}

#[test]
fn a_client_that_resets_is_one_line_and_the_server_goes_on_serving_others() {
    for program in SERVERS {
        let mut server = ExampleServer::start(program);
        assert_eq!(
            client(&server, &["reset"]),
            [r"echo b'hello\n'", "reset"],
            "{program:?}"
        );
        assert_eq!(
            anonymous(server.lines(2)),
            [
                "PEER connected",
                "PEER lost: [Errno 104] Connection reset by peer"
            ],
            "{program:?}"
        );
        assert_eq!(client(&server, &["socket"]).len(), 3, "{program:?}");
        assert_eq!(
            anonymous(server.lines(2)),
            ["PEER connected", "PEER closed after 21 bytes"],
            "{program:?}"
        );
        // Nothing more, on stdout or stderr, about the reset.
        assert_clean_stop(program, server.stop(SIGTERM), &[], "SIGTERM");
    }
}

#[test]
fn fifty_clients_at_once_each_get_their_own_lines_back_then_eof() {
    for program in SERVERS {
        let mut server = ExampleServer::start(program);
        assert_eq!(
            client(&server, &["many", "50"]),
            ["50 of 50 clients got their own lines back, then EOF"],
            "{program:?}"
        );
        let lines = anonymous(server.lines(100));
        let connected = lines.iter().filter(|l| *l == "PEER connected").count();
        let closed = lines
            .iter()
            .filter(|l| l.starts_with("PEER closed after "))
            .count();
        assert_eq!((connected, closed), (50, 50), "{program:?}: {lines:?}");
        assert_clean_stop(program, server.stop(SIGINT), &[], "SIGINT");
    }
}

/// Three clients, each with a line echoed, connected when the signal
/// comes: each sees its connection closed (EOF), and the server says so
/// for each before it says it stopped.
fn stopping_closes_every_connection(signal: i32, name: &str) {
    for program in SERVERS {
        let mut server = ExampleServer::start(program);
        let mut clients: Vec<TcpStream> = (0..3)
            .map(|_| {
                let mut conn = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
                conn.set_read_timeout(Some(WAIT)).unwrap();
                conn.write_all(b"hi\n").unwrap();
                let mut echo = [0; 3];
                conn.read_exact(&mut echo).unwrap();
                assert_eq!(&echo, b"hi\n", "{program:?}");
                conn
            })
            .collect();
        assert_eq!(
            anonymous(server.lines(3)),
            ["PEER connected"; 3],
            "{program:?}"
        );
        let stopped = server.stop(signal);
        for conn in &mut clients {
            let mut rest = Vec::new();
            conn.read_to_end(&mut rest).unwrap();
            assert_eq!(rest, b"", "{program:?}");
        }
        assert_clean_stop(program, stopped, &["PEER closed after 3 bytes"; 3], name);
    }
}

#[test]
fn sigint_closes_the_server_and_every_connection_and_exits_with_status_0() {
    stopping_closes_every_connection(SIGINT, "SIGINT");
}

#[test]
fn sigterm_closes_the_server_and_every_connection_and_exits_with_status_0() {
    stopping_closes_every_connection(SIGTERM, "SIGTERM");
}

#[test]
fn a_client_that_reads_none_of_its_echoes_is_cut_off_after_the_grace_and_does_not_hold_up_the_stop()
{
    for program in SERVERS {
        let mut server = ExampleServer::start(program);
        let mut conn = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        conn.set_nonblocking(true).unwrap();
        // Until the server's buffers and both sockets' are full: the
        // server has stopped reading, for its echoes wait.
        let chunk = vec![b'x'; 65536];
        let (mut sent, mut refused) = (0, 0);
        while refused < 3 && sent < 256 << 20 {
            match conn.write(&chunk) {
                Ok(n) => (sent, refused) = (sent + n, 0),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    refused += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => panic!("{program:?}: {e}"),
            }
        }
        assert_eq!(refused, 3, "{program:?} took {sent} bytes and reads on");
        assert_eq!(anonymous(server.lines(1)), ["PEER connected"]);
        let stopped = server.stop(SIGINT);
        // Cut off, the connection may be lost with an error or closed:
        // one line either way.
        let lines = anonymous(stopped.lines.clone());
        assert!(
            lines.len() == 2
                && (lines[0].starts_with("PEER lost: ")
                    || lines[0].starts_with("PEER closed after ")),
            "{program:?}: {lines:?}"
        );
        assert_clean_stop(program, stopped, &[lines[0].as_str()], "SIGINT");
        drop(conn);
    }
}

#[test]
fn port_n_listens_on_port_n_in_either_spelling() {
    for (program, spelling) in SERVERS.into_iter().zip([0, 1, 0, 1]) {
        let free = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let port = free.to_string();
        let joined = format!("--port={free}");
        let args: Vec<&str> = if spelling == 0 {
            vec!["--port", &port]
        } else {
            vec![&joined]
        };
        let server = ExampleServer::start_with(program, &args);
        assert_eq!(server.port(), free, "{program:?} {args:?}");
        assert_clean_stop(program, server.stop(SIGTERM), &[], "SIGTERM");
    }
}

#[test]
fn a_port_that_is_not_a_number_is_refused_with_a_message_before_anything_listens() {
    for name in ["echo_server", "echo_protocol"] {
        let output = std::process::Command::new(net::example_server::example_binary(name))
            .args(["--port", "eighty"])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{name}");
        assert_eq!(output.stdout, b"", "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(r#"--port takes a number from 0 to 65535, not \"eighty\""#),
            "{name}: {stderr}"
        );
    }
}
