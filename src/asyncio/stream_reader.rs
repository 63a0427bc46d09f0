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
    Coroutine, CoroutineCo, Suspend, coroutine,
    errors::{RuntimeError, ValueError},
    event_loop::{EventLoop, LoopInner},
    future::Future,
    os_errors::ConnectionResetError,
    protocols::Protocol,
    report::LoopReport,
    servers::Server,
    task::Task,
    transports::{ExtraInfo, Transport},
};
use crate::AnyError;
use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    error::Error,
    fmt, io,
    path::Path,
    rc::{Rc, Weak},
};

/// How many bytes a [`StreamReader`] looks through for a separator
/// before it gives up (asyncio's `_DEFAULT_LIMIT`, 64 KiB). Its buffer
/// holds up to twice as much before the transport stops reading.
pub const DEFAULT_LIMIT: usize = 1 << 16;

/// The stream ended before a read could complete (Python's
/// `asyncio.IncompleteReadError`): the bytes that were there are in
/// `partial`, taken out of the reader's buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncompleteReadError {
    /// What was read before the end of the stream.
    pub partial: Vec<u8>,
    /// How many bytes were asked for (`None` for `readuntil`, which does
    /// not know).
    pub expected: Option<usize>,
}

impl fmt::Display for IncompleteReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes read on a total of ", self.partial.len())?;
        match self.expected {
            Some(n) => write!(f, "{n}")?,
            None => f.write_str("undefined")?,
        }
        f.write_str(" expected bytes")
    }
}

impl Error for IncompleteReadError {}

/// `readuntil` looked through more than the reader's limit without
/// finding its separator, or found it past the limit (Python's
/// `asyncio.LimitOverrunError`). The data stays in the reader's buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitOverrunError {
    /// CPython's message.
    pub message: String,
    /// How many bytes would have to be consumed to go on (where the
    /// search stopped, or where the separator starts).
    pub consumed: usize,
}

impl fmt::Display for LimitOverrunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for LimitOverrunError {}

/// The reader's bytes: taken from the front, added at the back. Taking
/// moves a start index rather than the bytes after it, as CPython's
/// `bytearray` does when its front is deleted, so reading line by line
/// through a full buffer is not quadratic.
#[derive(Default)]
struct Buffer {
    bytes: Vec<u8>,
    start: usize,
}

impl Buffer {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    fn len(&self) -> usize {
        self.bytes.len() - self.start
    }

    fn extend(&mut self, data: &[u8]) {
        if self.start > 0 && self.start >= self.bytes.len() / 2 {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        self.bytes.extend_from_slice(data);
    }

    /// The first `n` bytes (all of them, if fewer), taken out.
    fn take(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.len());
        let taken = self.as_slice()[..n].to_vec();
        self.start += n;
        if self.start == self.bytes.len() {
            self.bytes.clear();
            self.start = 0;
        }
        taken
    }

    fn take_all(&mut self) -> Vec<u8> {
        self.take(self.len())
    }

    fn find(&self, separator: &[u8], from: usize) -> Option<usize> {
        let haystack = self.as_slice().get(from..)?;
        let found = match separator {
            [byte] => haystack.iter().position(|b| b == byte),
            _ => haystack
                .windows(separator.len())
                .position(|w| w == separator),
        };
        found.map(|i| from + i)
    }
}

/// Reads from a connection (Python's `asyncio.StreamReader`): made by
/// [`open_connection`] and [`start_server`], or by hand with
/// [`new`](Self::new) and fed with [`feed_data`](Self::feed_data). A
/// cheap handle: clones share the reader.
///
/// One coroutine at a time may wait for data: a second read that must
/// wait while one does is refused with `RuntimeError`. A read cancelled
/// while it waits takes nothing: the bytes stay in the buffer for the
/// next.
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{ClockKind, IncompleteReadError, StreamReader, coroutine, run_with};
///
/// let reader = StreamReader::new();
/// reader.feed_data(b"GET / HTTP/1.0\r\nbody").unwrap();
/// reader.feed_eof();
/// let (line, rest) = run_with(ClockKind::Virtual, coroutine("main", move |co| async move {
///     let line = co.yield_from(reader.readline()).await?;
///     let rest = co.yield_from(reader.readexactly(10)).await;
///     Ok((line, rest.unwrap_err()))
/// }))
/// .unwrap();
/// assert_eq!(line, b"GET / HTTP/1.0\r\n");
/// let incomplete = rest.downcast_ref::<IncompleteReadError>().unwrap();
/// assert_eq!(incomplete.partial, b"body");
/// assert_eq!(incomplete.to_string(), "4 bytes read on a total of 10 expected bytes");
/// ```
#[derive(Clone)]
pub struct StreamReader(Rc<ReaderInner>);

