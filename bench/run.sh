#!/usr/bin/env bash
# Builds chatd and chatd-bench (release), and runs the benchmarks of
# BENCHMARKS.md, each run against a freshly started server on a free port
# (config bench/chat.toml, database in a temporary directory).
#
#   bench/run.sh                 # everything: fan-out 100 and 500, private, connections
#   bench/run.sh fanout private  # some of: fanout100 fanout500 fanout private
#                                #   history (fan-out 100 with history on and off, interleaved)
#                                #   connections (lobby on, time budget LOBBY_BUDGET)
#                                #   connections-nolobby (bench/chat-nolobby.toml)
#
# Environment: RUNS (3), SECS (10 s per run), CONNECTIONS (10000),
# LOBBY_BUDGET (300 s for the connections run with the lobby on),
# OUT (the JSON lines file; bench/results-<time>.jsonl), PERF (1: also
# `perf stat` the server during each run, when perf is installed),
# PROTOCOL (text; irc or web: the same scenarios through chatd's IRC or
# browser door),
# CARGO_TARGET_DIR (where cargo builds; the binaries are taken from there),
# HISTORY_RATE (lines/s per sender in the history scenario; 0, the default:
# as fast as the server takes them).
# The server is stopped by its PID (SIGTERM), never by name.
#
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

RUNS=${RUNS:-3}
SECS=${SECS:-10}
CONNECTIONS=${CONNECTIONS:-10000}
LOBBY_BUDGET=${LOBBY_BUDGET:-300}
CONFIG=bench/chat.toml
OUT=${OUT:-bench/results-$(date +%Y%m%d-%H%M%S).jsonl}
PERF=${PERF:-1}
PROTOCOL=${PROTOCOL:-text}
HISTORY_RATE=${HISTORY_RATE:-0}
if ! command -v perf >/dev/null 2>&1; then PERF=0; fi
case "$PROTOCOL" in
    text | irc | web) ;;
    *) echo "PROTOCOL must be text, irc or web" >&2; exit 2 ;;
esac

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
    scenarios=(fanout100 fanout500 private history connections-nolobby connections)
fi

cargo build --release --bin chatd --bin chatd-bench
raise_open_files
# The kernel stays as it is: chatd logs how many connections it can hold
# (one thread of 4 memory maps each; a stock vm.max_map_count of 65,530
# allows ~15,800).
echo "vm.max_map_count $(cat /proc/sys/vm/max_map_count 2>/dev/null || echo unknown)"

tmp=$(mktemp -d)
PERF_PID=
stop_server() {
    if [ -n "$PERF_PID" ]; then
        kill -INT "$PERF_PID" 2>/dev/null || true
        wait "$PERF_PID" 2>/dev/null || true
        PERF_PID=
    fi
    if [ -n "$SERVER_PID" ]; then
        stop_pid "$SERVER_PID"
        SERVER_PID=
    fi
}
cleanup() {
    stop_server
    rm -rf "$tmp"
}
trap cleanup EXIT

