//! Transports: a socket driven by the loop on behalf of a protocol
//! (CPython's `_SelectorTransport` and `_SelectorSocketTransport`), Unix
//! only. What every transport shares is in `transport_base.rs`; the
//! datagram transport is in `datagram_transport.rs`.
//!
//! A stream transport reads whenever its socket is readable and hands the
//! bytes to [`Protocol::data_received`]; [`Transport::write`] sends at once
//! what the OS takes and buffers the rest, sent as the socket becomes
//! writable. Past the buffer's high-water mark (64 KiB by default) the
//! protocol is told to [`pause_writing`](Protocol::pause_writing); once
//! the buffer drains to the low-water mark (16 KiB) to
//! [`resume_writing`](Protocol::resume_writing).

use super::{
    errors::RuntimeError,
    event_loop::EventLoop,
    os_errors::os_error,
    protocols::Protocol,
    selector::Direction,
    servers::Server,
    transport_base::{
        Address, Base, ExtraInfo, MAX_READ, READ_BUFFER, Socket, TransportClosedError, soon,
        would_block,
    },
};
use crate::AnyError;
use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    fmt, io,
    rc::Rc,
};

/// A stream connection driven by the loop (Python's transport from
/// `create_connection` and `create_server`). A cheap handle: clones share
/// the transport.
///
/// # Examples
///
/// ```
/// use std::{cell::RefCell, io::{Read, Write}, net::TcpListener, rc::Rc};
/// use yieldfrom::asyncio::{ClockKind, EventLoop, Protocol, Transport};
///
/// #[derive(Default)]
/// struct Greeter(RefCell<Vec<u8>>);
/// impl Protocol for Greeter {
///     fn connection_made(&self, transport: Transport) {
///         transport.write(b"hello").unwrap();
///         transport.write_eof();
///     }
///     fn data_received(&self, data: &[u8]) {
///         self.0.borrow_mut().extend_from_slice(data);
///     }
/// }
///
/// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
/// let port = listener.local_addr().unwrap().port();
/// let peer = std::thread::spawn(move || {
///     let (mut conn, _) = listener.accept().unwrap();
///     let mut got = Vec::new();
///     conn.read_to_end(&mut got).unwrap();
///     conn.write_all(&got.to_ascii_uppercase()).unwrap();
/// });
/// let lp = EventLoop::new(ClockKind::Real);
/// let (transport, greeter) = lp
///     .run_until_complete(lp.create_connection(Greeter::default, "127.0.0.1", port))
///     .unwrap();
/// peer.join().unwrap();
/// while !transport.is_closing() {
///     lp.run_until_complete(yieldfrom::asyncio::sleep(0.01)).unwrap();
/// }
/// assert_eq!(*greeter.0.borrow(), b"HELLO");
/// ```
#[derive(Clone)]
pub struct Transport(Rc<StreamInner>);

struct StreamInner {
    base: Base,
    protocol: RefCell<Option<Rc<dyn Protocol>>>,
    buffer: RefCell<VecDeque<u8>>,
    /// `write_eof` was called.
    eof: Cell<bool>,
    server: RefCell<Option<Server>>,
}

impl Transport {
    /// Wraps a connected non-blocking socket: `connection_made` and the
    /// first read are scheduled, in that order.
    pub(crate) fn start(
        lp: &EventLoop,
        sock: Socket,
        protocol: Rc<dyn Protocol>,
        server: Option<Server>,
    ) -> Result<Self, AnyError> {
        if let Socket::Tcp(stream) = &sock {
            // As CPython's transports: small writes go out at once rather
            // than wait for Nagle's algorithm.
            stream.set_nodelay(true).map_err(os_error)?;
        }
        let transport = Self(Rc::new(StreamInner {
            base: Base::new(lp, sock),
            protocol: RefCell::new(Some(protocol.clone())),
            buffer: RefCell::new(VecDeque::new()),
            eof: Cell::new(false),
            server: RefCell::new(server),
        }));
        let weak = Rc::downgrade(&transport.0);
        transport.0.base.register_closer(Box::new(move || {
            if let Some(inner) = weak.upgrade() {
                Self(inner).force_close(None);
            }
        }));
        let made = transport.clone();
        lp.call_soon(move || protocol.connection_made(made))?;
        let reading = transport.clone();
        lp.call_soon(move || reading.add_reader())?;
        Ok(transport)
    }

