"""A line-based chat server on asyncio streams: the program that
examples/chat.rs mirrors, under CPython 3.11.

Every line a client sends goes to every other client, after the sender's
name ("client-3: hello"); the sender does not get its own line back (its
terminal shows it already). The newcomer is welcomed ("* welcome
client-3, 2 others here"), and the others hear of joins and leaves
("* client-3 joined", "* client-3 left"). A line cut short by its client
leaving is dropped: it was never finished (never "sent"). A line longer
than the reader's limit (64 KiB) disconnects its client.

Each client has an outbox and a task of its own that writes it out and
waits for `drain`, so a client that stops reading holds up no one. What
waits for a client (its outbox and its transport's buffer) is bounded:
a line that would take it past MAX_BACKLOG disconnects the client at once,
dropping what it had waiting ("* client-3 left (too slow)"), as an IRC
server drops a client whose send queue is full.

On SIGINT or SIGTERM the server stops accepting, tells every client
"* server shutting down" after what it had waiting, closes the
connections (aborting those still not flushed GRACE seconds later) and
exits with status 0.

    python3 examples/python/chat.py --port 8888    # 0 picks a free port
    nc 127.0.0.1 8888                              # in other terminals
"""

import argparse
import asyncio
import signal

# How many bytes may wait for one client before it is disconnected,
# unless --max-backlog BYTES says otherwise.
MAX_BACKLOG = 1 << 20
# Seconds the connections have to flush their goodbyes at shutdown.
GRACE = 2.0


class Client:
    def __init__(self, name, writer):
        self.name = name
        self.writer = writer
        # The outbox, shared with the client's own task.
        self.lines = []
        self.queued = 0
        self.ready = asyncio.Event()
        self.finished = False
        self.sending = asyncio.create_task(self.send_all())

    def backlog(self):
        """Bytes waiting for this client: its outbox and its transport's
        buffer."""
        return self.queued + self.writer.transport.get_write_buffer_size()

    def send(self, line):
        self.lines.append(line)
        self.queued += len(line)
        self.ready.set()

    def finish(self):
        """Closes the connection once the outbox is written out."""
        self.finished = True
        self.ready.set()

    async def send_all(self):
        """Writes out whatever the outbox holds, in one write, then waits
        for `drain`, so that the transport's buffer stays near its
        high-water mark however slowly the client reads."""
        try:
            while True:
                await self.ready.wait()
                self.ready.clear()
                lines, self.lines, self.queued = self.lines, [], 0
                self.writer.write(b"".join(lines))
                await self.writer.drain()
                if self.finished and not self.lines:
                    break
        except ConnectionError:
            return  # a lost connection is the reading side's news to tell
        self.writer.close()


class Room:
    def __init__(self, max_backlog):
        self.max_backlog = max_backlog
        self.clients = {}
        self.joined = 0
        self.closing = False
        # The connections' handler tasks, waited for at the end: CPython
        # 3.11 logs an error for one that asyncio.run cancels.
        self.handlers = set()

    def join(self, writer):
        self.joined += 1
        client = Client(f"client-{self.joined}", writer)
        peer = "{}:{}".format(*writer.get_extra_info("peername"))
        print(f"{client.name} joined ({peer})", flush=True)
        self.broadcast(f"* {client.name} joined\n".encode())
        others = len(self.clients)
        self.clients[client.name] = client
        client.send(f"* welcome {client.name}, {others} others here\n".encode())
        return client

    def leave(self, client, reason=None):
        if self.clients.pop(client.name, None) is None:
            return
        why = f" ({reason})" if reason else ""
        print(f"{client.name} left{why}", flush=True)
        self.broadcast(f"* {client.name} left{why}\n".encode())

    def broadcast(self, line, sender=None):
        for client in list(self.clients.values()):
            if client is sender or client.name not in self.clients:
                continue
            if client.backlog() + len(line) > self.max_backlog:
                client.sending.cancel()
                client.writer.transport.abort()
                self.leave(client, "too slow")
            else:
                client.send(line)

    async def serve(self, reader, writer):
        if self.closing:
            writer.close()
            return
        client = self.join(writer)
        self.handlers.add(handler := asyncio.current_task())
        reason = None
        try:
            while (line := await reader.readline()).endswith(b"\n"):
                self.broadcast(client.name.encode() + b": " + line, client)
            # The end of the stream: a line it cut short is dropped.
        except ValueError:
            reason = "line too long"
        except ConnectionError:
            pass
        finally:
            self.handlers.discard(handler)
        self.leave(client, reason)
        client.finish()

    def close(self):
        """Says goodbye to everyone; the connections close once their
        outboxes are written out."""
        self.closing = True
        clients = list(self.clients.values())
        self.clients.clear()
        for client in clients:
            client.send(b"* server shutting down\n")
            client.finish()
        return clients


def stop_signals():
    """Takes SIGINT and SIGTERM now, before the `listening on` line, so
    that a signal sent on reading it finds the server ready: a future of
    the first one's name."""
    loop = asyncio.get_running_loop()
    stopped = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(
            sig, lambda sig=sig: stopped.done() or stopped.set_result(sig.name)
        )
    return stopped


async def main(port, max_backlog):
    room = Room(max_backlog)
    server = await asyncio.start_server(room.serve, "127.0.0.1", port)
    stopped = stop_signals()
    host, port = server.sockets[0].getsockname()[:2]
    print(f"listening on {host}:{port}", flush=True)
    stopped_by = await stopped
    server.close()
    clients = room.close()
    closed = asyncio.gather(
        *(c.writer.wait_closed() for c in clients), return_exceptions=True
    )
    try:
        await asyncio.wait_for(closed, GRACE)
    except TimeoutError:
        for client in clients:
            client.writer.transport.abort()
    if room.handlers:
        await asyncio.wait(room.handlers)
    print(f"stopped by {stopped_by}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A line-based chat server.")
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--max-backlog", type=int, default=MAX_BACKLOG)
    args = parser.parse_args()
    asyncio.run(main(args.port, args.max_backlog))
