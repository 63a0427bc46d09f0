"""`try: ... finally:` whose cleanup awaits, under CPython 3.11 on a
virtual clock: the expected transcripts of `tests/try_finally.rs`."""

import asyncio

from transcripts import describe, main, program
from virtual_loop import run, say


async def worker(work, fail=None):
    try:
        say("work starts")
        await asyncio.sleep(work)
        if fail is not None:
            raise ValueError(fail)
        say("work ends")
        return "W"
    finally:
        say("cleanup starts")
        await asyncio.sleep(1)
        say("cleanup ends")


@program
def a_cleanup_that_awaits_runs_after_a_body_that_returns():
    async def main():
        say(f"worker gave {await worker(2)}")

    run(main())


@program
def a_cleanup_that_awaits_runs_after_a_body_that_raises():
    async def main():
        try:
            await worker(2, "bad")
        except ValueError as e:
            say(f"worker raised {describe(e)}")

    run(main())


@program
def a_cleanup_that_awaits_runs_when_the_task_is_cancelled():
    async def main():
        task = asyncio.create_task(worker(5))
        await asyncio.sleep(1)
        task.cancel("stop")
        try:
            await task
        except asyncio.CancelledError as e:
            say(f"task ended {describe(e)} cancelled {task.cancelled()}")

    run(main())


@program
def an_error_in_the_cleanup_replaces_the_bodys():
    async def main():
        async def failing():
            try:
                await asyncio.sleep(1)
                raise ValueError("body")
            finally:
                await asyncio.sleep(1)
                raise RuntimeError("cleanup")

        try:
            await failing()
        except RuntimeError as e:
            say(f"caught {describe(e)}")

    run(main())


main()
