#!/usr/bin/env bash
# chatd beside ngIRCd and InspIRCd (BENCHMARKS.md): the same chatd-bench
# scenarios over IRC (`--protocol irc`) against each server in turn,
# interleaved run by run, each run against a freshly started server on a free
# loopback port; chatd's text door (`chatd-text`) and browser door
# (`chatd-web`, WebSocket and JSON) run the same scenarios in the same run,
# for their figures beside them.
#
#   bench/compare-irc.sh        # fanout100 fanout500 private connections5000 connections10000
#   bench/compare-irc.sh private fanout500     # some of them
#
# Environment: RUNS (3 runs of every scenario; the summary prints medians),
# SECS (10 s of sending per fan-out or private run), PAIRS (50 pairs in the
# private scenario), PARALLEL (logins under way at once in the connections
# scenarios; 200: InspIRCd completes a registration a second after it
# starts, so one at a time would hold one connection a second),
# SERVERS ("chatd chatd-text chatd-web ngircd inspircd"; `chatd-echo` is the
# IRC door with IRCv3 echo-message, each line back to its sender as the text
# and browser doors do; add `chatd-base` to run
# BASE_CHATD, an older chatd binary, through its IRC door in the same run, for
# a before/after beside the peers), OUT (the JSON lines file;
# bench/irc-<time>.jsonl), INSTALL (1: apt-get install ngircd inspircd when
# missing; needs root), CARGO_TARGET_DIR (where cargo builds), NODELAY (1:
# start ngIRCd and InspIRCd with a small LD_PRELOAD library, compiled here
# with cc, that sets TCP_NODELAY on every socket they accept, as chatd does
# on its own: neither sets it, and Nagle's algorithm then holds their small
# writes back; see BENCHMARKS.md. The label of each run says "+nodelay").
#
# The kernel is left as it is (no sysctl): the connections scenarios show
# what each server holds on a stock kernel; the limits are printed first.
#
# The other servers run with configurations written to a temporary
# directory, with every flood and connection limit raised that can be
# raised (the differences are listed in BENCHMARKS.md and printed below);
# chatd runs with bench/chat-nolobby.toml (IRC servers have no lobby; chatd
# keeps its default channel history, written to SQLite). Every server
# listens on 127.0.0.1 on a port picked free (never 6667), runs in the
# foreground as a child of this script, and is stopped by its PID (SIGTERM).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

RUNS=${RUNS:-3}
SECS=${SECS:-10}
PAIRS=${PAIRS:-50}
PARALLEL=${PARALLEL:-200}
SERVERS=${SERVERS:-chatd chatd-text chatd-web ngircd inspircd}
OUT=${OUT:-bench/irc-$(date +%Y%m%d-%H%M%S).jsonl}
INSTALL=${INSTALL:-1}
NODELAY=${NODELAY:-0}
# Bounds every single chatd-bench run (a connections run stops itself after
# 300 s of opening; fan-out after set-up, SECS and a 5 s drain).
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900}

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
    scenarios=(fanout100 fanout500 private connections5000 connections10000)
fi