start_server() {
    start_chatd "$TARGET"/release/chatd "$CONFIG" "$PROTOCOL"
    if [ -z "$ADDR" ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "chatd did not start:" >&2
        cat "$tmp/server.log" >&2
        exit 1
    fi
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

# Rows of channel history in the stopped server's database: what it wrote.
history_rows() {
    local db=$1
    if command -v sqlite3 >/dev/null 2>&1; then
        sqlite3 "$db" 'SELECT count(*) FROM history' 2>/dev/null || echo "?"
    elif command -v python3 >/dev/null 2>&1; then
        python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM history").fetchone()[0])' "$db" 2>/dev/null || echo "?"
    else
        echo "?"
    fi
}

# bench ARGS...: one run against a fresh server.
bench() {
    start_server
    echo "== chatd-bench $* (server pid $SERVER_PID at $ADDR, $PROTOCOL, $CONFIG; load $(load_average))"
    grep -o 'can hold .*' "$tmp/server.log" | head -n1 | sed 's/^/   chatd: /' || true
    local extra=()
    if [ "$1" = fanout ]; then extra=(--history-db "$tmp/chat.db"); fi
    "$TARGET"/release/chatd-bench --addr "$ADDR" --protocol "$PROTOCOL" --server-pid "$SERVER_PID" \
        --label "$CONFIG" --json "$OUT" "$@" "${extra[@]}" || true
    local stopping=$SECONDS
    stop_server
    if [ "$1" = fanout ]; then
        local rows
        rows=$(history_rows "$tmp/chat.db")
        echo "   history rows in the database after the server stopped: $rows" \
            "(stopping took $((SECONDS - stopping)) s)"
        printf '{"scenario":"history-rows","label":"%s","rows":"%s"}\n' "$CONFIG" "$rows" >>"$OUT"
    fi
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

machine_line
echo "limits: ulimit -n $(ulimit -n); vm.max_map_count $(cat /proc/sys/vm/max_map_count); pid_max $(cat /proc/sys/kernel/pid_max)"
echo "results (one JSON line per run) go to $OUT"
echo
for s in "${scenarios[@]}"; do
    for run in $(seq "$RUNS"); do
        case "$s" in
            fanout100) bench fanout --receivers 100 --senders 10 --seconds "$SECS" ;;
            fanout500) bench fanout --receivers 500 --senders 10 --seconds "$SECS" ;;
            fanout) bench fanout --receivers 100 --senders 10 --seconds "$SECS"
                    bench fanout --receivers 500 --senders 10 --seconds "$SECS" ;;
            history)
                # History on (bench/chat.toml, replay = 20) and off
                # (bench/chat-nohistory.toml), one after the other, RUNS times.
                CONFIG=bench/chat.toml
                bench fanout --receivers 100 --senders 10 --seconds "$SECS" --rate "$HISTORY_RATE"
                CONFIG=bench/chat-nohistory.toml
                bench fanout --receivers 100 --senders 10 --seconds "$SECS" --rate "$HISTORY_RATE"
                CONFIG=bench/chat.toml ;;
            private) bench private --pairs 10 --seconds "$SECS" ;;
            connections)
                # Every login is announced to the whole lobby: see BENCHMARKS.md.
                bench connections --count "$CONNECTIONS" --hold 10 --every 500 \
                    --max-seconds "$LOBBY_BUDGET"
                break ;;  # one run: it takes minutes
            connections-nolobby)
                CONFIG=bench/chat-nolobby.toml
                bench connections --count "$CONNECTIONS" --hold 10 --max-seconds 300
                CONFIG=bench/chat.toml ;;
            *) echo "unknown scenario $s" >&2; exit 2 ;;
        esac
    done
done

# Medians of the runs, when python3 is there to read the JSON.
if command -v python3 >/dev/null 2>&1; then
    python3 - "$OUT" <<'PY'
import json, statistics, sys
runs = {}
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    label = r.get("label") or ""
    if r.get("scenario") == "history-rows":
        rows.setdefault(label, []).append(r["rows"])
        continue
    if "results" not in r:
        continue
    p, res = r["params"], r["results"]
    proto = r.get("protocol", "text")
    if r["scenario"] == "fanout":
        rate = f" at {p['rate']:g} lines/s per sender" if p.get("rate") else ""
        key = f"fanout {p['receivers']}+{p['senders']}{rate} {proto} {label}"
        vals = (res["deliveries_per_sec"], res["latency"]["p50_us"], res["latency"]["p99_us"],
                res["latency"]["p999_us"], res["latency"]["max_us"], res["lost"])
        h = res.get("history")
        if h and "written_per_sec" in h:
            print(f"{key}: history {h['written_in_window']} lines written while sending "
                  f"({h['written_per_sec']:.0f}/s), {res['sent']} said")
    elif r["scenario"] == "private":
        key = f"private {p['pairs']} pairs {proto} {label}"
        l = res["round_trip_latency"]
        vals = (res["round_trips_per_sec"], l["p50_us"], l["p99_us"], l["p999_us"], l["max_us"], 0)
    else:
        rss = res["rss_kib_per_connection"] or (res.get("last_sample") or {}).get("rss_kib_per_connection")
        print(f"connections {proto} {label} (max {p['count']}): held {res['held']}, "
              f"{res['alive_after_hold']} alive after hold, "
              f"{rss and round(rss, 1)} KiB RSS per connection; stopped by: {res['failure']}")
        continue
    runs.setdefault(key, []).append(vals)
for label, rs in rows.items():
    print(f"history rows after each run with {label}: {', '.join(map(str, rs))}")
print()
print(f"{'medians':<70} {'per s':>12} {'p50 us':>9} {'p99 us':>9} {'p99.9 us':>9} {'max us':>9} {'lost':>6}  runs")
for key, vs in runs.items():
    med = [statistics.median(col) for col in zip(*vs)]
    print(f"{key:<70} {med[0]:>12.0f} {med[1]:>9.0f} {med[2]:>9.0f} {med[3]:>9.0f} {med[4]:>9.0f} {med[5]:>6.0f}  {len(vs)}")
PY
fi
