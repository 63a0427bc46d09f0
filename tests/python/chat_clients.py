"""Clients of the chat server (examples/chat.rs, examples/python/chat.py),
in one asyncio program: `python3 chat_clients.py SCENARIO PORT [ARGS]`.
Each scenario checks what its clients receive, fails with a traceback
when something is wrong, and prints what it saw on success.

crowd N LINES   N clients join, each sends LINES lines and "done"; each
                must receive every other client's lines exactly once and
                in order, none of its own, and a join for each client
                that came after it.
mid-line        a client sends a line and half of another, then leaves;
                then one that resets its connection after half a line:
                the other client gets the whole line, never the half.
long-line       a client sends a line longer than the server's 64 KiB
                limit: it is disconnected, and the other client hears
                why and nothing of the line.
slow ROUNDS KIB a client joins and never reads; two others exchange
                ROUNDS rounds of KIB KiB each way, in 4 KiB lines. They
                finish, hearing that the slow one left "(too slow)"; the
                slow one, reading at last, finds its connection ended.
stalled MIB PID a client joins and reads nothing; another sends MIB MiB
                in 4 KiB lines, which a third reads, then "ready" is
                printed (the test stops the server, process PID, whose
                bound on what waits for a client is lifted): the two
                that read get "* server shutting down" and the end of
                their streams; the stalled one, once the server is
                gone, finds its stream ended without it.
shutdown N      N clients join (one with half a line sent) and print
                "ready"; each then expects "* server shutting down" and
                the end of its stream (the test stops the server).
"""

import asyncio
import os
import re
import socket
import struct
import sys

# Seconds for a whole scenario: less than the test gives the process, so
# that a scenario that hangs says where.
LIMIT = 9.0


class Client:
    def __init__(self, name, others, reader, writer):
        self.name, self.others = name, others
        self.reader, self.writer = reader, writer

    async def line(self):
        line = await self.reader.readline()
        assert line.endswith(b"\n"), f"{self.name}: the stream ended ({line!r})"
        return line[:-1].decode()

    def say(self, text):
        self.writer.write(text.encode() + b"\n")