    fn protocol(&self) -> Option<Rc<dyn Protocol>> {
        self.0.protocol.borrow().clone()
    }

    fn add_reader(&self) {
        let base = &self.0.base;
        if base.closing.get() || base.reading_paused.get() {
            return;
        }
        let (Some(lp), me) = (base.lp(), self.clone()) else {
            return;
        };
        if let Err(e) = lp.add_reader(&base.fd, move || me.read_ready()) {
            self.fatal_error(e);
        }
    }

    /// CPython's `_read_ready__data_received`.
    fn read_ready(&self) {
        if self.0.base.conn_lost.get() > 0 {
            return;
        }
        let Some(sock) = self.0.base.sock() else {
            return;
        };
        READ_BUFFER.with(|cell| {
            let mut buf = cell.take();
            buf.resize(MAX_READ, 0);
            let got = sock.recv(&mut buf);
            // A datagram socket gives one datagram a read, short or not,
            // with more possibly queued behind it: it stays armed.
            let stream = !matches!(*sock, Socket::Udp(_));
            if stream && left_nothing(&got, MAX_READ) {
                // A stream socket that gives less than asked for is
                // drained (tokio clears its readiness on a short read
                // too): it is reported again when more arrives, with no
                // re-arm.
                self.settled(Direction::Read);
            }
            match got {
                Ok(0) => self.eof_received(),
                Ok(n) => {
                    if let Some(protocol) = self.protocol() {
                        protocol.data_received(&buf[..n]);
                    }
                }
                Err(e) if would_block(&e) => {}
                Err(e) => self.fatal_error(os_error(e)),
            }
            cell.replace(buf);
        });
    }

    fn eof_received(&self) {
        let keep_open = self.protocol().is_some_and(|p| p.eof_received());
        if keep_open {
            // Nothing more will come: stop watching for it.
            self.0.base.remove_reader();
        } else {
            self.close();
        }
    }

    /// Queues `data` for sending, sending at once what the socket takes
    /// (Python's `transport.write`). Empty data does nothing.
    ///
    /// # Errors
    ///
    /// `RuntimeError("Cannot call write() after write_eof()")`;
    /// [`TransportClosedError`] once the connection is lost (the data is
    /// not sent).
    pub fn write(&self, data: &[u8]) -> Result<(), AnyError> {
        let inner = &*self.0;
        if inner.eof.get() {
            return Err(RuntimeError::new("Cannot call write() after write_eof()").into());
        }
        if data.is_empty() {
            return Ok(());
        }
        let lost = inner.base.conn_lost.get();
        if lost > 0 {
            inner.base.conn_lost.set(lost + 1);
            return Err(TransportClosedError { writes: lost }.into());
        }
        let mut rest = data;
        if inner.buffer.borrow().is_empty() {
            let Some(sock) = inner.base.sock() else {
                return Err(TransportClosedError { writes: 1 }.into());
            };
            match sock.send(data) {
                Ok(n) => rest = &data[n..],
                Err(e) if would_block(&e) => {}
                Err(e) => {
                    self.fatal_error(os_error(e));
                    return Ok(());
                }
            }
            if rest.is_empty() {
                return Ok(());
            }
            let (Some(lp), me) = (inner.base.lp(), self.clone()) else {
                return Ok(());
            };
            lp.add_writer(&inner.base.fd, move || me.write_ready())?;
        }
        inner.buffer.borrow_mut().extend(rest);
        self.maybe_pause_protocol();
        Ok(())
    }

