"""`asyncio.shield` under CPython 3.11 on a virtual clock: the expected
transcripts of `tests/toolkit_shield.rs`."""

import asyncio

from transcripts import describe, flag, main, program
from virtual_loop import run, say


async def child(name, delay, result=None, fail=None):
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
def cancelling_the_waiter_leaves_the_inner_task_running():
    async def main():
        inner = asyncio.create_task(child("inner", 2, "I"))

        async def waiter():
            try:
                return await asyncio.shield(inner)
            except asyncio.CancelledError as e:
                say(f"waiter got {describe(e)}")
                raise

        w = asyncio.create_task(waiter())
        await asyncio.sleep(1)
        say(f"cancel returned {flag(w.cancel())}")
        await asyncio.sleep(0)
        say(f"waiter cancelled {flag(w.cancelled())} inner done {flag(inner.done())}")
        say(f"inner gave {await inner}")

    run(main())


@program
def wait_for_a_shielded_task():
    async def main():
        inner = asyncio.create_task(child("inner", 2, "I"))
        try:
            await asyncio.wait_for(asyncio.shield(inner), 1)
        except asyncio.TimeoutError as e:
            say(f"wait_for raised {describe(e)}, inner cancelled {flag(inner.cancelled())}")
        say(f"inner gave {await inner}")

    run(main())


@program
def cancelling_the_shield_itself():
    async def main():
        inner = asyncio.create_task(child("inner", 1, fail="bad"))
        outer = asyncio.shield(inner)
        await asyncio.sleep(0.5)
        say(f"cancel returned {flag(outer.cancel())}")
        try:
            await outer
        except asyncio.CancelledError as e:
            say(f"outer raised {describe(e)}, cancelled {flag(outer.cancelled())}")
        await asyncio.sleep(1)
        say(f"inner done {flag(inner.done())}, cancelled {flag(inner.cancelled())}")

    run(main())


@program
def the_outcome_of_the_inner_task_passes_through():
    async def main():
        ok = asyncio.shield(child("ok", 1, "OK"))
        failing = asyncio.shield(child("failing", 1, fail="bad"))
        inner = asyncio.create_task(child("cancelled", 2, "C"))
        cancelled = asyncio.shield(inner)
        say(f"ok gave {await ok}")
        try:
            await failing
        except ValueError as e:
            say(f"failing raised {describe(e)}")
        inner.cancel()
        try:
            await cancelled
        except asyncio.CancelledError as e:
            say(f"cancelled raised {describe(e)}, outer cancelled {flag(cancelled.cancelled())}")

    run(main())


if __name__ == "__main__":
    main()
