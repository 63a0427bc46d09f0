"""`asyncio.Queue` under CPython 3.11 on a virtual clock: the expected
transcripts of `tests/toolkit_queue.rs`."""

import asyncio

from transcripts import describe, flag, main, program
from virtual_loop import run, say


def sizes(q):
    return f"qsize {q.qsize()} empty {flag(q.empty())} full {flag(q.full())}"


async def getter(name, q):
    say(f"{name} waits")
    try:
        item = await q.get()
    except asyncio.CancelledError as e:
        say(f"{name} {describe(e)}")
        raise
    say(f"{name} got {item}")
    return item


async def putter(name, q, item):
    say(f"{name} puts {item}")
    try:
        await q.put(item)
    except asyncio.CancelledError as e:
        say(f"{name} {describe(e)}")
        raise
    say(f"{name} put {item}")


def tasks(*coros):
    return [asyncio.create_task(c) for c in coros]


@program
def first_in_first_out():
    async def main():
        q = asyncio.Queue()
        say(sizes(q))
        for item in "abcde":
            q.put_nowait(item)
        say(sizes(q))
        got = [await q.get() for _ in range(5)]
        say("got " + " ".join(got))
        say(sizes(q))

    run(main())


@program
def a_bounded_put_waits_for_room():
    async def main():
        q = asyncio.Queue(2)

        async def producer():
            for i in range(5):
                await q.put(i)
                say(f"put {i}, {sizes(q)}")

        p = asyncio.create_task(producer())
        for _ in range(5):
            await asyncio.sleep(1)
            say(f"got {await q.get()}")
        await p

    run(main())


@program
def getters_are_served_first_in_first_out():
    async def main():
        q = asyncio.Queue()
        g = tasks(*(getter(f"g{i}", q) for i in range(1, 4)))
        await asyncio.sleep(1)
        for item in "abc":
            q.put_nowait(item)
        say("main puts a b c")
        await asyncio.gather(*g)
        say(sizes(q))

    run(main())


@program
def a_getter_cancelled_before_an_item_arrives():
    async def main():
        q = asyncio.Queue()
        g = tasks(*(getter(f"g{i}", q) for i in range(1, 4)))
        await asyncio.sleep(0.5)
        g[1].cancel()
        await asyncio.sleep(0.5)
        q.put_nowait("a")
        q.put_nowait("b")
        say("main puts a b")
        await asyncio.gather(*g, return_exceptions=True)
        say(sizes(q))

    run(main())


@program
def a_getter_cancelled_after_being_woken():
    async def main():
        q = asyncio.Queue()
        g = tasks(*(getter(f"g{i}", q) for i in range(1, 3)))
        await asyncio.sleep(1)
        q.put_nowait("a")
        g[0].cancel()
        say("main puts a and cancels g1")
        await asyncio.gather(*g, return_exceptions=True)
        say(sizes(q))

    run(main())


@program
def a_putter_cancelled_before_there_is_room():
    async def main():
        q = asyncio.Queue(1)
        q.put_nowait("first")
        p = tasks(*(putter(f"p{i}", q, item) for i, item in zip((1, 2, 3), "xyz")))
        await asyncio.sleep(0.5)
        p[1].cancel()
        got = []
        for _ in range(3):
            await asyncio.sleep(0.5)
            got.append(await q.get())
        await asyncio.gather(*p, return_exceptions=True)
        say("got " + " ".join(got) + ", " + sizes(q))

    run(main())


@program
def a_putter_cancelled_after_being_woken():
    async def main():
        q = asyncio.Queue(1)
        q.put_nowait("first")
        p = tasks(*(putter(f"p{i}", q, item) for i, item in zip((1, 2), "xy")))
        await asyncio.sleep(1)
        say(f"main takes {q.get_nowait()} and cancels p1")
        p[0].cancel()
        await asyncio.gather(*p, return_exceptions=True)
        say(f"{sizes(q)}, next {q.get_nowait()}")

    run(main())


@program
def join_waits_for_every_task_done():
    async def main():
        q = asyncio.Queue()
        await q.join()
        say("join on a fresh queue returns at once")
        for item in "abc":
            q.put_nowait(item)

        async def worker():
            while True:
                item = await q.get()
                await asyncio.sleep(1)
                say(f"worker done with {item}")
                q.task_done()

        w = asyncio.create_task(worker())
        await q.join()
        say(f"joined, {sizes(q)}")
        q.put_nowait("d")
        await q.join()
        say("joined again")
        w.cancel()

    run(main())


async def pause(timers, seconds, yields):
    """Paces a worker: `seconds` on the clock, or `yields` turns given up."""
    if timers:
        await asyncio.sleep(seconds)
    else:
        for _ in range(yields):
            await asyncio.sleep(0)


