"""`asyncio.Lock`, `Semaphore`, `BoundedSemaphore` and `Condition` under
CPython 3.11 on a virtual clock: the expected transcripts of
`tests/toolkit_locks.rs`."""

import asyncio

from transcripts import describe, flag, main, program
from virtual_loop import run, say


async def hold(name, lock, seconds):
    """Waits for `lock` (a Lock or Semaphore), holds it `seconds`."""
    say(f"{name} waits")
    try:
        await lock.acquire()
    except asyncio.CancelledError as e:
        say(f"{name} {describe(e)} while waiting")
        raise
    say(f"{name} holds")
    try:
        await asyncio.sleep(seconds)
    finally:
        lock.release()
        say(f"{name} releases")


# Lock


@program
def lock_wakes_waiters_first_in_first_out():
    async def main():
        lock = asyncio.Lock()
        workers = [asyncio.create_task(hold(f"w{i}", lock, 1)) for i in range(1, 5)]
        await asyncio.gather(*workers)
        say(f"locked {flag(lock.locked())}")

    run(main())


@program
def lock_waiter_cancelled_before_its_turn():
    async def main():
        lock = asyncio.Lock()
        await lock.acquire()
        w = [asyncio.create_task(hold(f"w{i}", lock, 1)) for i in range(1, 4)]
        await asyncio.sleep(0.5)
        w[1].cancel()
        await asyncio.sleep(0.5)
        lock.release()
        say("main releases")
        await asyncio.gather(*w, return_exceptions=True)
        say(f"locked {flag(lock.locked())}")
        await lock.acquire()
        say("main acquires at once")

    run(main())


@program
def lock_waiter_cancelled_after_being_woken():
    async def main():
        lock = asyncio.Lock()
        await lock.acquire()
        w = [asyncio.create_task(hold(f"w{i}", lock, 1)) for i in range(1, 4)]
        await asyncio.sleep(1)
        lock.release()
        w[0].cancel()
        say("main releases and cancels w1")
        await asyncio.gather(*w, return_exceptions=True)
        say(f"locked {flag(lock.locked())}")

    run(main())


@program
def lock_is_not_taken_by_a_newcomer_before_the_woken_waiter():
    async def main():
        lock = asyncio.Lock()
        await lock.acquire()
        w1 = asyncio.create_task(hold("w1", lock, 1))
        await asyncio.sleep(1)
        lock.release()
        say("main releases and asks again")
        await lock.acquire()
        say("main holds again")
        lock.release()
        await w1

    run(main())


# Semaphore and BoundedSemaphore


@program
def semaphore_wakes_waiters_first_in_first_out():
    async def main():
        sem = asyncio.Semaphore(2)
        workers = [asyncio.create_task(hold(f"w{i}", sem, 1)) for i in range(1, 6)]
        await asyncio.sleep(0)
        say(f"value {sem._value} locked {flag(sem.locked())}")
        await asyncio.gather(*workers)
        say(f"value {sem._value} locked {flag(sem.locked())}")

    run(main())


@program
def semaphore_permit_released_before_the_woken_waiter_runs():
    async def main():
        sem = asyncio.Semaphore(0)
        w1 = asyncio.create_task(hold("w1", sem, 1))
        await asyncio.sleep(0)
        w2 = asyncio.create_task(hold("w2", sem, 1))
        sem.release()
        sem.release()
        say(f"main releases twice, value {sem._value}")
        await asyncio.gather(w1, w2)
        say(f"value {sem._value} locked {flag(sem.locked())}")

    run(main())


@program
def semaphore_waiters_cancelled_before_and_after_being_woken():
    async def main():
        sem = asyncio.BoundedSemaphore(1)
        await sem.acquire()
        w = [asyncio.create_task(hold(f"w{i}", sem, 1)) for i in range(1, 5)]
        await asyncio.sleep(0.5)
        w[0].cancel()
        await asyncio.sleep(0.5)
        sem.release()
        w[1].cancel()
        say(f"main releases and cancels w2, value {sem._value}")
        await asyncio.gather(*w, return_exceptions=True)
        say(f"value {sem._value} locked {flag(sem.locked())}")

    run(main())


