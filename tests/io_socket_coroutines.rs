//! The socket coroutines (`sock_accept`, `sock_connect`, `sock_recv`,
//! `sock_recv_into`, `sock_sendall`, `sock_recvfrom`, `sock_sendto`) on the
//! loopback interface: they wait for the OS without blocking the loop,
//! cancelling one loses no data, a blocking socket is refused, and OS
//! errors arrive under Python's names with their `io::Error`.
#![cfg(unix)]

mod net;
mod trace;

use net::{closed_port, guarded_loop, listener, reset};
use std::{
    cell::RefCell,
    io::{self, Write},
    net::{TcpStream, UdpSocket},
    os::unix::net::UnixStream,
    rc::Rc,
};
use yieldfrom::asyncio::{
    ClockKind, ConnectionRefusedError, ConnectionResetError, EventLoop, Task, ValueError,
    coroutine, sleep,
};

fn unix_pair() -> (Rc<UnixStream>, UnixStream) {
    let (ours, theirs) = UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    (Rc::new(ours), theirs)
}

/// A task on `lp` that reads up to `n` bytes from `sock` with `sock_recv`.
fn reader_task(lp: &EventLoop, sock: &Rc<UnixStream>, n: usize) -> Task<Vec<u8>> {
    let (reader, sock) = (lp.clone(), sock.clone());
    lp.create_task(coroutine("reader", move |co| async move {
        co.yield_from(reader.sock_recv(&sock, n)).await
    }))
    .unwrap()
}

#[test]
fn sock_recv_waits_for_data_while_other_callbacks_run() {
    let lp = guarded_loop();
    let (ours, theirs) = unix_pair();
    let theirs = RefCell::new(Some(theirs));
    let log = Rc::new(RefCell::new(Vec::new()));
    let sink = log.clone();
    lp.call_later(0.05, move || {
        sink.borrow_mut().push("peer writes".to_owned());
        theirs
            .borrow_mut()
            .take()
            .unwrap()
            .write_all(b"hello")
            .unwrap();
    })
    .unwrap();
    let (reader, sink) = (lp.clone(), log.clone());
    let got = lp
        .run_until_complete(coroutine("main", move |co| async move {
            let data = co.yield_from(reader.sock_recv(&ours, 64)).await?;
            sink.borrow_mut()
                .push(format!("got {}", String::from_utf8_lossy(&data)));
            Ok(data)
        }))
        .unwrap();
    assert_eq!(got, b"hello");
    assert_eq!(*log.borrow(), ["peer writes", "got hello"]);
}

#[test]
fn a_cancelled_sock_recv_leaves_the_data_for_the_next_read() {
    let lp = guarded_loop();
    let (ours, theirs) = unix_pair();
    let reading = reader_task(&lp, &ours, 64);
    let theirs = RefCell::new(Some(theirs));
    let canceller = reading.clone();
    // In one callback the peer writes and the reader is cancelled: the
    // reader's watcher then runs with its future already cancelled.
    lp.call_later(0.05, move || {
        theirs
            .borrow_mut()
            .take()
            .unwrap()
            .write_all(b"kept")
            .unwrap();
        canceller.cancel();
    })
    .unwrap();
    let again = lp.clone();
    let got = lp
        .run_until_complete(coroutine("main", move |co| async move {
            co.yield_from(sleep(0.1)).await?;
            co.yield_from(again.sock_recv(&ours, 64)).await
        }))
        .unwrap();
    assert!(reading.cancelled());
    assert_eq!(got, b"kept");
}

#[test]
fn a_socket_in_blocking_mode_is_refused_with_a_value_error() {
    let lp = guarded_loop();
    let (ours, _theirs) = UnixStream::pair().unwrap();
    let error = lp
        .run_until_complete(lp.sock_recv(&Rc::new(ours), 8))
        .unwrap_err();
    let value_error = error.downcast_ref::<ValueError>().unwrap();
    assert_eq!(value_error.message, "the socket must be non-blocking");
}

