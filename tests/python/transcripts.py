"""The command line shared by the toolkit's transcript scripts.

Each `toolkit_*.py` script (and `seed_003.py`) registers its programs with
`@program` and ends with `main()`:

    python3 tests/python/toolkit_queue.py <program>   # one transcript
    python3 tests/python/toolkit_queue.py --all       # every one, each
                                                      # after "== <name>"

A program runs on `virtual_loop.VirtualLoop` and prints with `say`, so its
transcript is CPython's own answer, with exact virtual timestamps. The Rust
suite of the same name prints the same lines and compares.
"""

import sys

PROGRAMS = {}


def program(f):
    """Registers `f` under its name."""
    PROGRAMS[f.__name__] = f
    return f


def describe(e):
    """`ValueError(bad)`, `CancelledError()`: the form both sides print."""
    return f"{type(e).__name__}({e})"


def flag(b):
    """`True`/`False`, as the Rust side spells a bool in a transcript."""
    return "True" if b else "False"


def main():
    if sys.version_info < (3, 11):
        sys.exit(f"CPython 3.11 or later is needed, this is {sys.version.split()[0]}")
    argv = sys.argv[1:]
    if argv == ["--all"]:
        for name, f in PROGRAMS.items():
            print(f"== {name}", flush=True)
            f()
        return
    if len(argv) != 1 or argv[0] not in PROGRAMS:
        sys.exit(f"usage: {sys.argv[0]} {{--all,{','.join(PROGRAMS)}}}")
    PROGRAMS[argv[0]]()