struct ReaderInner {
    limit: usize,
    buffer: RefCell<Buffer>,
    /// `feed_eof` was called: nothing more will come.
    eof: Cell<bool>,
    /// What the one waiting read waits on (CPython's `_waiter`).
    waiter: RefCell<Option<Future<()>>>,
    exception: RefCell<Option<AnyError>>,
    transport: RefCell<Option<Transport>>,
    /// The reader paused the transport's reading.
    paused: Cell<bool>,
}

impl Default for StreamReader {
    fn default() -> Self {
        Self::new()
    }
}

/// Clears the reader's waiter when its wait ends, however it ends (the
/// coroutine may be closed while it waits): CPython's `finally`.
struct WaiterSlot<'a> {
    slot: &'a RefCell<Option<Future<()>>>,
    waiter: Future<()>,
}

impl Drop for WaiterSlot<'_> {
    fn drop(&mut self) {
        let mut slot = self.slot.borrow_mut();
        if slot.as_ref().is_some_and(|w| w.same(&self.waiter)) {
            *slot = None;
        }
    }
}

impl StreamReader {
    /// A reader with the default limit of 64 KiB, fed by nothing yet.
    #[must_use]
    pub fn new() -> Self {
        Self::unchecked(DEFAULT_LIMIT)
    }

    /// A reader whose separator search gives up past `limit` bytes.
    ///
    /// # Errors
    ///
    /// `ValueError("Limit cannot be <= 0")` for 0.
    pub fn with_limit(limit: usize) -> Result<Self, AnyError> {
        if limit == 0 {
            return Err(ValueError::new("Limit cannot be <= 0").into());
        }
        Ok(Self::unchecked(limit))
    }

    fn unchecked(limit: usize) -> Self {
        Self(Rc::new(ReaderInner {
            limit,
            buffer: RefCell::default(),
            eof: Cell::new(false),
            waiter: RefCell::new(None),
            exception: RefCell::new(None),
            transport: RefCell::new(None),
            paused: Cell::new(false),
        }))
    }

