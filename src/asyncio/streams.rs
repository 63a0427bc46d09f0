//! Streams: reading lines and exact sizes from a connection, and writing
//! to it with flow control, as coroutines (Python's `asyncio.streams`),
//! Unix only.
//!
//! They are built as CPython 3.11 builds them: a [`StreamReaderProtocol`]
//! is the transport's protocol; it feeds what arrives into a
//! [`StreamReader`]'s buffer and wakes the one coroutine waiting on it,
//! and it tells a [`StreamWriter`]'s `drain` when the transport's write
//! buffer is over its high-water mark. The reader pauses the transport's
//! reading while its buffer holds more than twice its limit (64 KiB by
//! default) and resumes it once a read brings the buffer down to the
//! limit, or when a read must wait for more.

use super::{
    Coroutine, CoroutineCo, coroutine,
    event_loop::EventLoop,
    event_loop::LoopInner,
    servers::{Server, ServerOptions, connection_in, system_resolver, unix_connection_in},
    stream_reader::{DEFAULT_LIMIT, StreamReader},
    stream_reader_protocol::{ClientConnected, StreamReaderProtocol},
    stream_writer::StreamWriter,
    transports::Transport,
};
use crate::AnyError;
use std::{
    path::Path,
    rc::{Rc, Weak},
};

/// The running loop, and a coroutine made from it, with the loop let go
/// of before the coroutine is waited on.
fn on_running_loop<T>(make: impl FnOnce(&EventLoop) -> T) -> Result<T, AnyError> {
    Ok(make(&EventLoop::running()?))
}

/// Connects to `host`:`port` over TCP and gives the connection's reader
/// and writer (Python's `asyncio.open_connection`). The reader's limit is
/// [`DEFAULT_LIMIT`].
///
/// # Errors
///
/// The coroutine raises `RuntimeError` if no loop runs, and
/// [`EventLoop::create_connection`]'s errors (`GaiError`,
/// `ConnectionRefusedError`, ...).
///
/// # Examples
///
/// ```
/// use std::{io::{BufRead, BufReader, Write}, net::TcpListener};
/// use yieldfrom::asyncio::{ClockKind, coroutine, open_connection, run_with};
///
/// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
/// let port = listener.local_addr().unwrap().port();
/// let peer = std::thread::spawn(move || {
///     let (conn, _) = listener.accept().unwrap();
///     let mut line = String::new();
///     BufReader::new(&conn).read_line(&mut line).unwrap();
///     (&conn).write_all(line.to_uppercase().as_bytes()).unwrap();
/// });
/// let answer = run_with(ClockKind::Real, coroutine("main", move |co| async move {
///     let (reader, writer) = co.yield_from(open_connection("127.0.0.1", port)).await?;
///     writer.write(b"hello\n")?;
///     co.yield_from(writer.drain()).await?;
///     let answer = co.yield_from(reader.readline()).await?;
///     writer.close();
///     co.yield_from(writer.wait_closed()).await?;
///     Ok(answer)
/// }))
/// .unwrap();
/// peer.join().unwrap();
/// assert_eq!(answer, b"HELLO\n");
/// ```
pub fn open_connection(host: &str, port: u16) -> Coroutine<(StreamReader, StreamWriter)> {
    open_connection_with_limit(host, port, DEFAULT_LIMIT)
}

/// [`open_connection`] with the reader's limit (Python's `limit=`
/// argument).
///
/// # Errors
///
/// As [`open_connection`]; `ValueError("Limit cannot be <= 0")` for 0.
pub fn open_connection_with_limit(
    host: &str,
    port: u16,
    limit: usize,
) -> Coroutine<(StreamReader, StreamWriter)> {
    let host = host.to_owned();
    open_streams("open_connection", limit, async move |co, lp, protocol| {
        connection_in(co, lp, move || protocol, &host, port, system_resolver).await
    })
}

