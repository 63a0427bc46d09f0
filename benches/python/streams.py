"""CPython's side of benches/streams.rs: an echo over asyncio's streams on
the loopback interface. Clients write a message, drain, and read the echo
back with `readexactly`; the server's handler does the same the other way.
One operation is one round trip; each run builds the loop, starts the
server, connects the clients, runs every round trip and closes everything,
as the Rust bench does. Prints `echo_SIZE_CONNECTIONS median_ns min_ns
max_ns`."""

import asyncio

from benchlib import repeats, time_call

ROUNDS = 2_000


async def handler(reader, writer, size):
    while True:
        try:
            message = await reader.readexactly(size)
        except asyncio.IncompleteReadError:
            break
        writer.write(message)
        await writer.drain()
    writer.close()


async def client(port, size, rounds):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    message = b"x" * size
    for _ in range(rounds):
        writer.write(message)
        await writer.drain()
        back = await reader.readexactly(size)
        assert len(back) == size
    writer.close()
    await writer.wait_closed()


async def echo(connections, size):
    server = await asyncio.start_server(
        lambda r, w: handler(r, w, size), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    await asyncio.gather(
        *(client(port, size, ROUNDS // connections) for _ in range(connections)))
    server.close()


def main():
    for size, label in [(64, "64b"), (16 * 1024, "16k")]:
        for connections in [1, 100]:
            time_call(f"echo_{label}_{connections}",
                      lambda: asyncio.run(echo(connections, size)),
                      ROUNDS, repeats(10, 2))


if __name__ == "__main__":
    main()
