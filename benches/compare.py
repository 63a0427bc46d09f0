#!/usr/bin/env python3
"""Every speed and memory figure of `yieldfrom` beside its references and
beside CPython, in one table.

    python3 benches/compare.py                # 3 rounds, a few minutes
    python3 benches/compare.py --quick        # 1 short round: a smoke test
    python3 benches/compare.py --svg docs/depth.svg --save run.json

Each round runs every divan bench (`cargo bench --bench NAME`, whose
references run in the same process) and its CPython counterpart
(`benches/python/NAME.py`), one after the other, the order swapped from one
round to the next so that a drift in the machine's load falls on both
sides. A figure is ns per operation: the median of the rounds' medians, and
the lowest and highest sample seen. Ratios are ours over the other, from the
medians: below 1 means ours is faster.

Memory is measured once: `tests/memory.rs` (a counting allocator) for ours,
`benches/python/memory.py` (tracemalloc) for CPython; with the streams
bench, also the resident memory per idle connection
(`cargo bench --bench idle_connections`, `benches/python/idle_connections.py`).
The streams bench installs uvloop with pip if it is missing (its rows stay
empty, with a note, if that fails).

Standard library only; cargo's environment (CARGO_TARGET_DIR and the like)
is passed through."""

import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON_DIR = ROOT / "benches" / "python"

# Each divan bench and the CPython script that is its counterpart.
BENCHES = ["send", "operations", "delegation", "scheduler", "queue", "tasks", "streams"]

DEPTHS = [0, 1, 10, 100, 1000]
TASKS = [10, 100, 1000]
TIMERS = [10_000, 100_000, 1_000_000]
# Concurrent sleeping tasks; 1,000,000 only without --quick (ours and
# tokio; CPython stops at 100,000).
SLEEPERS = [1_000, 10_000, 100_000, 1_000_000]
# Concurrent connections of the echo (benches/streams.rs).
ECHO_CONNECTIONS = [1, 100, 10_000]

HAND = "hand-written state machine"
GENAWAITER = "bare genawaiter rc"


