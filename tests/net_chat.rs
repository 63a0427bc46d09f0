//! The chat server (`examples/chat.rs`) as its users run it, against
//! asyncio clients in one CPython process (`tests/python/chat_clients.py`,
//! which checks what each client receives). The CPython program it
//! mirrors (`examples/python/chat.py`) passes the same checks.
#![cfg(unix)]

mod net;

use net::{
    PythonPeer,
    example_server::{ExampleServer, Program, example_binary},
};
use signal_hook::consts::{SIGINT, SIGTERM};
use std::{ffi::c_int, process::Command};

const OURS: Program = Program::Example("chat");
const CPYTHONS: Program = Program::Python("chat.py");

/// What `chat_clients.py SCENARIO PORT ARGS` prints once its checks pass.
fn clients(server: &ExampleServer, scenario: &str, args: &[&str]) -> Vec<String> {
    let port = server.port().to_string();
    let command: Vec<&str> = [scenario, &port]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    PythonPeer::spawn("chat_clients.py", &command).finish()
}

/// Stops `server` with `signal`: it says `stopped by SIGINT` (or
/// `SIGTERM`) last and ends with status 0, with nothing on stderr (no
/// task that failed, no error the loop reported).
fn stops_cleanly(server: ExampleServer, signal: c_int) {
    let stopped = server.stop(signal);
    let name = if signal == SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    };
    assert!(stopped.status.success(), "{stopped:?}");
    assert_eq!(stopped.stderr, "", "{stopped:?}");
    assert_eq!(
        stopped.lines.last(),
        Some(&format!("stopped by {name}")),
        "{stopped:?}"
    );
}

fn crowd_hears_every_line_once_in_order(program: Program, n: usize) {
    let server = ExampleServer::start(program);
    let lines = "10";
    assert_eq!(
        clients(&server, "crowd", &[&n.to_string(), lines]),
        [format!(
            "crowd: {n} clients, each got {lines} lines from each of {} others",
            n - 1
        )]
    );
    stops_cleanly(server, SIGTERM);
}

fn half_lines_of_leaving_clients_are_dropped(program: Program) {
    let server = ExampleServer::start(program);
    assert_eq!(
        clients(&server, "mid-line", &[]),
        [
            "closed mid-line: ['client-2: whole line', '* client-2 left']",
            "reset mid-line: * client-3 left",
        ]
    );
    stops_cleanly(server, SIGTERM);
}

fn long_lines_disconnect_their_clients(program: Program) {
    let server = ExampleServer::start(program);
    assert_eq!(
        clients(&server, "long-line", &[]),
        ["long line: * client-2 left (line too long)"]
    );
    stops_cleanly(server, SIGTERM);
}

/// Two clients exchange 16 MiB each way while the first client of the
/// server reads nothing, so that 32 MiB is meant for it: the talkers
/// finish, the slow client is disconnected, and the server's peak memory
/// grows by much less than what the slow client was sent.
fn slow_client_is_dropped_without_stalling_others(program: Program) {
    let mut server = ExampleServer::start(program);
    let before = server.peak_memory_kib();
    let said = clients(&server, "slow", &["64", "256"]);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with("slow: * client-1 left (too slow); it read "),
        "{said:?}"
    );
    let log = server.lines(4);
    assert!(log[0].starts_with("client-1 joined (127.0.0.1:"), "{log:?}");
    assert_eq!(log[3], "client-1 left (too slow)", "{log:?}");
    let grown = server.peak_memory_kib().saturating_sub(before);
    assert!(
        grown < 8 << 10,
        "the server's peak memory grew by {grown} KiB for a client that reads nothing"
    );
    stops_cleanly(server, SIGTERM);
}

fn a_signal_tells_every_client_then_exits_with_status_0(program: Program, signal: c_int) {
    let server = ExampleServer::start(program);
    let port = server.port().to_string();
    let peer = PythonPeer::spawn("chat_clients.py", &["shutdown", &port, "5"]);
    assert_eq!(peer.line(), "ready");
    stops_cleanly(server, signal);
    assert_eq!(
        peer.finish(),
        ["shutdown: 5 clients told, then their streams ended"]
    );
}

/// A client that reads nothing, with megabytes waiting for it (the bound
/// lifted), holds up the stop for the grace period only.
fn a_client_that_reads_nothing_is_cut_off_at_shutdown(program: Program) {
    let server =
        ExampleServer::start_with(program, &["--port", "0", "--max-backlog", "1000000000"]);
    let port = server.port().to_string();
    let pid = server.id().to_string();
    let peer = PythonPeer::spawn("chat_clients.py", &["stalled", &port, "12", &pid]);
    assert_eq!(peer.line(), "ready");
    stops_cleanly(server, SIGINT);
    let said = peer.finish();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with("stalled: the others were told; the stalled client's stream ended"),
        "{said:?}"
    );
}

#[test]
fn a_hundred_clients_each_receive_every_other_clients_lines_once_in_order_and_not_their_own() {
    crowd_hears_every_line_once_in_order(OURS, 100);
}

#[test]
fn a_line_cut_short_by_its_client_leaving_is_dropped_and_the_leave_announced() {
    half_lines_of_leaving_clients_are_dropped(OURS);
}

#[test]
fn a_line_longer_than_the_64_kib_limit_disconnects_its_client() {
    long_lines_disconnect_their_clients(OURS);
}

#[test]
fn a_client_that_stops_reading_is_disconnected_while_the_others_go_on_and_memory_stays_bounded() {
    slow_client_is_dropped_without_stalling_others(OURS);
}

#[test]
fn a_signal_sent_on_reading_the_listening_line_stops_it_with_status_0() {
    stops_cleanly(ExampleServer::start(OURS), SIGINT);
}

#[test]
fn sigint_and_sigterm_tell_every_client_end_their_streams_and_exit_with_status_0() {
    for signal in [SIGINT, SIGTERM] {
        a_signal_tells_every_client_then_exits_with_status_0(OURS, signal);
    }
}

#[test]
fn a_client_that_reads_nothing_holds_up_the_stop_for_the_grace_period_only() {
    a_client_that_reads_nothing_is_cut_off_at_shutdown(OURS);
}

#[test]
fn a_port_or_backlog_that_is_not_a_number_is_refused_with_a_message() {
    for (args, message) in [
        (
            ["--port", "eighty"],
            "chat: --port takes a number from 0 to 65535, not \"eighty\"\n",
        ),
        (
            ["--max-backlog", "1M"],
            "chat: --max-backlog takes a number of bytes, not \"1M\"\n",
        ),
    ] {
        let output = Command::new(example_binary("chat"))
            .args(args)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), message);
    }
}

#[test]
fn the_cpython_program_it_mirrors_passes_the_same_checks() {
    crowd_hears_every_line_once_in_order(CPYTHONS, 20);
    half_lines_of_leaving_clients_are_dropped(CPYTHONS);
    long_lines_disconnect_their_clients(CPYTHONS);
    slow_client_is_dropped_without_stalling_others(CPYTHONS);
    a_signal_tells_every_client_then_exits_with_status_0(CPYTHONS, SIGTERM);
    a_client_that_reads_nothing_is_cut_off_at_shutdown(CPYTHONS);
}
