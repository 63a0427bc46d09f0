"""CPython's side of benches/streams.rs: an echo on the loopback interface,
with asyncio's streams and with a protocol, on asyncio's own loop and on
uvloop's (when uvloop can be imported; a `#` note says so when it cannot).

Streams: clients write a message, drain, and read the echo back with
`readexactly`; the server's handler does the same the other way. Protocol:
the server writes back what `data_received` gets; a client sends its next
message once the whole echo is back. Clients connect 100 at a time, each
connection making a first round trip before the next batch starts (so the
server has accepted the last batch, and its listen queue, of BACKLOG as
everywhere, never overflows), then all run their round trips at once.

One operation is one round trip; a run is `round_trips(N)` of them over N
connections, connections included. Up to 100 connections a run also
builds the loop and the server; at 10,000 connections the server runs in a
child process (this script with `--serve`), started before the timing:
the descriptors of both ends would not fit under one process's limit.

Prints `echo_SIZE_CONNECTIONS_CONTENDER median_ns min_ns max_ns`, the
contenders being asyncio_streams, asyncio_protocol, uvloop_streams and
uvloop_protocol."""

import asyncio
import resource
import subprocess
import sys
import timeit

from benchlib import QUICK, report

HOST = "127.0.0.1"
CONNECT_BATCH = 100
BACKLOG = 100
ONE_PROCESS_MAX = 1000
GUARD = 120.0
SIZES = [(64, "64b"), (16 * 1024, "16k")]
CONNECTIONS = [1, 100, 10_000]

try:
    import uvloop
except ImportError:
    uvloop = None


def round_trips(connections):
    return max(2_000, connections)


def raise_descriptor_limit():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- streams ---------------------------------------------------------------

async def streams_handler(reader, writer, size, tally):
    if tally:
        tally.connected()
    while True:
        try:
            message = await reader.readexactly(size)
        except asyncio.IncompleteReadError:
            break
        writer.write(message)
        await writer.drain()
    writer.close()
    if tally:
        tally.closed()


async def streams_server(size, tally=None):
    return await asyncio.start_server(
        lambda r, w: streams_handler(r, w, size, tally), HOST, 0, backlog=BACKLOG)


async def connect_all(connections, connect):
    made = []
    while len(made) < connections:
        batch = min(CONNECT_BATCH, connections - len(made))
        made += await asyncio.gather(*(connect() for _ in range(batch)))
    return made


async def streams_round_trip(reader, writer, message):
    writer.write(message)
    await writer.drain()
    back = await reader.readexactly(len(message))
    assert len(back) == len(message)


async def streams_connect(port, size):
    """Opens a connection and makes a first round trip over it: once it
    returns, the server has accepted the connection."""
    reader, writer = await asyncio.open_connection(HOST, port)
    await streams_round_trip(reader, writer, b"x" * size)
    return reader, writer


async def streams_clients(port, connections, size):
    streams = await connect_all(connections, lambda: streams_connect(port, size))
    per_connection = round_trips(connections) // connections

    async def client(reader, writer):
        message = b"x" * size
        for _ in range(per_connection):
            await streams_round_trip(reader, writer, message)
        writer.close()
        await writer.wait_closed()

    await asyncio.gather(*(client(r, w) for r, w in streams))


# --- a protocol ------------------------------------------------------------

class EchoServer(asyncio.Protocol):
    def __init__(self, tally):
        self.tally = tally
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        if self.tally:
            self.tally.connected()

    def data_received(self, data):
        self.transport.write(data)

    def connection_lost(self, exc):
        self.transport = None
        if self.tally:
            self.tally.closed()


class EchoClient(asyncio.Protocol):
    """Sends a message, waits for all of its echo, `rounds` times, then
    closes; before, a first round trip (`greet`) that `greeted` waits for."""

    def __init__(self, message, rounds):
        self.message = message
        self.rounds_left = rounds
        self.received = 0
        self.transport = None
        loop = asyncio.get_running_loop()
        self.greeted = loop.create_future()
        self.lost = loop.create_future()

    def connection_made(self, transport):
        self.transport = transport

    def greet(self):
        self.transport.write(self.message)

    def start(self):
        if self.rounds_left == 0:
            self.transport.close()
        else:
            self.transport.write(self.message)

    def data_received(self, data):
        self.received += len(data)
        if self.received == len(self.message):
            self.received = 0
            if self.greeted.done():
                self.rounds_left -= 1
                self.start()
            else:
                self.greeted.set_result(None)

    def connection_lost(self, exc):
        self.transport = None
        self.lost.set_result(None)