    /// The limit it was made with.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.0.limit
    }

    /// How many bytes are buffered, not yet read.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.0.buffer.borrow().len()
    }

    /// The error the connection was lost with, once it was (Python's
    /// `reader.exception()`).
    #[must_use]
    pub fn exception(&self) -> Option<AnyError> {
        self.0.exception.borrow().clone()
    }

    /// Makes every read from now on raise `error`, and wakes the waiting
    /// read with it (Python's `set_exception`).
    pub fn set_exception(&self, error: impl Into<AnyError>) {
        let error = error.into();
        *self.0.exception.borrow_mut() = Some(error.clone());
        let waiter = self.0.waiter.borrow_mut().take();
        if let Some(waiter) = waiter {
            if !waiter.cancelled() {
                let _ = waiter.set_exception(error);
            }
        }
    }

    fn wakeup_waiter(&self) {
        let waiter = self.0.waiter.borrow_mut().take();
        if let Some(waiter) = waiter {
            if !waiter.cancelled() {
                let _ = waiter.set_result(());
            }
        }
    }

    pub(crate) fn set_transport(&self, transport: Transport) {
        *self.0.transport.borrow_mut() = Some(transport);
    }

    fn transport(&self) -> Option<Transport> {
        self.0.transport.borrow().clone()
    }

    /// CPython's `_maybe_resume_transport`.
    fn maybe_resume_transport(&self) {
        if self.0.paused.get() && self.buffered() <= self.0.limit {
            self.0.paused.set(false);
            if let Some(transport) = self.transport() {
                transport.resume_reading();
            }
        }
    }

    /// Nothing more will come (Python's `feed_eof`): the waiting read
    /// wakes, and reads past the buffer see the end.
    pub fn feed_eof(&self) {
        self.0.eof.set(true);
        self.wakeup_waiter();
    }

    /// Whether the buffer is empty and [`feed_eof`](Self::feed_eof) was
    /// called (Python's `at_eof`).
    #[must_use]
    pub fn at_eof(&self) -> bool {
        self.0.eof.get() && self.buffered() == 0
    }

    /// Adds `data` to the buffer and wakes the waiting read (Python's
    /// `feed_data`). Past twice the limit, the transport stops reading.
    ///
    /// # Errors
    ///
    /// `RuntimeError("feed_data after feed_eof")` (an `AssertionError` in
    /// CPython); the data is not added.
    pub fn feed_data(&self, data: &[u8]) -> Result<(), AnyError> {
        if self.0.eof.get() {
            return Err(RuntimeError::new("feed_data after feed_eof").into());
        }
        if data.is_empty() {
            return Ok(());
        }
        self.0.buffer.borrow_mut().extend(data);
        self.wakeup_waiter();
        if !self.0.paused.get() && self.buffered() > 2 * self.0.limit {
            if let Some(transport) = self.transport() {
                transport.pause_reading();
                self.0.paused.set(true);
            }
        }
        Ok(())
    }

    /// CPython's `_wait_for_data`: waits until data or the end is fed,
    /// resuming the transport first if the reader paused it (a read
    /// waiting for more than twice the limit would wait forever).
    async fn wait_for_data(&self, co: &CoroutineCo, func_name: &str) -> Result<(), AnyError> {
        if self.0.waiter.borrow().is_some() {
            return Err(RuntimeError::new(format!(
                "{func_name}() called while another coroutine is already waiting for incoming data"
            ))
            .into());
        }
        if self.0.paused.replace(false) {
            if let Some(transport) = self.transport() {
                transport.resume_reading();
            }
        }
        let waiter: Future<()> = EventLoop::running()?.create_future();
        *self.0.waiter.borrow_mut() = Some(waiter.clone());
        let slot = WaiterSlot {
            slot: &self.0.waiter,
            waiter,
        };
        slot.waiter.wait_in(co).await
    }

    fn raise_exception(&self) -> Result<(), AnyError> {
        match self.exception() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Reads up to `n` bytes: at least one, as soon as one is there, or
    /// none at the end of the stream (Python's `reader.read(n)`). A
    /// negative `n` reads to the end of the stream, `limit` bytes at a
    /// time; 0 reads nothing.
    ///
    /// # Errors
    ///
    /// The coroutine raises the error the connection was lost with
    /// (`ConnectionResetError`, ...), `RuntimeError` if another read is
    /// waiting, `CancelledError` if cancelled while it waits (nothing is
    /// taken then).
    pub fn read(&self, n: isize) -> Coroutine<Vec<u8>> {
        let reader = self.clone();
        coroutine("StreamReader.read", move |co| async move {
            if let Ok(n) = usize::try_from(n) {
                return reader.read_in(&co, n).await;
            }
            // Block by block: one wait for everything would never end
            // once the buffer paused the transport.
            let mut all = Vec::new();
            loop {
                let block = reader.read_in(&co, reader.0.limit).await?;
                if block.is_empty() {
                    return Ok(all);
                }
                all.extend_from_slice(&block);
            }
        })
    }

    async fn read_in(&self, co: &CoroutineCo, n: usize) -> Result<Vec<u8>, AnyError> {
        self.raise_exception()?;
        if n == 0 {
            return Ok(Vec::new());
        }
        if self.buffered() == 0 && !self.0.eof.get() {
            self.wait_for_data(co, "read").await?;
        }
        let data = self.0.buffer.borrow_mut().take(n);
        self.maybe_resume_transport();
        Ok(data)
    }

    /// Reads a line, `\n` included (Python's `reader.readline()`). At
    /// the end of the stream, what is left (perhaps nothing) without the
    /// `\n`.
    ///
    /// # Errors
    ///
    /// The coroutine raises `ValueError` with [`LimitOverrunError`]'s
    /// message for a line longer than the limit, after dropping that line
    /// from the buffer if it is all there, or else the whole buffer (as
    /// CPython); otherwise as [`read`](Self::read).
    pub fn readline(&self) -> Coroutine<Vec<u8>> {
        let reader = self.clone();
        coroutine("StreamReader.readline", move |co| async move {
            let error = match reader.readuntil_in(&co, b"\n").await {
                Ok(line) => return Ok(line),
                Err(e) => e,
            };
            if let Some(incomplete) = error.downcast_ref::<IncompleteReadError>() {
                return Ok(incomplete.partial.clone());
            }
            let Some(overrun) = error.downcast_ref::<LimitOverrunError>() else {
                return Err(error);
            };
            {
                let mut buffer = reader.0.buffer.borrow_mut();
                if buffer.as_slice().get(overrun.consumed) == Some(&b'\n') {
                    buffer.take(overrun.consumed + 1);
                } else {
                    buffer.take_all();
                }
            }
            reader.maybe_resume_transport();
            Err(ValueError::new(overrun.message.clone()).into())
        })
    }

    /// Reads up to and including `separator` (Python's
    /// `reader.readuntil(separator)`).
    ///
    /// # Errors
    ///
    /// The coroutine raises `ValueError("Separator should be at least
    /// one-byte string")` for an empty separator; [`LimitOverrunError`]
    /// when the separator is not within the limit, leaving the data in the
    /// buffer; [`IncompleteReadError`] (with `expected: None`) carrying
    /// the rest of the stream when it ends without the separator;
    /// otherwise as [`read`](Self::read).
    pub fn readuntil(&self, separator: &[u8]) -> Coroutine<Vec<u8>> {
        let reader = self.clone();
        let separator = separator.to_vec();
        coroutine("StreamReader.readuntil", move |co| async move {
            reader.readuntil_in(&co, &separator).await
        })
    }

    async fn readuntil_in(&self, co: &CoroutineCo, separator: &[u8]) -> Result<Vec<u8>, AnyError> {
        let seplen = separator.len();
        if seplen == 0 {
            return Err(ValueError::new("Separator should be at least one-byte string").into());
        }
        self.raise_exception()?;
        // Where the buffer is known not to hold the separator.
        let mut offset = 0;
        let found = loop {
            let buflen = self.buffered();
            if buflen.saturating_sub(offset) >= seplen {
                if let Some(found) = self.0.buffer.borrow().find(separator, offset) {
                    break found;
                }
                // The last seplen - 1 bytes may start the separator.
                offset = buflen + 1 - seplen;
                if offset > self.0.limit {
                    return Err(LimitOverrunError {
                        message: "Separator is not found, and chunk exceed the limit".into(),
                        consumed: offset,
                    }
                    .into());
                }
            }
            // The last data may have completed the separator: EOF is
            // looked at only after the buffer.
            if self.0.eof.get() {
                let partial = self.0.buffer.borrow_mut().take_all();
                return Err(IncompleteReadError {
                    partial,
                    expected: None,
                }
                .into());
            }
            self.wait_for_data(co, "readuntil").await?;
        };
        if found > self.0.limit {
            return Err(LimitOverrunError {
                message: "Separator is found, but chunk is longer than limit".into(),
                consumed: found,
            }
            .into());
        }
        let chunk = self.0.buffer.borrow_mut().take(found + seplen);
        self.maybe_resume_transport();
        Ok(chunk)
    }

    /// Reads exactly `n` bytes (Python's `reader.readexactly(n)`); the
    /// limit does not apply.
    ///
    /// # Errors
    ///
    /// The coroutine raises [`IncompleteReadError`] carrying what was
    /// left, with `expected: Some(n)`, if the stream ends first;
    /// otherwise as [`read`](Self::read).
    pub fn readexactly(&self, n: usize) -> Coroutine<Vec<u8>> {
        let reader = self.clone();
        coroutine("StreamReader.readexactly", move |co| async move {
            reader.raise_exception()?;
            if n == 0 {
                return Ok(Vec::new());
            }
            while reader.buffered() < n {
                if reader.0.eof.get() {
                    let partial = reader.0.buffer.borrow_mut().take_all();
                    return Err(IncompleteReadError {
                        partial,
                        expected: Some(n),
                    }
                    .into());
                }
                reader.wait_for_data(&co, "readexactly").await?;
            }
            let data = reader.0.buffer.borrow_mut().take(n);
            reader.maybe_resume_transport();
            Ok(data)
        })
    }
}

