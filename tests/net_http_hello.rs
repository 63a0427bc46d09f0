//! `examples/http_hello` as a program, checked with clients someone else
//! wrote: `curl` and Python's `http.client` (`tests/python/http_client.py`).
//! Each test starts the built example on a free port and stops it with a
//! signal; a guard kills it if the test fails first.
#![cfg(unix)]

mod net;

use net::{
    PythonPeer,
    example_server::{ExampleServer, Program, Stopped},
};
use signal_hook::consts::{SIGINT, SIGTERM};
use std::{
    io::{Read, Write},
    net::TcpStream,
    os::unix::process::ExitStatusExt,
    process::{Command, ExitStatus},
    sync::OnceLock,
    thread,
    time::{Duration, Instant},
};

/// How long a client waits for an answer.
const PATIENCE: Duration = Duration::from_secs(10);

/// The `http_hello` example that `cargo test` built.
fn ours() -> ExampleServer {
    ExampleServer::start(Program::Example("http_hello"))
}

/// `examples/python/http_hello.py` under CPython.
fn cpython() -> ExampleServer {
    ExampleServer::start(Program::Python("http_hello.py"))
}

fn url(server: &ExampleServer, path: &str) -> String {
    format!("http://127.0.0.1:{}{path}", server.port())
}

/// What `http_client.py SCENARIO PORT` prints about `server`.
fn python_client(server: &ExampleServer, scenario: &str) -> Vec<String> {
    let peer = PythonPeer::spawn("http_client.py", &[scenario, &server.port().to_string()]);
    peer.finish()
}

/// Its exit status and the lines it printed last; it must have written
/// nothing on stderr.
fn ended(stopped: Stopped) -> (ExitStatus, Vec<String>) {
    assert_eq!(stopped.stderr, "", "the server's stderr");
    (stopped.status, stopped.lines)
}

/// Whether `curl` is there, installed with `apt-get` if it was not; a
/// note on stderr when it cannot be had.
fn have_curl() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    *HAVE.get_or_init(|| {
        let runs = || Command::new("curl").arg("--version").output().is_ok();
        if runs() {
            return true;
        }
        let _ = Command::new("apt-get").arg("update").output();
        let _ = Command::new("apt-get")
            .args(["install", "-y", "curl"])
            .output();
        let have = runs();
        if !have {
            eprintln!(
                "note: curl is missing and apt-get could not install it: curl checks skipped"
            );
        }
        have
    })
}

