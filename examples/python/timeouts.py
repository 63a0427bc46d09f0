"""`wait_for` with and without `shield`: what examples/timeouts.rs mirrors."""
import asyncio


async def slow_operation():
    await asyncio.sleep(3)
    return "done"


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()

    def say(text):
        print(f"{loop.time() - start:.3f} {text}")

    unshielded = asyncio.create_task(slow_operation(), name="unshielded")
    try:
        await asyncio.wait_for(unshielded, 1)
    except asyncio.TimeoutError:
        say(f"timeout: cancelled = {str(unshielded.cancelled()).lower()}")
    shielded = asyncio.create_task(slow_operation(), name="shielded")
    try:
        await asyncio.wait_for(asyncio.shield(shielded), 1)
    except asyncio.TimeoutError:
        say(f"timeout: cancelled = {str(shielded.cancelled()).lower()}")
    result = await shielded
    say(f"the shielded operation finished: {result}")


asyncio.run(main())
