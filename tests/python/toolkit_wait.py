"""`asyncio.wait` and `asyncio.as_completed` under CPython 3.11 on a
virtual clock: the expected transcripts of `tests/toolkit_wait.rs`.

`wait` gives sets; a transcript lists each set's outcomes sorted."""

import asyncio

from transcripts import describe, main, program
from virtual_loop import run, say


async def child(name, delay, fail=None):
    """Sleeps `delay`, then returns its name or raises ValueError(fail)."""
    await asyncio.sleep(delay)
    if fail is not None:
        say(f"{name} raises")
        raise ValueError(fail)
    say(f"{name} finishes")
    return name


def outcome(f):
    if f.cancelled():
        return "cancelled"
    e = f.exception()
    return describe(e) if e is not None else f.result()


def show(done, pending):
    say(
        "done [" + " ".join(sorted(outcome(f) for f in done)) + "] pending "
        + str(len(pending))
    )


def tasks(*specs):
    return [asyncio.create_task(child(*spec)) for spec in specs]


@program
def all_completed():
    async def main():
        show(*await asyncio.wait(tasks(("a", 1), ("b", 3), ("c", 2))))

    run(main())


@program
def first_completed():
    async def main():
        fs = tasks(("a", 2), ("b", 1), ("c", 1))
        show(*await asyncio.wait(fs, return_when=asyncio.FIRST_COMPLETED))
        await asyncio.sleep(5)
        show(*await asyncio.wait(fs, return_when=asyncio.FIRST_COMPLETED))

    run(main())


@program
def first_exception():
    async def main():
        show(*await asyncio.wait(
            tasks(("a", 1), ("b", 2, "bad"), ("c", 3)),
            return_when=asyncio.FIRST_EXCEPTION,
        ))
        # Without an error it waits for all; a cancelled task is no error.
        fs = tasks(("d", 1), ("e", 2))
        asyncio.get_running_loop().call_later(0.5, fs[0].cancel)
        show(*await asyncio.wait(fs, return_when=asyncio.FIRST_EXCEPTION))

    run(main())


@program
def timeout_cancels_nothing():
    async def main():
        fs = tasks(("a", 1), ("b", 2), ("c", 3))
        show(*await asyncio.wait(fs, timeout=1.5))
        await asyncio.sleep(2)
        say("after: " + " ".join(outcome(f) for f in fs))

    run(main())


@program
def cancelling_the_waiting_task():
    async def main():
        fs = tasks(("a", 1), ("b", 2))

        async def waiter():
            await asyncio.wait(fs)

        w = asyncio.create_task(waiter())
        await asyncio.sleep(0.5)
        w.cancel()
        try:
            await w
        except asyncio.CancelledError:
            say("waiter cancelled")
        await asyncio.sleep(2)
        say("after: " + " ".join(outcome(f) for f in fs))

    run(main())


@program
def as_completed_in_finishing_order():
    async def main():
        fs = [child("a", 3), child("b", 1), child("c", 2, "bad")]
        for next_one in asyncio.as_completed(fs):
            try:
                say(f"next gave {await next_one}")
            except ValueError as e:
                say(f"next raised {describe(e)}")

    run(main())


@program
def as_completed_with_a_timeout():
    async def main():
        fs = tasks(("a", 1), ("b", 2), ("c", 3))
        for next_one in asyncio.as_completed(fs, timeout=1.5):
            try:
                say(f"next gave {await next_one}")
            except asyncio.TimeoutError as e:
                say(f"next raised {describe(e)}")
        await asyncio.sleep(2)
        say("after: " + " ".join(outcome(f) for f in fs))

    run(main())


if __name__ == "__main__":
    main()