def many(timers, cancel_at):
    """Eight producers put 125 items each into a queue of ten; eight
    consumers take them, each at its own pace: on the clock (`timers`) or
    by giving up turns. `cancel_at` lists `(when, kind, index)`
    cancellations, `when` a time (timers) or a number of main's turns.
    Prints, per consumer, what it got in order; then what each producer
    managed to put."""

    async def main():
        q = asyncio.Queue(10)
        put = {p: [] for p in range(8)}
        got = {c: [] for c in range(8)}

        async def producer(p):
            for k in range(125):
                item = f"{p}.{k}"
                await q.put(item)
                put[p].append(item)
                if k % 5 == p % 5:
                    await pause(timers, 0.125, 1)

        async def consumer(c):
            n = 0
            while True:
                item = await q.get()
                got[c].append(item)
                n += 1
                await pause(timers, ((c + n) % 4) * 0.125, (c + n) % 4)
                q.task_done()

        producers = [asyncio.create_task(producer(p)) for p in range(8)]
        consumers = [asyncio.create_task(consumer(c)) for c in range(8)]
        workers = {"producer": producers, "consumer": consumers}
        loop = asyncio.get_running_loop()
        turns = 0
        if timers:
            for when, kind, i in cancel_at:
                loop.call_later(when, workers[kind][i].cancel)
            await asyncio.gather(*producers, return_exceptions=True)
        else:
            while not all(p.done() for p in producers):
                await asyncio.sleep(0)
                turns += 1
                for when, kind, i in cancel_at:
                    if when == turns:
                        workers[kind][i].cancel()
        # A consumer cancelled while busy with an item never marks it done:
        # join only when nobody is cancelled.
        if not cancel_at:
            await q.join()
        else:
            while not q.empty():
                await pause(timers, 0.125, 1)
            await pause(timers, 1, 8)
        for c in consumers:
            c.cancel()
        await asyncio.gather(*consumers, return_exceptions=True)
        say(f"main took {turns} turns")
        for c in range(8):
            say(f"c{c} got {len(got[c])}: " + " ".join(got[c]))
        for p in range(8):
            say(f"p{p} put {len(put[p])}")
        say(sizes(q))

    run(main())


@program
def many_producers_and_consumers():
    many(False, [])


@program
def many_producers_and_consumers_with_cancellations():
    many(False, [(30, "consumer", 1), (60, "producer", 3), (90, "consumer", 5),
                 (120, "producer", 6), (150, "consumer", 0)])


@program
def many_producers_and_consumers_on_timers():
    many(True, [])


@program
def many_producers_and_consumers_on_timers_with_cancellations():
    many(True, [(1.0, "consumer", 1), (2.5, "producer", 3), (3.0, "consumer", 5),
                (4.125, "producer", 6), (5.0, "consumer", 0)])


@program
def consumers_cancelled_and_replaced_every_turn():
    # Four producers put 250 items each into a queue of four; every turn
    # main cancels one of four consumers -- whatever it is doing, often
    # just after it was woken for an item -- and starts a fresh one.
    async def main():
        q = asyncio.Queue(4)
        got = []
        cancelled_while = {"waiting": 0, "busy": 0}

        async def producer(p):
            for k in range(250):
                await q.put(f"{p}.{k}")
                if k % 3 == p % 3:
                    await asyncio.sleep(0)

        async def consumer(c):
            while True:
                try:
                    item = await q.get()
                except asyncio.CancelledError:
                    cancelled_while["waiting"] += 1
                    raise
                got.append(item)
                try:
                    for _ in range(c % 3):
                        await asyncio.sleep(0)
                except asyncio.CancelledError:
                    cancelled_while["busy"] += 1
                    raise

        producers = [asyncio.create_task(producer(p)) for p in range(4)]
        consumers = [asyncio.create_task(consumer(c)) for c in range(4)]
        turns = 0
        while not (all(p.done() for p in producers) and q.empty()):
            await asyncio.sleep(0)
            turns += 1
            slot = turns % 4
            consumers[slot].cancel()
            consumers[slot] = asyncio.create_task(consumer(turns))
        for c in consumers:
            c.cancel()
        await asyncio.gather(*consumers, return_exceptions=True)
        say(f"main took {turns} turns, got {len(got)} items, {len(set(got))} distinct")
        say(f"cancelled while waiting {cancelled_while['waiting']}, busy {cancelled_while['busy']}")
        say("got " + " ".join(got))
        say(sizes(q))

    run(main())


if __name__ == "__main__":
    main()
