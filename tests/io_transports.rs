//! Transports and protocols over loopback TCP, Unix-domain sockets and
//! UDP: the calls a protocol gets and their order (echo, half-close, flow
//! control, a reset peer), what a transport refuses, and write-buffer
//! water marks as asyncio's.
#![cfg(unix)]

mod net;

use net::{Behaviour, Traced, client_of, guarded_loop, inet, reset, run_until, traced_server};
use std::{
    cell::RefCell,
    io::{Read, Write},
    net::{SocketAddr, TcpListener},
    thread,
};
use yieldfrom::{
    AnyError,
    asyncio::{
        Address, ConnectionRefusedError, ConnectionResetError, DatagramProtocol, DatagramTransport,
        ExtraInfo, RuntimeError, Socket, TransportClosedError, ValueError,
    },
};

#[test]
fn an_echo_exchange_calls_each_protocol_in_asyncio_order() {
    let lp = guarded_loop();
    let (server, made) = traced_server(&lp, Behaviour::Echo);
    let (client, protocol) = client_of(&lp, &server);
    assert_eq!(protocol.log(), ["connection_made"]);
    client.write(b"hello ").unwrap();
    client.writelines([&b"wor"[..], b"ld"]).unwrap();
    run_until(&lp, || protocol.received.borrow().len() == 11);
    client.close();
    run_until(&lp, || protocol.lost.get() && made.borrow()[0].lost.get());
    assert_eq!(
        protocol.log(),
        [
            "connection_made",
            "data b'hello world'",
            "connection_lost None"
        ]
    );
    assert!(
        client
            .write(b"late")
            .unwrap_err()
            .is::<TransportClosedError>()
    );
    assert_eq!(
        made.borrow()[0].log(),
        [
            "connection_made",
            "data b'hello world'",
            "eof_received",
            "connection_lost None"
        ]
    );
    server.close();
}

#[test]
fn after_write_eof_the_client_still_reads_the_reply_to_its_half_closed_connection() {
    let lp = guarded_loop();
    let (server, made) = traced_server(&lp, Behaviour::EchoThenBye);
    let (client, protocol) = client_of(&lp, &server);
    client.write(b"ping").unwrap();
    client.write_eof();
    assert!(client.can_write_eof());
    let refused = client.write(b"more").unwrap_err();
    assert_eq!(
        refused.downcast_ref::<RuntimeError>().unwrap().message,
        "Cannot call write() after write_eof()"
    );
    run_until(&lp, || protocol.lost.get() && made.borrow()[0].lost.get());
    assert_eq!(
        protocol.log(),
        [
            "connection_made",
            "data b'pingbye'",
            "eof_received",
            "connection_lost None"
        ]
    );
    assert_eq!(
        made.borrow()[0].log(),
        [
            "connection_made",
            "data b'ping'",
            "eof_received",
            "connection_lost None"
        ]
    );
    server.close();
}

#[test]
fn a_large_write_to_a_slow_reader_pauses_and_resumes_the_writer_and_loses_nothing() {
    let lp = guarded_loop();
    let (server, made) = traced_server(&lp, Behaviour::Record);
    let (client, protocol) = client_of(&lp, &server);
    run_until(&lp, || !made.borrow().is_empty());
    let reader = made.borrow()[0].clone();
    reader.transport().pause_reading();
    assert!(!reader.transport().is_reading());
    let data: Vec<u8> = (0..8 << 20).map(|i: u32| (i % 253) as u8).collect();
    client.write(&data).unwrap();
    assert!(client.get_write_buffer_size() > 64 * 1024);
    assert_eq!(protocol.log(), ["connection_made", "pause_writing"]);
    reader.transport().resume_reading();
    // Closed with its buffer full: the close waits for the buffer.
    client.close();
    run_until(&lp, || reader.lost.get() && protocol.lost.get());
    assert_eq!(client.get_write_buffer_size(), 0);
    assert_eq!(
        protocol.log(),
        [
            "connection_made",
            "pause_writing",
            "resume_writing",
            "connection_lost None"
        ]
    );
    assert!(*reader.received.borrow() == data);
    for expected in 1..=2 {
        let late = client.write(b"late").unwrap_err();
        assert_eq!(
            late.downcast_ref::<TransportClosedError>().unwrap().writes,
            expected
        );
    }
    server.close();
}