def operation_rows():
    """(operation, our key, [(reference, key)], CPython's key) for every
    row of the table. Keys are `bench/divan path` for ours and the
    references, `python:name` for CPython."""
    rows = [
        ("send", "send/3_yieldfrom_rc",
         [(GENAWAITER, "send/2_bare_genawaiter_rc"),
          ("genawaiter rc resumed with `Option`",
           "send/2a_genawaiter_rc_option_resume"),
          ("genawaiter rc, `Option` in, `Result` out (the floor)",
           "send/2b_genawaiter_rc_python_shape"),
          (HAND, "send/1_hand_written_state_machine")], "python:send"),
        ("send, `sync` flavour", "send/4b_yieldfrom_sync",
         [("bare genawaiter sync", "send/4a_bare_genawaiter_sync"),
          ("the `rc` flavour", "send/3_yieldfrom_rc")], "python:send"),
    ]
    for op, label in [("next", "next"), ("throw_catch", "throw and catch"),
                      ("close", "close"), ("create", "create and drop")]:
        rows.append((label, f"operations/{op}/3_yieldfrom_rc",
                     [(GENAWAITER, f"operations/{op}/2_bare_genawaiter_rc"),
                      (HAND, f"operations/{op}/1_hand_written_state_machine")],
                     f"python:{op}"))
    for depth in DEPTHS:
        refs = [("bare genawaiter, forwarding by hand",
                 f"delegation/send_through_depth_bare_genawaiter_forwarding/{depth}")]
        if depth != 1:
            refs.insert(0, ("ours at depth 1", "delegation/send_through_depth/1"))
        rows.append((f"send through `yield from` depth {depth}",
                     f"delegation/send_through_depth/{depth}", refs,
                     f"python:send_through_depth/{depth}"))
    for tasks in TASKS:
        rows.append((f"task switch, {tasks} tasks x 1000 turns",
                     f"scheduler/switch_1_yieldfrom_loop/{tasks}",
                     [("tokio current-thread", f"scheduler/switch_2_tokio_current_thread/{tasks}"),
                      ("futures LocalPool", f"scheduler/switch_3_futures_local_pool/{tasks}")],
                     f"python:switch/{tasks}"))
    for timers in TIMERS:
        rows.append((f"timer, {timers:,} on the virtual clock",
                     f"scheduler/timers_1_yieldfrom_virtual_clock/{timers}",
                     [("bare BinaryHeap", f"scheduler/timers_2_bare_binary_heap/{timers}")],
                     f"python:timers/{timers}"))
    for timers in TIMERS:
        rows.append((f"timer, {timers:,} at ten deadlines (as the sleeping tasks)",
                     f"scheduler/timers_3_yieldfrom_ten_deadlines/{timers}",
                     [("bare BinaryHeap",
                       f"scheduler/timers_4_bare_binary_heap_ten_deadlines/{timers}")],
                     None))
    for timers in TIMERS:
        rows.append((f"timer, {timers:,} set with `call_later`, ten delays (lanes)",
                     f"scheduler/timers_5_yieldfrom_call_later_ten_delays/{timers}",
                     [("the same with `call_at`",
                       f"scheduler/timers_3_yieldfrom_ten_deadlines/{timers}"),
                      ("bare BinaryHeap",
                       f"scheduler/timers_4_bare_binary_heap_ten_deadlines/{timers}")],
                     None))
    for timers in TIMERS:
        rows.append((f"timer, {timers:,} set with `call_later`, spread delays",
                     f"scheduler/timers_6_yieldfrom_call_later_spread_delays/{timers}",
                     [("the same with `call_at`",
                       f"scheduler/timers_1_yieldfrom_virtual_clock/{timers}")],
                     None))
    for label, key in [("Queue ping-pong, one round trip", "queue/pingpong_1_yieldfrom_queue"),
                       ("the same, waiting in place (`get_in`)",
                        "queue/pingpong_1a_yieldfrom_queue_get_in")]:
        rows.append((label, key,
                     [("futures mpsc on tokio current-thread",
                       "queue/pingpong_2_tokio_current_thread_mpsc"),
                      ("futures mpsc on LocalPool", "queue/pingpong_3_futures_local_pool_mpsc")],
                     "python:pingpong"))
    for tasks in SLEEPERS:
        refs = [("tokio `spawn_local`, paused time",
                 f"tasks/sleepers_2_tokio_spawn_local_paused_time/{tasks}")]
        if tasks != 1_000:
            refs.insert(0, ("ours at 1,000 tasks", "tasks/sleepers_1_yieldfrom_virtual_clock/1000"))
        rows.append((f"task made, asleep, awaited; {tasks:,} concurrent",
                     f"tasks/sleepers_1_yieldfrom_virtual_clock/{tasks}", refs,
                     f"python:tasks/{tasks}"))
    for size in ["64b", "16k"]:
        size_label = size.replace("b", " B").replace("k", " KiB")
        for connections in ECHO_CONNECTIONS:
            for kind in ["streams", "protocol"]:
                rows.append((f"echo round trip with {kind}, {size_label}, {connections:,} "
                             f"connection{'s' if connections > 1 else ''}",
                             f"streams/echo_{size}_yieldfrom_{kind}/{connections}",
                             [(f"uvloop, {kind}", f"python:echo_{size}_{connections}_uvloop_{kind}"),
                              ("tokio current-thread",
                               f"streams/echo_{size}_tokio_current_thread/{connections}")],
                             f"python:echo_{size}_{connections}_asyncio_{kind}"))
    return rows


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(command, **kwargs):
    """Runs `command` in the repository, returns its stdout; stops the
    comparison if it fails."""
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        log(done.stdout)
        log(done.stderr)
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}")
    log(f"  {' '.join(command)}  ({time.monotonic() - started:.1f} s)")
    return done.stdout


