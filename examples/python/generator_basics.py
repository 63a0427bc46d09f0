"""The Python counterpart of examples/generator_basics.rs; its output is
examples/expected/generator_basics.txt."""

import inspect


def accumulator():
    total = 0
    try:
        while True:
            try:
                value = yield total
            except ValueError as e:
                print(f"caught ValueError('{e}'), total stays {total}")
                continue
            if value is not None:
                total += value
    except GeneratorExit:
        print(f"closing with total {total}")
        raise


g = accumulator()
print(inspect.getgeneratorstate(g))
print(next(g))
print(g.send(10))
print(g.send(5))
print(inspect.getgeneratorstate(g))
print(g.throw(ValueError("negative")))
print(g.send(1))
g.close()
print(inspect.getgeneratorstate(g))
try:
    next(g)
except StopIteration:
    print("StopIteration")