impl fmt::Debug for StreamReader {
    /// As CPython's `repr`: `<StreamReader 3 bytes eof limit=10 paused>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<StreamReader")?;
        let buffered = self.buffered();
        if buffered > 0 {
            write!(f, " {buffered} bytes")?;
        }
        if self.0.eof.get() {
            f.write_str(" eof")?;
        }
        if self.0.limit != DEFAULT_LIMIT {
            write!(f, " limit={}", self.0.limit)?;
        }
        if self.0.waiter.borrow().is_some() {
            f.write_str(" waiter")?;
        }
        if let Some(e) = &*self.0.exception.borrow() {
            write!(f, " exception={e}")?;
        }
        if self.0.paused.get() {
            f.write_str(" paused")?;
        }
        f.write_str(">")
    }
}

/// What a server's streams are handed to.
type ClientConnected = Rc<dyn Fn(StreamReader, StreamWriter) -> Coroutine<()>>;

/// The protocol between a transport and a [`StreamReader`] /
/// [`StreamWriter`] pair (Python's `asyncio.StreamReaderProtocol`, with
/// `FlowControlMixin`): feeds the reader, and lets the writer's `drain`
/// wait while the transport's write buffer is over its high-water mark.
/// A cheap handle.
#[derive(Clone)]
pub(crate) struct StreamReaderProtocol(Rc<ProtocolInner>);

