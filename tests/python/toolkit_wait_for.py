"""`asyncio.wait_for` under CPython 3.11 on a virtual clock: the expected
transcripts of `tests/toolkit_wait_for.rs`."""

import asyncio

from transcripts import describe, flag, main, program
from virtual_loop import run, say


async def child(name, delay, result=None, cleanup=0, swallow=None):
    """Sleeps `delay` and returns `result`. When cancelled, it says so,
    takes `cleanup` seconds to clean up, then re-raises -- or, with
    `swallow`, returns `swallow` (a string) or raises `ValueError` (an
    exception given as `swallow`)."""
    say(f"{name} starts")
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError as e:
        say(f"{name} {describe(e)}")
        if cleanup:
            await asyncio.sleep(cleanup)
            say(f"{name} cleaned up")
        if isinstance(swallow, Exception):
            raise swallow
        if swallow is not None:
            return swallow
        raise
    say(f"{name} finishes")
    return result


async def report(awaitable, timeout):
    try:
        r = await asyncio.wait_for(awaitable, timeout)
        say(f"wait_for returned {r}")
    except (asyncio.TimeoutError, ValueError) as e:
        say(f"wait_for raised {describe(e)}")
    except asyncio.CancelledError as e:
        say(f"wait_for raised {describe(e)}")
        raise


@program
def in_time():
    async def main():
        await report(child("a", 1, "A"), 2)
        await asyncio.sleep(5)
        say("main done")

    run(main())


@program
def timing_out_cancels_the_task():
    async def main():
        t = asyncio.create_task(child("a", 5, "A"))
        await report(t, 1)
        say(f"task cancelled {flag(t.cancelled())}")

    run(main())


@program
def timing_out_waits_for_the_cleanup():
    async def main():
        await report(child("a", 5, "A", cleanup=0.5), 1)

    run(main())


@program
def a_swallowed_cancellation_gives_the_value():
    async def main():
        await report(child("a", 5, "A", cleanup=0.5, swallow="late"), 1)

    run(main())


@program
def an_error_while_cancelling_is_raised():
    async def main():
        await report(child("a", 5, "A", swallow=ValueError("in cleanup")), 1)

    run(main())


@program
def no_timeout_waits_as_long_as_it_takes():
    async def main():
        await report(child("a", 100, "A"), None)

    run(main())


@program
def zero_timeout():
    async def main():
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        done.set_result("D")
        await report(done, 0)
        # A coroutine is wrapped in a task that is cancelled before it
        # starts: its body never runs.
        await report(child("never", 1, "N"), 0)
        started = asyncio.create_task(child("b", 1, "B"))
        await asyncio.sleep(0)
        await report(started, -1)
        say(f"task cancelled {flag(started.cancelled())}")

    run(main())


@program
def an_error_from_the_awaitable():
    async def main():
        async def failing():
            await asyncio.sleep(1)
            raise ValueError("bad")

        await report(failing(), 2)

    run(main())


@program
def cancelling_the_waiting_task():
    async def main():
        inner = asyncio.create_task(child("inner", 5, "I", cleanup=0.5))

        async def outer():
            await report(inner, 10)
            say("outer after wait_for")

        o = asyncio.create_task(outer())
        await asyncio.sleep(1)
        o.cancel()
        try:
            await o
        except asyncio.CancelledError:
            say(f"outer cancelled {flag(o.cancelled())} inner cancelled {flag(inner.cancelled())}")

    run(main())


@program
def a_cancellation_after_the_awaitable_finished():
    # The canceller's wake-up is a done callback of `inner` added before
    # wait_for's, so the outer task is cancelled in the iteration where
    # inner's callbacks run, before wait_for's own callback releases it:
    # wait_for sees the awaitable done and returns its result, and the
    # cancellation is lost (3.11's behaviour).
    async def main():
        inner = asyncio.create_task(child("inner", 1, "I"))

        async def canceller():
            await inner
            say(f"canceller cancels outer: {flag(o.cancel())}")

        asyncio.create_task(canceller())
        await asyncio.sleep(0)

        async def outer():
            await report(inner, 10)
            say("outer goes on")
            return "outer done"

        o = asyncio.create_task(outer())
        say(f"outer returned {await o}, cancelled {flag(o.cancelled())}")

    run(main())


@program
def finishing_on_the_tick_of_the_timeout():
    # The timeout's timer is armed before the coroutine's task first runs
    # and arms its own sleep for the same instant; the timeout fires first.
    async def main():
        await report(child("coro", 1, "C"), 1)
        # A task that armed its sleep before wait_for armed the timeout
        # finishes first.
        t = asyncio.create_task(child("task", 1, "T"))
        await asyncio.sleep(0)
        await report(t, 1)

    run(main())


if __name__ == "__main__":
    main()
