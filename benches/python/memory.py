"""CPython's side of tests/memory.rs, measured with `tracemalloc`: the bytes
still allocated after making

- `generator`: COUNT generators, each started and suspended at its first
  yield (the totaliser of benches/send.rs);
- `delegation_level`: a `yield from` chain of 1 + COUNT levels, started,
  less a chain of 1 level, per level;
- `task`: COUNT tasks, each parked on its own future (made beforehand) by
  `await future`, after one loop iteration.

Containers that would grow while measuring (the list holding the objects,
the loop's queues, asyncio's task registry) are sized beforehand. Prints
`memory/NAME bytes`."""

import asyncio
import sys
import tracemalloc

COUNT = 1000


def totaliser():
    total = 0
    while True:
        v = yield total
        if v is not None:
            total += v


def level(sub):
    return (yield from sub)


def held_by(build):
    """Bytes allocated by `build()` and still held when it returns; the
    built value is kept alive until then."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = build()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return kept, held


def per_generator():
    gens = [None] * COUNT

    def build():
        for i in range(COUNT):
            g = totaliser()
            next(g)
            gens[i] = g

    _, held = held_by(build)
    return held / COUNT


def chain(depth):
    g = totaliser()
    for _ in range(depth):
        g = level(g)
    next(g)
    return g


def per_level():
    sys.setrecursionlimit(10_000)
    _, shallow = held_by(lambda: chain(1))
    _, deep = held_by(lambda: chain(1 + COUNT))
    return (deep - shallow) / COUNT


async def waiter(future):
    return await future


async def finished():
    return None


def run_one_iteration(loop):
    loop.call_soon(loop.stop)
    loop.run_forever()


def per_task():
    loop = asyncio.new_event_loop()
    try:
        for _ in range(2 * COUNT):
            loop.create_task(finished())
        run_one_iteration(loop)
        futures = [loop.create_future() for _ in range(COUNT)]
        tasks = [None] * COUNT

        def build():
            for i, future in enumerate(futures):
                tasks[i] = loop.create_task(waiter(future))
            run_one_iteration(loop)

        _, held = held_by(build)
        assert not any(t.done() for t in tasks)
        for i, future in enumerate(futures):
            future.set_result(i)
        run_one_iteration(loop)
        assert all(t.done() for t in tasks)
    finally:
        loop.close()
    return held / COUNT


def main():
    print(f"memory/generator {per_generator():.0f}")
    print(f"memory/delegation_level {per_level():.0f}")
    print(f"memory/task {per_task():.0f}")


if __name__ == "__main__":
    main()
