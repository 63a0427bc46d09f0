//! A small HTTP/1.1 server on streams (issue 14), the same as
//! `examples/python/http_hello.py` byte for byte on the wire.
//!
//! `GET /` is a fixed page; `GET /sleep?s=0.5` answers after half a second
//! of `sleep`, while the loop serves everyone else; any other path is 404.
//! Connections are kept alive as HTTP/1.1 says (unless the client sends
//! `Connection: close`; an HTTP/1.0 client only when it asks for
//! `keep-alive`), and every response has a `Content-Length`. Bad input
//! gets a status and the connection closed, never a panic: a malformed
//! request is 400, a request line or header line longer than the readers'
//! limit 414 or 431, a body 413, a chunked body 501.
//!
//! `cargo run --example http_hello -- --port 0` picks a free port and
//! prints `listening on 127.0.0.1:PORT` first. SIGINT or SIGTERM stops it:
//! it stops listening, closes the connections waiting for a request, gives
//! the requests in flight two seconds to be answered (with `Connection:
//! close`), prints `stopped by SIGTERM` and ends with status 0.

use std::{cell::RefCell, collections::HashMap};
use yieldfrom::{
    AnyError,
    asyncio::{
        BrokenPipeError, ConnectionAbortedError, ConnectionResetError, Coroutine,
        IncompleteReadError, OsError, StreamReader, StreamWriter, TimeoutError,
        TransportClosedError, ValueError, coroutine, run, sleep, start_server_with_limit, wait_for,
    },
};

// The path is spelled out so that `fetch_many`, which serves these routes
// in its own loop, can take this file in as a module.
#[path = "common/mod.rs"]
mod common;
use common::serve::{announce, port_from_args, stop_signals};

/// The readers' limit: the longest request line or header line (as
/// CPython's `limit=`, 8 KiB as in most servers).
const LIMIT: usize = 8192;
/// The most header lines a request may have.
const MAX_HEADERS: usize = 100;
/// The longest `/sleep` served, so that no client can hold a connection
/// open for ever.
const MAX_SLEEP: f64 = 10.0;

const PAGE: &[u8] = b"<!doctype html>
<title>Hello</title>
<h1>Hello from an asyncio event loop</h1>
<p>Try <a href=\"/sleep?s=0.5\">/sleep?s=0.5</a>: it waits without blocking anyone else.</p>
";

/// How long requests in flight have to finish once the server stops.
const GRACE: f64 = 2.0;

/// What the server knows of its connections (module globals in the
/// Python).
#[derive(Default)]
struct Connections {
    /// Connections being served, until their sockets are closed.
    open: usize,
    /// The writers of connections waiting for their next request, under a
    /// number of their own: closed at once when the server stops.
    idle: HashMap<u64, StreamWriter>,
    next_id: u64,
    /// The server is stopping: requests in flight finish, and their
    /// connections close.
    stopping: bool,
}

thread_local! {
    static CONNECTIONS: RefCell<Connections> = RefCell::default();
}

/// How many connections the server holds open now.
pub fn open_connections() -> usize {
    CONNECTIONS.with_borrow(|c| c.open)
}

fn stopping() -> bool {
    CONNECTIONS.with_borrow(|c| c.stopping)
}

/// Stops serving: idle connections close now, requests in flight finish.
fn stop_serving() {
    let idle: Vec<StreamWriter> = CONNECTIONS.with_borrow_mut(|c| {
        c.stopping = true;
        c.idle.drain().map(|(_, writer)| writer).collect()
    });
    for writer in idle {
        writer.close();
    }
}

/// A connection listed as idle until this is dropped (Python's `try:
/// idle.add(writer) ... finally: idle.discard(writer)`).
struct Idle(u64);

impl Idle {
    fn enter(writer: &StreamWriter) -> Self {
        CONNECTIONS.with_borrow_mut(|c| {
            c.next_id += 1;
            c.idle.insert(c.next_id, writer.clone());
            Self(c.next_id)
        })
    }
}

impl Drop for Idle {
    fn drop(&mut self) {
        // The table is gone only once the thread ends, with nothing to
        // take out of it.
        let _ = CONNECTIONS.try_with(|c| c.borrow_mut().idle.remove(&self.0));
    }
}

/// A request as far as this server cares.
struct Request {
    method: String,
    target: String,
    http_11: bool,
    keep_alive: bool,
}

