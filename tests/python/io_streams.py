"""The streams exchanges of tests/io_streams_match_cpython.rs, on CPython's asyncio.

Each side writes down what its reads, drains and closes give, as the Rust
side does. Run as:

    io_streams.py --all                  every scenario, server and client in
                                         this process: "== NAME" then
                                         "server: ..." and "client: ..." lines
    io_streams.py server NAME            serves one connection on an ephemeral
                                         loopback port: prints "port N", then
                                         its lines once done
    io_streams.py client NAME PORT       connects to PORT: prints its lines

Every wait is bounded: a scenario that goes wrong ends with an error.
"""

import asyncio
import socket
import struct

from io_peer import run_peer

SCENARIOS = ["echo", "incomplete", "half_close", "flow", "reset", "cancel"]
LIMIT = 10.0
BIG = 8 << 20
CHUNK = 64 * 1024
HIGH_WATER = 64 * 1024


def describe(e):
    """An error as the Rust side's `describe` writes it."""
    if isinstance(e, asyncio.IncompleteReadError):
        return f"IncompleteReadError {e} partial={e.partial!r} expected={e.expected}"
    if isinstance(e, asyncio.CancelledError):
        return "CancelledError"
    return f"{type(e).__name__} {e}"


async def server_side(name, reader, writer, log):
    if name == "echo":
        while True:
            line = await reader.readline()
            log.append(f"line {line!r}")
            if not line:
                break
            writer.write(line)
            await writer.drain()
    elif name == "incomplete":
        writer.write(b"abc")
        await writer.drain()
    elif name == "half_close":
        question = await reader.read(-1)
        log.append(f"read {question!r} at_eof {reader.at_eof()}")
        writer.write(b"pong")
    elif name == "flow":
        await asyncio.sleep(0.1)
        data = await reader.read(-1)
        expected = bytes(i % 256 for i in range(BIG // CHUNK))
        log.append(f"read {len(data)} bytes intact {data[::CHUNK] == expected}")
        writer.write(b"done")
    elif name == "cancel":
        writer.write(b"hello")
        await writer.drain()
        # The rest once the client says its read is cancelled: after a
        # timer instead, a client slowed down by a loaded machine could see
        # the whole line before it cancelled, and its trace lost a line.
        await reader.readexactly(1)
        writer.write(b"world\n")
    writer.close()
    await writer.wait_closed()
    log.append("closed")


async def serve(name, on_port):
    """Serves one connection; its lines."""
    loop = asyncio.get_running_loop()
    log = []
    if name == "reset":
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        on_port(listener.getsockname()[1])
        conn, _ = await loop.sock_accept(listener)
        await loop.sock_sendall(conn, b"last words")
        # The client says it has read them: a reset would discard them.
        while len(await loop.sock_recv(conn, 2)) < 2:
            pass
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        listener.close()
        return log
    done = loop.create_future()

    async def handler(reader, writer):
        try:
            await server_side(name, reader, writer, log)
        finally:
            done.set_result(None)

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    on_port(server.sockets[0].getsockname()[1])
    await done
    server.close()
    return log


async def client(name, port):
    log = []
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    if name == "echo":
        writer.write(b"hello\n")
        writer.writelines([b"wor", b"ld\n"])
        await writer.drain()
        log.append(f"line {await reader.readline()!r}")
        log.append(f"line {await reader.readline()!r}")
        writer.write_eof()
        log.append(f"line {await reader.readline()!r} at_eof {reader.at_eof()}")
    elif name == "incomplete":
        try:
            await reader.readexactly(10)
        except Exception as e:
            log.append(describe(e))
        log.append(f"at_eof {reader.at_eof()}")
    elif name == "half_close":
        writer.write(b"ping")
        writer.write_eof()
        log.append(f"read {await reader.read(-1)!r}")
    elif name == "flow":
        waited = False
        for i in range(BIG // CHUNK):
            writer.write(bytes([i % 256]) * CHUNK)
            over = writer.transport.get_write_buffer_size() > HIGH_WATER
            await writer.drain()
            if over:
                waited = True
                size = writer.transport.get_write_buffer_size()
                if size > HIGH_WATER // 4:
                    log.append(f"drain returned with {size} bytes buffered")
        log.append(f"went over the high-water mark {waited}")
        writer.write_eof()
        log.append(f"read {await reader.read(-1)!r}")
    elif name == "reset":
        log.append(f"read {await reader.readexactly(10)!r}")
        writer.write(b"ok")
        await writer.drain()
        for what, step in [
            ("read", lambda: reader.read(100)),
            ("drain", writer.drain),
            ("wait_closed", writer.wait_closed),
        ]:
            try:
                await step()
                log.append(f"{what} ok")
            except Exception as e:
                log.append(f"{what} {describe(e)}")
        return log
    elif name == "cancel":
        task = asyncio.create_task(reader.readexactly(11))
        while len(reader._buffer) < 5:
            await asyncio.sleep(0.002)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError as e:
            log.append(f"read {describe(e)}")
        writer.write(b"!")
        log.append(f"line {await reader.readline()!r}")
    writer.close()
    await writer.wait_closed()
    log.append("closed")
    return log


run_peer(SCENARIOS, serve, client, lambda log: log, LIMIT)