async def protocol_server(size, tally=None):
    return await asyncio.get_running_loop().create_server(
        lambda: EchoServer(tally), HOST, 0, backlog=BACKLOG)


async def protocol_clients(port, connections, size):
    loop = asyncio.get_running_loop()
    message = b"x" * size
    per_connection = round_trips(connections) // connections

    async def connect():
        _, client = await loop.create_connection(
            lambda: EchoClient(message, per_connection), HOST, port)
        client.greet()
        await client.greeted
        return client

    clients = await connect_all(connections, connect)
    for client in clients:
        client.start()
    await asyncio.gather(*(client.lost for client in clients))


SIDES = {"streams": (streams_server, streams_clients),
         "protocol": (protocol_server, protocol_clients)}


# --- runs ------------------------------------------------------------------

def new_loop(flavour):
    return uvloop.new_event_loop() if flavour == "uvloop" else asyncio.new_event_loop()


def run_guarded(flavour, coroutine):
    with asyncio.Runner(loop_factory=lambda: new_loop(flavour)) as runner:
        return runner.run(asyncio.wait_for(coroutine, GUARD))


async def one_process(kind, connections, size):
    serve, clients = SIDES[kind]
    server = await serve(size)
    await clients(server.sockets[0].getsockname()[1], connections, size)
    server.close()


class Tally:
    """Counts a child server's connections: sets `all_connected` when
    `target` are made and `all_closed` when they are all closed."""

    def __init__(self, target):
        loop = asyncio.get_running_loop()
        self.target = target
        self.made = self.ended = 0
        self.all_connected = loop.create_future()
        self.all_closed = loop.create_future()

    def connected(self):
        self.made += 1
        if self.made == self.target:
            self.all_connected.set_result(None)

    def closed(self):
        self.ended += 1
        if self.ended == self.target:
            self.all_closed.set_result(None)


def rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def child_server(kind, size, connections):
    """The child's side: serve, say the port, say the RSS the connections
    added once they are all made, exit once they are all closed."""
    tally = Tally(connections)
    baseline = rss()
    server = await SIDES[kind][0](size, tally)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    await tally.all_connected
    await asyncio.sleep(0)
    print(f"connected {max(0, rss() - baseline)}", flush=True)
    await tally.all_closed
    server.close()


class ServerChild:
    """This script as a server of `connections` connections, in a child
    process."""

    def __init__(self, flavour, kind, size, connections):
        self.process = subprocess.Popen(
            [sys.executable, "-B", __file__, "--serve", flavour, kind, str(size),
             str(connections)], stdout=subprocess.PIPE, text=True)
        self.port = int(self.read_line().removeprefix("port "))

    def read_line(self):
        return self.process.stdout.readline().strip()

    def finish(self):
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


def time_run(flavour, kind, connections, size):
    """Seconds for one run; the child server, if any, is started before
    the timing and waited for after it."""
    child = (ServerChild(flavour, kind, size, connections)
             if connections > ONE_PROCESS_MAX else None)
    start = timeit.default_timer()
    if child:
        run_guarded(flavour, SIDES[kind][1](child.port, connections, size))
    else:
        run_guarded(flavour, one_process(kind, connections, size))
    elapsed = timeit.default_timer() - start
    if child:
        child.finish()
    return elapsed


def repeats(connections):
    if connections > ONE_PROCESS_MAX:
        return 1
    return 2 if QUICK else 10


def main():
    raise_descriptor_limit()
    if sys.argv[1:2] == ["--serve"]:
        flavour, kind, size, connections = sys.argv[2:6]
        run_guarded(flavour, child_server(kind, int(size), int(connections)))
        return
    flavours = ["asyncio"]
    if uvloop is None:
        print("# uvloop: not installed (pip install uvloop); its rows are skipped", flush=True)
    else:
        flavours.append("uvloop")
    for size, label in SIZES:
        for connections in CONNECTIONS:
            for flavour in flavours:
                for kind in SIDES:
                    ops = round_trips(connections)
                    per_op = [time_run(flavour, kind, connections, size) / ops * 1e9
                              for _ in range(repeats(connections))]
                    report(f"echo_{label}_{connections}_{flavour}_{kind}", per_op)


if __name__ == "__main__":
    main()
