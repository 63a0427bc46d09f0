"""Clients of examples/http_hello (ours or the Python one), for
tests/net_http_hello.rs: `python3 http_client.py SCENARIO PORT` runs one
scenario with Python's http.client (or a raw socket, for what http.client
will not send) and prints what it saw, one fact a line."""

import http.client
import socket
import sys
import threading
import time

TIMEOUT = 10


def connection(port):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)


def raw(port, data, shut=False):
    """Sends data on a new connection and returns all it gets back until the
    server closes (or, with shut, after half-closing the sending side)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        if shut:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def status_line(response_bytes):
    return response_bytes.split(b"\r\n", 1)[0].decode()


def page(port):
    conn = connection(port)
    conn.request("GET", "/")
    response = conn.getresponse()
    body = response.read()
    print(response.status, response.reason)
    print("Content-Type:", response.getheader("Content-Type"))
    print("Content-Length matches the body:", int(response.getheader("Content-Length")) == len(body))
    print("body:", body.splitlines()[0].decode())


def keep_alive(port):
    """Three requests on one http.client connection: the same local port
    every time means the same connection."""
    conn = connection(port)
    local_ports = set()
    for path in ("/", "/sleep?s=0", "/nope"):
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        local_ports.add(conn.sock.getsockname()[1])
        print(path, response.status, "will close:", response.will_close)
    print("connections used:", len(local_ports))


def connection_close(port):
    conn = connection(port)
    conn.request("GET", "/", headers={"Connection": "close"})
    response = conn.getresponse()
    response.read()
    print(response.status, "Connection:", response.getheader("Connection"))
    print("will close:", response.will_close)


def http_10(port):
    """HTTP/1.0 closes after one response unless keep-alive is asked for;
    asked, two responses come back on one connection and it stays open
    until the client half-closes."""
    closed = raw(port, b"GET / HTTP/1.0\r\n\r\n")
    print("plain:", status_line(closed), "| Connection: close" in closed.decode().replace("\r\n", " | "))
    two = raw(
        port,
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" * 2,
        shut=True,
    )
    print("keep-alive responses:", two.count(b"HTTP/1.1 200 OK"))
    print("keep-alive header:", two.count(b"Connection: keep-alive\r\n"))


def not_found(port):
    conn = connection(port)
    conn.request("GET", "/nowhere")
    response = conn.getresponse()
    print(response.status, response.reason, response.read().decode().strip())


def malformed(port):
    """Each bad request gets its status and the connection closed; the
    server serves the next client."""
    for name, data in [
        ("no version", b"GET /\r\n\r\n"),
        ("bad version", b"GET / HTTP/9.9\r\n\r\n"),
        ("not a header", b"GET / HTTP/1.1\r\nno colon here\r\n\r\n"),
        ("bad length", b"GET / HTTP/1.1\r\nContent-Length: lots\r\n\r\n"),
        ("not utf-8", b"GET /\xff HTTP/1.1\r\n\r\n"),
        ("chunked", b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ("long request line", b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\n\r\n"),
        ("long header", b"GET / HTTP/1.1\r\nX: " + b"a" * 10_000 + b"\r\n\r\n"),
        ("many headers", b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n"),
        ("method", b"DELETE / HTTP/1.1\r\n\r\n"),
    ]:
        print(f"{name}:", status_line(raw(port, data, shut=True)))
    conn = connection(port)
    conn.request("GET", "/")
    print("then:", conn.getresponse().status)


def disconnect(port):
    """Clients that leave in the middle of a request, or reset it; then a
    request is served as usual."""
    for data in [b"GET / HTTP/1.1\r\nHost: x", b"GET / HT", b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"]:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.sendall(data)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET /sleep?s=0.2 HTTP/1.1\r\n\r\n")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn = connection(port)
    conn.request("GET", "/")
    print("then:", conn.getresponse().status)


def parallel_sleep(port):
    """Ten /sleep?s=0.5 at once, each on its own connection, and a request
    for the page sent after them: the page comes back before any sleep
    ends, and the sleeps end together, not one after another (5 s)."""
    events = []
    lock = threading.Lock()

    def fetch(name, path):
        conn = connection(port)
        conn.connect()
        with lock:
            events.append(("sent", name, time.monotonic()))
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        with lock:
            events.append(("done", name, time.monotonic(), response.status))

    sleepers = [threading.Thread(target=fetch, args=(f"sleep{i}", "/sleep?s=0.5")) for i in range(10)]
    for t in sleepers:
        t.start()
    time.sleep(0.1)
    page_fetch = threading.Thread(target=fetch, args=("page", "/"))
    page_fetch.start()
    for t in sleepers + [page_fetch]:
        t.join(TIMEOUT)
    done = [e for e in events if e[0] == "done"]
    print("responses:", len(done), "all 200:", all(e[3] == 200 for e in done))
    first_done = min(done, key=lambda e: e[2])
    print("first done:", first_done[1])
    started = min(e[2] for e in events if e[0] == "sent")
    ended = max(e[2] for e in done)
    print("sleeps overlapped:", ended - started < 2.5)


def wire(port):
    """The exact bytes of a series of exchanges, for comparing two servers."""
    exchanges = [
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
        b"GET /sleep?s=0.01 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /x HTTP/1.1\r\n\r\n",
        b"GET /sleep?s=1e-2&t=1 HTTP/1.1\r\n\r\nGET /sleep?s=-1 HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        b"GET /sleep?s=1_0 HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc",
        b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 9000\r\n\r\n",
        b"get / HTTP/1.1\r\n\r\n",
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n",
    ]
    for data in exchanges:
        print(repr(raw(port, data, shut=True)))


if __name__ == "__main__":
    scenario, port = sys.argv[1], int(sys.argv[2])
    globals()[scenario](port)