/// Makes a reader of `limit` and its protocol, connects with `connect`
/// and pairs the transport with a writer. The connection is made in this
/// coroutine rather than in `create_connection`'s: one generator fewer
/// per connection.
fn open_streams(
    name: &'static str,
    limit: usize,
    connect: impl AsyncFnOnce(
        &CoroutineCo,
        &Weak<LoopInner>,
        StreamReaderProtocol,
    ) -> Result<(Transport, Rc<StreamReaderProtocol>), AnyError>
    + 'static,
) -> Coroutine<(StreamReader, StreamWriter)> {
    coroutine(name, move |co| async move {
        let reader = StreamReader::with_limit(limit)?;
        let (lp, protocol) = on_running_loop(|lp| {
            let protocol = StreamReaderProtocol::new(Some(lp), &reader, None);
            (Rc::downgrade(&lp.0), protocol)
        })?;
        let (transport, _) = connect(&co, &lp, protocol.clone()).await?;
        let writer = StreamWriter::new(transport, protocol, Some(reader.clone()));
        Ok((reader, writer))
    })
}

/// Connects to the Unix-domain socket at `path` and gives the
/// connection's reader and writer (Python's
/// `asyncio.open_unix_connection`).
///
/// # Errors
///
/// The coroutine raises `RuntimeError` if no loop runs, and
/// [`EventLoop::create_unix_connection`]'s errors.
pub fn open_unix_connection(path: impl AsRef<Path>) -> Coroutine<(StreamReader, StreamWriter)> {
    open_unix_connection_with_limit(path, DEFAULT_LIMIT)
}

/// [`open_unix_connection`] with the reader's limit.
///
/// # Errors
///
/// As [`open_unix_connection`]; `ValueError("Limit cannot be <= 0")` for
/// 0.
pub fn open_unix_connection_with_limit(
    path: impl AsRef<Path>,
    limit: usize,
) -> Coroutine<(StreamReader, StreamWriter)> {
    let path = path.as_ref().to_owned();
    open_streams(
        "open_unix_connection",
        limit,
        async move |co, lp, protocol| unix_connection_in(co, lp, move || protocol, &path).await,
    )
}

/// A protocol factory for a streams server on `lp`.
fn serving(
    lp: &EventLoop,
    limit: usize,
    client_connected: impl Fn(StreamReader, StreamWriter) -> Coroutine<()> + 'static,
) -> impl Fn() -> StreamReaderProtocol + 'static {
    let lp = Rc::downgrade(&lp.0);
    let client_connected: ClientConnected = Rc::new(client_connected);
    move || {
        let lp = lp.upgrade().map(EventLoop);
        StreamReaderProtocol::new(
            lp.as_ref(),
            &StreamReader::unchecked(limit),
            Some(client_connected.clone()),
        )
    }
}

