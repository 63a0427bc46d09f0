"""What the CPython benches share: timing a statement, and the one line
each figure is printed as, read by benches/compare.py:

    name median_ns min_ns max_ns

nanoseconds per operation over the repeats. `--quick` on any script's
command line takes fewer repeats, for a smoke test."""

import statistics
import sys
import timeit

QUICK = "--quick" in sys.argv[1:]


def repeats(full, quick=2):
    """How many times to repeat a measurement: `full`, or `quick` under
    --quick."""
    return quick if QUICK else full


def report(name, per_op_ns):
    """Prints one machine-readable line for a list of ns-per-op figures."""
    print(f"{name} {statistics.median(per_op_ns):.3f} {min(per_op_ns):.3f} "
          f"{max(per_op_ns):.3f}", flush=True)


def measure(name, stmt, ops, repeat, setup="pass", namespace=None):
    """Runs `stmt` (which performs `ops` operations) `repeat` times, each
    after a fresh `setup` that is not timed, and reports ns per operation."""
    timer = timeit.Timer(stmt, setup=setup, globals=namespace)
    per_op = [t / ops * 1e9 for t in timer.repeat(repeat=repeat, number=1)]
    report(name, per_op)
    return per_op


def time_call(name, run, ops, repeat):
    """Times `run()`, which performs `ops` operations, `repeat` times, and
    reports ns per operation. For benches whose setup belongs to each run
    (an event loop and its tasks), as in the Rust benches."""
    per_op = []
    for _ in range(repeat):
        start = timeit.default_timer()
        run()
        per_op.append((timeit.default_timer() - start) / ops * 1e9)
    report(name, per_op)
    return per_op