struct ProtocolInner {
    lp: Weak<LoopInner>,
    /// The reader, held weakly as CPython's: a reader nobody reads from
    /// is dropped, and what arrives then goes nowhere.
    reader: RefCell<Option<Weak<ReaderInner>>>,
    /// A server's reader, held until it is handed to the callback.
    strong_reader: RefCell<Option<StreamReader>>,
    /// A server's writer, held until the connection is lost.
    writer: RefCell<Option<StreamWriter>>,
    client_connected: Option<ClientConnected>,
    task: RefCell<Option<Task<()>>>,
    transport: RefCell<Option<Transport>>,
    /// Done when the connection is lost, with its error if any.
    closed: Option<Future<()>>,
    /// Writing is paused: `pause_writing` came, `resume_writing` not yet.
    paused: Cell<bool>,
    drain_waiters: RefCell<VecDeque<Future<()>>>,
    connection_lost: Cell<bool>,
}

impl StreamReaderProtocol {
    fn new(
        lp: Option<&EventLoop>,
        reader: &StreamReader,
        client_connected: Option<ClientConnected>,
    ) -> Self {
        let strong_reader = client_connected.as_ref().map(|_| reader.clone());
        Self(Rc::new(ProtocolInner {
            lp: lp.map_or_else(Weak::new, |lp| Rc::downgrade(&lp.0)),
            reader: RefCell::new(Some(Rc::downgrade(&reader.0))),
            strong_reader: RefCell::new(strong_reader),
            writer: RefCell::new(None),
            client_connected,
            task: RefCell::new(None),
            transport: RefCell::new(None),
            closed: lp.map(EventLoop::create_future),
            paused: Cell::new(false),
            drain_waiters: RefCell::new(VecDeque::new()),
            connection_lost: Cell::new(false),
        }))
    }

    fn lp(&self) -> Option<EventLoop> {
        self.0.lp.upgrade().map(EventLoop)
    }