    /// Writes the pieces joined, as one [`write`](Self::write) (Python's
    /// `transport.writelines`, which writes `b''.join(pieces)`): one
    /// send for them all when nothing is buffered, and the water marks
    /// checked once, on the whole.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write), for all the pieces at once: none of
    /// them is sent.
    pub fn writelines<'a>(
        &self,
        pieces: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<(), AnyError> {
        let mut pieces = pieces.into_iter();
        let first = pieces.next().unwrap_or_default();
        let Some(second) = pieces.next() else {
            return self.write(first);
        };
        let mut joined = [first, second].concat();
        pieces.for_each(|piece| joined.extend_from_slice(piece));
        self.write(&joined)
    }

    /// CPython's `_write_ready` (`_write_send` in 3.12).
    fn write_ready(&self) {
        let inner = &*self.0;
        if inner.base.conn_lost.get() > 0 {
            return;
        }
        let Some(sock) = inner.base.sock() else {
            return;
        };
        let (sent, asked) = {
            let buffer = inner.buffer.borrow();
            let slice = buffer.as_slices().0;
            (sock.send(slice), slice.len())
        };
        if left_nothing(&sent, asked) {
            // The socket is full: it is reported again when room is made,
            // with no re-arm.
            self.settled(Direction::Write);
        }
        match sent {
            Ok(n) => {
                inner.buffer.borrow_mut().drain(..n);
                self.maybe_resume_protocol();
                if inner.buffer.borrow().is_empty() {
                    inner.base.remove_writer();
                    if inner.base.closing.get() {
                        self.call_connection_lost(None);
                    } else if inner.eof.get() {
                        let _ = sock.shutdown_write();
                    }
                }
            }
            Err(e) if would_block(&e) => {}
            Err(e) => {
                inner.base.remove_writer();
                inner.buffer.borrow_mut().clear();
                self.fatal_error(os_error(e));
            }
        }
    }

    /// Tells the selector that this transport's callback in `direction`
    /// left the socket with nothing for it ([`EventLoop::io_settled`]).
    fn settled(&self, direction: Direction) {
        if let Some(lp) = self.0.base.lp() {
            lp.io_settled(self.0.base.fd, direction);
        }
    }

    fn maybe_pause_protocol(&self) {
        if self.0.base.flow.should_pause(self.get_write_buffer_size()) {
            if let Some(protocol) = self.protocol() {
                protocol.pause_writing();
            }
        }
    }

    fn maybe_resume_protocol(&self) {
        if self.0.base.flow.should_resume(self.get_write_buffer_size()) {
            if let Some(protocol) = self.protocol() {
                protocol.resume_writing();
            }
        }
    }

    /// Closes the writing side once the buffer is sent (Python's
    /// `transport.write_eof`); reading goes on.
    pub fn write_eof(&self) {
        let inner = &*self.0;
        if inner.base.closing.get() || inner.eof.replace(true) {
            return;
        }
        if inner.buffer.borrow().is_empty() {
            if let Some(sock) = inner.base.sock() {
                let _ = sock.shutdown_write();
            }
        }
    }

    /// Whether [`write_eof`](Self::write_eof) is possible: always, for a
    /// socket.
    pub fn can_write_eof(&self) -> bool {
        true
    }

    /// Closes the transport once its buffer is sent (Python's
    /// `transport.close`): reading stops now, and `connection_lost(None)`
    /// is called once the buffer is empty. Closing twice does nothing.
    pub fn close(&self) {
        let base = &self.0.base;
        if base.begin_close(self.0.buffer.borrow().is_empty()) {
            let me = self.clone();
            soon(base.lp(), move || me.call_connection_lost(None));
        }
    }

    /// Closes the transport at once, dropping what is buffered (Python's
    /// `transport.abort`); `connection_lost(None)` follows.
    pub fn abort(&self) {
        self.force_close(None);
    }

    /// Whether the transport is closing or closed.
    pub fn is_closing(&self) -> bool {
        self.0.base.closing.get()
    }

