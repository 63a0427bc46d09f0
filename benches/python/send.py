"""CPython's side of benches/send.rs: `g.send(x)` on a suspended generator
that totals what it is sent. Prints `send median_ns min_ns max_ns`."""

from benchlib import measure, repeats


def totaliser():
    total = 0
    while True:
        v = yield total
        if v is not None:
            total += v


def main(sends=1000):
    g = totaliser()
    next(g)
    measure("send", "for i in r: send(i)", sends, repeats(200),
            namespace={"send": g.send, "r": range(sends)})


if __name__ == "__main__":
    main()
