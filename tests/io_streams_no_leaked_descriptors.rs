//! Five hundred stream connections opened and closed, and a loop closed
//! with a stream connection open and its handler waiting, leave no file
//! descriptor behind. One test in this binary: the count of open
//! descriptors is the whole process's.
#![cfg(unix)]

mod net;

use net::{guarded_loop, inet, open_fds, run_until};
use std::{cell::Cell, rc::Rc};
use yieldfrom::asyncio::{StreamReader, StreamWriter, coroutine, open_connection, start_server};

#[test]
fn five_hundred_stream_connections_and_a_closed_loop_leave_no_descriptor_open() {
    let before = open_fds();
    let lp = guarded_loop();
    lp.set_reporter(|_| {});
    let handled = Rc::new(Cell::new(0));
    let counter = handled.clone();
    let echo_once = move |reader: StreamReader, writer: StreamWriter| {
        let counter = counter.clone();
        coroutine("echo_once", move |co| async move {
            let line = co.yield_from(reader.readline()).await?;
            writer.write(&line)?;
            let end = co.yield_from(reader.read(-1)).await?;
            assert!(end.is_empty());
            writer.close();
            co.yield_from(writer.wait_closed()).await?;
            counter.set(counter.get() + 1);
            Ok(())
        })
    };
    let server = lp
        .run_until_complete(start_server(echo_once, "127.0.0.1", 0))
        .unwrap();
    let port = inet(&server.sockets()[0]).port();
    let with_server = open_fds();
    lp.run_until_complete(coroutine("clients", move |co| async move {
        for _ in 0..500 {
            let (reader, writer) = co.yield_from(open_connection("127.0.0.1", port)).await?;
            writer.write(b"x\n")?;
            assert_eq!(co.yield_from(reader.readline()).await?, b"x\n");
            writer.close();
            co.yield_from(writer.wait_closed()).await?;
        }
        Ok(())
    }))
    .unwrap();
    run_until(&lp, || handled.get() == 500);
    assert_eq!(open_fds(), with_server, "connections left descriptors open");
    let (_reader, _writer) = lp
        .run_until_complete(open_connection("127.0.0.1", port))
        .unwrap();
    lp.close().unwrap();
    drop((lp, server));
    assert_eq!(open_fds(), before, "the closed loop left descriptors open");
}
