//! Streams over real sockets on the loopback interface: `open_connection`
//! and `start_server` give readers and writers that read lines, exact
//! sizes and up to separators, keep up with flow control, half-close, and
//! report a reset peer as CPython 3.11's do. Each test runs on a loop
//! that stops itself after `net::GUARD` seconds.
#![cfg(unix)]

mod net;

use net::{guarded_loop, inet, resetting_peer};
use std::{cell::RefCell, rc::Rc};
use yieldfrom::{
    AnyError,
    asyncio::{
        CancelledError, ClockKind, ConnectionResetError, Coroutine, DEFAULT_HIGH_WATER,
        DEFAULT_LIMIT, EventLoop, IncompleteReadError, LimitOverrunError, LoopReport, RuntimeError,
        Server, StreamReader, StreamWriter, ValueError, coroutine, open_connection,
        open_connection_with_limit, open_unix_connection, run_with, sleep, start_server,
        start_server_with_limit, start_unix_server,
    },
};

/// Runs `main` on a guarded real-clock loop.
fn run<T: Clone + 'static>(main: Coroutine<T>) -> T {
    guarded_loop().run_until_complete(main).unwrap()
}

fn port_of(server: &Server) -> u16 {
    inet(&server.sockets()[0]).port()
}

/// A streams server on an ephemeral loopback port running `handler` for
/// each connection, and the client's reader and writer connected to it.
fn serve_and_connect<H>(handler: H) -> Coroutine<(Server, StreamReader, StreamWriter)>
where
    H: Fn(StreamReader, StreamWriter) -> Coroutine<()> + 'static,
{
    coroutine("serve_and_connect", move |co| async move {
        let server = co.yield_from(start_server(handler, "127.0.0.1", 0)).await?;
        let (reader, writer) = co
            .yield_from(open_connection("127.0.0.1", port_of(&server)))
            .await?;
        Ok((server, reader, writer))
    })
}

/// A handler that writes back each line it reads until the end of the
/// stream, then closes.
fn line_echo(reader: StreamReader, writer: StreamWriter) -> Coroutine<()> {
    coroutine("line_echo", move |co| async move {
        loop {
            let line = co.yield_from(reader.readline()).await?;
            if line.is_empty() {
                break;
            }
            writer.write(&line)?;
            co.yield_from(writer.drain()).await?;
        }
        writer.close();
        co.yield_from(writer.wait_closed()).await
    })
}

/// A handler that writes `data`, then closes the connection.
fn says(data: Vec<u8>) -> impl Fn(StreamReader, StreamWriter) -> Coroutine<()> + 'static {
    move |_reader, writer| {
        let data = data.clone();
        coroutine("says", move |co| async move {
            writer.write(&data)?;
            co.yield_from(writer.drain()).await?;
            writer.close();
            Ok(())
        })
    }
}

#[test]
fn an_echo_server_sends_each_line_back_as_readline_reads_it() {
    let lines = run(coroutine("client", |co| async move {
        let (server, reader, writer) = co.yield_from(serve_and_connect(line_echo)).await?;
        let mut lines = Vec::new();
        for line in [&b"hello\n"[..], b"wor", b"ld\n"] {
            writer.write(line)?;
            co.yield_from(writer.drain()).await?;
            if line.ends_with(b"\n") {
                lines.push(co.yield_from(reader.readline()).await?);
            }
        }
        writer.writelines([&b"a\nb"[..], b"\n"])?;
        lines.push(co.yield_from(reader.readline()).await?);
        lines.push(co.yield_from(reader.readline()).await?);
        writer.write_eof();
        // The server closes after the end of the stream: readline gives
        // an empty line, and the reader is at its end.
        lines.push(co.yield_from(reader.readline()).await?);
        assert!(reader.at_eof());
        server.close();
        co.yield_from(server.wait_closed()).await?;
        Ok(lines)
    }));
    assert_eq!(lines, [&b"hello\n"[..], b"world\n", b"a\n", b"b\n", b""]);
}