#[test]
fn write_buffer_limits_default_to_asyncios_and_refuse_high_below_low() {
    let lp = guarded_loop();
    let (server, _made) = traced_server(&lp, Behaviour::Record);
    let (client, _) = client_of(&lp, &server);
    assert_eq!(client.get_write_buffer_limits(), (16 * 1024, 64 * 1024));
    client.set_write_buffer_limits(Some(1000), None).unwrap();
    assert_eq!(client.get_write_buffer_limits(), (250, 1000));
    client.set_write_buffer_limits(None, Some(10)).unwrap();
    assert_eq!(client.get_write_buffer_limits(), (10, 40));
    let error = client
        .set_write_buffer_limits(Some(1), Some(2))
        .unwrap_err();
    assert_eq!(
        error.downcast_ref::<ValueError>().unwrap().message,
        "high (1) must be >= low (2) must be >= 0"
    );
    client.abort();
    server.close();
}

#[test]
fn a_peer_that_resets_ends_the_connection_with_connection_reset_error() {
    let lp = guarded_loop();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (client, protocol) = lp
        .run_until_complete(lp.create_connection(
            || Traced::new(Behaviour::Record),
            "127.0.0.1",
            port,
        ))
        .unwrap();
    let (peer, _) = listener.accept().unwrap();
    (&peer).write_all(b"last words").unwrap();
    run_until(&lp, || !protocol.received.borrow().is_empty());
    reset(peer);
    run_until(&lp, || protocol.lost.get());
    assert!(client.is_closing());
    assert_eq!(
        protocol.log(),
        [
            "connection_made",
            "data b'last words'",
            "connection_lost [Errno 104] Connection reset by peer"
        ]
    );
    assert!(
        protocol
            .error
            .borrow()
            .as_ref()
            .unwrap()
            .is::<ConnectionResetError>()
    );
}

#[test]
fn writing_to_a_lost_connection_is_refused_with_transport_closed_error() {
    let lp = guarded_loop();
    let (server, _made) = traced_server(&lp, Behaviour::Record);
    let (client, protocol) = client_of(&lp, &server);
    client.abort();
    assert!(client.is_closing());
    run_until(&lp, || protocol.lost.get());
    for expected in 1..=5 {
        let error = client.write(b"x").unwrap_err();
        let closed = error.downcast_ref::<TransportClosedError>().unwrap();
        assert_eq!(closed.writes, expected);
    }
    assert!(
        client
            .write(b"x")
            .unwrap_err()
            .to_string()
            .ends_with("(socket.send() raised exception.)")
    );
    assert!(client.get_extra_info("socket").is_none());
    server.close();
}

#[test]
fn extra_info_gives_the_peer_and_local_addresses_and_the_socket() {
    let lp = guarded_loop();
    let (server, made) = traced_server(&lp, Behaviour::Record);
    let server_addr = inet(&server.sockets()[0]);
    let (client, _) = client_of(&lp, &server);
    let Some(ExtraInfo::Address(peer)) = client.get_extra_info("peername") else {
        panic!("no peername")
    };
    assert_eq!(inet(&peer), server_addr);
    let Some(ExtraInfo::Address(local)) = client.get_extra_info("sockname") else {
        panic!("no sockname")
    };
    run_until(&lp, || !made.borrow().is_empty());
    let accepted = made.borrow()[0].transport();
    assert_eq!(inet(&accepted.peername().unwrap()), inet(&local));
    let Some(ExtraInfo::Socket(socket)) = client.get_extra_info("socket") else {
        panic!("no socket")
    };
    let Socket::Tcp(stream) = &*socket else {
        panic!("not a TCP socket")
    };
    assert!(
        stream.nodelay().unwrap(),
        "TCP_NODELAY is set, as by CPython"
    );
    assert!(client.get_extra_info("cipher").is_none());
    client.abort();
    server.close();
}

