"""CPython's side of benches/tasks.rs: N concurrent tasks, each sleeping
1.0 s to 1.9 s (ten distinct deadlines), made by a main coroutine that then
awaits them in the order it made them. Prints `tasks/N`, ns per task.

The loop is tests/python/virtual_loop.py's `VirtualLoop`: CPython's own
`SelectorEventLoop` whose clock is virtual, so the sleeps take no time, as
on our virtual clock and tokio's paused one, and everything else is
asyncio's code. It is run through `asyncio.Runner`, as `run_with` runs
ours (main task, then cancelling what is left, then closing).

Sizes 1,000, 10,000 and 100,000 only: 1,000,000 would take about a
minute per run here."""

import asyncio
import sys
from pathlib import Path

from benchlib import repeats, time_call

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "tests" / "python"))
from virtual_loop import VirtualLoop  # noqa: E402


async def sleeper(i):
    await asyncio.sleep((10 + i % 10) / 10)
    return i


async def make_and_await(tasks):
    loop = asyncio.get_running_loop()
    sleepers = [loop.create_task(sleeper(i)) for i in range(tasks)]
    total = 0
    for s in sleepers:
        total += await s
    return total


def sleepers(tasks):
    with asyncio.Runner(loop_factory=VirtualLoop) as runner:
        total = runner.run(make_and_await(tasks))
    assert total == tasks * (tasks - 1) // 2


def main():
    for tasks in (1_000, 10_000, 100_000):
        time_call(f"tasks/{tasks}", lambda: sleepers(tasks), tasks,
                  repeats(5 if tasks < 100_000 else 3, 1))


if __name__ == "__main__":
    main()
