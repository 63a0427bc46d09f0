"""CPython's side of benches/queue.rs: ping-pong between two tasks over two
`asyncio.Queue`s. One operation is one round trip: the asker puts a number
on the request queue with `put_nowait` and awaits the reply queue's `get()`;
the answerer awaits the number and puts it plus one on the reply queue.
Each run builds the loop, the queues and the tasks, as the Rust bench does.
Prints `pingpong median_ns min_ns max_ns`."""

import asyncio

from benchlib import repeats, time_call

ROUNDS = 10_000


async def asker(requests, replies):
    last = 0
    for i in range(ROUNDS):
        requests.put_nowait(i)
        last = await replies.get()
    return last


async def answerer(incoming, outgoing):
    for _ in range(ROUNDS):
        v = await incoming.get()
        outgoing.put_nowait(v + 1)


def pingpong():
    loop = asyncio.new_event_loop()
    try:
        requests, replies = asyncio.Queue(), asyncio.Queue()
        a = loop.create_task(asker(requests, replies))
        b = loop.create_task(answerer(requests, replies))
        assert loop.run_until_complete(a) == ROUNDS
        assert b.done()
    finally:
        loop.close()


def main():
    time_call("pingpong", pingpong, ROUNDS, repeats(20, 2))


if __name__ == "__main__":
    main()