/// Listens on `host`:`port` over TCP and runs `client_connected(reader,
/// writer)` as a task for each connection (Python's
/// `asyncio.start_server`). Port 0 picks a free port: see
/// [`Server::sockets`]. A task that ends with an error is reported
/// ([`LoopReport::ClientConnectedFailed`](super::LoopReport::ClientConnectedFailed)) and its connection closed.
///
/// # Errors
///
/// The coroutine raises `RuntimeError` if no loop runs, and
/// [`EventLoop::create_server`]'s errors (`GaiError`, address in use).
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{
///     Address, ClockKind, coroutine, open_connection, run_with, start_server,
/// };
///
/// let echoed = run_with(ClockKind::Real, coroutine("main", |co| async move {
///     let echo = |reader: yieldfrom::asyncio::StreamReader, writer: yieldfrom::asyncio::StreamWriter| {
///         coroutine("echo", move |co| async move {
///             let line = co.yield_from(reader.readline()).await?;
///             writer.write(&line)?;
///             co.yield_from(writer.drain()).await?;
///             writer.close();
///             Ok(())
///         })
///     };
///     let server = co.yield_from(start_server(echo, "127.0.0.1", 0)).await?;
///     let Address::Inet(addr) = server.sockets()[0].clone() else { unreachable!() };
///     let (reader, writer) = co.yield_from(open_connection("127.0.0.1", addr.port())).await?;
///     writer.write(b"ping\n")?;
///     let echoed = co.yield_from(reader.read(-1)).await?;
///     server.close();
///     Ok(echoed)
/// }))
/// .unwrap();
/// assert_eq!(echoed, b"ping\n");
/// ```
pub fn start_server(
    client_connected: impl Fn(StreamReader, StreamWriter) -> Coroutine<()> + 'static,
    host: &str,
    port: u16,
) -> Coroutine<Server> {
    start_server_with_limit(client_connected, host, port, DEFAULT_LIMIT)
}

/// [`start_server`] with the readers' limit (Python's `limit=` argument).
///
/// # Errors
///
/// As [`start_server`]; `ValueError("Limit cannot be <= 0")` for 0.
pub fn start_server_with_limit(
    client_connected: impl Fn(StreamReader, StreamWriter) -> Coroutine<()> + 'static,
    host: &str,
    port: u16,
    limit: usize,
) -> Coroutine<Server> {
    start_server_with(client_connected, host, port, limit, ServerOptions::new())
}

/// [`start_server`] with the readers' limit and the server's `options`:
/// Python's `start_server(cb, host, port, limit=limit, **kwds)`, whose
/// `kwds` go to `loop.create_server`, as `options` go to
/// [`EventLoop::create_server_with`].
///
/// # Errors
///
/// As [`start_server`]; `ValueError("Limit cannot be <= 0")` for 0.
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{
///     ClockKind, DEFAULT_LIMIT, ServerOptions, StreamReader, StreamWriter, coroutine, run_with,
///     start_server_with,
/// };
///
/// let serving = run_with(ClockKind::Real, coroutine("main", |co| async move {
///     let quiet = |_: StreamReader, _: StreamWriter| coroutine("quiet", |_| async { Ok(()) });
///     // Python's `await asyncio.start_server(quiet, "127.0.0.1", 0, backlog=1000)`
///     let options = ServerOptions::new().backlog(1000);
///     let server = co.yield_from(start_server_with(quiet, "127.0.0.1", 0, DEFAULT_LIMIT, options)).await?;
///     let serving = server.is_serving();
///     server.close();
///     Ok(serving)
/// }))
/// .unwrap();
/// assert!(serving);
/// ```
pub fn start_server_with(
    client_connected: impl Fn(StreamReader, StreamWriter) -> Coroutine<()> + 'static,
    host: &str,
    port: u16,
    limit: usize,
    options: ServerOptions,
) -> Coroutine<Server> {
    let host = host.to_owned();
    coroutine("start_server", move |co| async move {
        StreamReader::with_limit(limit)?;
        let starting = on_running_loop(|lp| {
            lp.create_server_with(serving(lp, limit, client_connected), &host, port, options)
        })?;
        co.yield_from(starting).await
    })
}

/// Listens on the Unix-domain socket `path` and runs
/// `client_connected(reader, writer)` as a task for each connection
/// (Python's `asyncio.start_unix_server`).
///
/// # Errors
///
/// The coroutine raises `RuntimeError` if no loop runs, and
/// [`EventLoop::create_unix_server`]'s errors.
pub fn start_unix_server(
    client_connected: impl Fn(StreamReader, StreamWriter) -> Coroutine<()> + 'static,
    path: impl AsRef<Path>,
) -> Coroutine<Server> {
    start_unix_server_with_limit(client_connected, path, DEFAULT_LIMIT)
}

/// [`start_unix_server`] with the readers' limit.
///
/// # Errors
///
/// As [`start_unix_server`]; `ValueError("Limit cannot be <= 0")` for 0.
pub fn start_unix_server_with_limit(
    client_connected: impl Fn(StreamReader, StreamWriter) -> Coroutine<()> + 'static,
    path: impl AsRef<Path>,
    limit: usize,
) -> Coroutine<Server> {
    start_unix_server_with(client_connected, path, limit, ServerOptions::new())
}

/// [`start_unix_server`] with the readers' limit and the server's
/// `options` (Python's `start_unix_server(cb, path, limit=limit,
/// **kwds)`).
///
/// # Errors
///
/// As [`start_unix_server`]; `ValueError("Limit cannot be <= 0")` for
/// 0.
pub fn start_unix_server_with(
    client_connected: impl Fn(StreamReader, StreamWriter) -> Coroutine<()> + 'static,
    path: impl AsRef<Path>,
    limit: usize,
    options: ServerOptions,
) -> Coroutine<Server> {
    let path = path.as_ref().to_owned();
    coroutine("start_unix_server", move |co| async move {
        StreamReader::with_limit(limit)?;
        let starting = on_running_loop(|lp| {
            lp.create_unix_server_with(serving(lp, limit, client_connected), &path, options)
        })?;
        co.yield_from(starting).await
    })
}
