"""The asyncio programs of the seed notes (/work/shared/seeds), run by
CPython 3.11 on a virtual clock.

    python3 tests/python/seed_programs.py <program>
    python3 tests/python/seed_programs.py --all

prints the program's transcript: one line per `print` of the original,
stamped with the loop's virtual time ("0.300 Callback: delayed").
`tests/seed_programs.rs` runs the same programs written with `yieldfrom`
and compares the transcripts line by line.

Where a program would run forever (000) it is stopped at a deadline, and
where the notes print wall-clock figures or object reprs, the line is
replaced by the virtual timestamp. Each change is noted at the program.
"""

import asyncio
import sys
from asyncio import CancelledError

from virtual_loop import VirtualLoop, run, say


async def delay(delay_seconds):
    """`utils.delay` of "Python Concurrency with asyncio", which 003 uses."""
    say(f"sleeping for {delay_seconds} second(s)")
    await asyncio.sleep(delay_seconds)
    say(f"finished sleeping for {delay_seconds} second(s)")
    return delay_seconds


# 000: interrupts with asyncio.Event. The notes' main loops forever; here it
# runs as a task beside a deadline of 7.5 s, after which asyncio.run cancels
# everything.
def interrupts():
    async def print_message():
        while True:
            say("Имитация работы функции")
            await asyncio.sleep(1)

    async def interrupt_handler(interrupt_flag):
        while True:
            await interrupt_flag.wait()
            say("Произошло прерывание! В этом месте может быть установлен любой обработчик")
            interrupt_flag.clear()

    async def main():
        interrupt_flag = asyncio.Event()
        asyncio.create_task(print_message())
        asyncio.create_task(interrupt_handler(interrupt_flag))
        while True:
            await asyncio.sleep(3)
            interrupt_flag.set()

    async def deadline():
        asyncio.create_task(main())
        await asyncio.sleep(7.5)
        say("deadline")

    run(deadline())


# 004: two workers printing powers of two. The notes print this output for
# the async/await version (limits 3 and 5); @asyncio.coroutine is gone from
# 3.11, so the generator version (limits 10 and 10) is `two_powers_ten`,
# written with async/await too.
async def print_two_powers(name, limit, frequency=1):
    for i in range(limit):
        say(f"{name} {2 ** i}")
        await asyncio.sleep(frequency)
    else:
        say("Done")


def two_powers_with(limit_1, limit_2):
    async def coroutine_1():
        return await print_two_powers("Worker_1", limit_1, 0.1)

    async def coroutine_2():
        return await print_two_powers("Worker_2", limit_2, 0.5)

    async def main():
        task1 = asyncio.create_task(coroutine_1())
        task2 = asyncio.create_task(coroutine_2())
        await task1
        await task2
        say("main done")

    run(main())


def two_powers():
    two_powers_with(3, 5)


def two_powers_ten():
    two_powers_with(10, 10)


# 002: a long computation that gives up control every 10000 iterations,
# beside a background task. On the virtual clock the computation takes no
# time, so the background task speaks once.
def long_computation():
    async def long_computation():
        result = 0
        for i in range(1000000):
            result += i * i
            if i % 10000 == 0:
                await asyncio.sleep(0)
                say(f"Прогресс: {i / 10000}%")
        return result

    async def background_task():
        while True:
            say("Фоновая задача работает!")
            await asyncio.sleep(0.5)

    async def main():
        bg = asyncio.create_task(background_task())
        result = await long_computation()
        say(f"Результат: {result}")
        bg.cancel()

    run(main())