    fn stream_reader(&self) -> Option<StreamReader> {
        let reader = self.0.reader.borrow();
        reader.as_ref()?.upgrade().map(StreamReader)
    }

    /// Starts the server's callback on the new streams, as a task; an
    /// error it ends with is reported and closes the transport.
    fn client_connected(&self, callback: &ClientConnected, transport: &Transport) {
        let Some(reader) = self.stream_reader() else {
            return;
        };
        let writer = StreamWriter::new(transport.clone(), self.clone(), Some(reader.clone()));
        *self.0.writer.borrow_mut() = Some(writer.clone());
        self.0.strong_reader.borrow_mut().take();
        let Some(lp) = self.lp() else { return };
        let Ok(task) = lp.create_task(callback(reader, writer)) else {
            return;
        };
        let (closing, reporting) = (transport.clone(), Rc::downgrade(&lp.0));
        task.future().add_done_callback(move |done| {
            if let Ok(Some(error)) = done.exception() {
                if let Some(lp) = reporting.upgrade() {
                    EventLoop(lp).report(&LoopReport::ClientConnectedFailed {
                        error: format!("{error:?}"),
                    });
                }
                closing.close();
            }
        });
        *self.0.task.borrow_mut() = Some(task);
    }

    /// CPython's `_drain_helper`.
    async fn drain_helper(&self, co: &CoroutineCo) -> Result<(), AnyError> {
        if self.0.connection_lost.get() {
            return Err(ConnectionResetError(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "Connection lost",
            ))
            .into());
        }
        if !self.0.paused.get() {
            return Ok(());
        }
        let waiter: Future<()> = EventLoop::running()?.create_future();
        self.0.drain_waiters.borrow_mut().push_back(waiter.clone());
        let in_line = InLine {
            waiters: &self.0.drain_waiters,
            waiter,
        };
        in_line.waiter.wait_in(co).await
    }
}

/// Takes a drain waiter out of the line however its wait ends.
struct InLine<'a> {
    waiters: &'a RefCell<VecDeque<Future<()>>>,
    waiter: Future<()>,
}

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.waiters.borrow_mut().retain(|w| !w.same(&self.waiter));
    }
}

impl Protocol for StreamReaderProtocol {
    fn connection_made(&self, transport: Transport) {
        *self.0.transport.borrow_mut() = Some(transport.clone());
        if let Some(reader) = self.stream_reader() {
            reader.set_transport(transport.clone());
        }
        if let Some(callback) = &self.0.client_connected {
            self.client_connected(callback, &transport);
        }
    }

    fn data_received(&self, data: &[u8]) {
        if let Some(reader) = self.stream_reader() {
            // Refused only after EOF, which the transport never follows
            // with data.
            let _ = reader.feed_data(data);
        }
    }

    fn eof_received(&self) -> bool {
        if let Some(reader) = self.stream_reader() {
            reader.feed_eof();
        }
        // Half-closed: the writer may go on writing.
        true
    }

    fn connection_lost(&self, error: Option<AnyError>) {
        if let Some(reader) = self.stream_reader() {
            match &error {
                None => reader.feed_eof(),
                Some(e) => reader.set_exception(e.clone()),
            }
        }
        if let Some(closed) = &self.0.closed {
            if !closed.done() {
                let _ = match &error {
                    None => closed.set_result(()),
                    Some(e) => closed.set_exception(e.clone()),
                };
            }
        }
        self.0.connection_lost.set(true);
        if self.0.paused.get() {
            let waiters: Vec<Future<()>> = self.0.drain_waiters.borrow().iter().cloned().collect();
            for waiter in waiters.iter().filter(|w| !w.done()) {
                let _ = match &error {
                    None => waiter.set_result(()),
                    Some(e) => waiter.set_exception(e.clone()),
                };
            }
        }
        self.0.reader.borrow_mut().take();
        let strong_reader = self.0.strong_reader.borrow_mut().take();
        let writer = self.0.writer.borrow_mut().take();
        let task = self.0.task.borrow_mut().take();
        let transport = self.0.transport.borrow_mut().take();
        drop((strong_reader, writer, task, transport));
    }

