"""CPython's side of benches/operations.rs: `next(g)`, `g.throw(Retry())`
caught by the body, `g.close()`, and making a generator (created and
dropped, never started). Prints `NAME median_ns min_ns max_ns` for next,
throw_catch, close and create."""

from benchlib import measure, repeats

OPS = 1000


class Retry(Exception):
    pass


def counter():
    n = 0
    while True:
        yield n
        n += 1


def catcher():
    caught = 0
    while True:
        try:
            yield caught
        except Retry:
            caught += 1


def totaliser():
    total = 0
    while True:
        v = yield total
        if v is not None:
            total += v


def started(make, count):
    gens = [make() for _ in range(count)]
    for g in gens:
        next(g)
    return gens


def main():
    g = counter()
    measure("next", "for _ in r: next(g)", OPS, repeats(200),
            namespace={"g": g, "r": range(OPS)})

    g = catcher()
    next(g)
    # A fresh exception per throw, as the Rust side makes a fresh error:
    # rethrowing one instance would grow its traceback on every throw.
    measure("throw_catch", "for _ in r: throw(Retry())", OPS, repeats(200),
            namespace={"throw": g.throw, "Retry": Retry, "r": range(OPS)})

    # Each repeat closes OPS generators started beforehand, untimed; they
    # are freed after the timing, as the Rust side drops them.
    measure("close", "for g in gens: g.close()", OPS, repeats(200),
            setup="gens = started(totaliser, ops)",
            namespace={"started": started, "totaliser": totaliser, "ops": OPS})

    measure("create", "for _ in r: totaliser()", OPS, repeats(200),
            namespace={"totaliser": totaliser, "r": range(OPS)})


if __name__ == "__main__":
    main()