#[test]
fn readexactly_raises_incomplete_read_error_with_the_bytes_sent_before_the_peer_closed() {
    let (error, at_eof, rest) = run(coroutine("client", |co| async move {
        let (_server, reader, _writer) = co
            .yield_from(serve_and_connect(says(b"abc".to_vec())))
            .await?;
        let error = co.yield_from(reader.readexactly(10)).await.unwrap_err();
        let at_eof = reader.at_eof();
        let rest = co.yield_from(reader.read(-1)).await?;
        Ok((error, at_eof, rest))
    }));
    let incomplete = error.downcast_ref::<IncompleteReadError>().unwrap();
    assert_eq!(incomplete.partial, b"abc");
    assert_eq!(incomplete.expected, Some(10));
    assert_eq!(
        error.to_string(),
        "3 bytes read on a total of 10 expected bytes"
    );
    assert!(at_eof);
    assert_eq!(rest, b"");
}

#[test]
fn readuntil_past_the_limit_raises_limit_overrun_error_and_leaves_the_data_in_the_buffer() {
    let long = [vec![b'x'; DEFAULT_LIMIT + 5000], b"|tail".to_vec()].concat();
    let (error, buffered, xs, sep, tail) = run(coroutine("client", move |co| async move {
        let (_server, reader, _writer) = co.yield_from(serve_and_connect(says(long))).await?;
        let error = co.yield_from(reader.readuntil(b"|")).await.unwrap_err();
        let buffered = reader.buffered();
        let xs = co
            .yield_from(reader.readexactly(DEFAULT_LIMIT + 5000))
            .await?;
        let sep = co.yield_from(reader.readuntil(b"|")).await?;
        let tail = co.yield_from(reader.read(-1)).await?;
        Ok((error, buffered, xs, sep, tail))
    }));
    let overrun = error.downcast_ref::<LimitOverrunError>().unwrap();
    assert!(overrun.consumed > DEFAULT_LIMIT);
    assert!(
        overrun.message == "Separator is not found, and chunk exceed the limit"
            || overrun.message == "Separator is found, but chunk is longer than limit",
        "{overrun:?}"
    );
    assert!(buffered >= overrun.consumed);
    assert!(xs.iter().all(|&b| b == b'x'));
    assert_eq!(sep, b"|");
    assert_eq!(tail, b"tail");
}

#[test]
fn readuntil_without_the_separator_within_the_limit_leaves_every_byte_in_the_buffer() {
    let reader = StreamReader::with_limit(10).unwrap();
    reader.feed_data(&[b'x'; 25]).unwrap();
    let probe = reader.clone();
    let (error, buffered) = run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let error = co.yield_from(probe.readuntil(b"\r\n")).await.unwrap_err();
            Ok((error, probe.buffered()))
        }),
    )
    .unwrap();
    // CPython 3.11: LimitOverrunError('Separator is not found, and chunk
    // exceed the limit', 24), with the 25 bytes still buffered.
    let overrun = error.downcast_ref::<LimitOverrunError>().unwrap();
    assert_eq!(
        (overrun.message.as_str(), overrun.consumed, buffered),
        ("Separator is not found, and chunk exceed the limit", 24, 25)
    );
    assert!(matches!(
        StreamReader::with_limit(0).unwrap_err().downcast_ref::<ValueError>(),
        Some(ValueError { message }) if message == "Limit cannot be <= 0"
    ));
}

#[test]
fn readline_over_the_limit_raises_value_error_and_drops_that_line() {
    let reader = StreamReader::new();
    let long = [vec![b'x'; DEFAULT_LIMIT + 1], b"\nnext\n".to_vec()].concat();
    reader.feed_data(&long).unwrap();
    reader.feed_eof();
    let (error, next) = run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let error = co.yield_from(reader.readline()).await.unwrap_err();
            let next = co.yield_from(reader.readline()).await?;
            Ok((error, next))
        }),
    )
    .unwrap();
    assert_eq!(
        error.downcast_ref::<ValueError>().unwrap().message,
        "Separator is found, but chunk is longer than limit"
    );
    assert_eq!(next, b"next\n");
}