async def join(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    welcome = (await reader.readline()).decode()
    found = re.fullmatch(r"\* welcome (client-\d+), (\d+) others here\n", welcome)
    assert found, f"not a welcome: {welcome!r}"
    return Client(found[1], int(found[2]), reader, writer)


def number(name):
    return int(name.removeprefix("client-"))


async def crowd(port, n, lines):
    # One after another, so that each knows who came after it.
    clients = [await join(port) for _ in range(n)]
    names = [c.name for c in clients]
    assert len(set(names)) == n, names
    assert [c.others for c in clients] == list(range(n)), "others here"

    async def talk(me):
        for k in range(lines):
            me.say(f"line {k}")
        me.say("done")
        await me.writer.drain()
        got = {name: 0 for name in names if name != me.name}
        joined, done = set(), set()
        while len(done) < n - 1:
            line = await me.line()
            if found := re.fullmatch(r"\* (client-\d+) joined", line):
                joined.add(found[1])
                continue
            sender, text = line.split(": ", 1)
            assert sender != me.name, f"{me.name} got its own line back"
            assert sender not in done, f"{me.name}: {line!r} after done"
            if text == "done":
                assert got[sender] == lines, f"{me.name}: {sender} sent {got[sender]}"
                done.add(sender)
            else:
                want = f"line {got[sender]}"
                assert text == want, f"{me.name}: {text!r} from {sender}, not {want!r}"
                got[sender] += 1
        later = {name for name in names if number(name) > number(me.name)}
        assert joined == later, f"{me.name} heard of {sorted(joined)} joining"
        return n - 1

    heard = await asyncio.gather(*(talk(c) for c in clients))
    for c in clients:
        c.writer.close()
        await c.writer.wait_closed()
    print(f"crowd: {n} clients, each got {lines} lines from each of {heard[0]} others")


async def mid_line(port):
    listener = await join(port)

    async def leaves(sent, end):
        gone = await join(port)
        assert await listener.line() == f"* {gone.name} joined"
        gone.writer.write(sent)
        await gone.writer.drain()
        end(gone)
        heard = [await listener.line()]
        while not heard[-1].endswith(f"* {gone.name} left"):
            heard.append(await listener.line())
        return gone.name, heard

    def close(client):
        client.writer.close()

    def reset(client):
        sock = client.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.writer.transport.abort()

    name, heard = await leaves(b"whole line\nhalf a li", close)
    assert heard == [f"{name}: whole line", f"* {name} left"], heard
    print(f"closed mid-line: {heard}")
    # A reset may reach the server before the whole line does; what comes
    # through comes whole.
    name, heard = await leaves(b"whole line\nhalf a li", reset)
    assert heard[-1:] == [f"* {name} left"], heard
    assert heard[:-1] in ([], [f"{name}: whole line"]), heard
    print(f"reset mid-line: {heard[-1]}")
    listener.writer.close()


async def long_line(port):
    listener, talker = await join(port), await join(port)
    assert await listener.line() == f"* {talker.name} joined"
    talker.say("x" * (100 << 10))
    await talker.writer.drain()
    # What is left of the line when the server closes may make it reset.
    try:
        rest = await talker.reader.read()
    except ConnectionResetError:
        rest = b""
    assert rest == b"", f"the talker got {rest[:60]!r}"
    left = await listener.line()
    assert left == f"* {talker.name} left (line too long)", left[:60]
    listener.writer.close()
    print(f"long line: {left}")


async def slow(port, rounds, kib):
    sluggard = await join(port)
    talkers = [await join(port), await join(port)]
    per_round = kib * 1024 // 4096
    body = "x" * 4000

    async def talk(me, other):
        heard = []
        for r in range(rounds):
            for i in range(per_round):
                me.say(f"{r} {i} {body}")
            await me.writer.drain()
            got = 0
            while got < per_round:
                line = await me.line()
                if line.startswith("* "):
                    heard.append(line)
                    continue
                want = f"{other.name}: {r} {got} {body}"
                assert line == want, f"{me.name}: {line[:40]!r}, not {want[:40]!r}"
                got += 1
        return heard

    heard = await asyncio.gather(
        talk(talkers[0], talkers[1]), talk(talkers[1], talkers[0])
    )
    news = f"* {sluggard.name} left (too slow)"
    assert heard[0] == [f"* {talkers[1].name} joined", news], heard[0]
    assert heard[1] == [news], heard[1]
    received = 0
    try:
        while chunk := await asyncio.wait_for(sluggard.reader.read(1 << 16), 5.0):
            received += len(chunk)
    except ConnectionError:
        pass
    sent = sum(
        len(f"{t.name}: {r} {i} {body}\n")
        for t in talkers
        for r in range(rounds)
        for i in range(per_round)
    )
    assert received < sent, f"the slow client got all {received} bytes"
    for t in talkers:
        t.writer.close()
    print(f"slow: {news}; it read {received >> 10} KiB before its stream ended")


async def hear_goodbye(me):
    lines = []
    while line := await me.reader.readline():
        lines.append(line.decode())
    assert lines and lines[-1] == "* server shutting down\n", (me.name, lines[-3:])
    return lines


async def stalled(port, mib, server_pid):
    sluggard, talker, witness = [await join(port) for _ in range(3)]
    body = "x" * 4000
    count = mib * 1024 * 1024 // 4096
    for i in range(count):
        talker.say(f"{i} {body}")
        await talker.writer.drain()
    for i in range(count):
        line = await witness.line()
        assert line == f"{talker.name}: {i} {body}", line[:40]
    print("ready", flush=True)
    await asyncio.gather(hear_goodbye(talker), hear_goodbye(witness))
    # The stalled client reads only once the server is gone.
    while os.path.exists(f"/proc/{server_pid}"):
        await asyncio.sleep(0.05)
    received = b""
    try:
        while chunk := await asyncio.wait_for(sluggard.reader.read(1 << 16), 5.0):
            received = received[-100:] + chunk
    except ConnectionError:
        pass
    assert not received.endswith(b"* server shutting down\n"), received[-40:]
    print("stalled: the others were told; the stalled client's stream ended without it")


async def shutdown(port, n):
    clients = [await join(port) for _ in range(n)]
    clients[0].writer.write(b"half a li")
    await clients[0].writer.drain()
    print("ready", flush=True)

    heard = await asyncio.gather(*(hear_goodbye(c) for c in clients))
    for lines in heard:
        assert all(re.fullmatch(r"\* client-\d+ joined\n", l) for l in lines[:-1]), lines
    print(f"shutdown: {n} clients told, then their streams ended")


SCENARIOS = {
    "crowd": crowd,
    "mid-line": mid_line,
    "long-line": long_line,
    "slow": slow,
    "stalled": stalled,
    "shutdown": shutdown,
}

if __name__ == "__main__":
    scenario, port, *args = sys.argv[1:]
    main = SCENARIOS[scenario](int(port), *map(int, args))
    asyncio.run(asyncio.wait_for(main, LIMIT))
