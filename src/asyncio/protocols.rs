//! Protocols: what a transport calls as things happen to its connection
//! (Python's `asyncio.Protocol` and `asyncio.DatagramProtocol`).
//!
//! The methods take `&self`, as Python's take `self`: a protocol is called
//! again while one of its calls runs (a `write` inside `data_received`
//! may call `pause_writing` at once), so it keeps its state in cells.

use super::{datagram_transport::DatagramTransport, transports::Transport};
use crate::AnyError;
use std::net::SocketAddr;

/// What a stream transport calls (Python's `asyncio.Protocol`). Every
/// method does nothing by default.
///
/// The calls come in this order: `connection_made` once; then
/// `data_received` any number of times, possibly `eof_received` once;
/// then `connection_lost` once. `pause_writing` and `resume_writing`
/// alternate, starting with `pause_writing`, any time before
/// `connection_lost`.
pub trait Protocol: 'static {
    /// The connection is made; `transport` is how to write to it and
    /// close it (keep a clone).
    fn connection_made(&self, transport: Transport) {
        let _ = transport;
    }

    /// Bytes arrived.
    fn data_received(&self, data: &[u8]) {
        let _ = data;
    }

    /// The peer closed its writing side. Returning `false` (the default)
    /// closes the transport; `true` keeps it open for writing, half-closed.
    fn eof_received(&self) -> bool {
        false
    }

    /// The connection is closed: `None` for a normal close or EOF, the OS
    /// error otherwise (a [`ConnectionResetError`](super::ConnectionResetError),
    /// ...). The transport has let go of the protocol after this.
    fn connection_lost(&self, error: Option<AnyError>) {
        let _ = error;
    }

    /// The transport's write buffer went over its high-water mark.
    fn pause_writing(&self) {}

    /// The transport's write buffer drained to its low-water mark.
    fn resume_writing(&self) {}
}

/// What a datagram transport calls (Python's `asyncio.DatagramProtocol`).
/// Every method does nothing by default.
pub trait DatagramProtocol: 'static {
    /// The endpoint is ready; keep a clone of `transport` to send.
    fn connection_made(&self, transport: DatagramTransport) {
        let _ = transport;
    }

    /// A datagram arrived from `addr`.
    fn datagram_received(&self, data: &[u8], addr: SocketAddr) {
        let _ = (data, addr);
    }

    /// A send or receive failed with an OS error (an ICMP "port
    /// unreachable" reported as `ConnectionRefusedError`, for one); the
    /// endpoint stays open.
    fn error_received(&self, error: AnyError) {
        let _ = error;
    }

    /// The endpoint is closed.
    fn connection_lost(&self, error: Option<AnyError>) {
        let _ = error;
    }

    /// The send buffer went over its high-water mark.
    fn pause_writing(&self) {}

    /// The send buffer drained to its low-water mark.
    fn resume_writing(&self) {}
}