@program
def semaphore_under_churn():
    # Twelve workers on three permits, some cancelled while they wait, one
    # as it is woken, one while it holds: the wake order and the final
    # count of permits.
    async def main():
        sem = asyncio.Semaphore(3)
        workers = [
            asyncio.create_task(hold(f"w{i}", sem, (i % 3 + 1) * 0.25))
            for i in range(12)
        ]
        loop = asyncio.get_running_loop()
        loop.call_later(0.1, workers[5].cancel)
        loop.call_later(0.3, workers[8].cancel)
        loop.call_later(0.5, workers[1].cancel)
        loop.call_later(0.75, workers[7].cancel)
        await asyncio.gather(*workers, return_exceptions=True)
        say(f"value {sem._value} locked {flag(sem.locked())}")

    run(main())


# Condition


async def cond_waiter(name, cond, hold_for=0.25):
    async with cond:
        say(f"{name} waits")
        try:
            await cond.wait()
        except asyncio.CancelledError as e:
            say(f"{name} {describe(e)}, holding the lock {flag(cond.locked())}")
            raise
        say(f"{name} woke, holding the lock {flag(cond.locked())}")
        await asyncio.sleep(hold_for)


@program
def condition_notifies_first_in_first_out():
    async def main():
        cond = asyncio.Condition()
        w = [asyncio.create_task(cond_waiter(f"w{i}", cond)) for i in range(1, 5)]
        await asyncio.sleep(1)
        async with cond:
            cond.notify(2)
            say("main notifies 2")
        await asyncio.sleep(1)
        async with cond:
            cond.notify_all()
            say("main notifies all")
        await asyncio.gather(*w)

    run(main())


@program
def condition_wait_for_a_predicate():
    async def main():
        cond = asyncio.Condition()
        counter = 0

        async def consumer():
            async with cond:
                await cond.wait_for(lambda: counter >= 3)
                say(f"consumer sees {counter}")

        c = asyncio.create_task(consumer())
        for _ in range(4):
            await asyncio.sleep(1)
            async with cond:
                counter += 1
                cond.notify_all()
        await c

    run(main())


@program
def condition_waiter_cancelled_before_notify():
    async def main():
        cond = asyncio.Condition()
        w = [asyncio.create_task(cond_waiter(f"w{i}", cond)) for i in range(1, 4)]
        await asyncio.sleep(0.5)
        w[1].cancel()
        for t in (1, 2):
            await asyncio.sleep(0.5 if t == 1 else 1)
            async with cond:
                cond.notify(1)
                say("main notifies 1")
        await asyncio.gather(*w, return_exceptions=True)
        say(f"locked {flag(cond.locked())}")

    run(main())


@program
def condition_waiter_cancelled_after_notify():
    # CPython 3.11: the notified waiter that is cancelled takes the
    # notification with it; the next waiter keeps waiting for another.
    async def main():
        cond = asyncio.Condition()
        w = [asyncio.create_task(cond_waiter(f"w{i}", cond)) for i in range(1, 3)]
        await asyncio.sleep(1)
        async with cond:
            cond.notify(1)
            w[0].cancel()
            say("main notifies 1 and cancels w1")
        await asyncio.sleep(1)
        async with cond:
            say(f"w2 done {flag(w[1].done())}")
            cond.notify(1)
            say("main notifies 1")
        await asyncio.gather(*w, return_exceptions=True)

    run(main())


@program
def condition_waiter_cancelled_while_taking_the_lock_back():
    async def main():
        cond = asyncio.Condition()
        w1 = asyncio.create_task(cond_waiter("w1", cond))
        await asyncio.sleep(0.25)
        async with cond:
            cond.notify()
            say("main notifies and keeps the lock")
            await asyncio.sleep(0.5)
            w1.cancel()
            say("main cancels w1")
            await asyncio.sleep(0.5)
            say("main releases")
        try:
            await w1
        except asyncio.CancelledError:
            say(f"w1 cancelled {flag(w1.cancelled())}, locked {flag(cond.locked())}")

    run(main())


if __name__ == "__main__":
    main()