/// What reading a request gave.
enum Incoming {
    Request(Request),
    /// The client closed the connection, between requests or in the
    /// middle of one.
    Closed,
    /// A request this server refuses: the status to answer before closing.
    Refused(&'static str),
}

/// A response; its `Content-Length` is its body's, sent for `HEAD` too.
struct Response {
    status: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Response {
    fn new(status: &'static str, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            content_type,
            body: body.into(),
        }
    }

    /// A plain-text error whose body is its status line.
    fn error(status: &'static str) -> Self {
        Self::new(status, "text/plain", format!("{status}\n"))
    }

    /// The bytes on the wire. `connection` is the `Connection` header to
    /// send, if any; for `HEAD`, the body is left out but still counted.
    fn encode(&self, connection: Option<&str>, head: bool) -> Vec<u8> {
        let connection = connection
            .map(|c| format!("Connection: {c}\r\n"))
            .unwrap_or_default();
        let mut out = format!(
            "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{connection}\r\n",
            self.status,
            self.content_type,
            self.body.len()
        )
        .into_bytes();
        if !head {
            out.extend_from_slice(&self.body);
        }
        out
    }
}

/// A line without its `\r\n` (or bare `\n`), if it is text.
fn text_of(line: &[u8]) -> Option<&str> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    std::str::from_utf8(line).ok()
}

/// `METHOD TARGET HTTP/1.x`: the method, the target and whether the
/// version is 1.1.
fn parse_request_line(line: &str) -> Option<(String, String, bool)> {
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || !target.starts_with('/')
    {
        return None;
    }
    let http_11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return None,
    };
    Some((method.to_owned(), target.to_owned(), http_11))
}