#[test]
fn connecting_to_a_closed_port_raises_connection_refused_with_the_io_error() {
    let lp = guarded_loop();
    let error = lp
        .run_until_complete(lp.sock_connect(closed_port()))
        .unwrap_err();
    assert!(error.is::<ConnectionRefusedError>(), "{error:?}");
    assert_eq!(error.to_string(), "[Errno 111] Connection refused");
    let io = error
        .as_error()
        .source()
        .unwrap()
        .downcast_ref::<io::Error>();
    assert_eq!(io.unwrap().kind(), io::ErrorKind::ConnectionRefused);
}

#[test]
fn accept_connect_sendall_and_recv_into_carry_a_megabyte_both_ways() {
    let lp = guarded_loop();
    let (server, addr) = listener();
    let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let expected = data.clone();
    let lp2 = lp.clone();
    let echoed = lp
        .run_until_complete(coroutine("main", move |co| async move {
            let lp = lp2;
            let echo = {
                let lp = lp.clone();
                lp.clone()
                    .create_task(coroutine("echo", move |co| async move {
                        let (conn, _) = co.yield_from(lp.sock_accept(&server)).await?;
                        loop {
                            let chunk = co.yield_from(lp.sock_recv(&conn, 65536)).await?;
                            if chunk.is_empty() {
                                return Ok(());
                            }
                            co.yield_from(lp.sock_sendall(&conn, chunk)).await?;
                        }
                    }))?
            };
            let client = co.yield_from(lp.sock_connect(addr)).await?;
            let sender = {
                let (lp, client) = (lp.clone(), client.clone());
                lp.clone()
                    .create_task(coroutine("send", move |co| async move {
                        co.yield_from(lp.sock_sendall(&client, data)).await?;
                        client.shutdown(std::net::Shutdown::Write)?;
                        Ok(())
                    }))?
            };
            let mut got = Vec::new();
            loop {
                let (buf, n) = co
                    .yield_from(lp.sock_recv_into(&client, vec![0; 4096]))
                    .await?;
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            co.yield_from(sender.wait()).await?;
            co.yield_from(echo.wait()).await?;
            Ok(got)
        }))
        .unwrap();
    assert_eq!(echoed.len(), expected.len());
    assert!(echoed == expected);
}

#[test]
fn a_peer_that_resets_makes_sock_recv_raise_connection_reset() {
    let lp = guarded_loop();
    let (server, addr) = listener();
    let peer = TcpStream::connect(addr).unwrap();
    let lp2 = lp.clone();
    let error = lp
        .run_until_complete(coroutine("main", move |co| async move {
            let (conn, _) = co.yield_from(lp2.sock_accept(&server)).await?;
            // Reset while the recv below waits.
            lp2.call_later(0.05, move || reset(peer))?;
            co.yield_from(lp2.sock_recv(&conn, 64)).await
        }))
        .unwrap_err();
    assert!(error.is::<ConnectionResetError>(), "{error:?}");
    assert_eq!(error.to_string(), "[Errno 104] Connection reset by peer");
}

#[test]
fn udp_sendto_and_recvfrom_exchange_datagrams_with_their_addresses() {
    let lp = guarded_loop();
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let (a, b) = (Rc::new(a), Rc::new(b));
    let lp2 = lp.clone();
    let (got, from) = lp
        .run_until_complete(coroutine("main", move |co| async move {
            let receiving = {
                let (lp, b) = (lp2.clone(), b.clone());
                lp2.create_task(coroutine("recv", move |co| async move {
                    co.yield_from(lp.sock_recvfrom(&b, 100)).await
                }))?
            };
            co.yield_from(sleep(0.02)).await?;
            let sent = co
                .yield_from(lp2.sock_sendto(&a, b"datagram".to_vec(), b_addr))
                .await?;
            assert_eq!(sent, 8);
            co.yield_from(receiving.wait()).await
        }))
        .unwrap();
    assert_eq!(got, b"datagram");
    assert_eq!(from, a_addr);
}

#[test]
fn an_operation_that_ends_leaves_no_watcher_behind() {
    let lp = guarded_loop();
    let (ours, mut theirs) = unix_pair();
    theirs.write_all(b"x").unwrap();
    let lp2 = lp.clone();
    let reader = ours.clone();
    lp.run_until_complete(coroutine("main", move |co| async move {
        let waiting = {
            let (lp, reader) = (lp2.clone(), reader.clone());
            lp2.create_task(coroutine("recv", move |co| async move {
                co.yield_from(lp.sock_recv(&reader, 1)).await?;
                co.yield_from(lp.sock_recv(&reader, 1)).await
            }))?
        };
        co.yield_from(sleep(0.02)).await?;
        waiting.cancel();
        co.yield_from(sleep(0.0)).await?;
        Ok(())
    }))
    .unwrap();
    assert!(
        !lp.remove_reader(&*ours),
        "the cancelled recv's reader stayed"
    );
}

#[test]
fn on_the_virtual_clock_a_timed_writer_and_a_waiting_sock_recv_meet_at_the_writers_time() {
    let lp = EventLoop::new(ClockKind::Virtual);
    let (ours, theirs) = unix_pair();
    let theirs = RefCell::new(Some(theirs));
    lp.call_later(5.0, move || {
        theirs
            .borrow_mut()
            .take()
            .unwrap()
            .write_all(b"at five")
            .unwrap();
    })
    .unwrap();
    let reader = lp.clone();
    let got = lp
        .run_until_complete(coroutine("main", move |co| async move {
            let data = co.yield_from(reader.sock_recv(&ours, 64)).await?;
            Ok((data, EventLoop::running()?.time()))
        }))
        .unwrap();
    assert_eq!(got.0, b"at five");
    assert!((got.1 - 5.0).abs() < 1e-9, "met at {}", got.1);
}

/// Whether the peer of a closed socket sees the end of the stream now.
fn sees_eof(peer: &UnixStream) -> bool {
    peer.set_nonblocking(true).unwrap();
    let mut buf = [0; 16];
    matches!(io::Read::read(&mut &*peer, &mut buf), Ok(0))
}

#[test]
fn a_socket_dropped_as_soon_as_sock_recv_gave_its_data_closes_at_once_and_the_peer_sees_eof() {
    let lp = guarded_loop();
    let (ours, theirs) = unix_pair();
    let theirs = Rc::new(theirs);
    let writer = theirs.clone();
    // Nothing to read at first: sock_recv watches the socket and gets the
    // bytes from its watcher, the path that holds a clone of the socket.
    lp.call_later(0.01, move || (&*writer).write_all(b"bye").unwrap())
        .unwrap();
    let reader = lp.clone();
    let (got, others, eof) = lp
        .run_until_complete(coroutine("main", move |co| async move {
            let got = co.yield_from(reader.sock_recv(&ours, 16)).await?;
            let others = Rc::strong_count(&ours) - 1;
            drop(ours);
            Ok((got, others, sees_eof(&theirs)))
        }))
        .unwrap();
    assert_eq!(got, b"bye");
    assert_eq!(others, 0, "sock_recv still holds the socket");
    assert!(eof, "the peer does not see the socket closed");
}

#[test]
fn a_socket_dropped_beside_the_cancelled_sock_recv_on_it_closes_once_the_task_has_unwound() {
    // CPython's `sock.close()` closes at once; here the socket closes with
    // its last `Rc`, and the cancelled sock_recv lets go of its clone when
    // its task runs the cancellation, in the next iteration (not at once:
    // until then its watcher must not watch a descriptor that may be
    // reused).
    let lp = guarded_loop();
    let (ours, theirs) = unix_pair();
    let reading = reader_task(&lp, &ours, 16);
    trace::run_one_iteration(&lp);
    reading.cancel();
    drop(ours);
    trace::run_one_iteration(&lp);
    assert!(reading.cancelled());
    assert!(sees_eof(&theirs), "still open after the task unwound");
}
