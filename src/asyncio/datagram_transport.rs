//! The datagram transport: a UDP socket driven by the loop on behalf of
//! a [`DatagramProtocol`] (CPython's `_SelectorDatagramTransport`), Unix
//! only.

use super::{
    errors::ValueError,
    event_loop::EventLoop,
    os_errors::os_error,
    protocols::DatagramProtocol,
    transport_base::{
        Base, ExtraInfo, MAX_READ, READ_BUFFER, Socket, TransportClosedError, soon, would_block,
    },
};
use crate::AnyError;
use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    fmt, io,
    net::{SocketAddr, UdpSocket},
    rc::Rc,
};

/// A UDP endpoint driven by the loop (Python's datagram transport from
/// `create_datagram_endpoint`). A cheap handle.
#[derive(Clone)]
pub struct DatagramTransport(Rc<DatagramInner>);

struct DatagramInner {
    base: Base,
    protocol: RefCell<Option<Rc<dyn DatagramProtocol>>>,
    /// Datagrams waiting for room, with where they go.
    buffer: RefCell<VecDeque<(Vec<u8>, Option<SocketAddr>)>>,
    buffered_bytes: Cell<usize>,
    /// The peer, for a connected endpoint.
    peer: Option<SocketAddr>,
}

impl DatagramTransport {
    pub(crate) fn start(
        lp: &EventLoop,
        sock: UdpSocket,
        protocol: Rc<dyn DatagramProtocol>,
    ) -> Result<Self, AnyError> {
        let peer = sock.peer_addr().ok();
        let transport = Self(Rc::new(DatagramInner {
            base: Base::new(lp, Socket::Udp(sock)),
            protocol: RefCell::new(Some(protocol.clone())),
            buffer: RefCell::new(VecDeque::new()),
            buffered_bytes: Cell::new(0),
            peer,
        }));
        let weak = Rc::downgrade(&transport.0);
        transport.0.base.register_closer(Box::new(move || {
            if let Some(inner) = weak.upgrade() {
                Self(inner).abort();
            }
        }));
        let made = transport.clone();
        lp.call_soon(move || protocol.connection_made(made))?;
        let reading = transport.clone();
        lp.call_soon(move || {
            let base = &reading.0.base;
            if base.closing.get() {
                return;
            }
            let (Some(lp), me) = (base.lp(), reading.clone()) else {
                return;
            };
            if let Err(e) = lp.add_reader(&base.fd, move || me.read_ready()) {
                reading.force_close(Some(e));
            }
        })?;
        Ok(transport)
    }

    fn protocol(&self) -> Option<Rc<dyn DatagramProtocol>> {
        self.0.protocol.borrow().clone()
    }

    fn udp(&self) -> Option<Rc<Socket>> {
        self.0.base.sock()
    }

    fn read_ready(&self) {
        if self.0.base.conn_lost.get() > 0 {
            return;
        }
        let Some(sock) = self.udp() else { return };
        let Socket::Udp(udp) = &*sock else { return };
        READ_BUFFER.with(|cell| {
            let mut buf = cell.take();
            buf.resize(MAX_READ, 0);
            let got = udp.recv_from(&mut buf);
            if let Some(protocol) = self.protocol() {
                match got {
                    Ok((n, from)) => protocol.datagram_received(&buf[..n], from),
                    Err(e) if would_block(&e) => {}
                    Err(e) => protocol.error_received(os_error(e)),
                }
            }
            cell.replace(buf);
        });
    }

