//! The writing half of a stream (Python's `asyncio.StreamWriter`).

use super::{
    Coroutine, Suspend, coroutine, stream_reader::StreamReader,
    stream_reader_protocol::StreamReaderProtocol, transport_base::ExtraInfo, transports::Transport,
};
use crate::AnyError;
use std::{fmt, rc::Rc};

/// Writes to a connection (Python's `asyncio.StreamWriter`): made by
/// [`open_connection`](super::open_connection) and [`start_server`](super::start_server). A cheap handle: clones share
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
    pub(super) fn new(
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

    /// Writes the pieces joined, as one write (Python's
    /// `writer.writelines`): see [`Transport::writelines`].
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write), for all the pieces at once.
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