# --- divan's table -------------------------------------------------------

RATE = re.compile(r"([\d.]+)\s*([KMGT]?)item/s")
SCALE = {"": 1.0, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
TREE = "│├╰─ "


def ns_per_item(cell):
    m = RATE.search(cell)
    return None if m is None else 1e9 / (float(m.group(1)) * SCALE[m.group(2)])


def parse_divan(bench, text):
    """{key: (median, min, max)} in ns per item, read from the throughput
    line under each leaf of divan's tree (every bench sets a counter)."""
    results = {}
    column = None
    path = []
    leaf = None
    for line in text.splitlines():
        if "fastest" in line and "slowest" in line:
            column = line.index("fastest")
            path = []
            continue
        if column is None or len(line) <= column:
            continue
        name_part, cells = line[:column], line[column:].split("│")
        name = name_part.strip(TREE)
        if name:
            depth = (len(name_part) - len(name_part.lstrip(TREE))) // 3
            del path[depth - 1:]
            path.append(name.strip())
            has_values = any(c.strip() for c in cells)
            leaf = "/".join([bench, *path]) if has_values else None
        elif leaf is not None and len(cells) >= 3:
            fastest, slowest, median = (ns_per_item(c) for c in cells[:3])
            if None not in (fastest, slowest, median):
                # The fastest sample has the highest rate: the least ns.
                results[leaf] = (median, fastest, slowest)
            leaf = None
    return results


def parse_python(text):
    results = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and not line.startswith("#"):
            try:
                results["python:" + parts[0]] = tuple(float(p) for p in parts[1:])
            except ValueError:
                pass
    return results


# --- running --------------------------------------------------------------

def build(benches):
    log("building the benches and tests/memory.rs (release)")
    extra = ["idle_connections"] if "streams" in benches else []
    run(["cargo", "bench", "--no-run", *sum((["--bench", b] for b in [*benches, *extra]), [])])
    run(["cargo", "test", "--release", "--test", "memory", "--no-run"])


def run_ours(bench, quick):
    extra = ["--sample-count", "5"] if quick else []
    # The 1,000,000-task sizes of benches/tasks.rs, only in a full run, and
    # not when YIELDFROM_BENCH_MILLION is set otherwise in the environment.
    keep_env = quick or "YIELDFROM_BENCH_MILLION" in os.environ
    env = None if keep_env else {**os.environ, "YIELDFROM_BENCH_MILLION": "1"}
    out = run(["cargo", "bench", "--bench", bench, "--", "--color", "never", *extra], env=env)
    return parse_divan(bench, out)


def run_cpython(bench, quick):
    script = str(PYTHON_DIR / f"{bench}.py")
    out = run([sys.executable, "-B", script, *(["--quick"] if quick else [])])
    return parse_python(out)


def measure_speed(benches, rounds, quick):
    per_round = {}
    for r in range(rounds):
        log(f"round {r + 1} of {rounds}")
        for bench in benches:
            sides = [run_ours, run_cpython]
            if r % 2:
                sides.reverse()
            for side in sides:
                for key, figure in side(bench, quick).items():
                    per_round.setdefault(key, []).append(figure)
    return {key: (statistics.median(f[0] for f in figs), min(f[1] for f in figs),
                  max(f[2] for f in figs), len(figs))
            for key, figs in per_round.items()}


MEMORY_LINES = {
    "generator": re.compile(r"heap per suspended generator: (\d+) bytes, body future (\d+) bytes"),
    "delegation_level": re.compile(r"heap per delegation level: (\d+) bytes, level body future (\d+) bytes"),
    "task": re.compile(r"heap per task parked on a future: (\d+) bytes, its coroutine's body future (\d+) bytes"),
}


def ensure_uvloop():
    """uvloop is a contender of the echo: installs it with pip if this
    Python lacks it, or says that its rows will be empty."""
    check = [sys.executable, "-c", "import uvloop"]
    if subprocess.run(check, capture_output=True).returncode == 0:
        return
    log("installing uvloop (pip install uvloop)")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "uvloop"],
                          capture_output=True, text=True)
    if done.returncode != 0 or subprocess.run(check, capture_output=True).returncode != 0:
        log("note: uvloop could not be installed; its rows are skipped\n" + done.stderr[-2000:])