#[test]
fn read_with_a_negative_size_reads_to_the_end_of_the_stream_past_the_limit() {
    let big: Vec<u8> = (0..=250_u8).cycle().take(5 * DEFAULT_LIMIT).collect();
    let expected = big.clone();
    let (all, at_eof) = run(coroutine("client", move |co| async move {
        let (_server, reader, _writer) = co.yield_from(serve_and_connect(says(big))).await?;
        let all = co.yield_from(reader.read(-1)).await?;
        Ok((all, reader.at_eof()))
    }));
    assert!(all == expected, "read {} bytes", all.len());
    assert!(at_eof);
}

#[test]
fn at_eof_holds_only_once_the_end_came_and_the_buffer_is_empty() {
    let seen = run(coroutine("client", |co| async move {
        let (_server, reader, _writer) = co
            .yield_from(serve_and_connect(says(b"ab".to_vec())))
            .await?;
        let mut seen = vec![reader.at_eof()];
        let a = co.yield_from(reader.read(1)).await?;
        seen.push(reader.at_eof());
        let b = co.yield_from(reader.read(1)).await?;
        let end = co.yield_from(reader.read(1)).await?;
        seen.push(reader.at_eof());
        assert_eq!((a, b, end), (b"a".to_vec(), b"b".to_vec(), Vec::new()));
        Ok(seen)
    }));
    assert_eq!(seen, [false, false, true]);
}

#[test]
fn a_reader_pauses_its_transport_past_twice_the_limit_and_resumes_it_at_the_limit() {
    let total = 4 * DEFAULT_LIMIT;
    let (paused, resumed, got) = run(coroutine("client", move |co| async move {
        let (_server, reader, writer) = co
            .yield_from(serve_and_connect(says(vec![7; total])))
            .await?;
        while reader.buffered() <= 2 * DEFAULT_LIMIT && !reader.at_eof() {
            co.yield_from(sleep(0.002)).await?;
        }
        let paused = !writer.transport().is_reading();
        let excess = isize::try_from(reader.buffered() - DEFAULT_LIMIT)?;
        let mut got = co.yield_from(reader.read(excess)).await?.len();
        let resumed = writer.transport().is_reading();
        got += co.yield_from(reader.read(-1)).await?.len();
        Ok((paused, resumed, got))
    }));
    assert!(paused, "reading went on past twice the limit");
    assert!(resumed, "reading stayed paused at the limit");
    assert_eq!(got, total);
}

#[test]
fn drain_waits_while_the_peer_reads_slowly_and_every_byte_arrives() {
    const CHUNK: usize = 64 * 1024;
    const CHUNKS: usize = 64;
    let received = Rc::new(RefCell::new(Vec::new()));
    let sink = received.clone();
    let slow_reader = move |reader: StreamReader, writer: StreamWriter| {
        let sink = sink.clone();
        coroutine("slow_reader", move |co| async move {
            co.yield_from(sleep(0.2)).await?;
            let all = co.yield_from(reader.read(-1)).await?;
            *sink.borrow_mut() = all;
            writer.close();
            Ok(())
        })
    };
    let waits = run(coroutine("client", move |co| async move {
        let (_server, reader, writer) = co.yield_from(serve_and_connect(slow_reader)).await?;
        let transport = writer.transport().clone();
        let mut waits = Vec::new();
        for i in 0..CHUNKS {
            writer.write(&vec![u8::try_from(i)?; CHUNK])?;
            let before = transport.get_write_buffer_size();
            co.yield_from(writer.drain()).await?;
            if before > DEFAULT_HIGH_WATER {
                waits.push(transport.get_write_buffer_size());
            }
        }
        writer.write_eof();
        co.yield_from(reader.read(-1)).await?;
        Ok(waits)
    }));
    assert!(
        !waits.is_empty(),
        "the writer never went over the high-water mark"
    );
    for after in &waits {
        assert!(
            *after <= DEFAULT_HIGH_WATER / 4,
            "drain returned with {after} bytes buffered"
        );
    }
    let expected: Vec<u8> = (0..CHUNKS)
        .flat_map(|i| vec![u8::try_from(i).unwrap(); CHUNK])
        .collect();
    assert!(*received.borrow() == expected);
}