/// Whether a `Connection` header's comma-separated list names `token`.
fn names(connection: &str, token: &str) -> bool {
    connection
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// A limit overrun (the reader's `ValueError`) becomes `status`; the
/// stream's other errors are the caller's.
fn overrun_as(error: AnyError, status: &'static str) -> Result<Incoming, AnyError> {
    if error.is::<ValueError>() {
        Ok(Incoming::Refused(status))
    } else {
        Err(error)
    }
}

/// Reads one request: its line, its headers and (thrown away) its body.
fn read_request(reader: StreamReader) -> Coroutine<Incoming> {
    coroutine("read_request", move |co| async move {
        let line = match co.yield_from(reader.readline()).await {
            Ok(line) => line,
            Err(e) => return overrun_as(e, "414 URI Too Long"),
        };
        if !line.ends_with(b"\n") {
            return Ok(Incoming::Closed);
        }
        let Some((method, target, http_11)) = text_of(&line).and_then(parse_request_line) else {
            return Ok(Incoming::Refused("400 Bad Request"));
        };
        let (mut connection, mut content_length, mut chunked) = (String::new(), 0, false);
        for _ in 0..=MAX_HEADERS {
            let line = match co.yield_from(reader.readline()).await {
                Ok(line) => line,
                Err(e) => return overrun_as(e, "431 Request Header Fields Too Large"),
            };
            if !line.ends_with(b"\n") {
                return Ok(Incoming::Closed);
            }
            let Some(header) = text_of(&line) else {
                return Ok(Incoming::Refused("400 Bad Request"));
            };
            if header.is_empty() {
                if chunked {
                    return Ok(Incoming::Refused("501 Not Implemented"));
                }
                if content_length > LIMIT {
                    return Ok(Incoming::Refused("413 Content Too Large"));
                }
                if let Err(e) = co.yield_from(reader.readexactly(content_length)).await {
                    return if e.is::<IncompleteReadError>() {
                        Ok(Incoming::Closed)
                    } else {
                        Err(e)
                    };
                }
                let keep_alive = if http_11 {
                    !names(&connection, "close")
                } else {
                    names(&connection, "keep-alive") && !names(&connection, "close")
                };
                return Ok(Incoming::Request(Request {
                    method,
                    target,
                    http_11,
                    keep_alive,
                }));
            }
            let Some((name, value)) = header.split_once(':') else {
                return Ok(Incoming::Refused("400 Bad Request"));
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("connection") {
                connection = value.to_owned();
            } else if name.eq_ignore_ascii_case("content-length") {
                let Ok(length) = value.parse() else {
                    return Ok(Incoming::Refused("400 Bad Request"));
                };
                content_length = length;
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = true;
            }
        }
        Ok(Incoming::Refused("431 Request Header Fields Too Large"))
    })
}

/// The `s` of `/sleep?s=...`, as written and as seconds (0.5 without one).
fn sleep_seconds(query: &str) -> Option<(String, f64)> {
    let Some(written) = query.split('&').find_map(|p| p.strip_prefix("s=")) else {
        return Some(("0.5".to_owned(), 0.5));
    };
    let seconds: f64 = written.parse().ok()?;
    (0.0..=MAX_SLEEP)
        .contains(&seconds)
        .then(|| (written.to_owned(), seconds))
}

/// The response to a well-formed request.
fn respond(request: &Request) -> Coroutine<Response> {
    let (method, target) = (request.method.clone(), request.target.clone());
    coroutine("respond", move |co| async move {
        if method != "GET" && method != "HEAD" {
            return Ok(Response::error("405 Method Not Allowed"));
        }
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        Ok(match path {
            "/" => Response::new("200 OK", "text/html; charset=utf-8", PAGE),
            "/sleep" => match sleep_seconds(query) {
                Some((written, seconds)) => {
                    co.yield_from(sleep(seconds)).await?;
                    Response::new("200 OK", "text/plain", format!("slept {written} s\n"))
                }
                None => Response::error("400 Bad Request"),
            },
            _ => Response::error("404 Not Found"),
        })
    })
}

/// Serves the requests of one connection until it is to close.
fn serve_connection(reader: StreamReader, writer: StreamWriter) -> Coroutine<()> {
    coroutine("serve_connection", move |co| async move {
        while !stopping() {
            let idle = Idle::enter(&writer);
            let incoming = co.yield_from(read_request(reader.clone())).await?;
            drop(idle);
            let request = match incoming {
                Incoming::Request(request) => request,
                Incoming::Closed => return Ok(()),
                Incoming::Refused(status) => {
                    writer.write(&Response::error(status).encode(Some("close"), false))?;
                    return co.yield_from(writer.drain()).await;
                }
            };
            let response = co.yield_from(respond(&request)).await?;
            let keep_alive = request.keep_alive && !stopping();
            let connection = match (keep_alive, request.http_11) {
                (false, _) => Some("close"),
                (true, false) => Some("keep-alive"),
                (true, true) => None,
            };
            writer.write(&response.encode(connection, request.method == "HEAD"))?;
            co.yield_from(writer.drain()).await?;
            if !keep_alive {
                return Ok(());
            }
        }
        Ok(())
    })
}

/// Whether `error` only says that the client went away.
fn is_disconnect(error: &AnyError) -> bool {
    error.is::<ConnectionResetError>()
        || error.is::<BrokenPipeError>()
        || error.is::<ConnectionAbortedError>()
        || error.is::<TransportClosedError>()
        || error.is::<OsError>()
}

/// `start_server`'s callback: one task per connection.
pub fn handle(reader: StreamReader, writer: StreamWriter) -> Coroutine<()> {
    coroutine("handle", move |co| async move {
        CONNECTIONS.with_borrow_mut(|c| c.open += 1);
        let served = co
            .yield_from(serve_connection(reader, writer.clone()))
            .await;
        writer.close();
        // Counted open until its socket is closed. An error here is the
        // client's going away, already seen (or not) by `served`.
        let _ = co.yield_from(writer.wait_closed()).await;
        CONNECTIONS.with_borrow_mut(|c| c.open -= 1);
        match served {
            Err(e) if is_disconnect(&e) => Ok(()),
            other => other,
        }
    })
}

fn main_coroutine(port: u16) -> Coroutine {
    coroutine("main", move |co| async move {
        let server = co
            .yield_from(start_server_with_limit(handle, "127.0.0.1", port, LIMIT))
            .await?;
        let stop = stop_signals()?;
        announce(&server)?;
        let signal = co.yield_from(stop.wait()).await?;
        server.close();
        stop_serving();
        // What is still in flight after the grace is cancelled by `run`
        // as `main` returns.
        match co
            .yield_from(wait_for(server.wait_closed(), Some(GRACE)))
            .await
        {
            Err(e) if !e.is::<TimeoutError>() => return Err(e),
            _ => println!("stopped by {signal}"),
        }
        Ok(())
    })
}

fn main() -> Result<(), AnyError> {
    run(main_coroutine(port_from_args(8080)?))
}