def measure_idle_connections():
    """Bytes of resident memory per idle stream connection, client and
    server side, ours and CPython's."""
    log("memory per idle connection")
    figures = {}
    for side, out in [("ours", run(["cargo", "bench", "--bench", "idle_connections"])),
                      ("cpython", run([sys.executable, "-B",
                                       str(PYTHON_DIR / "idle_connections.py")]))]:
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0].startswith("memory/idle_connection_"):
                figures[f"{side}/{parts[0].removeprefix('memory/idle_connection_')}"] = int(parts[1])
    return figures


def measure_memory():
    log("memory")
    ours_out = run(["cargo", "test", "--release", "--test", "memory", "--",
                    "--nocapture", "--test-threads=1"])
    ours = {}
    for name, pattern in MEMORY_LINES.items():
        m = pattern.search(ours_out)
        if m:
            ours[name] = (int(m.group(1)), int(m.group(2)))
    cpython = {}
    for line in run([sys.executable, "-B", str(PYTHON_DIR / "memory.py")]).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("memory/"):
            cpython[parts[0].removeprefix("memory/")] = float(parts[1])
    return {"ours": ours, "cpython": cpython}


def machine():
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        rustc = subprocess.run(["rustc", "--version"], capture_output=True,
                               text=True).stdout.strip()
    except OSError:
        rustc = "rustc: not found"
    return {"cpus": os.cpu_count(), "cpu": model, "system": platform.platform(),
            "python": platform.python_implementation() + " " + platform.python_version(),
            "rustc": rustc, "date": time.strftime("%Y-%m-%d")}


def load_average():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


# --- the table ------------------------------------------------------------

def fmt_ns(ns):
    if ns is None:
        return "–"
    if ns >= 1000:
        return f"{ns:,.0f}"
    if ns >= 100:
        return f"{ns:.0f}"
    if ns >= 10:
        return f"{ns:.1f}"
    return f"{ns:.2f}"


def fmt_figure(figure):
    if figure is None:
        return "–"
    median, low, high = figure[:3]
    return f"{fmt_ns(median)} ({fmt_ns(low)}–{fmt_ns(high)})"


def fmt_ratio(ours, other):
    if ours is None or other is None:
        return "–"
    ratio = ours[0] / other[0]
    # Two significant digits, whatever the size.
    decimals = max(0, 1 - math.floor(math.log10(ratio)))
    return f"{ratio:.{decimals}f}x"