#[test]
fn write_eof_half_closes_and_the_peer_can_still_answer() {
    let answer = |reader: StreamReader, writer: StreamWriter| {
        coroutine("answer", move |co| async move {
            let question = co.yield_from(reader.read(-1)).await?;
            writer.write(&[&b"got "[..], &question].concat())?;
            writer.close();
            Ok(())
        })
    };
    let (can, reply, closing) = run(coroutine("client", move |co| async move {
        let (_server, reader, writer) = co.yield_from(serve_and_connect(answer)).await?;
        let can = writer.can_write_eof();
        writer.write(b"ping")?;
        writer.write_eof();
        let refused = writer.write(b"more").unwrap_err();
        assert_eq!(
            refused.downcast_ref::<RuntimeError>().unwrap().message,
            "Cannot call write() after write_eof()"
        );
        let reply = co.yield_from(reader.read(-1)).await?;
        Ok((can, reply, writer.is_closing()))
    }));
    assert!(can);
    assert_eq!(reply, b"got ping");
    // The end of the stream does not close a streams transport: it is
    // half-closed, as CPython's (StreamReaderProtocol.eof_received is
    // true).
    assert!(!closing);
}

#[test]
fn a_reset_peer_surfaces_as_connection_reset_error_from_read_drain_and_wait_closed() {
    let lp = guarded_loop();
    let (peer, port) = resetting_peer(&lp);
    let outcome = lp
        .run_until_complete(coroutine("client", move |co| async move {
            let (reader, writer) = co.yield_from(open_connection("127.0.0.1", port)).await?;
            let words = co.yield_from(reader.readexactly(10)).await?;
            writer.write(b"ok")?;
            co.yield_from(writer.drain()).await?;
            let read = co.yield_from(reader.read(100)).await.unwrap_err();
            let drain = co.yield_from(writer.drain()).await.unwrap_err();
            let closed = co.yield_from(writer.wait_closed()).await.unwrap_err();
            co.yield_from(peer.wait()).await?;
            Ok((words, [read, drain, closed]))
        }))
        .unwrap();
    assert_eq!(outcome.0, b"last words");
    for error in &outcome.1 {
        assert!(error.is::<ConnectionResetError>(), "{error:?}");
        assert_eq!(error.to_string(), "[Errno 104] Connection reset by peer");
    }
}

#[test]
fn drain_alone_sees_a_reset_the_transport_read_while_nobody_was_reading() {
    let lp = guarded_loop();
    let (peer, port) = resetting_peer(&lp);
    let error = lp
        .run_until_complete(coroutine("client", move |co| async move {
            let (_reader, writer) = co.yield_from(open_connection("127.0.0.1", port)).await?;
            writer.write(b"ok")?;
            co.yield_from(peer.wait()).await?;
            while !writer.is_closing() {
                co.yield_from(sleep(0.002)).await?;
            }
            Ok(co.yield_from(writer.drain()).await.unwrap_err())
        }))
        .unwrap();
    assert!(error.is::<ConnectionResetError>(), "{error:?}");
}

#[test]
fn drain_after_a_clean_close_raises_connection_reset_error_connection_lost() {
    let error = run(coroutine("client", |co| async move {
        let (_server, _reader, writer) = co.yield_from(serve_and_connect(says(Vec::new()))).await?;
        writer.close();
        co.yield_from(writer.wait_closed()).await?;
        Ok(co.yield_from(writer.drain()).await.unwrap_err())
    }));
    assert!(error.is::<ConnectionResetError>(), "{error:?}");
    assert_eq!(error.to_string(), "Connection lost");
}

