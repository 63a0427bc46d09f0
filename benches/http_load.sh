#!/usr/bin/env bash
# A load run of examples/http_hello (ours, built in release) and
# examples/python/http_hello.py (CPython's asyncio streams) under
# ApacheBench with keep-alive (`ab -k`), at concurrency 1, 100 and 1,000,
# in the same run: at each concurrency ours and then CPython's, against the
# page at `/`. Prints requests per second and failed requests for both,
# and exits with status 1 if any request failed.
#
#   bash benches/http_load.sh            # about a minute here
#   QUICK=1 bash benches/http_load.sh    # a tenth of the requests: a smoke test
#
# Installs ab (Debian's apache2-utils) with apt-get if it is missing, or
# stops with a note (status 0) if it cannot. Bounded: each ab has a fixed
# number of requests, a 10 s timeout per response and 120 s in all; the
# servers listen on 127.0.0.1 on free ports and are stopped with SIGTERM
# (and killed if the script ends another way).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v ab >/dev/null; then
    echo "ab is missing: installing apache2-utils" >&2
    if ! { apt-get update -qq && apt-get install -y -qq apache2-utils; } >/dev/null 2>&1 \
        || ! command -v ab >/dev/null; then
        echo "note: ab could not be installed (apt-get install apache2-utils): no load run" >&2
        exit 0
    fi
fi

# Concurrency 1,000 holds 1,000 client sockets in ab and 1,000 in the
# server at once; the usual soft limit of 1,024 descriptors is too few.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt 4096 ]; then
    echo "note: ulimit -n is $(ulimit -n): concurrency 1,000 may fail" >&2
fi

cargo build --release --quiet --example http_hello
target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
ours_binary="$target_dir/release/examples/http_hello"

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# start NAME COMMAND...: starts a server on a free port; sets PORT_NAME.
start() {
    local name=$1
    shift
    "$@" --port 0 >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
    eval "pid_$name=$!"
    for _ in $(seq 100); do
        if grep -q '^listening on ' "$work/$name.out"; then
            eval "port_$name=$(sed -n '1s/.*://p' "$work/$name.out")"
            return
        fi
        sleep 0.1
    done
    echo "$name did not start: $(cat "$work/$name.err")" >&2
    exit 1
}

start ours "$ours_binary"
start cpython python3 examples/python/http_hello.py

scale=1
if [ "${QUICK:-}" = 1 ]; then scale=10; fi
failed_any=0
declare -A rps failed
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for concurrency in 1 100 1000; do
    case $concurrency in
        1) requests=10000 ;;
        *) requests=50000 ;;
    esac
    requests=$((requests / scale))
    # Which goes first alternates, so that a change in the machine's load
    # falls on both.
    order="ours cpython"
    if [ "$concurrency" = 100 ]; then order="cpython ours"; fi
    for server in $order; do
        port_var="port_$server"
        log="$work/ab-$server-$concurrency.txt"
        if ! timeout 120 ab -k -q -n "$requests" -c "$concurrency" -s 10 \
            "http://127.0.0.1:${!port_var}/" >"$log" 2>&1; then
            echo "ab against $server at concurrency $concurrency did not finish:" >&2
            tail -5 "$log" >&2
            failed_any=1
        fi
        complete=$(sed -n 's/^Complete requests: *//p' "$log")
        rps[$server,$concurrency]=$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$log")
        failed[$server,$concurrency]=$(sed -n 's/^Failed requests: *//p' "$log")
        non_2xx=$(sed -n 's/^Non-2xx responses: *//p' "$log")
        keep_alive=$(sed -n 's/^Keep-Alive requests: *//p' "$log")
        # A connect past the listen backlog waits for a SYN retransmit
        # (1 s), which shows here rather than as a failure.
        longest_connect=$(awk '/^Connect:/ {print $NF}' "$log")
        if [ "${failed[$server,$concurrency]:-x}" != 0 ] || [ "${complete:-0}" != "$requests" ] \
            || [ -n "$non_2xx" ]; then
            failed_any=1
        fi
        printf '%-8s c=%-5s %6s requests, %6s kept alive, failed %s, longest connect %s ms, %s req/s\n' \
            "$server" "$concurrency" "${complete:-?}" "${keep_alive:-?}" \
            "${failed[$server,$concurrency]:-?}" "${longest_connect:-?}" \
            "${rps[$server,$concurrency]:-?}"
    done
done

echo
echo "| concurrency | ours, requests/s | CPython 3.11 asyncio, requests/s | ours ÷ CPython (above 1: ours serves more) | failed (ours, CPython) |"
echo "|---|---|---|---|---|"
for concurrency in 1 100 1000; do
    ours=${rps[ours,$concurrency]:-0}
    theirs=${rps[cpython,$concurrency]:-0}
    ratio=$(python3 -c "print(f'{$ours / $theirs:.1f}x' if $theirs else '?')")
    printf '| %s | %s | %s | %s | %s, %s |\n' "$concurrency" "$ours" "$theirs" "$ratio" \
        "${failed[ours,$concurrency]:-?}" "${failed[cpython,$concurrency]:-?}"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

for server in ours cpython; do
    pid_var="pid_$server"
    kill -TERM "${!pid_var}"
    if ! wait "${!pid_var}"; then
        echo "$server did not exit with status 0 on SIGTERM" >&2
        failed_any=1
    fi
done
exit "$failed_any"
