"""The exchanges of tests/io_matches_cpython.rs, on CPython's asyncio.

A protocol writes down what happens to it, as tests/net/mod.rs's `Traced`
does. Run as:

    io_protocols.py --all                  every scenario, server and client
                                           in this process: "== NAME" then
                                           "server: ..." and "client: ..." lines
    io_protocols.py server NAME            serves one connection on an
                                           ephemeral loopback port: prints
                                           "port N", then its lines once done
    io_protocols.py client NAME PORT       connects to PORT: prints its lines

Every wait is bounded: a scenario that goes wrong ends with an error.
"""

import asyncio
import socket
import struct

from io_peer import run_peer

SCENARIOS = ["echo", "half_close", "flow", "reset"]
LIMIT = 10.0
BIG = 8 << 20


class Traced(asyncio.Protocol):
    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.log = []
        self.received = bytearray()
        self.transport = None
        self.lost = asyncio.get_running_loop().create_future()
        self.changed = asyncio.Event()

    def say(self, line):
        self.log.append(line)
        self.changed.set()

    def connection_made(self, transport):
        self.say("connection_made")
        self.transport = transport
        if self.behaviour == "slow_reader":
            transport.pause_reading()
            asyncio.get_running_loop().call_later(0.1, transport.resume_reading)

    def data_received(self, data):
        self.received += data
        if len(self.received) > 64:
            merged = f"{len(self.received)} bytes"
        else:
            merged = repr(bytes(self.received))
        if self.log and self.log[-1].startswith("data "):
            self.log.pop()
        self.say("data " + merged)
        if self.behaviour in ("echo", "echo_then_bye"):
            self.transport.write(data)

    def eof_received(self):
        self.say("eof_received")
        if self.behaviour == "echo_then_bye":
            self.transport.write(b"bye")
            self.transport.close()
            return True
        return False

    def connection_lost(self, exc):
        self.say("connection_lost None" if exc is None else f"connection_lost {exc}")
        if not self.lost.done():
            self.lost.set_result(None)

    def pause_writing(self):
        self.say("pause_writing")

    def resume_writing(self):
        self.say("resume_writing")

    async def until(self, condition):
        while not condition():
            self.changed.clear()
            await self.changed.wait()


SERVER_BEHAVIOUR = {
    "echo": "echo",
    "half_close": "echo_then_bye",
    "flow": "slow_reader",
}


async def serve(name, on_port):
    """Serves one connection; its protocol, or None for the raw reset peer."""
    loop = asyncio.get_running_loop()
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
        return None
    made = []

    def factory():
        protocol = Traced(SERVER_BEHAVIOUR[name])
        made.append(protocol)
        return protocol

    server = await loop.create_server(factory, "127.0.0.1", 0)
    on_port(server.sockets[0].getsockname()[1])
    while not made:
        await asyncio.sleep(0.002)
    await made[0].lost
    server.close()
    return made[0]


async def client(name, port):
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(
        lambda: Traced("record"), "127.0.0.1", port
    )
    transport = protocol.transport
    if name == "echo":
        transport.write(b"hello ")
        transport.writelines([b"wor", b"ld"])
        await protocol.until(lambda: len(protocol.received) == 11)
        transport.close()
    elif name == "half_close":
        transport.write(b"ping")
        transport.write_eof()
    elif name == "reset":
        await protocol.until(lambda: len(protocol.received) == 10)
        transport.write(b"ok")
    elif name == "flow":
        transport.write(bytes(i % 253 for i in range(256)) * (BIG // 256))
        # Polled, as the Rust side polls: the buffer empties with no call
        # to the protocol when resume_writing came with bytes still in it,
        # and `until` would wait for a change that never comes.
        while transport.get_write_buffer_size():
            await asyncio.sleep(0.002)
        transport.close()
    await protocol.lost
    return protocol


run_peer(SCENARIOS, serve, client, lambda protocol: [] if protocol is None else protocol.log, LIMIT)
