"""CPython's side of benches/scheduler.rs.

- Task switching: N tasks (10, 100, 1000) each giving up its turn 1000
  times with `await asyncio.sleep(0)`. Prints `switch/N`, ns per switch.
- Timers: N timers (10,000, 100,000, 1,000,000) scheduled with `call_at`
  at the same deadlines as the Rust bench (the same xorshift), fired on a
  virtual clock, then a stop at 2000 s. Prints `timers/N`, ns per timer.

asyncio has no virtual clock; `VirtualLoop` gives it one the way asyncio's
own test loop does: `time()` reads a counter, and the selector, instead of
sleeping for the timeout the loop asks for, adds it to the counter."""

import asyncio
import selectors

from benchlib import repeats, time_call

TURNS = 1000


async def switcher(turns):
    for _ in range(turns):
        await asyncio.sleep(0)


def switching(tasks):
    loop = asyncio.new_event_loop()
    try:
        running = [loop.create_task(switcher(TURNS)) for _ in range(tasks)]
        loop.run_until_complete(asyncio.gather(*running))
    finally:
        loop.close()


class VirtualSelector(selectors.SelectSelector):
    """A selector whose wait moves virtual time on instead of sleeping."""

    def __init__(self):
        super().__init__()
        self.now = 0.0

    def select(self, timeout=None):
        if timeout is None:
            raise RuntimeError("nothing scheduled: the loop would wait forever")
        self.now += timeout
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        self._virtual = VirtualSelector()
        super().__init__(self._virtual)

    def time(self):
        return self._virtual.now


def deadlines(count):
    """`count` deadlines over 1000 s: the xorshift of benches/scheduler.rs."""
    mask = (1 << 64) - 1
    x = 0x2545_F491_4F6C_DD1D
    out = []
    for _ in range(count):
        x ^= (x << 13) & mask
        x ^= x >> 7
        x ^= (x << 17) & mask
        out.append((x % 1_000_000) / 1000.0)
    return out


def timers(when):
    loop = VirtualLoop()
    fired = 0

    def fire():
        nonlocal fired
        fired += 1

    try:
        call_at = loop.call_at
        for w in when:
            call_at(w, fire)
        loop.call_at(2000.0, loop.stop)
        loop.run_forever()
    finally:
        loop.close()
    assert fired == len(when), (fired, len(when))


def main():
    for tasks in (10, 100, 1000):
        time_call(f"switch/{tasks}", lambda: switching(tasks), tasks * TURNS,
                  repeats(5 if tasks < 1000 else 3, 1))
    for count in (10_000, 100_000, 1_000_000):
        when = deadlines(count)
        time_call(f"timers/{count}", lambda: timers(when), count,
                  repeats(5 if count < 1_000_000 else 2, 1))


if __name__ == "__main__":
    main()
