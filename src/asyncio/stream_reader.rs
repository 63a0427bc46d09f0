//! The reading half of a stream (Python's `asyncio.StreamReader`): a
//! buffer fed by its protocol, read from by one coroutine at a time.
//!
//! The reader pauses the transport's reading while its buffer holds more
//! than twice its limit (64 KiB by default) and resumes it once a read
//! brings the buffer down to the limit, or when a read must wait for more.

use super::{
    Coroutine, CoroutineCo, coroutine,
    errors::{RuntimeError, ValueError},
    event_loop::EventLoop,
    future::Future,
    transports::Transport,
};
use crate::AnyError;
use std::{
    cell::{Cell, RefCell},
    error::Error,
    fmt, mem,
    rc::Rc,
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
        if self.start == 0 && n == self.bytes.len() && self.bytes.capacity() <= 2 * n {
            // A read that takes the whole buffer (the echo of a message)
            // takes its allocation too, rather than a copy of its bytes;
            // one whose allocation is much larger than the bytes copies
            // them, so that the caller does not keep the spare room.
            return mem::take(&mut self.bytes);
        }
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
/// [`open_connection`](super::open_connection) and [`start_server`](super::start_server), or by hand with
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
pub struct StreamReader(pub(super) Rc<ReaderInner>);

pub(super) struct ReaderInner {
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

    pub(super) fn unchecked(limit: usize) -> Self {
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

impl StreamReader {
    /// The reader's lines, one coroutine per line (Python's `async for
    /// line in reader`): each [`Lines::next`] reads a line as
    /// [`readline`](Self::readline) does and gives `None` once the stream
    /// is at its end, where Python's loop stops (`StopAsyncIteration` on
    /// `b''`). A last line without `\n` comes as it is.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{ClockKind, StreamReader, coroutine, run_with};
    ///
    /// let reader = StreamReader::new();
    /// reader.feed_data(b"GET / HTTP/1.0\r\nHost: x\r\n\r\nlast").unwrap();
    /// reader.feed_eof();
    /// let lines = run_with(ClockKind::Virtual, coroutine("main", move |co| async move {
    ///     let mut lines = Vec::new();
    ///     // async for line in reader:
    ///     let mut each = reader.lines();
    ///     while let Some(line) = co.yield_from(each.next()).await? {
    ///         lines.push(line);
    ///     }
    ///     Ok(lines)
    /// }))
    /// .unwrap();
    /// assert_eq!(lines, [&b"GET / HTTP/1.0\r\n"[..], b"Host: x\r\n", b"\r\n", b"last"]);
    /// ```
    pub fn lines(&self) -> Lines {
        Lines(self.clone())
    }
}

/// A [`StreamReader`]'s lines, read one coroutine at a time: see
/// [`StreamReader::lines`].
#[derive(Clone, Debug)]
#[must_use = "the lines are read only by the coroutines `next` makes"]
pub struct Lines(StreamReader);

impl Lines {
    /// The next line, `\n` included, or `None` at the end of the stream
    /// (Python's `reader.__anext__()`).
    ///
    /// # Errors
    ///
    /// The coroutine raises what [`StreamReader::readline`] raises.
    #[allow(
        clippy::should_implement_trait,
        reason = "it gives a coroutine, not the line: Python's __anext__"
    )]
    pub fn next(&mut self) -> Coroutine<Option<Vec<u8>>> {
        let line = self.0.readline();
        coroutine("StreamReader.__anext__", move |co| async move {
            let line = co.yield_from(line).await?;
            Ok((!line.is_empty()).then_some(line))
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
