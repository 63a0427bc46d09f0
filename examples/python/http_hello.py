"""A small HTTP/1.1 server on asyncio streams: what examples/http_hello.rs
mirrors, byte for byte on the wire.

GET / is a fixed page; GET /sleep?s=0.5 answers after half a second of
asyncio.sleep, while the loop serves everyone else; any other path is 404.
Connections are kept alive as HTTP/1.1 says (unless the client sends
"Connection: close"; an HTTP/1.0 client only when it asks for keep-alive),
and every response has a Content-Length. Bad input gets a status and the
connection closed: a malformed request is 400, a request line or header
line longer than the readers' limit 414 or 431, a body 413, a chunked
body 501.

python3 examples/python/http_hello.py --port 0 picks a free port and prints
"listening on 127.0.0.1:PORT" first. SIGINT or SIGTERM stops it with
status 0: it stops listening, closes the connections waiting for a request,
gives the requests in flight two seconds to be answered (with "Connection:
close"), prints "stopped by SIGTERM" and ends.
"""

import asyncio
import re
import signal
import sys

# The readers' limit: the longest request line or header line.
LIMIT = 8192
# The most header lines a request may have.
MAX_HEADERS = 100
# The longest /sleep served, so that no client can hold a connection open
# for ever.
MAX_SLEEP = 10.0

PAGE = b"""<!doctype html>
<title>Hello</title>
<h1>Hello from an asyncio event loop</h1>
<p>Try <a href="/sleep?s=0.5">/sleep?s=0.5</a>: it waits without blocking anyone else.</p>
"""

# How long requests in flight have to finish once the server stops.
GRACE = 2.0

# What the server knows of its connections: how many are served, until
# their sockets are closed; the writers of those waiting for their next
# request, closed at once when the server stops; and whether it stops
# (requests in flight finish, and their connections close).
open_connections = 0
idle = set()
stopping = False


def stop_serving():
    """Stops serving: idle connections close now, requests in flight
    finish."""
    global stopping
    stopping = True
    for writer in list(idle):
        writer.close()
    idle.clear()


class Request:
    def __init__(self, method, target, http_11, keep_alive):
        self.method = method
        self.target = target
        self.http_11 = http_11
        self.keep_alive = keep_alive


class Closed:
    """The client closed the connection, between requests or in the middle
    of one."""


class Refused:
    """A request this server refuses: the status to answer before closing."""

    def __init__(self, status):
        self.status = status


class Response:
    def __init__(self, status, content_type, body):
        self.status = status
        self.content_type = content_type
        self.body = body

    @classmethod
    def error(cls, status):
        """A plain-text error whose body is its status line."""
        return cls(status, "text/plain", f"{status}\n".encode())

    def encode(self, connection, head):
        """The bytes on the wire; for HEAD, the body is left out but still
        counted."""
        out = (
            f"HTTP/1.1 {self.status}\r\nContent-Type: {self.content_type}\r\n"
            f"Content-Length: {len(self.body)}\r\n"
        )
        if connection is not None:
            out += f"Connection: {connection}\r\n"
        out = (out + "\r\n").encode()
        return out if head else out + self.body


def text_of(line):
    """A line without its \\r\\n (or bare \\n), if it is text."""
    if not line.endswith(b"\n"):
        return None
    line = line[:-1]
    if line.endswith(b"\r"):
        line = line[:-1]
    try:
        return line.decode()
    except UnicodeDecodeError:
        return None


def parse_request_line(line):
    """METHOD TARGET HTTP/1.x: the method, the target and whether the
    version is 1.1."""
    parts = line.split(" ")
    if len(parts) != 3:
        return None
    method, target, version = parts
    if (
        not method
        or not all(b in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in method.encode())
        or not target.startswith("/")
    ):
        return None
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        return None
    return method, target, version == "HTTP/1.1"


def names(connection, token):
    """Whether a Connection header's comma-separated list names token."""
    return any(t.strip().lower() == token for t in connection.split(","))


def ascii_int(value):
    """Content-Length as Rust parses a usize: ASCII digits, one optional +,
    at most 2**64 - 1."""
    if not re.fullmatch(r"\+?[0-9]+", value) or int(value) >= 2**64:
        return None
    return int(value)