    /// Stops reading until [`resume_reading`](Self::resume_reading)
    /// (Python's `transport.pause_reading`).
    pub fn pause_reading(&self) {
        let base = &self.0.base;
        if base.closing.get() || base.reading_paused.replace(true) {
            return;
        }
        base.remove_reader();
    }

    /// Reads again after [`pause_reading`](Self::pause_reading).
    pub fn resume_reading(&self) {
        let base = &self.0.base;
        if base.closing.get() || !base.reading_paused.replace(false) {
            return;
        }
        self.add_reader();
    }

    /// Whether the transport is reading: not paused, not closing.
    pub fn is_reading(&self) -> bool {
        !self.0.base.reading_paused.get() && !self.0.base.closing.get()
    }

    /// How many bytes wait to be sent.
    pub fn get_write_buffer_size(&self) -> usize {
        self.0.buffer.borrow().len()
    }

    /// The write buffer's low- and high-water marks.
    pub fn get_write_buffer_limits(&self) -> (usize, usize) {
        let flow = &self.0.base.flow;
        (flow.low.get(), flow.high.get())
    }

    /// Sets the water marks (Python's `set_write_buffer_limits`): with
    /// `high` alone, `low` is a quarter of it; with `low` alone, `high` is
    /// four times it; with neither, 64 KiB and 16 KiB.
    ///
    /// # Errors
    ///
    /// `ValueError("high (H) must be >= low (L) must be >= 0")`.
    pub fn set_write_buffer_limits(
        &self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), AnyError> {
        self.0.base.flow.set_limits(high, low)?;
        self.maybe_pause_protocol();
        Ok(())
    }

    /// Python's `transport.get_extra_info(name)`: `"peername"` and
    /// `"sockname"` give an [`ExtraInfo::Address`], `"socket"` an
    /// [`ExtraInfo::Socket`]; any other name, or a closed transport,
    /// `None`.
    pub fn get_extra_info(&self, name: &str) -> Option<ExtraInfo> {
        self.0.base.extra_info(name)
    }

    /// The peer's address (`get_extra_info("peername")`).
    pub fn peername(&self) -> Option<Address> {
        self.0.base.sock()?.peer_address()
    }

    /// The local address (`get_extra_info("sockname")`).
    pub fn sockname(&self) -> Option<Address> {
        self.0.base.sock()?.local_address()
    }

    fn fatal_error(&self, error: AnyError) {
        self.force_close(Some(error));
    }

    /// CPython's `_force_close`.
    fn force_close(&self, error: Option<AnyError>) {
        let base = &self.0.base;
        if base.begin_force_close() {
            self.0.buffer.borrow_mut().clear();
            let me = self.clone();
            soon(base.lp(), move || me.call_connection_lost(error));
        }
    }

    /// CPython's `_call_connection_lost`: the protocol hears of it, then
    /// the socket is closed and the protocol and server let go.
    fn call_connection_lost(&self, error: Option<AnyError>) {
        let protocol = self.0.protocol.borrow_mut().take();
        if let Some(protocol) = protocol {
            protocol.connection_lost(error);
        }
        self.0.base.release();
        let server = self.0.server.borrow_mut().take();
        if let Some(server) = server {
            server.detach();
        }
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("fd", &self.0.base.fd)
            .field("closing", &self.is_closing())
            .field("buffered", &self.get_write_buffer_size())
            .finish_non_exhaustive()
    }
}

/// Whether a read or send of `asked` bytes left the socket with nothing
/// more for now: it moved fewer, or failed because the socket had nothing
/// for it (not because a signal interrupted it).
fn left_nothing(moved: &io::Result<usize>, asked: usize) -> bool {
    match moved {
        Ok(n) => *n < asked,
        Err(e) => e.kind() == io::ErrorKind::WouldBlock,
    }
}

#[cfg(test)]
mod tests {
    use super::{Socket, Transport, TransportClosedError};
    use crate::asyncio::{ClockKind, EventLoop, Protocol};
    use std::{io, net::UdpSocket, rc::Rc, time::Duration};

    struct Quiet;
    impl Protocol for Quiet {}

