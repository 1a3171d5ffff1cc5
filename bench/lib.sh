# What the bench/*.sh scripts share; they source it (it is not run on its
# own) after `cd` to the repository: where cargo put the binaries, the
# machine's description, starting chatd on free loopback ports, and stopping
# a server by its PID (never by name).
#
# Before start_chatd a script sets `tmp` to its temporary directory; after
# it, SERVER_PID and ADDR say what was started and where.

# Where cargo builds; the binaries are taken from there.
TARGET=${CARGO_TARGET_DIR:-target}
SERVER_PID=
ADDR=

# The 1-, 5- and 15-minute load averages.
load_average() {
    cut -d' ' -f1-3 /proc/loadavg
}

# One line: cores, memory and load, printed before every set of runs.
machine_line() {
    echo "machine: $(nproc) cores; $(free -h | awk '/^Mem:/ {print $2 " memory, " $7 " available"}'); load $(load_average)"
}

# Each connection is a descriptor, in the server and in the bench.
raise_open_files() {
    ulimit -n "$(ulimit -Hn)"
}

# start_chatd BINARY CONFIG DOOR: starts `BINARY serve` with CONFIG, every
# door on a free port of 127.0.0.1, a fresh database $tmp/chat.db and its log
# in $tmp/server.log. Sets SERVER_PID, and ADDR to where DOOR (text, irc or
# web) listens: empty when chatd stopped, or did not say within 10 s.
start_chatd() {
    local bin=$1 config=$2 door=$3
    # A free port for the browser door too (its default, 8080, may be taken
    # by another server of the same run), when the binary has the door.
    local web=()
    if "$bin" serve --help 2>/dev/null | grep -q -- --web-listen; then
        web=(--web-listen 127.0.0.1:0)
    fi
    rm -f "$tmp"/chat.db*
    "$bin" serve --config "$config" \
        --listen 127.0.0.1:0 --udp-listen 127.0.0.1:0 --irc-listen 127.0.0.1:0 "${web[@]}" \
        --db "$tmp/chat.db" 2>"$tmp/server.log" &
    SERVER_PID=$!
    ADDR=
    for _ in $(seq 100); do
        ADDR=$(sed -n "s/.*$door door listening on \([0-9.]*:[0-9]*\).*/\1/p" "$tmp/server.log" | head -n1)
        [ -n "$ADDR" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
}

# stop_pid PID [GRACE]: SIGTERM to PID, then waits for it. With GRACE (in
# tenths of a second), a PID still running after that gets SIGKILL: chatd's
# shutdown is bounded, but another server's need not be.
stop_pid() {
    local pid=$1 grace=${2:-}
    kill -TERM "$pid" 2>/dev/null || true
    if [ -n "$grace" ]; then
        for _ in $(seq "$grace"); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
