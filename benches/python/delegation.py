"""CPython's side of benches/delegation.rs: `g.send(x)` through a chain of
`yield from` of growing depth. CPython forwards through every level, so the
cost grows with depth; past about 1000 levels it raises RecursionError."""

import statistics
import sys
import timeit


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


def main(sends=1000, repeats=50):
    sys.setrecursionlimit(10_000)
    for depth in (0, 1, 10, 100, 1000):
        g = chain(depth)
        next(g)
        send = g.send
        timer = timeit.Timer("for i in r: send(i)", globals={"send": send, "r": range(sends)})
        per_op = [t / sends * 1e9 for t in timer.repeat(repeat=repeats, number=1)]
        print(f"cpython_send_through_depth {depth:>5}  median {statistics.median(per_op):9.1f} ns  "
              f"min {min(per_op):9.1f}  max {max(per_op):9.1f}")


if __name__ == "__main__":
    main()
