"""`asyncio.gather` under CPython 3.11 on a virtual clock: the expected
transcripts of `tests/toolkit_gather.rs`."""

import asyncio

from transcripts import describe, flag, main, program
from virtual_loop import run, say


async def child(name, delay, result=None, fail=None):
    """Sleeps `delay`, saying what happens to it, then returns `result` or
    raises `ValueError(fail)`."""
    say(f"{name} starts")
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError as e:
        say(f"{name} {describe(e)}")
        raise
    if fail is not None:
        say(f"{name} raises")
        raise ValueError(fail)
    say(f"{name} finishes")
    return result


@program
def results_in_argument_order():
    async def main():
        results = await asyncio.gather(
            child("a", 2, "A"), child("b", 1, "B"), child("c", 1.5, "C")
        )
        say("results " + " ".join(results))

    run(main())


@program
def first_error_ends_the_gather():
    async def main():
        try:
            await asyncio.gather(
                child("a", 2, "A"), child("b", 1, fail="bad"), child("c", 3, "C")
            )
        except ValueError as e:
            say(f"gather raised {describe(e)}")
        await asyncio.sleep(5)
        say("main done")

    run(main())


@program
def return_exceptions_puts_errors_in_place():
    async def main():
        victim = asyncio.create_task(child("c", 2, "C"))
        asyncio.get_running_loop().call_later(0.25, victim.cancel)
        results = await asyncio.gather(
            child("a", 1, "A"),
            child("b", 0.5, fail="bad"),
            victim,
            return_exceptions=True,
        )
        for r in results:
            say(describe(r) if isinstance(r, BaseException) else f"ok {r}")

    run(main())


@program
def cancelling_the_gather():
    async def main():
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        ready.set_result("R")
        g = asyncio.gather(ready, child("a", 1, "A"), child("b", 2, "B"))
        await asyncio.sleep(0.5)
        say(f"cancel returned {flag(g.cancel())}")
        try:
            await g
        except asyncio.CancelledError as e:
            say(f"gather raised {describe(e)}")
        say(f"cancelled {flag(g.cancelled())} done {flag(g.done())}")
        say(f"cancel again returned {flag(g.cancel())}")

    run(main())


@program
def cancelling_the_gather_with_a_message():
    async def main():
        g = asyncio.gather(child("a", 1, "A"), child("b", 2, "B"))
        await asyncio.sleep(0.5)
        g.cancel("stop")
        try:
            await g
        except asyncio.CancelledError as e:
            say(f"gather raised {describe(e)}")

    run(main())


@program
def cancelling_a_child():
    async def main():
        a = asyncio.create_task(child("a", 1, "A"))
        b = asyncio.create_task(child("b", 2, "B"))
        c = asyncio.create_task(child("c", 3, "C"))
        g = asyncio.gather(a, b, c)
        await asyncio.sleep(0.5)
        b.cancel()
        try:
            await g
        except asyncio.CancelledError as e:
            say(f"gather raised {describe(e)}")
        say(f"gather cancelled {flag(g.cancelled())}")
        await asyncio.sleep(3)
        say(f"a {a.result()} c {c.result()} b cancelled {flag(b.cancelled())}")

    run(main())


@program
def cancelling_the_task_that_awaits_the_gather():
    async def waiter():
        try:
            await asyncio.gather(child("a", 1, "A"), child("b", 2, "B"))
        except asyncio.CancelledError as e:
            say(f"waiter got {describe(e)}")
            raise

    async def main():
        w = asyncio.create_task(waiter())
        await asyncio.sleep(0.5)
        say(f"cancel returned {flag(w.cancel())}")
        try:
            await w
        except asyncio.CancelledError:
            say(f"waiter cancelled {flag(w.cancelled())}")

    run(main())


@program
def the_same_future_twice():
    async def main():
        loop = asyncio.get_running_loop()
        f = loop.create_future()
        loop.call_later(1, f.set_result, "F")
        results = await asyncio.gather(f, f, child("c", 0.5, "C"))
        say("results " + " ".join(results))

    run(main())


@program
def a_child_error_after_the_gather_failed():
    # The gather has failed with b's error; a's later error is retrieved by
    # the gather (no "exception was never retrieved"), c still finishes.
    async def main():
        g = asyncio.gather(
            child("a", 2, fail="late"), child("b", 1, fail="bad"), child("c", 3, "C")
        )
        try:
            await g
        except ValueError as e:
            say(f"gather raised {describe(e)}")
        say(f"cancel after the error returned {flag(g.cancel())}")
        await asyncio.sleep(5)
        say("main done")

    run(main())


@program
def cancelling_a_gather_with_return_exceptions():
    # return_exceptions=True: the children's cancellations are not results;
    # once they are all done, the gather fails with CancelledError.
    async def main():
        g = asyncio.gather(child("a", 1, "A"), child("b", 2, "B"), return_exceptions=True)
        await asyncio.sleep(0.5)
        say(f"cancel returned {flag(g.cancel())}")
        try:
            results = await g
            say(f"gather gave {results}")
        except asyncio.CancelledError as e:
            say(f"gather raised {describe(e)}, cancelled {flag(g.cancelled())}")

    run(main())


@program
def results_of_different_types_come_as_a_tuple():
    async def count(seconds):
        await asyncio.sleep(seconds)
        say("count finishes")
        return 42

    async def main():
        n, name, done = await asyncio.gather(count(2), child("b", 1, "B"), asyncio.sleep(0.5, True))
        say(f"results {n} {name} {flag(done)}")
        try:
            await asyncio.gather(count(1), child("c", 0.5, fail="bad"))
        except ValueError as e:
            say(f"gather raised {describe(e)}")
        await asyncio.sleep(2)
        say("main done")

    run(main())


if __name__ == "__main__":
    main()
