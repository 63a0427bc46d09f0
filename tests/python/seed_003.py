"""The task programs of seed 003 (create_task, cancel, wait_for with a
timeout, shield), run by CPython 3.11 on a virtual clock: the expected
transcripts of `tests/seed_003.rs`.

The notes' `utils.delay` is the one of "Python Concurrency with asyncio"
(`seed_programs.delay`). Where the notes print an object's type, the line
prints the type's name and whether the task is done. The other programs of
003 (three delays at once, code running while tasks sleep, `call_soon`
from a coroutine, and the cancel example with its `try` moved out of the
loop, as the book has it) are in `seed_programs.py`.
"""

import asyncio
from asyncio import CancelledError

from seed_programs import delay
from transcripts import flag, main, program
from virtual_loop import run, say


@program
def create_task():
    async def main():
        sleep_for_three = asyncio.create_task(delay(3))
        say(f"{type(sleep_for_three).__name__}, done {flag(sleep_for_three.done())}")
        result = await sleep_for_three
        say(str(result))

    run(main())


@program
def awaiting_coroutines_one_after_the_other():
    async def add_one(number):
        return number + 1

    async def hello_world_message():
        await delay(1)
        return "Hello world!"

    async def main():
        message = await hello_world_message()
        one_plus_one = await add_one(1)
        say(str(one_plus_one))
        say(message)

    run(main())


@program
def cancel_as_the_notes_indent_it():
    # The notes put `try: await long_task` inside the while loop: main
    # waits out the whole task on its first round, and never cancels it.
    async def main():
        long_task = asyncio.create_task(delay(10))
        second_elapsed = 0
        while not long_task.done():
            say("Задача не закончилась, следующая проверка через секунду")
            await asyncio.sleep(1)
            second_elapsed = second_elapsed + 1
            if second_elapsed == 5:
                long_task.cancel()
            try:
                await long_task
            except CancelledError:
                say("Задача снята")

    run(main())


@program
def wait_for_with_a_timeout():
    async def main():
        delay_task = asyncio.create_task(delay(2))
        try:
            result = await asyncio.wait_for(delay_task, timeout=1)
            say(str(result))
        except asyncio.exceptions.TimeoutError:
            say("Тайм-аут!")
            say(f"Задача была снята? {delay_task.cancelled()}")

    run(main())


@program
def shield_from_a_timeout():
    async def main():
        task = asyncio.create_task(delay(10))
        try:
            result = await asyncio.wait_for(asyncio.shield(task), 5)
            say(str(result))
        except asyncio.exceptions.TimeoutError:
            say("Задача заняла более 5 с, скоро она закончится")
            result = await task
            say(str(result))

    run(main())


if __name__ == "__main__":
    main()
