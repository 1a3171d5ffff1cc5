#!/usr/bin/env bash
# A/B of two chatd binaries on the same benchmark, interleaved (A, B, A, B, …),
# each run against a freshly started server, with `perf stat` of the server's
# context switches and system calls for 5 s in the middle of every run
# (BENCHMARKS.md, "The fan-out regression").
#
#   bench/ab.sh OLD_CHATD NEW_CHATD                 # fan-out 100 + 10, history off, 3 pairs
#   bench/ab.sh OLD NEW fanout --receivers 500 --senders 10 --seconds 10
#
# Environment: RUNS (3), CONFIG (bench/chat-nohistory.toml), OUT (the JSON
# lines file; bench/ab-<time>.jsonl), CARGO_TARGET_DIR (where chatd-bench is
# built). Labels in the JSON are "A <path>" and "B <path>". Servers listen on
# 127.0.0.1 and are stopped by their PID.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

if [ $# -lt 2 ]; then
    echo "usage: bench/ab.sh CHATD_A CHATD_B [chatd-bench scenario and arguments]" >&2
    exit 2
fi
A=$(realpath "$1")
B=$(realpath "$2")
shift 2
scenario=("$@")
if [ ${#scenario[@]} -eq 0 ]; then
    scenario=(fanout --receivers 100 --senders 10 --seconds 10)
fi
RUNS=${RUNS:-3}
CONFIG=${CONFIG:-bench/chat-nohistory.toml}
OUT=${OUT:-bench/ab-$(date +%Y%m%d-%H%M%S).jsonl}
PERF=1
command -v perf >/dev/null 2>&1 || PERF=0

cargo build --release --bin chatd-bench
raise_open_files
tmp=$(mktemp -d)
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        stop_pid "$SERVER_PID"
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

run() {
    local label=$1 bin=$2
    start_chatd "$bin" "$CONFIG" text
    local addr=$ADDR
    if [ -z "$addr" ]; then
        echo "$label: chatd did not start" >&2
        cat "$tmp/server.log" >&2
        exit 1
    fi
    echo "== $label $bin (pid $SERVER_PID at $addr; load $(load_average))"
    "$TARGET"/release/chatd-bench --addr "$addr" --server-pid "$SERVER_PID" --label "$label $bin" \
        --json "$OUT" "${scenario[@]}" >"$tmp/bench.out" &
    local bench=$!
    if [ "$PERF" = 1 ]; then
        sleep 4
        perf stat -e context-switches,syscalls:sys_enter_futex,syscalls:sys_enter_sendto,syscalls:sys_enter_sched_yield \
            -p "$SERVER_PID" -o "$tmp/perf.txt" -- sleep 5 || true
    fi
    wait "$bench" || true
    grep -v '^{' "$tmp/bench.out" | grep -E 'delivered|round trips|latency|round trip|machine:|writers|hub ' || true
    if [ "$PERF" = 1 ] && [ -f "$tmp/perf.txt" ]; then
        grep -E 'context-switches|syscalls' "$tmp/perf.txt" | awk '{printf "     %s %.0f/s\n", $2, $1 / 5}'
        rm -f "$tmp/perf.txt"
    fi
    stop_pid "$SERVER_PID"
    SERVER_PID=
}

for _ in $(seq "$RUNS"); do
    run A "$A"
    run B "$B"
done
echo "results in $OUT"