#[test]
fn wait_closed_returns_once_the_connection_is_lost() {
    let (before, after, closing) = run(coroutine("client", |co| async move {
        let (_server, reader, writer) = co.yield_from(serve_and_connect(line_echo)).await?;
        let before = writer.is_closing();
        writer.close();
        co.yield_from(writer.wait_closed()).await?;
        Ok((before, reader.at_eof(), writer.is_closing()))
    }));
    assert!(!before);
    assert!(after, "the reader saw the end once the connection was lost");
    assert!(closing);
}

#[test]
fn a_read_cancelled_mid_way_loses_none_of_the_bytes_it_had_buffered() {
    let halves = |_reader: StreamReader, writer: StreamWriter| {
        coroutine("halves", move |co| async move {
            writer.write(b"hello")?;
            co.yield_from(sleep(0.1)).await?;
            writer.write(b"world\n")?;
            writer.close();
            Ok(())
        })
    };
    let (cancelled, line) = run(coroutine("client", move |co| async move {
        let (_server, reader, _writer) = co.yield_from(serve_and_connect(halves)).await?;
        let lp = EventLoop::running()?;
        let reading = reader.clone();
        let task = lp.create_task(coroutine("reading", move |co| async move {
            co.yield_from(reading.readexactly(11)).await
        }))?;
        while reader.buffered() < 5 {
            co.yield_from(sleep(0.002)).await?;
        }
        task.cancel();
        let cancelled = co.yield_from(task.wait()).await.unwrap_err();
        let line = co.yield_from(reader.readline()).await?;
        Ok((cancelled, line))
    }));
    assert!(cancelled.is::<CancelledError>(), "{cancelled:?}");
    assert_eq!(line, b"helloworld\n");
}

#[test]
fn a_second_read_while_one_waits_is_refused_with_runtime_error() {
    let reader = StreamReader::new();
    let feeder = reader.clone();
    let (error, first) = run_with(
        ClockKind::Virtual,
        coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let waiting = reader.clone();
            let first = lp.create_task(coroutine("first", move |co| async move {
                co.yield_from(waiting.read(10)).await
            }))?;
            co.yield_from(sleep(0.0)).await?;
            let error = co.yield_from(reader.readline()).await.unwrap_err();
            feeder.feed_data(b"data")?;
            let first = co.yield_from(first.wait()).await?;
            Ok((error, first))
        }),
    )
    .unwrap();
    assert_eq!(
        error.downcast_ref::<RuntimeError>().unwrap().message,
        "readuntil() called while another coroutine is already waiting for incoming data"
    );
    assert_eq!(first, b"data");
}

#[test]
fn a_handler_that_fails_is_reported_and_its_connection_closed() {
    let lp = guarded_loop();
    let reports: Rc<RefCell<Vec<LoopReport>>> = Rc::default();
    let sink = reports.clone();
    lp.set_reporter(move |r| sink.borrow_mut().push(r.clone()));
    let failing = |_reader: StreamReader, _writer: StreamWriter| {
        coroutine("failing", |_co| async move {
            Err::<(), AnyError>(
                ValueError {
                    message: "bad request".into(),
                }
                .into(),
            )
        })
    };
    let rest = lp
        .run_until_complete(coroutine("client", move |co| async move {
            let (_server, reader, _writer) = co.yield_from(serve_and_connect(failing)).await?;
            co.yield_from(reader.read(-1)).await
        }))
        .unwrap();
    assert_eq!(rest, b"");
    let reports = reports.borrow();
    assert!(
        reports.iter().any(|r| matches!(
            r,
            LoopReport::ClientConnectedFailed { error } if error.contains("bad request")
        )),
        "{reports:?}"
    );
}

#[test]
fn get_extra_info_gives_the_addresses_of_both_ends() {
    let (peer, local, server_port) = run(coroutine("client", |co| async move {
        let (server, _reader, writer) = co.yield_from(serve_and_connect(line_echo)).await?;
        let name = |info| match writer.get_extra_info(info) {
            Some(yieldfrom::asyncio::ExtraInfo::Address(address)) => inet(&address),
            other => panic!("{info}: {other:?}"),
        };
        Ok((name("peername"), name("sockname"), port_of(&server)))
    }));
    assert_eq!(peer.port(), server_port);
    assert!(local.ip().is_loopback());
}

