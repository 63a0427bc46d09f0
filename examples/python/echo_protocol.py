"""The echo server of asyncio's documentation ("TCP Echo Server" with
protocols), serving each client until it is done rather than for one
message: what examples/echo_protocol.rs mirrors.

    python3 examples/python/echo_protocol.py --port 8888
    nc 127.0.0.1 8888

It prints `listening on 127.0.0.1:PORT` first (`--port 0` picks a free
port), a line when a client comes and when it goes, and on SIGINT (Ctrl+C)
or SIGTERM closes the server and every connection, says so and ends with
status 0.
"""
import argparse
import asyncio
import signal

# How long the connections have to send what they still owe their
# clients once the server stops; a client that reads nothing is cut off.
GRACE = 2.0


class EchoServerProtocol(asyncio.Protocol):
    def __init__(self, connections):
        # Every open connection's transport, and a future done when it is
        # lost: the server's own, shared by its protocols.
        self.connections = connections

    def connection_made(self, transport):
        host, port = transport.get_extra_info("peername")[:2]
        self.peer = f"{host}:{port}"
        print(f"{self.peer} connected", flush=True)
        self.transport = transport
        self.echoed = 0
        lost = asyncio.get_running_loop().create_future()
        self.connections[transport] = lost

    def data_received(self, data):
        self.transport.write(data)
        self.echoed += len(data)

    def eof_received(self):
        # The client is done: a false value closes the transport once
        # every echo is sent.
        return False

    # A client slow to read its echoes: stop reading from it until it
    # catches up, rather than buffer without bound.
    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()

    def connection_lost(self, exc):
        if exc is None:
            print(f"{self.peer} closed after {self.echoed} bytes", flush=True)
        else:
            print(f"{self.peer} lost: {exc}", flush=True)
        self.connections.pop(self.transport).set_result(None)


async def main(port):
    loop = asyncio.get_running_loop()
    connections = {}
    server = await loop.create_server(
        lambda: EchoServerProtocol(connections), "127.0.0.1", port
    )
    stopped = loop.create_future()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(
            signum, lambda s=signum: stopped.done() or stopped.set_result(s)
        )
    host, port = server.sockets[0].getsockname()[:2]
    print(f"listening on {host}:{port}", flush=True)
    signum = await stopped

    server.close()
    for transport in list(connections):
        transport.close()
    if connections:
        await asyncio.wait(list(connections.values()), timeout=GRACE)
    for transport in list(connections):
        transport.abort()
    if connections:
        await asyncio.wait(list(connections.values()))
    await server.wait_closed()
    print(f"stopped by {signal.Signals(signum).name}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8888)
    asyncio.run(main(parser.parse_args().port))
