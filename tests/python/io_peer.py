"""The command line shared by the I/O peer scripts (io_protocols.py,
io_streams.py): run one scenario as a server, as a client, or every
scenario with both sides in one process, printing each side's log."""

import asyncio
import sys


def run_peer(scenarios, serve, client, logs, limit):
    """`serve(name, on_port)` and `client(name, port)` run one side and
    return what `logs` turns into that side's lines."""

    def show(role, side):
        for line in logs(side):
            print(f"{role}: {line}", flush=True)

    async def both(name):
        port = asyncio.get_running_loop().create_future()
        serving = asyncio.create_task(serve(name, port.set_result))
        client_side = await client(name, await port)
        server_side = await serving
        show("server", server_side)
        show("client", client_side)

    if sys.argv[1] == "--all":
        for name in scenarios:
            print(f"== {name}", flush=True)
            asyncio.run(asyncio.wait_for(both(name), limit))
    elif sys.argv[1] == "server":
        name = sys.argv[2]
        on_port = lambda port: print(f"port {port}", flush=True)
        show("server", asyncio.run(asyncio.wait_for(serve(name, on_port), limit)))
    elif sys.argv[1] == "client":
        name, port = sys.argv[2], int(sys.argv[3])
        show("client", asyncio.run(asyncio.wait_for(client(name, port), limit)))