#[test]
fn the_unix_variants_echo_a_line_over_a_unix_socket() {
    let path = std::env::temp_dir().join(format!("yieldfrom-streams-{}.sock", std::process::id()));
    let at = path.clone();
    let line = run(coroutine("client", move |co| async move {
        let server = co.yield_from(start_unix_server(line_echo, &at)).await?;
        let (reader, writer) = co.yield_from(open_unix_connection(&at)).await?;
        writer.write(b"over unix\n")?;
        let line = co.yield_from(reader.readline()).await?;
        writer.close();
        server.close();
        Ok(line)
    }));
    let _ = std::fs::remove_file(&path);
    assert_eq!(line, b"over unix\n");
}

#[test]
fn the_with_limit_variants_give_readers_of_that_limit_and_refuse_zero() {
    let short_lines = |reader: StreamReader, writer: StreamWriter| {
        coroutine("short_lines", move |co| async move {
            let outcome = co.yield_from(reader.readuntil(b"\n")).await;
            let overrun = outcome.unwrap_err();
            let consumed = overrun
                .downcast_ref::<LimitOverrunError>()
                .unwrap()
                .consumed;
            writer.write(format!("limit {} consumed {consumed}\n", reader.limit()).as_bytes())?;
            writer.close();
            Ok(())
        })
    };
    let (client_limit, reply, refused) = run(coroutine("client", move |co| async move {
        let server = co
            .yield_from(start_server_with_limit(short_lines, "127.0.0.1", 0, 4))
            .await?;
        let port = port_of(&server);
        let (reader, writer) = co
            .yield_from(open_connection_with_limit("127.0.0.1", port, 8))
            .await?;
        writer.write(b"0123456789\n")?;
        let reply = co.yield_from(reader.read(-1)).await?;
        let refused = co
            .yield_from(open_connection_with_limit("127.0.0.1", port, 0))
            .await
            .unwrap_err();
        Ok((reader.limit(), reply, refused))
    }));
    assert_eq!(client_limit, 8);
    assert!(
        reply.starts_with(b"limit 4 consumed "),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    assert_eq!(
        refused.downcast_ref::<ValueError>().unwrap().message,
        "Limit cannot be <= 0"
    );
}

#[test]
fn async_for_over_a_readers_lines_gives_each_line_written_in_pieces_and_stops_at_the_end() {
    // CPython 3.11, the server writing b"GET / HTTP/1.0\r\n", b"Host:",
    // b" x\r\n\r\nla", b"st" and closing: `[line async for line in reader]`
    // == [b'GET / HTTP/1.0\r\n', b'Host: x\r\n', b'\r\n', b'last'].
    const PIECES: [&[u8]; 4] = [b"GET / HTTP/1.0\r\n", b"Host:", b" x\r\n\r\nla", b"st"];
    let in_pieces = |_reader: StreamReader, writer: StreamWriter| {
        coroutine("in_pieces", move |co| async move {
            for piece in PIECES {
                writer.write(piece)?;
                co.yield_from(writer.drain()).await?;
                co.yield_from(sleep(0.001)).await?;
            }
            writer.close();
            Ok(())
        })
    };
    let (lines, at_eof) = run(coroutine("client", move |co| async move {
        let (server, reader, _writer) = co.yield_from(serve_and_connect(in_pieces)).await?;
        let mut lines = Vec::new();
        let mut each = reader.lines();
        while let Some(line) = co.yield_from(each.next()).await? {
            lines.push(line);
        }
        server.close();
        Ok((lines, reader.at_eof()))
    }));
    assert_eq!(
        lines,
        [&b"GET / HTTP/1.0\r\n"[..], b"Host: x\r\n", b"\r\n", b"last"]
    );
    assert!(at_eof);
}
