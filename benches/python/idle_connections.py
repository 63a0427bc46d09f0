"""CPython's side of benches/idle_connections.rs: memory per idle
connection. 10,000 stream connections on the loopback interface, each
client a task waiting in `readexactly`, each server connection a handler
task waiting in `readexactly`; the growth of each process's resident set
size (`VmRSS`) from before the first connection to when all are made,
divided by the number of connections. The server runs in a child process
(`streams.py --serve`). Prints `memory/idle_connection_client BYTES` and
`memory/idle_connection_server BYTES`."""

import asyncio

from streams import (CONNECT_BATCH, GUARD, HOST, ServerChild, raise_descriptor_limit,
                     rss)

CONNECTIONS = 10_000


async def idle(reader):
    try:
        await reader.readexactly(64)
    except asyncio.IncompleteReadError:
        pass


async def hold(port):
    baseline = rss()
    writers, readers = [], []
    while len(writers) < CONNECTIONS:
        batch = min(CONNECT_BATCH, CONNECTIONS - len(writers))
        for reader, writer in await asyncio.gather(
                *(asyncio.open_connection(HOST, port) for _ in range(batch))):
            writers.append(writer)
            readers.append(asyncio.create_task(idle(reader)))
    await asyncio.sleep(0)
    client_bytes = max(0, rss() - baseline)
    return client_bytes, writers, readers


async def release(writers, readers):
    for writer in writers:
        writer.close()
    await asyncio.gather(*readers)


def main():
    raise_descriptor_limit()
    server = ServerChild("asyncio", "streams", 64, CONNECTIONS)
    with asyncio.Runner() as runner:
        client_bytes, writers, readers = runner.run(asyncio.wait_for(hold(server.port), GUARD))
        server_bytes = int(server.read_line().removeprefix("connected "))
        runner.run(asyncio.wait_for(release(writers, readers), GUARD))
    server.finish()
    print(f"memory/idle_connection_client {client_bytes // CONNECTIONS}")
    print(f"memory/idle_connection_server {server_bytes // CONNECTIONS}")


if __name__ == "__main__":
    main()
