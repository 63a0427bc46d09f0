//! Servers and connections over their lifetime: a server that closes with
//! clients connected, `serve_forever` cancelled, connecting where nobody
//! listens, binding a port in use, a name that does not resolve, and a
//! loop that closes with connections open.
#![cfg(unix)]

mod net;

use net::{
    Behaviour, Traced, client_of, closed_port, guarded_loop, inet, run_until, traced_server,
};
use std::{io::Read, net::TcpStream, time::Duration};
use yieldfrom::asyncio::{
    CancelledError, ConnectionRefusedError, GaiError, OsError, RuntimeError, coroutine, sleep,
};

#[test]
fn a_closed_server_stops_accepting_but_its_clients_go_on_and_wait_closed_waits_for_them() {
    let lp = guarded_loop();
    let (server, made) = traced_server(&lp, Behaviour::Echo);
    let addr = inet(&server.sockets()[0]);
    let (client, protocol) = client_of(&lp, &server);
    run_until(&lp, || !made.borrow().is_empty());
    assert!(server.is_serving());
    server.close();
    assert!(!server.is_serving());
    assert!(server.sockets().is_empty());
    assert!(TcpStream::connect(addr).is_err(), "the port still accepts");
    let waiting = lp.create_task(server.wait_closed()).unwrap();
    client.write(b"still here").unwrap();
    run_until(&lp, || protocol.received.borrow().len() == 10);
    assert!(
        !waiting.done(),
        "wait_closed returned with a client connected"
    );
    client.close();
    run_until(&lp, || waiting.done());
    waiting.result().unwrap();
    assert_eq!(
        made.borrow()[0].log(),
        [
            "connection_made",
            "data b'still here'",
            "eof_received",
            "connection_lost None"
        ]
    );
}

#[test]
fn cancelling_serve_forever_closes_the_server_and_raises_cancelled_error() {
    let lp = guarded_loop();
    let (server, _made) = traced_server(&lp, Behaviour::Echo);
    let serving = lp.create_task(server.serve_forever()).unwrap();
    let canceller = serving.clone();
    let error = lp
        .run_until_complete(coroutine("main", move |co| async move {
            co.yield_from(sleep(0.01)).await?;
            canceller.cancel();
            co.yield_from(canceller.wait()).await
        }))
        .unwrap_err();
    assert!(error.is::<CancelledError>(), "{error:?}");
    assert!(serving.cancelled());
    assert!(!server.is_serving());
    assert!(server.sockets().is_empty());
    let again = lp.run_until_complete(server.serve_forever()).unwrap_err();
    assert!(
        again
            .downcast_ref::<RuntimeError>()
            .unwrap()
            .message
            .ends_with("is closed")
    );
}

#[test]
fn connecting_where_nobody_listens_raises_connection_refused() {
    let lp = guarded_loop();
    let port = closed_port().port();
    let error = lp
        .run_until_complete(lp.create_connection(
            || Traced::new(Behaviour::Record),
            "127.0.0.1",
            port,
        ))
        .unwrap_err();
    assert!(error.is::<ConnectionRefusedError>(), "{error:?}");
}

#[test]
fn binding_a_port_in_use_raises_os_error_98_address_already_in_use() {
    let lp = guarded_loop();
    let (server, _made) = traced_server(&lp, Behaviour::Echo);
    let port = inet(&server.sockets()[0]).port();
    let error = lp
        .run_until_complete(lp.create_server(|| Traced::new(Behaviour::Echo), "127.0.0.1", port))
        .unwrap_err();
    let os = error.downcast_ref::<OsError>().unwrap();
    assert!(os.is_address_in_use());
    assert_eq!(error.to_string(), "[Errno 98] Address already in use");
    server.close();
}

#[test]
fn a_host_name_that_does_not_resolve_raises_gaierror() {
    let lp = guarded_loop();
    let error = lp
        .run_until_complete(lp.create_connection(
            || Traced::new(Behaviour::Record),
            "no such host",
            80,
        ))
        .unwrap_err();
    assert!(error.is::<GaiError>(), "{error:?}");
    assert!(error.as_error().source().is_some());
}

#[test]
fn closing_the_loop_loses_every_connection_and_closes_its_servers() {
    let lp = guarded_loop();
    let (server, made) = traced_server(&lp, Behaviour::Echo);
    let addr = inet(&server.sockets()[0]);
    let (_client, protocol) = client_of(&lp, &server);
    let mut outside = TcpStream::connect(addr).unwrap();
    run_until(&lp, || made.borrow().len() == 2);
    lp.close().unwrap();
    assert_eq!(protocol.log(), ["connection_made", "connection_lost None"]);
    for accepted in made.borrow().iter() {
        assert_eq!(accepted.log(), ["connection_made", "connection_lost None"]);
    }
    assert!(!server.is_serving());
    assert!(TcpStream::connect(addr).is_err(), "the port still accepts");
    outside
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    outside.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

#[test]
fn dropping_the_last_loop_handle_loses_every_connection_as_closing_does() {
    // No guard timer: its callback would hold the loop.
    let lp = yieldfrom::asyncio::EventLoop::new(yieldfrom::asyncio::ClockKind::Real);
    let (server, made) = traced_server(&lp, Behaviour::Echo);
    let (_client, protocol) = client_of(&lp, &server);
    run_until(&lp, || made.borrow().len() == 1);
    let addr = inet(&server.sockets()[0]);
    drop(lp);
    assert!(
        server.get_loop().is_none(),
        "the loop outlived its last handle"
    );
    assert_eq!(protocol.log(), ["connection_made", "connection_lost None"]);
    assert_eq!(
        made.borrow()[0].log(),
        ["connection_made", "connection_lost None"]
    );
    assert!(TcpStream::connect(addr).is_err(), "the port still accepts");
}

#[test]
fn a_connection_by_host_name_resolves_it_with_the_system_resolver_and_connects() {
    // "localhost" is a name: it goes to the resolver on the executor's
    // threads, as CPython's loop.getaddrinfo sends it; the server listens
    // on 127.0.0.1, where every resolver puts localhost (a ::1 tried
    // first is refused, and the next address is tried).
    let lp = guarded_loop();
    let (server, _made) = traced_server(&lp, Behaviour::Record);
    let port = inet(&server.sockets()[0]).port();
    let (transport, _) = lp
        .run_until_complete(lp.create_connection(
            || Traced::new(Behaviour::Record),
            "localhost",
            port,
        ))
        .unwrap();
    let peer = inet(&transport.peername().unwrap());
    assert!(peer.ip().is_loopback() && peer.port() == port, "{peer}");
    transport.close();
    server.close();
}
