"""Clients of an echo server (tests/net_echo_examples.rs), written with
CPython's own asyncio streams and with plain sockets: each connects to
127.0.0.1:PORT, checks what comes back, and prints what it saw. Every
wait is bounded; a client that does not get its echo in time fails.

    python3 echo_clients.py KIND PORT [ARG]
"""
import asyncio
import socket
import struct
import sys
import threading

LIMIT = 10.0


def lines(n, tag=""):
    return [f"line {i}{tag}\n".encode() for i in range(n)]


async def streams(port):
    """asyncio.open_connection: three lines, each read back with
    readline; then write_eof, and the rest is EOF."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for line in lines(3):
        writer.write(line)
        await writer.drain()
        print(f"echo {await reader.readline()!r}")
    writer.write_eof()
    print(f"after write_eof {await reader.read()!r}")
    writer.close()
    await writer.wait_closed()


def plain_socket(port):
    """socket: three lines sent and read back, then a plain close."""
    with socket.create_connection(("127.0.0.1", port), timeout=LIMIT) as s:
        for line in lines(3):
            s.sendall(line)
            echoed = b""
            while not echoed.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                echoed += chunk
            print(f"echo {echoed!r}")


def half_close(port, size):
    """socket: `size` bytes sent while a thread reads the echo, then
    shutdown(SHUT_WR); every byte must come back, then EOF."""
    sent = bytes(i % 251 for i in range(size))
    received = bytearray()
    eof = threading.Event()
    with socket.create_connection(("127.0.0.1", port), timeout=LIMIT) as s:

        def read():
            while chunk := s.recv(65536):
                received.extend(chunk)
            eof.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        s.sendall(sent)
        s.shutdown(socket.SHUT_WR)
        reader.join(LIMIT)
    print(f"sent {len(sent)} bytes, {len(received)} came back")
    print(f"the same bytes: {bytes(received) == sent}, then EOF: {eof.is_set()}")


def reset(port):
    """socket: a line and its echo, then a reset (SO_LINGER 0, close)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=LIMIT)
    s.sendall(b"hello\n")
    print(f"echo {s.recv(4096)!r}")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    print("reset")


async def many(port, n):
    """asyncio.open_connection: `n` clients at once, each sending its own
    ten lines in one write and reading them back, then EOF."""

    async def client(k):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        mine = lines(10, f" of client {k}")
        writer.write(b"".join(mine))
        await writer.drain()
        echoed = [await reader.readline() for _ in mine]
        writer.write_eof()
        rest = await reader.read()
        writer.close()
        await writer.wait_closed()
        return echoed == mine and rest == b""

    results = await asyncio.gather(*(client(k) for k in range(n)))
    print(f"{sum(results)} of {n} clients got their own lines back, then EOF")


def main():
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "streams":
        asyncio.run(asyncio.wait_for(streams(port), LIMIT))
    elif kind == "socket":
        plain_socket(port)
    elif kind == "half_close":
        half_close(port, int(sys.argv[3]))
    elif kind == "reset":
        reset(port)
    elif kind == "many":
        asyncio.run(asyncio.wait_for(many(port, int(sys.argv[3])), LIMIT))
    else:
        sys.exit(f"no such client: {kind}")


if __name__ == "__main__":
    main()