    fn pause_writing(&self) {
        self.0.paused.set(true);
    }

    fn resume_writing(&self) {
        self.0.paused.set(false);
        let waiters: Vec<Future<()>> = self.0.drain_waiters.borrow().iter().cloned().collect();
        for waiter in waiters.iter().filter(|w| !w.done()) {
            let _ = waiter.set_result(());
        }
    }
}

impl Drop for ProtocolInner {
    fn drop(&mut self) {
        // Whoever did not wait for the close does not need to hear that
        // its error went unretrieved.
        if let Some(closed) = &self.closed {
            if closed.done() && !closed.cancelled() {
                let _ = closed.exception();
            }
        }
    }
}

/// Writes to a connection (Python's `asyncio.StreamWriter`): made by
/// [`open_connection`] and [`start_server`]. A cheap handle: clones share
/// the writer. Dropping the last handle closes the transport if it is not
/// closing (CPython's `__del__` does, with a `ResourceWarning`).
///
/// Writes go to the transport at once; [`drain`](Self::drain) waits while
/// its buffer is over the high-water mark, which is how a writer keeps up
/// with a slow peer without buffering without bound.
#[derive(Clone)]
pub struct StreamWriter(Rc<WriterInner>);

struct WriterInner {
    transport: Transport,
    protocol: StreamReaderProtocol,
    reader: Option<StreamReader>,
}

impl Drop for WriterInner {
    fn drop(&mut self) {
        if !self.transport.is_closing() {
            self.transport.close();
        }
    }
}

impl StreamWriter {
    fn new(
        transport: Transport,
        protocol: StreamReaderProtocol,
        reader: Option<StreamReader>,
    ) -> Self {
        Self(Rc::new(WriterInner {
            transport,
            protocol,
            reader,
        }))
    }

    /// The transport underneath (Python's `writer.transport`).
    #[must_use]
    pub fn transport(&self) -> &Transport {
        &self.0.transport
    }

    /// Queues `data` (Python's `writer.write`): follow with
    /// [`drain`](Self::drain).
    ///
    /// # Errors
    ///
    /// As [`Transport::write`]: `RuntimeError` after `write_eof`,
    /// [`TransportClosedError`](super::TransportClosedError) once the
    /// connection is lost.
    pub fn write(&self, data: &[u8]) -> Result<(), AnyError> {
        self.0.transport.write(data)
    }

    /// Queues each piece in turn (Python's `writer.writelines`).
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write), from the first piece refused.
    pub fn writelines<'a>(
        &self,
        pieces: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<(), AnyError> {
        self.0.transport.writelines(pieces)
    }

    /// Closes the writing side once the buffer is sent (Python's
    /// `writer.write_eof`); reading goes on.
    pub fn write_eof(&self) {
        self.0.transport.write_eof();
    }

    /// Whether [`write_eof`](Self::write_eof) is possible: always, for a
    /// socket.
    #[must_use]
    pub fn can_write_eof(&self) -> bool {
        self.0.transport.can_write_eof()
    }

    /// Closes the connection once the buffer is sent (Python's
    /// `writer.close`); [`wait_closed`](Self::wait_closed) waits for it.
    pub fn close(&self) {
        self.0.transport.close();
    }

    /// Whether the connection is closing or closed.
    #[must_use]
    pub fn is_closing(&self) -> bool {
        self.0.transport.is_closing()
    }

    /// Waits until the connection is lost (Python's
    /// `writer.wait_closed()`).
    ///
    /// # Errors
    ///
    /// The coroutine raises the error the connection was lost with
    /// (`ConnectionResetError`, ...), or `CancelledError`.
    pub fn wait_closed(&self) -> Coroutine<()> {
        let closed = self.0.protocol.0.closed.clone();
        coroutine("StreamWriter.wait_closed", move |co| async move {
            match closed {
                Some(closed) => closed.wait_in(&co).await,
                None => Ok(()),
            }
        })
    }

    /// Python's `writer.get_extra_info(name)`: as
    /// [`Transport::get_extra_info`].
    #[must_use]
    pub fn get_extra_info(&self, name: &str) -> Option<ExtraInfo> {
        self.0.transport.get_extra_info(name)
    }

    /// Waits while the transport's write buffer is over its high-water
    /// mark (Python's `await writer.drain()`): at once if it is not.
    ///
    /// # Errors
    ///
    /// The coroutine raises the error the connection was lost with, as the
    /// reader saw it (`ConnectionResetError`, `BrokenPipeError`, ...);
    /// `ConnectionResetError("Connection lost")` once it is lost without
    /// one; `CancelledError` if cancelled while it waits.
    pub fn drain(&self) -> Coroutine<()> {
        let writer = self.clone();
        coroutine("StreamWriter.drain", move |co| async move {
            if let Some(error) = writer.0.reader.as_ref().and_then(StreamReader::exception) {
                return Err(error);
            }
            if writer.0.transport.is_closing() {
                // Lets `connection_lost` run first, so that a loop of
                // `write` and `drain` to a closed connection sees it.
                co.yield_(Suspend::NOW).await?;
            }
            writer.0.protocol.drain_helper(&co).await
        })
    }
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<StreamWriter transport={:?}", self.0.transport)?;
        if let Some(reader) = &self.0.reader {
            write!(f, " reader={reader:?}")?;
        }
        f.write_str(">")
    }
}

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
    open_streams("open_connection", limit, move |lp, protocol| {
        lp.create_connection(move || protocol, &host, port)
    })
}