# --- The other servers: Debian packages ------------------------------------
if [ "$INSTALL" = 1 ] && { ! command -v ngircd >/dev/null 2>&1 || ! command -v inspircd >/dev/null 2>&1; }; then
    if [ "$(id -u)" != 0 ]; then
        echo "ngircd or inspircd is missing: run as root, or apt-get install ngircd inspircd" >&2
        exit 1
    fi
    # The packages' init scripts would start both daemons on port 6667, which
    # other tests on this machine use: a policy-rc.d that says "don't" keeps
    # them stopped (Docker images have one already).
    made_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y ngircd inspircd
    if [ -n "$made_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

cargo build --release --bin chatd --bin chatd-bench
raise_open_files

tmp=$(mktemp -d)
# ngIRCd started as root drops to an unprivileged user, which must read its
# configuration and write its PID file.
chmod 755 "$tmp"
mkdir -m 1777 "$tmp/run"
PRELOAD=
SUFFIX=
if [ "$NODELAY" = 1 ]; then
    cat >"$tmp/nodelay.c" <<'C'
/* Sets TCP_NODELAY on every accepted socket (LD_PRELOAD). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
static int nodelay(int fd) {
    int one = 1;
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}
int accept(int s, struct sockaddr *a, socklen_t *l) {
    static int (*real)(int, struct sockaddr *, socklen_t *);
    if (!real) real = dlsym(RTLD_NEXT, "accept");
    return nodelay(real(s, a, l));
}
int accept4(int s, struct sockaddr *a, socklen_t *l, int f) {
    static int (*real)(int, struct sockaddr *, socklen_t *, int);
    if (!real) real = dlsym(RTLD_NEXT, "accept4");
    return nodelay(real(s, a, l, f));
}
C
    cc -shared -fPIC -O2 -o "$tmp/nodelay.so" "$tmp/nodelay.c" -ldl
    chmod 755 "$tmp/nodelay.so"
    PRELOAD=$tmp/nodelay.so
    SUFFIX=+nodelay
fi
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        # InspIRCd and ngIRCd exit at once on SIGTERM; give chatd its
        # bounded shutdown (10 s), then insist.
        stop_pid "$SERVER_PID" 100
        SERVER_PID=
    fi
}
cleanup() {
    stop_server
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    local port
    while :; do
        port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        [ "$port" != 6667 ] && [ "$port" != 6697 ] && break
    done
    echo "$port"
}

# Waits until something accepts connections on 127.0.0.1:$1.
wait_port() {
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then return 1; fi
        sleep 0.1
    done
    return 1
}

write_ngircd_conf() {
    cat >"$tmp/ngircd.conf" <<EOF
# ngIRCd for chatd-bench: loopback only, flood and connection limits off.
[Global]
	Name = ngircd.bench
	Info = chatd-bench comparison
	Listen = 127.0.0.1
	Ports = $1
	MotdPhrase = chatd-bench
	# Written after it has dropped root (to "nobody").
	PidFile = $tmp/run/ngircd.pid
[Limits]
	# 0: no limit (defaults: 0 and 5 connections per address).
	MaxConnections = 0
	MaxConnectionsIP = 0
	MaxJoins = 0
	# chatd's nick_length default.
	MaxNickLength = 30
	# 0: no penalty time at all (the default, -1, delays a client's
	# commands by a second or more when it sends too fast).
	MaxPenaltyTime = 0
	# Defaults, like chatd's [irc] ping_interval of 2 minutes.
	PingTimeout = 120
	PongTimeout = 20
[Options]
	DNS = no
	Ident = no
	PAM = no
EOF
    chmod 644 "$tmp/ngircd.conf"
}

write_inspircd_conf() {
    cat >"$tmp/inspircd.conf" <<EOF
# InspIRCd for chatd-bench: loopback only, flood and connection limits raised.
<server name="inspircd.bench" description="chatd-bench comparison" network="bench">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="$1" type="clients">
# threshold (x 1000) is the command penalty allowed, commandrate in commands
# per 1000 s: both far above anything the bench sends; fakelag off; 16 MiB
# hard send queue, 1 MiB soft (defaults 256 KiB and 8 KiB), 1 MiB receive
# queue (default 8 KiB); 20,000 connections from one address.
<connect name="bench" allow="127.0.0.1" timeout="60" pingfreq="120"
         hardsendq="16777216" softsendq="1048576" recvq="1048576"
         threshold="1000000" commandrate="1000000000" fakelag="no"
         localmax="20000" globalmax="20000" limit="20000" maxconnwarn="no"
         maxchans="20" resolvehostnames="no" useident="no">
<channels users="20" opers="60">
<performance softlimit="19000" somaxconn="128" netbuffersize="10240" clonesonconnect="no" quietbursts="yes">
<files motd="$tmp/motd.txt">
<pid file="$tmp/inspircd.pid">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$tmp/inspircd.log">
EOF
    echo "chatd-bench" >"$tmp/motd.txt"
}

# start NAME: starts server NAME; sets SERVER_PID and ADDR.
start_server() {
    local name=$1 port
    case "$name" in
        chatd | chatd-text | chatd-web | chatd-echo)
            local door=${name#chatd-}
            if [ "$name" = chatd ] || [ "$name" = chatd-echo ]; then door=irc; fi
            start_chatd "$TARGET"/release/chatd bench/chat-nolobby.toml "$door"
            ;;
        chatd-base)
            start_chatd "${BASE_CHATD:?BASE_CHATD names the older chatd binary}" \
                bench/chat-nolobby.toml irc
            ;;
        ngircd)
            port=$(free_port)
            write_ngircd_conf "$port"
            env ${PRELOAD:+LD_PRELOAD=$PRELOAD} \
                ngircd --nodaemon --config "$tmp/ngircd.conf" >"$tmp/server.log" 2>&1 &
            SERVER_PID=$!
            ADDR=127.0.0.1:$port
            wait_port "$port" || ADDR=
            ;;
        inspircd)
            port=$(free_port)
            write_inspircd_conf "$port"
            env ${PRELOAD:+LD_PRELOAD=$PRELOAD} \
                inspircd --runasroot --nofork --nopid --config "$tmp/inspircd.conf" >"$tmp/server.log" 2>&1 &
            SERVER_PID=$!
            ADDR=127.0.0.1:$port
            wait_port "$port" || ADDR=
            ;;
        *) echo "unknown server $name" >&2; exit 2 ;;
    esac
    if [ -z "$ADDR" ]; then
        echo "$name did not start:" >&2
        tail -n 20 "$tmp/server.log" >&2
        stop_server
        return 1
    fi
}

# bench SERVER ARGS...: one run of chatd-bench over IRC against a fresh SERVER.
bench() {
    local name=$1
    shift
    start_server "$name" || return 0
    local label=$name protocol=irc
    case "$name" in
        chatd | chatd-base) ;;
        chatd-text) protocol=text ;;
        chatd-web) protocol=web ;;
        chatd-echo) protocol=irc-echo ;;
        *) label=$name$SUFFIX ;;
    esac
    echo "== $label: chatd-bench --protocol $protocol $* (pid $SERVER_PID at $ADDR; load $(load_average))"
    timeout "$BENCH_TIMEOUT" "$TARGET"/release/chatd-bench --protocol "$protocol" --addr "$ADDR" \
        --server-pid "$SERVER_PID" --label "$label" --json "$OUT" "$@" || true
    stop_server
    if grep -q -i -E 'WARN|ERROR|panicked|fatal|exceeded|exhausted|flood' "$tmp/server.log"; then
        echo "   $name log, lines about limits and errors: $(grep -c -i -E 'WARN|ERROR|panicked|fatal|exceeded|exhausted|flood' "$tmp/server.log"), first and last:"
        grep -i -E 'WARN|ERROR|panicked|fatal|exceeded|exhausted|flood' "$tmp/server.log" | sed -n '1,3p;$p' | sed 's/^/     /'
    fi
    if [ -f "$tmp/inspircd.log" ]; then
        grep -i -E 'exceeded|flood' "$tmp/inspircd.log" | sed -n '1,3p' | sed 's/^/     inspircd: /' || true
        rm -f "$tmp/inspircd.log"
    fi
    echo
}

machine_line
echo "limits: ulimit -n $(ulimit -n); vm.max_map_count $(cat /proc/sys/vm/max_map_count)"
echo "versions: chatd $("$TARGET"/release/chatd --version 2>/dev/null | head -n1);" \
    "$(ngircd --version 2>/dev/null | head -n1); $(inspircd --version 2>/dev/null | head -n1)"
echo "results (one JSON line per run) go to $OUT"
echo

for s in "${scenarios[@]}"; do
    for _ in $(seq "$RUNS"); do
        for server in $SERVERS; do
            case "$s" in
                fanout100 | fanout500)
                    bench "$server" fanout --receivers "${s#fanout}" --senders 10 --seconds "$SECS" ;;
                private)
                    bench "$server" private --pairs "$PAIRS" --seconds "$SECS" ;;
                connections5000 | connections10000)
                    bench "$server" connections --count "${s#connections}" --hold 10 --max-seconds 300 \
                        --parallel "$PARALLEL" ;;
                *) echo "unknown scenario $s" >&2; exit 2 ;;
            esac
        done
    done
done

python3 - "$OUT" <<'PY'
import json, statistics, sys
fan, private, conns = {}, {}, {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "results" not in r:
        print(f"{r.get('label')}: {r.get('scenario')} failed: {r.get('error')}")
        continue
    p, res, label = r["params"], r["results"], r.get("label")
    cores = res["usage"].get("server_cores") or 0
    if r["scenario"] == "fanout":
        lat = res["latency"]
        fan.setdefault((p["receivers"], p["senders"], label), []).append(
            (res["deliveries_per_sec"], res["sent_per_sec"], lat["p50_us"], lat["p99_us"],
             lat["max_us"], res["lost"], res["connections_lost"], cores))
    elif r["scenario"] == "private":
        lat = res["round_trip_latency"]
        private.setdefault((p["pairs"], label), []).append(
            (res["round_trips_per_sec"], lat["p50_us"], lat["p99_us"], cores))
    elif r["scenario"] == "connections":
        rss = res["rss_kib_per_connection"] or (res.get("last_sample") or {}).get("rss_kib_per_connection")
        conns.setdefault((p["count"], label), []).append(
            (res["held"], res["alive_after_hold"], rss or 0, res["logins_per_sec"], res["failure"]))
med = lambda vs: [statistics.median(col) for col in zip(*vs)]
print()
print(f"{'fan-out (medians)':<32} {'deliveries/s':>13} {'lines/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'lost':>7} {'conns lost':>10} {'srv cores':>9} runs")
for (c, s, label), vs in fan.items():
    m = med(vs)
    print(f"{f'{c}+{s} {label}':<32} {m[0]:>13.0f} {m[1]:>9.0f} {m[2]/1000:>8.2f} {m[3]/1000:>8.2f} "
          f"{m[4]/1000:>8.2f} {m[5]:>7.0f} {m[6]:>10.0f} {m[7]:>9.2f} {len(vs)}")
print()
print(f"{'private (medians)':<32} {'round trips/s':>13} {'p50 ms':>8} {'p99 ms':>8} {'srv cores':>9} runs")
for (pairs, label), vs in private.items():
    m = med(vs)
    print(f"{f'{pairs} pairs {label}':<32} {m[0]:>13.0f} {m[1]/1000:>8.2f} {m[2]/1000:>8.2f} {m[3]:>9.2f} {len(vs)}")
print()
print(f"{'connections (medians)':<32} {'held':>7} {'alive':>7} {'KiB/conn':>9} {'logins/s':>9} runs; stopped by")
for (count, label), vs in conns.items():
    m = med([v[:4] for v in vs])
    stops = "; ".join(sorted({str(v[4]) for v in vs if v[4]})) or "nothing"
    print(f"{f'{count} {label}':<32} {m[0]:>7.0f} {m[1]:>7.0f} {m[2]:>9.1f} {m[3]:>9.0f} {len(vs)}; {stops}")
PY