    /// Sends `data` to `addr`, or to the peer of a connected endpoint
    /// (Python's `transport.sendto`); what the OS cannot take yet is
    /// queued. A send the OS refuses goes to
    /// [`DatagramProtocol::error_received`].
    ///
    /// # Errors
    ///
    /// `ValueError("Invalid address: must be None or PEER")` for another
    /// address on a connected endpoint, or no address on an unconnected
    /// one; [`TransportClosedError`] once it is closed.
    pub fn sendto(&self, data: &[u8], addr: Option<SocketAddr>) -> Result<(), AnyError> {
        let inner = &*self.0;
        let addr = match (inner.peer, addr) {
            (Some(peer), None) => Some(peer),
            (Some(peer), Some(addr)) if addr == peer => Some(peer),
            (Some(peer), Some(_)) => {
                return Err(
                    ValueError::new(format!("Invalid address: must be None or {peer}")).into(),
                );
            }
            (None, None) => {
                return Err(ValueError::new("Invalid address: an address is required").into());
            }
            (None, Some(addr)) => Some(addr),
        };
        let lost = inner.base.conn_lost.get();
        if lost > 0 {
            inner.base.conn_lost.set(lost + 1);
            return Err(TransportClosedError { writes: lost }.into());
        }
        if inner.buffer.borrow().is_empty() {
            match self.send_one(data, addr) {
                Ok(()) => return Ok(()),
                Err(e) if would_block(&e) => {
                    let (Some(lp), me) = (inner.base.lp(), self.clone()) else {
                        return Ok(());
                    };
                    lp.add_writer(&inner.base.fd, move || me.sendto_ready())?;
                }
                Err(e) => {
                    if let Some(protocol) = self.protocol() {
                        protocol.error_received(os_error(e));
                    }
                    return Ok(());
                }
            }
        }
        inner.buffer.borrow_mut().push_back((data.to_vec(), addr));
        inner
            .buffered_bytes
            .set(inner.buffered_bytes.get() + data.len());
        if inner.base.flow.should_pause(inner.buffered_bytes.get()) {
            if let Some(protocol) = self.protocol() {
                protocol.pause_writing();
            }
        }
        Ok(())
    }

    fn send_one(&self, data: &[u8], addr: Option<SocketAddr>) -> io::Result<()> {
        let Some(sock) = self.udp() else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        let Socket::Udp(udp) = &*sock else {
            return Err(io::ErrorKind::InvalidInput.into());
        };
        match (self.0.peer, addr) {
            (Some(_), _) => udp.send(data).map(drop),
            (None, Some(addr)) => udp.send_to(data, addr).map(drop),
            (None, None) => Err(io::ErrorKind::InvalidInput.into()),
        }
    }

    fn sendto_ready(&self) {
        let inner = &*self.0;
        loop {
            let Some((data, addr)) = inner.buffer.borrow_mut().pop_front() else {
                break;
            };
            match self.send_one(&data, addr) {
                Ok(()) => {
                    inner
                        .buffered_bytes
                        .set(inner.buffered_bytes.get() - data.len());
                }
                Err(e) if would_block(&e) => {
                    inner.buffer.borrow_mut().push_front((data, addr));
                    break;
                }
                Err(e) => {
                    inner
                        .buffered_bytes
                        .set(inner.buffered_bytes.get() - data.len());
                    if let Some(protocol) = self.protocol() {
                        protocol.error_received(os_error(e));
                    }
                    return;
                }
            }
        }
        if inner.base.flow.should_resume(inner.buffered_bytes.get()) {
            if let Some(protocol) = self.protocol() {
                protocol.resume_writing();
            }
        }
        if inner.buffer.borrow().is_empty() {
            inner.base.remove_writer();
            if inner.base.closing.get() {
                self.call_connection_lost(None);
            }
        }
    }

    /// How many bytes of datagrams wait to be sent.
    pub fn get_write_buffer_size(&self) -> usize {
        self.0.buffered_bytes.get()
    }

    /// Closes the endpoint once its queue is sent; `connection_lost(None)`
    /// follows.
    pub fn close(&self) {
        let base = &self.0.base;
        if base.begin_close(self.0.buffer.borrow().is_empty()) {
            let me = self.clone();
            soon(base.lp(), move || me.call_connection_lost(None));
        }
    }

    /// Closes the endpoint at once, dropping its queue.
    pub fn abort(&self) {
        self.force_close(None);
    }

    /// Whether it is closing or closed.
    pub fn is_closing(&self) -> bool {
        self.0.base.closing.get()
    }

    /// As [`Transport::get_extra_info`](super::Transport::get_extra_info); `"peername"` only on a connected
    /// endpoint.
    pub fn get_extra_info(&self, name: &str) -> Option<ExtraInfo> {
        self.0.base.extra_info(name)
    }

    fn force_close(&self, error: Option<AnyError>) {
        let base = &self.0.base;
        if base.begin_force_close() {
            self.0.buffer.borrow_mut().clear();
            self.0.buffered_bytes.set(0);
            let me = self.clone();
            soon(base.lp(), move || me.call_connection_lost(error));
        }
    }

    fn call_connection_lost(&self, error: Option<AnyError>) {
        let protocol = self.0.protocol.borrow_mut().take();
        if let Some(protocol) = protocol {
            protocol.connection_lost(error);
        }
        self.0.base.release();
    }
}

impl fmt::Debug for DatagramTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatagramTransport")
            .field("fd", &self.0.base.fd)
            .field("closing", &self.is_closing())
            .finish_non_exhaustive()
    }
}