def table(results):
    head = ["operation", "ours, ns/op", "reference", "reference, ns/op", "ours ÷ ref",
            "CPython, ns/op", "ours ÷ CPython"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, ours_key, refs, py_key in operation_rows():
        ours, py = results.get(ours_key), results.get(py_key)
        if ours is None and py is None:
            continue
        # A row with no reference still shows ours beside CPython.
        for i, (ref_label, ref_key) in enumerate(refs or [("(none)", None)]):
            ref = results.get(ref_key)
            first = i == 0
            cells = [label if first else "", fmt_figure(ours) if first else "", ref_label,
                     fmt_figure(ref), fmt_ratio(ours, ref),
                     fmt_figure(py) if first else "", fmt_ratio(ours, py) if first else ""]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def idle_table(idle):
    lines = ["| idle stream connection, 10,000 at once | ours, RSS bytes | "
             "CPython 3.11, RSS bytes | ours ÷ CPython |", "|---|---|---|---|"]
    for side, label in [("client", "client side: reader, writer, a task in `readexactly`"),
                        ("server", "server side: the same, the handler's task")]:
        ours, py = idle.get(f"ours/{side}"), idle.get(f"cpython/{side}")
        ratio = f"{ours / py:.2f}x" if ours is not None and py else "–"
        lines.append(f"| {label} | {ours if ours is not None else '–'} | "
                     f"{py if py is not None else '–'} | {ratio} |")
    return "\n".join(lines)


def echo_targets_table(results):
    """Issue 13's targets for the echo: ours at most uvloop's time, and at
    most 1.5x tokio current-thread's."""
    lines = ["| echo | ours ÷ uvloop (target ≤ 1) | ours ÷ tokio (target ≤ 1.5) |",
             "|---|---|---|"]
    for size in ["64b", "16k"]:
        for connections in ECHO_CONNECTIONS:
            for kind in ["streams", "protocol"]:
                ours = results.get(f"streams/echo_{size}_yieldfrom_{kind}/{connections}")
                uv = results.get(f"python:echo_{size}_{connections}_uvloop_{kind}")
                tokio = results.get(f"streams/echo_{size}_tokio_current_thread/{connections}")
                if ours is None:
                    continue

                def verdict(ratio_text, bound, other):
                    if other is None:
                        return ratio_text
                    return f"{ratio_text} {'met' if ours[0] / other[0] <= bound else 'not met'}"

                lines.append(f"| {kind}, {size.replace('b', ' B').replace('k', ' KiB')}, "
                             f"{connections:,} | {verdict(fmt_ratio(ours, uv), 1.0, uv)} | "
                             f"{verdict(fmt_ratio(ours, tokio), 1.5, tokio)} |")
    return "\n".join(lines)


def memory_table(memory):
    names = {"generator": "suspended generator",
             "delegation_level": "`yield from` level",
             "task": "task parked on a future"}
    lines = ["| object | ours, heap bytes | of which the body's future | "
             "CPython 3.11, tracemalloc bytes | ours ÷ CPython |",
             "|---|---|---|---|---|"]
    for key, label in names.items():
        ours, py = memory["ours"].get(key), memory["cpython"].get(key)
        ratio = f"{ours[0] / py:.2f}x" if ours and py else "–"
        lines.append(f"| {label} | {ours[0] if ours else '–'} | {ours[1] if ours else '–'} | "
                     f"{f'{py:.0f}' if py else '–'} | {ratio} |")
    return "\n".join(lines)


# --- the plot -------------------------------------------------------------

def depth_svg(results, subtitle):
    """An SVG plot, log-log, of ns per send against `yield from` depth
    (1 to 1000; depth 0 has no place on a log axis) for ours, CPython and
    bare genawaiter forwarding by hand, medians with min–max whiskers."""
    series = [
        ("yieldfrom", "#1f6feb", "delegation/send_through_depth/{}"),
        ("CPython 3.11", "#d1242f", "python:send_through_depth/{}"),
        ("bare genawaiter, forwarding by hand", "#8250df",
         "delegation/send_through_depth_bare_genawaiter_forwarding/{}"),
    ]
    depths = [d for d in DEPTHS if d > 0]
    points = {name: [(d, results.get(key.format(d))) for d in depths] for name, _, key in series}
    values = [v for pts in points.values() for _, f in pts if f for v in f[1:3]]
    if not values:
        return None
    lo = 10 ** math.floor(math.log10(min(values)))
    hi = 10 ** math.ceil(math.log10(max(values)))
    width, height = 640, 420
    left, right, top, bottom = 80, 20, 50, 110

    def x(depth):
        return left + (math.log10(depth) / 3) * (width - left - right)

    def y(ns):
        return top + (1 - math.log10(ns / lo) / math.log10(hi / lo)) * (height - top - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="14">'
           'ns per send through a <tspan font-family="monospace">yield from</tspan> chain</text>',
           f'<text x="{width / 2}" y="{top - 6}" text-anchor="middle" font-size="10" '
           f'fill="#555">{subtitle}</text>']
    decade = lo
    while decade <= hi * 1.001:
        yy = y(decade)
        out.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{width - right}" y2="{yy:.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">{decade:,.0f}</text>')
        decade *= 10
    for d in depths:
        xx = x(d)
        out.append(f'<line x1="{xx:.1f}" y1="{top}" x2="{xx:.1f}" y2="{height - bottom}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{xx:.1f}" y="{height - bottom + 16}" text-anchor="middle">{d}</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - bottom + 34}" '
               'text-anchor="middle">depth (levels of delegation, log scale)</text>')
    out.append(f'<text transform="translate(18 {(top + height - bottom) / 2}) rotate(-90)" '
               'text-anchor="middle">ns per send (median, min–max; log scale)</text>')
    for i, (name, colour, _) in enumerate(series):
        pts = [(d, f) for d, f in points[name] if f]
        if not pts:
            continue
        path = " ".join(f"{x(d):.1f},{y(f[0]):.1f}" for d, f in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for d, f in pts:
            xx = x(d)
            out.append(f'<line x1="{xx:.1f}" y1="{y(f[1]):.1f}" x2="{xx:.1f}" y2="{y(f[2]):.1f}" '
                       f'stroke="{colour}"/>')
            out.append(f'<circle cx="{xx:.1f}" cy="{y(f[0]):.1f}" r="3.5" fill="{colour}">'
                       f'<title>{name}, depth {d}: {fmt_figure(f)} ns</title></circle>')
        ly = height - bottom + 56 + 16 * i
        out.append(f'<line x1="{left}" y1="{ly - 4}" x2="{left + 24}" y2="{ly - 4}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{left + 32}" y="{ly}">{name}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- main -----------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds of ours-then-CPython (default 3, or 1 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="few samples and one round: a smoke test, not a measurement")
    parser.add_argument("--only", action="append", choices=BENCHES,
                        help="run only this bench (repeatable); memory is still measured")
    parser.add_argument("--svg", type=Path, help="write the depth plot here")
    parser.add_argument("--save", type=Path, help="save the raw figures as JSON")
    parser.add_argument("--load", type=Path, help="print the tables from a saved JSON, run nothing")
    args = parser.parse_args()

    if args.load:
        saved = json.loads(args.load.read_text())
        speed = {k: tuple(v) for k, v in saved["speed"].items()}
        memory, about = saved["memory"], saved["machine"]
    else:
        benches = args.only or BENCHES
        rounds = args.rounds or (1 if args.quick else 3)
        about = machine()
        about["load before"] = load_average()
        build(benches)
        if "streams" in benches:
            ensure_uvloop()
        speed = measure_speed(benches, rounds, args.quick)
        memory = measure_memory()
        if "streams" in benches:
            memory["idle"] = measure_idle_connections()
        about["load after"] = load_average()
        about["rounds"] = rounds
        about["quick"] = args.quick
        if args.save:
            args.save.write_text(json.dumps({"machine": about, "speed": speed,
                                             "memory": memory}, indent=1) + "\n")

    print(f"Machine: {about['cpus']} CPUs, {about['cpu']}; {about['system']}; "
          f"{about['rustc']}; {about['python']}; {about['date']}")
    print(f"Load average before/after: {about.get('load before')} / {about.get('load after')}; "
          f"rounds: {about.get('rounds')}{' (quick)' if about.get('quick') else ''}")
    print()
    print("ns per operation: median of the rounds' medians (lowest–highest sample).")
    print()
    print(table(speed))
    print()
    print(memory_table(memory))
    if any(key.startswith("streams/") for key in speed):
        print()
        print(echo_targets_table(speed))
    if memory.get("idle"):
        print()
        print(idle_table(memory["idle"]))
    if args.svg:
        svg = depth_svg(speed, f"{about['date']}, {about['cpus']} CPUs ({about['cpu']}), "
                             f"{about.get('rounds')} rounds; {about['rustc'].split(' (')[0]}, "
                             f"{about['python']}")
        if svg:
            args.svg.write_text(svg)
            log(f"wrote {args.svg}")


if __name__ == "__main__":
    main()