    /// Keeps what `data_received` gets, a call each.
    #[derive(Default)]
    struct Received(std::cell::RefCell<Vec<Vec<u8>>>);
    impl Protocol for Received {
        fn data_received(&self, data: &[u8]) {
            self.0.borrow_mut().push(data.to_vec());
        }
    }

    /// A non-blocking UDP socket connected to a peer on 127.0.0.1, and
    /// the peer.
    fn udp_pair() -> (UdpSocket, UdpSocket) {
        let (ours, peer) = (
            UdpSocket::bind("127.0.0.1:0").unwrap(),
            UdpSocket::bind("127.0.0.1:0").unwrap(),
        );
        ours.connect(peer.local_addr().unwrap()).unwrap();
        ours.set_nonblocking(true).unwrap();
        (ours, peer)
    }

    /// A stream transport over a connected UDP socket, and its peer: each
    /// send of the transport is one datagram the peer can count.
    fn counting_sends() -> (EventLoop, Transport, UdpSocket) {
        let lp = EventLoop::new(ClockKind::Real);
        let (ours, peer) = udp_pair();
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let transport = Transport::start(&lp, Socket::Udp(ours), Rc::new(Quiet), None).unwrap();
        (lp, transport, peer)
    }

    /// The datagrams that reached `peer`, waiting for the first.
    fn sends(peer: &UdpSocket) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        let mut buf = vec![0; 65_536];
        loop {
            match peer.recv(&mut buf) {
                Ok(n) => got.push(buf[..n].to_vec()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && !got.is_empty() => break,
                Err(e) => panic!("no datagram: {e}"),
            }
            peer.set_nonblocking(true).unwrap();
        }
        got
    }

    #[test]
    fn datagrams_queued_together_are_all_read_though_each_read_is_short() {
        let lp = EventLoop::new(ClockKind::Real);
        let (ours, peer) = udp_pair();
        for datagram in [&b"one"[..], b"two", b"three"] {
            peer.send_to(datagram, ours.local_addr().unwrap()).unwrap();
        }
        let received = Rc::new(Received::default());
        let _transport = Transport::start(&lp, Socket::Udp(ours), received.clone(), None).unwrap();
        for _ in 0..10 {
            lp.run_until_complete(crate::asyncio::sleep(0.01)).unwrap();
        }
        assert_eq!(
            *received.0.borrow(),
            [b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
        );
    }

    #[test]
    fn writelines_sends_many_small_pieces_joined_in_one_send() {
        let (_lp, transport, peer) = counting_sends();
        let pieces: Vec<Vec<u8>> = (0..1000).map(|i| format!("line {i}\n").into()).collect();
        transport
            .writelines(pieces.iter().map(Vec::as_slice))
            .unwrap();
        assert_eq!(transport.get_write_buffer_size(), 0);
        assert_eq!(sends(&peer), [pieces.concat()]);
    }

    #[test]
    fn writelines_of_one_piece_or_none_is_a_write_of_it() {
        let (_lp, transport, peer) = counting_sends();
        transport.writelines([]).unwrap();
        transport.writelines([&b"only"[..]]).unwrap();
        transport.writelines([&b""[..], b""]).unwrap();
        assert_eq!(sends(&peer), [b"only".to_vec()]);
    }

    #[test]
    fn writelines_to_a_lost_connection_is_refused_once_for_all_its_pieces() {
        let (lp, transport, _peer) = counting_sends();
        transport.abort();
        lp.run_until_complete(crate::asyncio::sleep(0.0)).unwrap();
        let first = transport.writelines([&b"a"[..], b"b", b"c"]).unwrap_err();
        let second = transport.write(b"d").unwrap_err();
        assert_eq!(
            first.downcast_ref::<TransportClosedError>(),
            Some(&TransportClosedError { writes: 1 })
        );
        assert_eq!(
            second.downcast_ref::<TransportClosedError>(),
            Some(&TransportClosedError { writes: 2 })
        );
    }
}
