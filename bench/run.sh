#!/usr/bin/env bash
# Builds chatd and chatd-bench (release), and runs the benchmarks of
# BENCHMARKS.md, each run against a freshly started server on a free port
# (config bench/chat.toml, database in a temporary directory).
#
#   bench/run.sh                 # everything: fan-out 100 and 500, private, connections
#   bench/run.sh fanout private  # some of: fanout100 fanout500 fanout private
#                                #   connections (lobby on, time budget LOBBY_BUDGET)
#                                #   connections-nolobby (bench/chat-nolobby.toml)
#
# Environment: RUNS (3), SECS (10 s per run), CONNECTIONS (10000),
# LOBBY_BUDGET (300 s for the connections run with the lobby on),
# OUT (the JSON lines file; bench/results-<time>.jsonl), PERF (1: also
# `perf stat` the server during each run, when perf is installed).
# The server is stopped by its PID (SIGTERM), never by name.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
SECS=${SECS:-10}
CONNECTIONS=${CONNECTIONS:-10000}
LOBBY_BUDGET=${LOBBY_BUDGET:-300}
CONFIG=bench/chat.toml
OUT=${OUT:-bench/results-$(date +%Y%m%d-%H%M%S).jsonl}
PERF=${PERF:-1}
if ! command -v perf >/dev/null 2>&1; then PERF=0; fi

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
    scenarios=(fanout100 fanout500 private connections-nolobby connections)
fi

cargo build --release --bin chatd --bin chatd-bench
# Each connection is a descriptor, in the server and in the bench.
ulimit -n "$(ulimit -Hn)"

tmp=$(mktemp -d)
SERVER_PID=
PERF_PID=
stop_server() {
    if [ -n "$PERF_PID" ]; then
        kill -INT "$PERF_PID" 2>/dev/null || true
        wait "$PERF_PID" 2>/dev/null || true
        PERF_PID=
    fi
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}
cleanup() {
    stop_server
    rm -rf "$tmp"
}
trap cleanup EXIT

start_server() {
    rm -f "$tmp"/chat.db*
    target/release/chatd serve --config "$CONFIG" \
        --listen 127.0.0.1:0 --udp-listen 127.0.0.1:0 --irc-listen 127.0.0.1:0 \
        --db "$tmp/chat.db" 2>"$tmp/server.log" &
    SERVER_PID=$!
    ADDR=
    for _ in $(seq 100); do
        ADDR=$(sed -n 's/.*text door listening on \([0-9.]*:[0-9]*\).*/\1/p' "$tmp/server.log" | head -n1)
        [ -n "$ADDR" ] && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "chatd did not start:" >&2
            cat "$tmp/server.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    if [ -z "$ADDR" ]; then
        echo "chatd did not log its address:" >&2
        cat "$tmp/server.log" >&2
        exit 1
    fi
    if [ "$PERF" = 1 ]; then
        perf stat -e task-clock,context-switches,cpu-migrations,page-faults \
            -p "$SERVER_PID" -o "$tmp/perf.txt" &
        PERF_PID=$!
    fi
}

# bench ARGS...: one run against a fresh server.
bench() {
    start_server
    echo "== chatd-bench $* (server pid $SERVER_PID at $ADDR, $CONFIG; load $(cut -d' ' -f1-3 /proc/loadavg))"
    target/release/chatd-bench --addr "$ADDR" --server-pid "$SERVER_PID" --json "$OUT" "$@" || true
    stop_server
    if [ "$PERF" = 1 ] && [ -f "$tmp/perf.txt" ]; then
        echo "   perf stat of the server over the whole run (set-up and drain included):"
        grep -E 'task-clock|context-switches|cpu-migrations|page-faults|seconds time elapsed' \
            "$tmp/perf.txt" | sed 's/^ */     /'
        rm -f "$tmp/perf.txt"
    fi
    if grep -q -E 'WARN|ERROR|panicked|fatal' "$tmp/server.log"; then
        echo "   server warnings: $(grep -c -E 'WARN|ERROR|panicked|fatal' "$tmp/server.log"), first and last:"
        grep -E 'WARN|ERROR|panicked|fatal' "$tmp/server.log" | sed -n '1,3p;$p' | sed 's/^/     /'
    fi
    echo
}

echo "machine: $(nproc) cores; $(free -h | awk '/^Mem:/ {print $2 " memory, " $7 " available"}'); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "results (one JSON line per run) go to $OUT"
echo
for s in "${scenarios[@]}"; do
    for run in $(seq "$RUNS"); do
        case "$s" in
            fanout100) bench fanout --receivers 100 --senders 10 --seconds "$SECS" ;;
            fanout500) bench fanout --receivers 500 --senders 10 --seconds "$SECS" ;;
            fanout) bench fanout --receivers 100 --senders 10 --seconds "$SECS"
                    bench fanout --receivers 500 --senders 10 --seconds "$SECS" ;;
            private) bench private --pairs 10 --seconds "$SECS" ;;
            connections)
                # Every login is announced to the whole lobby: see BENCHMARKS.md.
                bench connections --count "$CONNECTIONS" --hold 10 --every 500 \
                    --max-seconds "$LOBBY_BUDGET"
                break ;;  # one run: it takes minutes
            connections-nolobby)
                CONFIG=bench/chat-nolobby.toml
                bench connections --count "$CONNECTIONS" --hold 10
                CONFIG=bench/chat.toml
                break ;;
            *) echo "unknown scenario $s" >&2; exit 2 ;;
        esac
    done
done

# Medians of the runs, when python3 is there to read the JSON.
if command -v python3 >/dev/null 2>&1; then
    python3 - "$OUT" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "results" not in r:
        continue
    p, res = r["params"], r["results"]
    if r["scenario"] == "fanout":
        key = f"fanout {p['receivers']} receivers x {p['senders']} senders"
        vals = (res["deliveries_per_sec"], res["latency"]["p50_us"], res["latency"]["p99_us"],
                res["latency"]["p999_us"], res["latency"]["max_us"], res["lost"])
    elif r["scenario"] == "private":
        key = f"private {p['pairs']} pairs"
        l = res["round_trip_latency"]
        vals = (res["round_trips_per_sec"], l["p50_us"], l["p99_us"], l["p999_us"], l["max_us"], 0)
    else:
        rss = res["rss_kib_per_connection"] or (res.get("last_sample") or {}).get("rss_kib_per_connection")
        print(f"connections (max {p['count']}): held {res['held']}, {res['alive_after_hold']} alive after hold, "
              f"{rss and round(rss, 1)} KiB RSS per connection; stopped by: {res['failure']}")
        continue
    runs.setdefault(key, []).append(vals)
print()
print(f"{'medians':<36} {'per s':>12} {'p50 us':>9} {'p99 us':>9} {'p99.9 us':>9} {'max us':>9} {'lost':>6}  runs")
for key, vs in runs.items():
    med = [statistics.median(col) for col in zip(*vs)]
    print(f"{key:<36} {med[0]:>12.0f} {med[1]:>9.0f} {med[2]:>9.0f} {med[3]:>9.0f} {med[4]:>9.0f} {med[5]:>6.0f}  {len(vs)}")
PY
fi