async def read_request(reader):
    """Reads one request: its line, its headers and (thrown away) its body."""
    try:
        line = await reader.readline()
    except ValueError:
        return Refused("414 URI Too Long")
    if not line.endswith(b"\n"):
        return Closed()
    text = text_of(line)
    parsed = parse_request_line(text) if text is not None else None
    if parsed is None:
        return Refused("400 Bad Request")
    method, target, http_11 = parsed
    connection, content_length, chunked = "", 0, False
    for _ in range(MAX_HEADERS + 1):
        try:
            line = await reader.readline()
        except ValueError:
            return Refused("431 Request Header Fields Too Large")
        if not line.endswith(b"\n"):
            return Closed()
        header = text_of(line)
        if header is None:
            return Refused("400 Bad Request")
        if header == "":
            if chunked:
                return Refused("501 Not Implemented")
            if content_length > LIMIT:
                return Refused("413 Content Too Large")
            try:
                await reader.readexactly(content_length)
            except asyncio.IncompleteReadError:
                return Closed()
            if http_11:
                keep_alive = not names(connection, "close")
            else:
                keep_alive = names(connection, "keep-alive") and not names(
                    connection, "close"
                )
            return Request(method, target, http_11, keep_alive)
        name, colon, value = header.partition(":")
        if not colon:
            return Refused("400 Bad Request")
        value = value.strip()
        if name.lower() == "connection":
            connection = value
        elif name.lower() == "content-length":
            length = ascii_int(value)
            if length is None:
                return Refused("400 Bad Request")
            content_length = length
        elif name.lower() == "transfer-encoding":
            chunked = True
    return Refused("431 Request Header Fields Too Large")


def sleep_seconds(query):
    """The s of /sleep?s=..., as written and as seconds (0.5 without one)."""
    written = next(
        (p[2:] for p in query.split("&") if p.startswith("s=")), None
    )
    if written is None:
        return "0.5", 0.5
    # The numbers Rust's f64 parses (Python's float also takes spaces,
    # underscores and more).
    if not re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", written):
        return None
    seconds = float(written)
    return (written, seconds) if 0.0 <= seconds <= MAX_SLEEP else None


async def respond(request):
    """The response to a well-formed request."""
    if request.method not in ("GET", "HEAD"):
        return Response.error("405 Method Not Allowed")
    path, _, query = request.target.partition("?")
    if path == "/":
        return Response("200 OK", "text/html; charset=utf-8", PAGE)
    if path == "/sleep":
        slept = sleep_seconds(query)
        if slept is None:
            return Response.error("400 Bad Request")
        written, seconds = slept
        await asyncio.sleep(seconds)
        return Response("200 OK", "text/plain", f"slept {written} s\n".encode())
    return Response.error("404 Not Found")


async def serve_connection(reader, writer):
    """Serves the requests of one connection until it is to close."""
    while not stopping:
        idle.add(writer)
        try:
            request = await read_request(reader)
        finally:
            idle.discard(writer)
        if isinstance(request, Closed):
            return
        if isinstance(request, Refused):
            writer.write(Response.error(request.status).encode("close", False))
            await writer.drain()
            return
        response = await respond(request)
        keep_alive = request.keep_alive and not stopping
        if not keep_alive:
            connection = "close"
        elif not request.http_11:
            connection = "keep-alive"
        else:
            connection = None
        writer.write(response.encode(connection, request.method == "HEAD"))
        await writer.drain()
        if not keep_alive:
            return


async def handle(reader, writer):
    """start_server's callback: one task per connection."""
    global open_connections
    open_connections += 1
    try:
        await serve_connection(reader, writer)
    except OSError:
        pass  # the client went away
    except asyncio.CancelledError:
        # Cut off as the server stops. Ended quietly: CPython 3.11 would log
        # a cancelled handler as an "Exception in callback".
        pass
    finally:
        writer.close()
        # Counted open until its socket is closed. An error here is the
        # client's going away, already seen (or not) above.
        try:
            await writer.wait_closed()
        except OSError:
            pass
        open_connections -= 1


def port_from_args(default):
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        if arg == "--port":
            return int(args[i + 1])
        if arg.startswith("--port="):
            return int(arg.split("=", 1)[1])
    return default


def stop_signals():
    """Takes SIGINT and SIGTERM now, before the 'listening on' line, so
    that a signal sent on reading it finds the server ready; returns the
    future their first one sets."""
    loop = asyncio.get_running_loop()
    stopped = loop.create_future()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(
            signum, lambda s=signum: stopped.done() or stopped.set_result(s)
        )
    return stopped


async def until_stopped(stopped):
    """Waits for the first of the signals stop_signals took, gives them
    back, and returns its name."""
    signum = await stopped
    loop = asyncio.get_running_loop()
    for s in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(s)
    return signal.Signals(signum).name


async def main(port):
    server = await asyncio.start_server(
        handle, "127.0.0.1", port, limit=LIMIT
    )
    stopped = stop_signals()
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    signal_name = await until_stopped(stopped)
    server.close()
    stop_serving()
    # CPython 3.11's wait_closed does not wait for the connections (3.12's
    # and ours do): the count says when they are done. What is still in
    # flight after the grace is cancelled by asyncio.run as main returns.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GRACE
    while open_connections and loop.time() < deadline:
        await asyncio.sleep(0.01)
    print(f"stopped by {signal_name}")


if __name__ == "__main__":
    asyncio.run(main(port_from_args(8080)))
