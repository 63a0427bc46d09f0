"""CPython's side of benches/send.rs: `g.send(x)` on a suspended generator
that totals what it is sent. Prints nanoseconds per send (median, min, max
over repeats)."""

import statistics
import timeit


def totaliser():
    total = 0
    while True:
        v = yield total
        if v is not None:
            total += v


def main(sends=1000, repeats=200):
    g = totaliser()
    next(g)
    send = g.send
    timer = timeit.Timer("for i in r: send(i)", globals={"send": send, "r": range(sends)})
    per_op = [t / sends * 1e9 for t in timer.repeat(repeat=repeats, number=1)]
    print(f"cpython_send  median {statistics.median(per_op):.1f} ns  "
          f"min {min(per_op):.1f}  max {max(per_op):.1f}")


if __name__ == "__main__":
    main()