#[test]
fn unix_domain_servers_and_connections_echo() {
    let lp = guarded_loop();
    let dir = std::env::temp_dir().join(format!("yieldfrom-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("echo.sock");
    // A socket file left over by an earlier server is replaced.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let server = lp
        .run_until_complete(lp.create_unix_server(|| Traced::new(Behaviour::Echo), &path))
        .unwrap();
    let (client, protocol) = lp
        .run_until_complete(lp.create_unix_connection(|| Traced::new(Behaviour::Record), &path))
        .unwrap();
    client.write(b"over unix").unwrap();
    run_until(&lp, || protocol.received.borrow().len() == 9);
    client.close();
    run_until(&lp, || protocol.lost.get());
    assert_eq!(
        protocol.log(),
        [
            "connection_made",
            "data b'over unix'",
            "connection_lost None"
        ]
    );
    assert!(matches!(&server.sockets()[0], Address::Unix(_)));
    server.close();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[derive(Default)]
struct Datagrams {
    answers: bool,
    transport: RefCell<Option<DatagramTransport>>,
    got: RefCell<Vec<(Vec<u8>, SocketAddr)>>,
    lost: RefCell<Vec<String>>,
    errors: RefCell<Vec<AnyError>>,
}

impl DatagramProtocol for Datagrams {
    fn connection_made(&self, transport: DatagramTransport) {
        *self.transport.borrow_mut() = Some(transport);
    }
    fn datagram_received(&self, data: &[u8], addr: SocketAddr) {
        self.got.borrow_mut().push((data.to_vec(), addr));
        if let (true, Some(t)) = (self.answers, &*self.transport.borrow()) {
            t.sendto(&data.to_ascii_uppercase(), Some(addr)).unwrap();
        }
    }
    fn error_received(&self, error: AnyError) {
        self.errors.borrow_mut().push(error);
    }
    fn connection_lost(&self, error: Option<AnyError>) {
        self.lost.borrow_mut().push(format!("{error:?}"));
    }
}

#[test]
fn a_datagram_to_a_closed_port_comes_back_as_error_received_and_the_endpoint_stays_open() {
    let lp = guarded_loop();
    let nobody = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (client, protocol) = lp
        .run_until_complete(lp.create_datagram_endpoint(Datagrams::default, None, Some(nobody)))
        .unwrap();
    client.sendto(b"anyone?", None).unwrap();
    run_until(&lp, || !protocol.errors.borrow().is_empty());
    assert!(
        protocol.errors.borrow()[0].is::<ConnectionRefusedError>(),
        "{:?}",
        protocol.errors.borrow()
    );
    assert!(!client.is_closing());
    assert!(protocol.lost.borrow().is_empty());
    client.close();
    run_until(&lp, || !protocol.lost.borrow().is_empty());
}

#[test]
fn a_datagram_endpoint_answers_each_datagram_to_its_sender() {
    let lp = guarded_loop();
    let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let (server, echo) = lp
        .run_until_complete(lp.create_datagram_endpoint(
            || Datagrams {
                answers: true,
                ..Datagrams::default()
            },
            Some(local),
            None,
        ))
        .unwrap();
    let Some(ExtraInfo::Address(Address::Inet(server_addr))) = server.get_extra_info("sockname")
    else {
        panic!("no sockname")
    };
    let (client, replies) = lp
        .run_until_complete(lp.create_datagram_endpoint(
            Datagrams::default,
            None,
            Some(server_addr),
        ))
        .unwrap();
    client.sendto(b"one", None).unwrap();
    client.sendto(b"two", Some(server_addr)).unwrap();
    let elsewhere: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let refused = client.sendto(b"x", Some(elsewhere)).unwrap_err();
    assert!(refused.is::<ValueError>());
    run_until(&lp, || replies.got.borrow().len() == 2);
    let got: Vec<Vec<u8>> = replies
        .got
        .borrow()
        .iter()
        .map(|(d, _)| d.clone())
        .collect();
    assert_eq!(got, [b"ONE".to_vec(), b"TWO".to_vec()]);
    assert_eq!(echo.got.borrow().len(), 2);
    client.close();
    server.close();
    run_until(&lp, || echo.lost.borrow().len() == 1);
    assert_eq!(*echo.lost.borrow(), ["None"]);
}

#[test]
fn a_plain_blocking_peer_sees_the_bytes_a_transport_writes() {
    let lp = guarded_loop();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut got = Vec::new();
        conn.read_to_end(&mut got).unwrap();
        got
    });
    let (client, _) = lp
        .run_until_complete(lp.create_connection(
            || Traced::new(Behaviour::Record),
            "127.0.0.1",
            port,
        ))
        .unwrap();
    client.write(b"to a thread").unwrap();
    client.close();
    run_until(&lp, || peer.is_finished());
    assert_eq!(peer.join().unwrap(), b"to a thread");
}

#[test]
fn an_echo_over_the_ipv6_loopback_reaches_the_same_protocol_calls() {
    let lp = guarded_loop();
    let server = lp
        .run_until_complete(lp.create_server(|| Traced::new(Behaviour::Echo), "::1", 0))
        .unwrap();
    let addr = inet(&server.sockets()[0]);
    assert!(addr.is_ipv6());
    let (client, protocol) = lp
        .run_until_complete(lp.create_connection(
            || Traced::new(Behaviour::Record),
            "::1",
            addr.port(),
        ))
        .unwrap();
    assert!(inet(&client.peername().unwrap()).is_ipv6());
    client.write(b"six").unwrap();
    run_until(&lp, || protocol.received.borrow().len() == 3);
    client.close();
    run_until(&lp, || protocol.lost.get());
    assert_eq!(
        protocol.log(),
        ["connection_made", "data b'six'", "connection_lost None"]
    );
    server.close();
}