/// Makes a reader of `limit` and its protocol, connects with `connect`,
/// and pairs the transport with a writer.
fn open_streams(
    name: &'static str,
    limit: usize,
    connect: impl FnOnce(
        &EventLoop,
        StreamReaderProtocol,
    ) -> Coroutine<(Transport, Rc<StreamReaderProtocol>)>
    + 'static,
) -> Coroutine<(StreamReader, StreamWriter)> {
    coroutine(name, move |co| async move {
        let reader = StreamReader::with_limit(limit)?;
        let (protocol, connecting) = on_running_loop(|lp| {
            let protocol = StreamReaderProtocol::new(Some(lp), &reader, None);
            (protocol.clone(), connect(lp, protocol))
        })?;
        let (transport, _) = co.yield_from(connecting).await?;
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
    open_streams("open_unix_connection", limit, move |lp, protocol| {
        lp.create_unix_connection(move || protocol, &path)
    })
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
/// ([`LoopReport::ClientConnectedFailed`]) and its connection closed.
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
    let host = host.to_owned();
    coroutine("start_server", move |co| async move {
        StreamReader::with_limit(limit)?;
        let starting = on_running_loop(|lp| {
            lp.create_server(serving(lp, limit, client_connected), &host, port)
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
    let path = path.as_ref().to_owned();
    coroutine("start_unix_server", move |co| async move {
        StreamReader::with_limit(limit)?;
        let starting = on_running_loop(|lp| {
            lp.create_unix_server(serving(lp, limit, client_connected), &path)
        })?;
        co.yield_from(starting).await
    })
}

#[cfg(test)]
mod tests {
    use super::Buffer;

    #[test]
    fn the_buffer_gives_its_bytes_in_order_across_compactions() {
        let mut buffer = Buffer::default();
        let mut taken = Vec::new();
        for round in 0..100_u8 {
            buffer.extend(&[round; 7]);
            taken.extend(buffer.take(5));
        }
        taken.extend(buffer.take_all());
        let expected: Vec<u8> = (0..100_u8).flat_map(|r| [r; 7]).collect();
        assert_eq!(taken, expected);
        assert_eq!(buffer.len(), 0);
    }

    #[test]
    fn the_buffer_finds_a_separator_split_across_its_start() {
        let mut buffer = Buffer::default();
        buffer.extend(b"xx\r\nab\r\n");
        buffer.take(4);
        assert_eq!(buffer.find(b"\r\n", 0), Some(2));
        assert_eq!(buffer.find(b"\n", 3), Some(3));
        assert_eq!(buffer.find(b"\n", 9), None);
    }
}