# 002: run_forever, stopped from a task after 2.0 s, beside a periodic task.
# The notes gather the pending tasks after cancelling them; nothing they do
# then prints, so the shutdown is asyncio.Runner's.
def run_forever_stop():
    async def schedule_stop(loop, delay):
        await asyncio.sleep(delay)
        loop.stop()

    async def periodic_task():
        counter = 0
        while True:
            counter += 1
            say(f"Итерация {counter}")
            await asyncio.sleep(0.3)

    loop = VirtualLoop()
    try:
        loop.create_task(periodic_task())
        loop.create_task(schedule_stop(loop, 2.0))
        loop.run_forever()
        say("Event loop остановлен", loop)
        pending = asyncio.all_tasks(loop)
        say(f"pending {len(pending)}", loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        say(f"cancelled {sum(t.cancelled() for t in pending)}", loop)
    finally:
        loop.close()


# 002: call_soon, call_later and call_at.
def callbacks():
    loop = VirtualLoop()
    results = []

    def my_callback(value):
        results.append(value)
        say(f"Callback: {value}", loop)

    loop.call_soon(my_callback, "first")
    loop.call_soon(my_callback, "second")
    loop.call_later(0.1, my_callback, "delayed")
    loop.call_at(loop.time() + 0.2, my_callback, "at_time")

    async def wait_for_callbacks():
        await asyncio.sleep(0.3)

    try:
        loop.run_until_complete(wait_for_callbacks())
        say(f"Все результаты: {results}", loop)
    finally:
        loop.close()


# 003: get_running_loop and call_soon from a coroutine.
def call_soon_from_main():
    def call_later():
        say("Меня вызовут в близжайшем будущем")

    async def main():
        loop = asyncio.get_running_loop()
        loop.call_soon(call_later)
        await delay(1)

    run(main())


# 003: cancelling a task. The notes indent the `try: await long_task` into
# the while loop, which makes main wait out the whole task on its first
# round and never cancel it; this is the book's original, with the `try`
# after the loop.
def cancel_long_task():
    async def main():
        long_task = asyncio.create_task(delay(10))
        seconds_elapsed = 0
        while not long_task.done():
            say("Задача не закончилась, следующая проверка через секунду")
            await asyncio.sleep(1)
            seconds_elapsed = seconds_elapsed + 1
            if seconds_elapsed == 5:
                long_task.cancel()
        try:
            await long_task
        except CancelledError:
            say("Задача снята")

    run(main())


# 003: three tasks sleeping at once (the notes time them with time.time()).
def three_delays():
    async def main():
        sleep_for_three = asyncio.create_task(delay(3))
        sleep_again = asyncio.create_task(delay(3))
        sleep_one_more = asyncio.create_task(delay(3))
        await sleep_for_three
        await sleep_again
        await sleep_one_more
        say("Время выполнения 3 с")

    run(main())


# 003: code that runs while other tasks sleep.
def hello_every_second():
    async def hello_every_second():
        for _ in range(2):
            await asyncio.sleep(1)
            say("Пока я жду, исполняется другой код")

    async def main():
        first_delay = asyncio.create_task(delay(3))
        second_delay = asyncio.create_task(delay(3))
        await hello_every_second()
        await first_delay
        await second_delay

    run(main())


# 002: asyncio.Runner running two coroutines on one loop (the notes also
# print the loop's repr; that line is left out).
def runner_two_runs():
    async def task1():
        await asyncio.sleep(0.1)
        return "task1"

    async def task2():
        await asyncio.sleep(0.1)
        return "task2"

    with asyncio.Runner(loop_factory=VirtualLoop) as runner:
        result1 = runner.run(task1())
        result2 = runner.run(task2())
        say(f"Результаты: {result1}, {result2}", runner.get_loop())


PROGRAMS = {
    f.__name__: f
    for f in [
        interrupts,
        two_powers,
        two_powers_ten,
        long_computation,
        run_forever_stop,
        callbacks,
        call_soon_from_main,
        cancel_long_task,
        three_delays,
        hello_every_second,
        runner_two_runs,
    ]
}

def main(argv):
    """`<program>` prints its transcript; `--all` prints every program's,
    each after a line `== <program>`, so that one CPython process serves
    a whole test run."""
    if sys.version_info < (3, 11):
        sys.exit(f"CPython 3.11 or later is needed, this is {sys.version.split()[0]}")
    if argv == ["--all"]:
        for name, program in PROGRAMS.items():
            print(f"== {name}", flush=True)
            program()
        return
    if len(argv) != 1 or argv[0] not in PROGRAMS:
        sys.exit(f"usage: seed_programs.py {{--all,{','.join(PROGRAMS)}}}")
    PROGRAMS[argv[0]]()


if __name__ == "__main__":
    main(sys.argv[1:])
