"""CPython's side of benches/delegation.rs: `g.send(x)` through a chain of
`yield from` of growing depth. CPython forwards through every level, so the
cost grows with depth; past about 1000 levels it raises RecursionError
unless the recursion limit is raised, as here. Prints
`send_through_depth/DEPTH median_ns min_ns max_ns`."""

import sys

from benchlib import measure, repeats


def leaf():
    total = 0
    while True:
        v = yield total
        if v is not None:
            total += v


def level(sub):
    return (yield from sub)


def chain(depth):
    g = leaf()
    for _ in range(depth):
        g = level(g)
    return g


def main(sends=1000):
    sys.setrecursionlimit(10_000)
    for depth in (0, 1, 10, 100, 1000):
        g = chain(depth)
        next(g)
        measure(f"send_through_depth/{depth}", "for i in r: send(i)", sends,
                repeats(50 if depth < 1000 else 20),
                namespace={"send": g.send, "r": range(sends)})


if __name__ == "__main__":
    main()
