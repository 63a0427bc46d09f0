"""The echo server of asyncio's documentation ("TCP echo server using
streams"), serving each client until it is done rather than for one
message: what examples/echo_server.rs mirrors.

    python3 examples/python/echo_server.py --port 8888
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

# The connections being served: each one's writer, and the task serving it.
connections = {}


async def handle_echo(reader, writer):
    host, port = writer.get_extra_info("peername")[:2]
    peer = f"{host}:{port}"
    print(f"{peer} connected", flush=True)
    connections[writer] = asyncio.current_task()
    echoed = 0
    try:
        while data := await reader.read(65536):
            writer.write(data)
            # Waits while the client is slow to read what it is sent.
            await writer.drain()
            echoed += len(data)
        # The client is done (or the server is stopping): every echo is
        # sent before the connection closes.
        writer.close()
        await writer.wait_closed()
    except ConnectionError as error:
        print(f"{peer} lost: {error}", flush=True)
    else:
        print(f"{peer} closed after {echoed} bytes", flush=True)
    finally:
        del connections[writer]


async def main(port):
    server = await asyncio.start_server(handle_echo, "127.0.0.1", port)
    loop = asyncio.get_running_loop()
    stopped = loop.create_future()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(
            signum, lambda s=signum: stopped.done() or stopped.set_result(s)
        )
    host, port = server.sockets[0].getsockname()[:2]
    print(f"listening on {host}:{port}", flush=True)
    signum = await stopped

    server.close()
    for writer in list(connections):
        writer.close()
    if connections:
        await asyncio.wait(list(connections.values()), timeout=GRACE)
    for writer in list(connections):
        writer.transport.abort()
    if connections:
        await asyncio.wait(list(connections.values()))
    await server.wait_closed()
    print(f"stopped by {signal.Signals(signum).name}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8888)
    asyncio.run(main(parser.parse_args().port))
