"""CPython's own asyncio event loop, on a virtual clock.

`VirtualLoop` is an ordinary `asyncio.SelectorEventLoop` with two things
changed: `time()` reads a virtual counter that starts at 0, and the
selector, instead of sleeping for `timeout` seconds, adds `timeout` to that
counter and reports no I/O. Everything else -- the ready queue, the timer
heap, `_run_once`, tasks, futures, `asyncio.Runner` -- is CPython's code,
so a program run here does in the same order what it does on the real
clock, with exact timestamps and in no time.

A loop with nothing ready and nothing scheduled would wait forever on the
real clock; here it raises `RuntimeError` instead, as `yieldfrom` does.

`say(text)` prints one transcript line, `"{loop.time():.3f} {text}"`, which
is the format the Rust tests build on their side.
"""

import asyncio
import selectors


class VirtualSelector(selectors.SelectSelector):
    """A selector whose `select` lets virtual time pass instead of waiting."""

    def __init__(self):
        super().__init__()
        self.now = 0.0

    def select(self, timeout=None):
        if timeout is None:
            raise RuntimeError(
                "the event loop has nothing ready and nothing scheduled: "
                "it would wait forever"
            )
        self.now += max(0.0, timeout)
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    """`asyncio.SelectorEventLoop` whose clock is virtual."""

    def __init__(self):
        self._virtual = VirtualSelector()
        super().__init__(self._virtual)

    def time(self):
        return self._virtual.now


def say(text, loop=None):
    """Prints `text` stamped with the loop's virtual time."""
    if loop is None:
        loop = asyncio.get_running_loop()
    print(f"{loop.time():.3f} {text}", flush=True)


def run(main):
    """`asyncio.run(main)` on a fresh `VirtualLoop` (3.11's `asyncio.run`
    has no `loop_factory`; `asyncio.Runner` does)."""
    with asyncio.Runner(loop_factory=VirtualLoop) as runner:
        return runner.run(main)