/// `curl -s --max-time 10 ARGS`'s output, or `None` without `curl`.
fn curl(args: &[&str]) -> Option<String> {
    if !have_curl() {
        return None;
    }
    let output = Command::new("curl")
        .args(["-s", "--max-time", "10"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "curl {args:?}: {output:?}");
    Some(String::from_utf8(output.stdout).unwrap())
}

#[test]
fn the_page_is_served_with_its_content_length() {
    let server = ours();
    assert_eq!(
        python_client(&server, "page"),
        [
            "200 OK",
            "Content-Type: text/html; charset=utf-8",
            "Content-Length matches the body: True",
            "body: <!doctype html>",
        ]
    );
    if let Some(response) = curl(&["-i", &url(&server, "/")]) {
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(
            head.contains(&format!("\r\nContent-Length: {}", body.len())),
            "{head}"
        );
        assert!(body.contains("<h1>Hello from an asyncio event loop</h1>"));
    }
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let server = ours();
    assert_eq!(
        python_client(&server, "keep_alive"),
        [
            "/ 200 will close: False",
            "/sleep?s=0 200 will close: False",
            "/nope 404 will close: False",
            "connections used: 1",
        ]
    );
    // curl counts the connections each transfer opened: the second and
    // third reuse the first's.
    let urls = [
        url(&server, "/"),
        url(&server, "/sleep?s=0"),
        url(&server, "/"),
    ];
    let mut args = vec!["-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null"];
    args.extend(["-w", "%{num_connects}\n"]);
    args.extend(urls.iter().map(String::as_str));
    if let Some(connects) = curl(&args) {
        assert_eq!(connects, "1\n0\n0\n");
    }
}

#[test]
fn connection_close_is_honoured() {
    let server = ours();
    assert_eq!(
        python_client(&server, "connection_close"),
        ["200 Connection: close", "will close: True"]
    );
}

#[test]
fn http_1_0_closes_after_one_response_unless_keep_alive_is_asked() {
    let server = ours();
    assert_eq!(
        python_client(&server, "http_10"),
        [
            "plain: HTTP/1.1 200 OK True",
            "keep-alive responses: 2",
            "keep-alive header: 2",
        ]
    );
    if let Some(response) = curl(&["-i", "--http1.0", &url(&server, "/")]) {
        assert!(response.contains("\r\nConnection: close\r\n"), "{response}");
    }
}

#[test]
fn an_unknown_path_is_404() {
    let server = ours();
    assert_eq!(
        python_client(&server, "not_found"),
        ["404 Not Found 404 Not Found"]
    );
    if let Some(code) = curl(&["-o", "/dev/null", "-w", "%{http_code}", &url(&server, "/x")]) {
        assert_eq!(code, "404");
    }
}

#[test]
fn malformed_requests_get_their_status_and_the_server_serves_on() {
    let server = ours();
    assert_eq!(
        python_client(&server, "malformed"),
        [
            "no version: HTTP/1.1 400 Bad Request",
            "bad version: HTTP/1.1 400 Bad Request",
            "not a header: HTTP/1.1 400 Bad Request",
            "bad length: HTTP/1.1 400 Bad Request",
            "not utf-8: HTTP/1.1 400 Bad Request",
            "chunked: HTTP/1.1 501 Not Implemented",
            "long request line: HTTP/1.1 414 URI Too Long",
            "long header: HTTP/1.1 431 Request Header Fields Too Large",
            "many headers: HTTP/1.1 431 Request Header Fields Too Large",
            "method: HTTP/1.1 405 Method Not Allowed",
            "then: 200",
        ]
    );
    let (status, _) = ended(server.stop(SIGTERM));
    assert_eq!(status.code(), Some(0), "no panic on bad input");
}

#[test]
fn clients_leaving_mid_request_do_not_disturb_the_server() {
    let server = ours();
    assert_eq!(python_client(&server, "disconnect"), ["then: 200"]);
    let (status, _) = ended(server.stop(SIGTERM));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sleeps_wait_together_and_the_page_is_served_while_they_wait() {
    let server = ours();
    assert_eq!(
        python_client(&server, "parallel_sleep"),
        [
            "responses: 11 all 200: True",
            "first done: page",
            "sleeps overlapped: True",
        ]
    );
    // curl's parallel transfers: ten half-second sleeps end in much less
    // than the five seconds they would take one after another.
    let urls: Vec<String> = (0..10).map(|_| url(&server, "/sleep?s=0.5")).collect();
    let mut args = vec!["--parallel", "--parallel-immediate", "--parallel-max", "10"];
    args.extend(["-w", "%{http_code}\n"]);
    for url in &urls {
        args.extend(["-o", "/dev/null", url.as_str()]);
    }
    let started = Instant::now();
    if let Some(codes) = curl(&args) {
        assert_eq!(codes, "200\n".repeat(10));
        assert!(started.elapsed() < Duration::from_millis(2500));
    }
}

/// One response read off `stream`: its head and its body (as long as its
/// `Content-Length` says).
fn read_response(stream: &mut TcpStream) -> (String, String) {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        stream.read_exact(&mut byte).expect("a whole response head");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let length: usize = head
        .split("\r\n")
        .find_map(|h| h.strip_prefix("Content-Length: "))
        .and_then(|l| l.parse().ok())
        .expect("a Content-Length");
    let mut body = vec![0; length];
    stream.read_exact(&mut body).unwrap();
    (head, String::from_utf8(body).unwrap())
}

/// A client of `port` that has sent `request`.
fn sent(port: u16, request: &str) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    stream
}

fn rest_of(stream: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    rest
}

#[test]
fn a_signal_closes_idle_connections_lets_requests_in_flight_finish_and_exits_with_0() {
    for (start, signal, name) in [
        (ours as fn() -> ExampleServer, SIGTERM, "TERM"),
        (ours, SIGINT, "INT"),
        (cpython, SIGTERM, "TERM"),
    ] {
        let server = start();
        let mut idle = sent(server.port(), "GET / HTTP/1.1\r\n\r\n");
        read_response(&mut idle);
        let mut in_flight = sent(server.port(), "GET /sleep?s=1.5 HTTP/1.1\r\n\r\n");
        let mut too_long = sent(server.port(), "GET /sleep?s=10 HTTP/1.1\r\n\r\n");
        // Time for the server to read both requests.
        thread::sleep(Duration::from_millis(500));
        server.signal(signal);
        assert_eq!(
            rest_of(&mut idle),
            b"",
            "SIG{name}: the idle connection closes"
        );
        // ... before the request in flight is answered.
        in_flight.set_nonblocking(true).unwrap();
        let waiting = in_flight.peek(&mut [0]).map_err(|e| e.kind());
        assert_eq!(waiting, Err(std::io::ErrorKind::WouldBlock));
        in_flight.set_nonblocking(false).unwrap();
        let (head, body) = read_response(&mut in_flight);
        assert!(head.contains("\r\nConnection: close\r\n"), "{head}");
        assert_eq!(body, "slept 1.5 s\n");
        assert_eq!(rest_of(&mut in_flight), b"");
        // Past the grace of two seconds, a request is cut off unanswered.
        assert_eq!(rest_of(&mut too_long), b"");
        let (status, rest) = ended(server.wait());
        assert_eq!(status.code(), Some(0), "SIG{name}: {status:?}");
        assert_eq!(status.signal(), None);
        assert_eq!(rest, [format!("stopped by SIG{name}")]);
    }
}

#[test]
fn the_python_server_sends_the_same_bytes() {
    let ours = ours();
    let cpython = cpython();
    assert_eq!(
        python_client(&ours, "wire"),
        python_client(&cpython, "wire")
    );
}
