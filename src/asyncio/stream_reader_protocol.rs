//! The protocol between a transport and a stream's reader and writer
//! (Python's `asyncio.StreamReaderProtocol`, with `FlowControlMixin`).

use super::{
    Coroutine, CoroutineCo,
    event_loop::{EventLoop, LoopInner},
    future::Future,
    os_errors::ConnectionResetError,
    protocols::Protocol,
    report::LoopReport,
    stream_reader::{ReaderInner, StreamReader},
    stream_writer::StreamWriter,
    task::Task,
    transports::Transport,
};
use crate::AnyError;
use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    io,
    rc::{Rc, Weak},
};

/// What a server's streams are handed to.
pub(super) type ClientConnected = Rc<dyn Fn(StreamReader, StreamWriter) -> Coroutine<()>>;

/// The protocol between a transport and a [`StreamReader`] /
/// [`StreamWriter`] pair (Python's `asyncio.StreamReaderProtocol`, with
/// `FlowControlMixin`): feeds the reader, and lets the writer's `drain`
/// wait while the transport's write buffer is over its high-water mark.
/// A cheap handle.
#[derive(Clone)]
pub(crate) struct StreamReaderProtocol(pub(super) Rc<ProtocolInner>);

pub(super) struct ProtocolInner {
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
    pub(super) closed: Option<Future<()>>,
    /// Writing is paused: `pause_writing` came, `resume_writing` not yet.
    paused: Cell<bool>,
    drain_waiters: RefCell<VecDeque<Future<()>>>,
    connection_lost: Cell<bool>,
}

impl StreamReaderProtocol {
    pub(super) fn new(
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
    pub(super) async fn drain_helper(&self, co: &CoroutineCo) -> Result<(), AnyError> {
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
