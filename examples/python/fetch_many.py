"""Course notes 004 with real sockets: what examples/fetch_many.rs mirrors.

A client fetches 20 pages that each take half a second to come
(/sleep?s=0.5 of http_hello, served by this same loop on a free port): one
after another (about 10 s), all at once with gather (about 0.5 s), and five
at a time with a Semaphore (about 2 s). Then a wait_for that gives up on a
slow page, and a fetch cancelled half-way that leaves no socket open behind
it. --scale F multiplies every wait by F.
"""

import asyncio
import os
import sys
import time

import http_hello

PAGES = 20


def scale_from_args():
    if "--scale" not in sys.argv:
        return 1.0
    scale = float(sys.argv[sys.argv.index("--scale") + 1])
    if not scale > 0:
        raise ValueError(f"--scale takes a positive number, not {scale!r}")
    return scale


async def fetch(port, path):
    """The body of GET path, on a connection of its own that is closed
    however the fetch ends: with the page, an error, or cancelled."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        writer.write(request.encode())
        await writer.drain()
        response = await reader.read()
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
    head, found, body = response.partition(b"\r\n\r\n")
    if not found:
        raise ValueError("no end to the response's head")
    if not response.startswith(b"HTTP/1.1 200 "):
        raise ValueError(head.decode(errors="replace"))
    return body


async def fetch_limited(semaphore, port, path):
    async with semaphore:
        return await fetch(port, path)


async def until_server_holds(n):
    """Waits (a bounded number of turns) until the server holds n
    connections."""
    for _ in range(500):
        if http_hello.open_connections == n:
            return
        await asyncio.sleep(0.01)
    raise ValueError(f"the server never held {n} connections")


def open_descriptors():
    return len(os.listdir("/proc/self/fd"))


async def main(scale):
    server = await asyncio.start_server(http_hello.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    page = f"/sleep?s={0.5 * scale:.2f}"

    started = time.monotonic()
    for _ in range(PAGES):
        await fetch(port, page)
    elapsed = time.monotonic() - started
    print(f"{PAGES} pages of {page}, one after another: {elapsed:.2f} s")

    started = time.monotonic()
    await asyncio.gather(*(fetch(port, page) for _ in range(PAGES)))
    elapsed = time.monotonic() - started
    print(f"{PAGES} pages of {page}, all at once with gather: {elapsed:.2f} s")

    started = time.monotonic()
    semaphore = asyncio.Semaphore(5)
    await asyncio.gather(*(fetch_limited(semaphore, port, page) for _ in range(PAGES)))
    elapsed = time.monotonic() - started
    print(f"{PAGES} pages of {page}, 5 at a time with a Semaphore: {elapsed:.2f} s")

    slow = f"/sleep?s={2.0 * scale:.2f}"
    started = time.monotonic()
    try:
        body = await asyncio.wait_for(fetch(port, slow), 0.5 * scale)
        print(f"wait_for did not time out: {len(body)}")
    except asyncio.TimeoutError:
        elapsed = time.monotonic() - started
        print(f"wait_for gave up on {slow} after {elapsed:.2f} s: TimeoutError")
    await until_server_holds(0)

    descriptors = open_descriptors()
    fetching = asyncio.create_task(fetch(port, slow))
    await until_server_holds(1)
    fetching.cancel()
    try:
        await fetching
        outcome = "finished anyway"
    except asyncio.CancelledError:
        outcome = "CancelledError"
    await until_server_holds(0)
    print(
        f"a fetch of {slow} cancelled ({outcome}): the server holds "
        f"{http_hello.open_connections} connections; "
        f"{descriptors} descriptors open before it, {open_descriptors()} after"
    )
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main(scale_from_args()))
