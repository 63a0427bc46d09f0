//! A thousand connections opened and closed, and a loop closed with
//! connections open, leave no file descriptor behind. One test in this
//! binary: the count of open descriptors is the whole process's.
#![cfg(unix)]

mod net;

use net::{Behaviour, Traced, guarded_loop, inet, open_fds, run_until, traced_server};
use std::rc::Rc;
use yieldfrom::asyncio::coroutine;

#[test]
fn a_thousand_connections_and_a_closed_loop_leave_no_descriptor_open() {
    let before = open_fds();
    let lp = guarded_loop();
    let (server, made) = traced_server(&lp, Behaviour::Echo);
    let port = inet(&server.sockets()[0]).port();
    let with_server = open_fds();
    let clients = Rc::new(std::cell::RefCell::new(Vec::new()));
    let (connecting, sink) = (lp.clone(), clients.clone());
    lp.run_until_complete(coroutine("clients", move |co| async move {
        for _ in 0..1000 {
            let connect =
                connecting.create_connection(|| Traced::new(Behaviour::Record), "127.0.0.1", port);
            let (transport, protocol) = co.yield_from(connect).await?;
            transport.write(b"x")?;
            transport.close();
            sink.borrow_mut().push(protocol);
        }
        Ok(())
    }))
    .unwrap();
    run_until(&lp, || {
        made.borrow().len() == 1000
            && made.borrow().iter().all(|p| p.lost.get())
            && clients.borrow().iter().all(|p| p.lost.get())
    });
    assert_eq!(open_fds(), with_server, "connections left descriptors open");
    let (_transport, _protocol) = lp
        .run_until_complete(lp.create_connection(
            || Traced::new(Behaviour::Record),
            "127.0.0.1",
            port,
        ))
        .unwrap();
    run_until(&lp, || made.borrow().len() == 1001);
    lp.close().unwrap();
    drop(lp);
    assert_eq!(open_fds(), before, "the closed loop left descriptors open");
}
