#!/usr/bin/env bash
# Idle sessions at scale (docs/BENCHMARKS.md "Sessions at scale"): RSS and live heap per session, CPU while idle
# (heartbeats and the sweeps), presence and store sizes, time to ramp, and state flapping, for
#   single:  S sessions (default 18 000) on one gateway node whose records replicate to a second member, against a
#            bare Vert.x WebSocket server (io.tether.bench.BareWsServer) holding as many connections, same run;
#   cluster: S sessions (default 100 000) over K node processes on this machine (default 6), one load process per
#            node (a process may hold at most ~19k sockets here: ulimit -Hn is 20 000).
# Load: io.tether.bench.HoldClient processes (hello, acks, a ping every 20 s, staggered), each from its own loopback
# source addresses (127.0.0.x), so no process runs out of ephemeral ports.
set -uo pipefail

usage() {
  cat <<'EOF'
usage: scripts/bench-idle.sh [single|cluster] [options]     (each option also has an environment variable)
  --sessions S      sessions held                             IDLE_SESSIONS   18000 (single) / 100000 (cluster)
  --nodes K         cluster mode: gateway node processes      IDLE_NODES      6
  --idle-s W        idle window over which CPU is measured    IDLE_WINDOW_S   60
  --settle-s T      wait after the ramp before the window      IDLE_SETTLE_S   120 (the JIT settles)
  --profile         JFR of gateway node 1 during the ramp and during the window: run/bench-idle/profile/*.txt
  --heap H          gateway node -Xmx                         IDLE_HEAP       1g (single) / 1500m (cluster)
  --rate R          handshakes per second per load process    IDLE_RATE       1500 (single) / 40 (cluster)
  --bare-rate R     the same for the bare baseline            IDLE_BARE_RATE  1500
  --no-bare         without the bare baseline (in cluster mode it holds one node's share, sessions / nodes)
  --rebuild         build the jars even if they exist
Extra gateway options (environment): IDLE_NODE_ARGS, e.g. "--heartbeat-ms 60000".
Ports (environment): IDLE_PORT_BASE 24100 (node k on +k, bare on +0), IDLE_MGMT_BASE 24200, IDLE_HZ_BASE 24300.
Output: run/bench-idle/summary.txt (also appended to by every run: run/bench-idle/history.txt); logs in
run/bench-idle/logs.
EOF
}

MODE=single
if [[ ${1:-} == single || ${1:-} == cluster ]]; then MODE=$1; shift; fi
SESSIONS=${IDLE_SESSIONS:-}
NODES=${IDLE_NODES:-6}
WINDOW_S=${IDLE_WINDOW_S:-60}
SETTLE_S=${IDLE_SETTLE_S:-120}
PROFILE=0
HEAP=${IDLE_HEAP:-}
RATE=${IDLE_RATE:-}
BARE_RATE=${IDLE_BARE_RATE:-1500}
BARE=1
REBUILD=0
COMMAND="scripts/bench-idle.sh $MODE $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sessions) SESSIONS=$2; shift 2 ;;
    --nodes) NODES=$2; shift 2 ;;
    --idle-s) WINDOW_S=$2; shift 2 ;;
    --settle-s) SETTLE_S=$2; shift 2 ;;
    --profile) PROFILE=1; shift ;;
    --heap) HEAP=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --bare-rate) BARE_RATE=$2; shift 2 ;;
    --no-bare) BARE=0; shift ;;
    --rebuild) REBUILD=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [[ $MODE == single ]]; then
  SESSIONS=${SESSIONS:-18000}; HEAP=${HEAP:-1g}; NODES=2; RATE=${RATE:-1500}
else
  # Paced: six load processes at full speed saturate 2 cores (12 JVMs), heartbeats then come late and the nodes
  # close those sockets (docs/BENCHMARKS.md "Results: 100 000 sessions", runs 1 and 2).
  SESSIONS=${SESSIONS:-100000}; HEAP=${HEAP:-1500m}; RATE=${RATE:-40}
fi
PER_PROCESS_MAX=18500
# The same JVM settings for every server measured (gateway nodes and the bare server): G1 gives back heap it no
# longer needs once the process is idle (JEP 346), and keeps at most 30 % of the heap free after a collection.
# Without them a JVM keeps the heap its ramp grew to, and RSS says more about the ramp than about the sessions.
IDLE_JVM=${IDLE_JVM:--XX:G1PeriodicGCInterval=15000 -XX:MaxHeapFreeRatio=30 -XX:MinHeapFreeRatio=10}
export NODE_EXTRA_JVM=$IDLE_JVM

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=$ROOT/run/bench-idle
LOGS=$RUN/logs
LABEL=bench-idle
# shellcheck source=lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT_BASE=${IDLE_PORT_BASE:-24100}
MGMT_BASE=${IDLE_MGMT_BASE:-24200}
HZ_BASE=${IDLE_HZ_BASE:-24300}
TICK=$(getconf CLK_TCK)

stage_jars
ulimit -n "$(ulimit -Hn)" 2>/dev/null

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
ROWS=()
THREAD_ROWS=()

# Holds `count` sessions from process j (clientIds from `first`), against `urls`; PID in SPAWNED.
start_holder() { # name j first count urls
  local b=$((2 + 2 * $2))
  spawn "$LOGS/hold-$1.log" java -Xmx1g -Xss256k -cp "$BENCH_JAR" io.tether.bench.HoldClient --urls "$5" \
    --sessions "$4" --first "$3" --client-prefix "idle-$1" --sources "127.0.$b.1,127.0.$((b + 1)).1" \
    --connect-rate "$([[ $1 == bare-* ]] && echo "$BARE_RATE" || echo "$RATE")" --progress-ms 5000
}

# Warms a server up (class loading, pools: not counted) with 200 sessions that say hello then bye.
warm_up() { # name url
  spawn "$LOGS/warm-$1.log" java -Xmx256m -cp "$BENCH_JAR" io.tether.bench.HoldClient --urls "$2" --sessions 200 \
    --client-prefix "warm-$1" --hold-s 1
  wait "$SPAWNED" || log "warm-up of $1 did not finish cleanly: $(tail -2 "$LOGS/warm-$1.log")"
  sleep 1
}

# Ramps the holders given as "j:first:count:url" items; sets RAMP_S; returns non-zero if one failed.
ramp() { # name items…
  local name=$1 item j first count url files=() pids=""
  shift
  local t0=$SECONDS
  for item in "$@"; do
    IFS=: read -r j first count url <<<"$item"
    start_holder "$name-$j" "$j" "$first" "$count" "$url"
    HOLDERS+=("$SPAWNED")
    pids+=" $SPAWNED"
    files+=("$LOGS/hold-$name-$j.log")
  done
  # Progress: the newest line of every holder, every 10 s.
  while ! wait_for_line READY 10 "$pids" "${files[@]}"; do
    local p dead=0
    for p in $pids; do kill -0 "$p" 2>/dev/null || dead=1; done
    if ((dead)) || ((SECONDS - t0 > 900)); then
      log "ramp of $name failed:"; tail -n 3 "${files[@]}"; return 1
    fi
    log "ramping $name: $(for f in "${files[@]}"; do grep -h '^PROGRESS' "$f" | tail -1 | awk '{print $3}'; done | tr '\n' ' ')"
  done
  RAMP_S=$((SECONDS - t0))
  log "$name: all holders READY after ${RAMP_S}s ($(grep -h '^READY' "${files[@]}" | awk '{print $3}' | tr '\n' ' '))"
}

stop_holders() {
  local p
  for p in "${HOLDERS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${HOLDERS[@]}"; do wait "$p" 2>/dev/null; done
  HOLDERS=()
}

# JFR (settings=profile) of gateway node 1 during its ramp and, separately, during the idle window; each summarised
# by scripts/jfr-top.sh into run/bench-idle/profile/<phase>.txt. The window's CPU figure then includes JFR's own.
jfr_on() { # pid phase
  mkdir -p "$RUN/profile"
  jcmd "$1" JFR.start name="$2" settings=profile >/dev/null
}
jfr_off() { # pid phase
  jcmd "$1" JFR.dump name="$2" filename="$RUN/profile/$2.jfr" >/dev/null && jcmd "$1" JFR.stop name="$2" >/dev/null
  "$ROOT/scripts/jfr-top.sh" "$RUN/profile/$2.jfr" >"$RUN/profile/$2.txt" 2>&1 && log "profile of the $2: $RUN/profile/$2.txt"
}

kb_per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (a == "" || b == "" || n == 0) print "-"; else printf "%.1f", (b - a) / n }'; }

# Measures one target: base readings, ramp, loaded readings, idle window. pids/mgmts are parallel lists.
measure() { # name "pids" "mgmts" items…
  local name=$1 pids=($2) mgmts=($3) i
  shift 3
  declare -A base_rss base_heap
  for i in "${!pids[@]}"; do
    base_rss[$i]=$(rss_kb "${pids[$i]}")
    base_heap[$i]=$(live_heap "${pids[$i]}")
  done
  HOLDERS=()
  [[ $PROFILE == 1 && $name == gateway ]] && jfr_on "${pids[0]}" ramp
  ramp "$name" "$@" || return 1
  [[ $PROFILE == 1 && $name == gateway ]] && jfr_off "${pids[0]}" ramp
  sleep "$SETTLE_S" # replication, the first trims of the hellos and most of the JIT compilation the ramp caused
  [[ $PROFILE == 1 && $name == gateway ]] && jfr_on "${pids[0]}" idle
  local susp0=() hbto0=() ticks0=() m
  for i in "${!pids[@]}"; do
    m=${mgmts[$i]}
    [[ $m == - ]] && continue
    susp0[$i]=$(metric "http://127.0.0.1:$m/metrics" 'tether_session_transitions_total{to="SUSPECT"}')
    hbto0[$i]=$(metric "http://127.0.0.1:$m/metrics" tether_heartbeat_timeouts_total)
  done
  for i in "${!pids[@]}"; do
    ticks0[$i]=$(cpu_ticks "${pids[$i]}")
    thread_ticks "${pids[$i]}" >"$LOGS/threads0-$name-$i.txt"
  done
  log "$name: idle window of ${WINDOW_S}s"
  sleep "$WINDOW_S"
  for i in "${!pids[@]}"; do
    local pid=${pids[$i]} ticks cpu rss heap susp hbto held
    ticks=$(cpu_ticks "$pid")
    thread_ticks "$pid" >"$LOGS/threads1-$name-$i.txt"
    [[ $PROFILE == 1 && $name == gateway && $i == 0 ]] && jfr_off "$pid" idle
    # Where the idle CPU went, by thread (JIT compiler threads still busy after the ramp show here).
    thread_cpu "$LOGS/threads0-$name-$i.txt" "$LOGS/threads1-$name-$i.txt" "$WINDOW_S" >"$LOGS/threads-$name-$i.txt"
    THREAD_ROWS+=("$name ${NAMES[$i]}: $(head -n 6 "$LOGS/threads-$name-$i.txt" | sed 's/^ *//; s/ %  /% /' | paste -sd ';' | sed 's/;/; /g')")
    cpu=$(awk -v a="${ticks0[$i]}" -v b="$ticks" -v t="$TICK" -v w="$WINDOW_S" 'BEGIN { printf "%.1f", (b - a) / t / w * 100 }')
    rss=$(rss_kb "$pid")
    heap=$(live_heap "$pid")
    m=${mgmts[$i]}
    susp=-; hbto=-; held=$TOTAL
    if [[ $m != - ]]; then
      susp=$(($(metric "http://127.0.0.1:$m/metrics" 'tether_session_transitions_total{to="SUSPECT"}') - susp0[$i]))
      hbto=$(($(metric "http://127.0.0.1:$m/metrics" tether_heartbeat_timeouts_total) - hbto0[$i]))
      held=$(metric "http://127.0.0.1:$m/metrics" tether_connections)
      curl -sf "http://127.0.0.1:$m/metrics" | grep -E '^tether_(memory|store_entries|store_memory|sessions|connections|buffered)' \
        >"$LOGS/metrics-$name-$i.txt"
    fi
    # Per session of this node; a node without sockets (the replica) is charged for all the sessions it replicates.
    local per_rss per_heap n=$((held > 0 ? held : TOTAL))
    per_rss=$(kb_per "${base_rss[$i]}" "$rss" "$n")
    per_heap=$(awk -v a="${base_heap[$i]}" -v b="$heap" -v n="$n" 'BEGIN { if (a == "" || b == "" || n == 0) print "-"; else printf "%.2f", (b - a) / n / 1024 }')
    ROWS+=("| $name ${NAMES[$i]} | $held | $RAMP_S | $((base_rss[$i] / 1024)) → $((rss / 1024)) | $per_rss | $per_heap | $cpu | $susp | $hbto |")
    log "$name ${NAMES[$i]}: held $held, RSS $((rss / 1024)) MB ($per_rss KB/session), live heap $per_heap KB/session, CPU ${cpu}% of a core, SUSPECT $susp, heartbeat timeouts $hbto"
  done
  stop_holders
}

# Splits TOTAL sessions into holder items "j:first:count:url" (at most PER_PROCESS_MAX each), round robin on urls.
items_for() { # urls…
  local urls=("$@") n=${#urls[@]} k per first=0 j=0 count out=()
  k=$(((TOTAL + PER_PROCESS_MAX - 1) / PER_PROCESS_MAX))
  ((k < n)) && k=$n
  per=$(((TOTAL + k - 1) / k))
  while ((first < TOTAL)); do
    count=$((TOTAL - first < per ? TOTAL - first : per))
    out+=("$j:$first:$count:${urls[$((j % n))]}")
    first=$((first + count)); j=$((j + 1))
  done
  echo "${out[@]}"
}

TOTAL=$SESSIONS
# The bare baseline holds one node's share: all the sessions (single), or sessions / nodes (cluster).
if [[ $BARE == 1 ]]; then
  [[ $MODE == cluster ]] && TOTAL=$(((SESSIONS + NODES - 1) / NODES))
  port_in_use "$PORT_BASE" && { log "FATAL: port $PORT_BASE in use"; exit 1; }
  # shellcheck disable=SC2086
  spawn "$LOGS/bare.log" java -Xmx1g $IDLE_JVM -cp "$BENCH_JAR" io.tether.bench.BareWsServer --port "$PORT_BASE"
  BARE_PID=$SPAWNED
  for _ in $(seq 100); do grep -qs listening "$LOGS/bare.log" && break; sleep 0.2; done
  warm_up bare "ws://127.0.0.1:$PORT_BASE/ws"
  NAMES=("(bare Vert.x)")
  # shellcheck disable=SC2046
  measure bare "$BARE_PID" "-" $(items_for "ws://127.0.0.1:$PORT_BASE/ws") || log "bare measurement failed"
  kill "$BARE_PID"; wait "$BARE_PID" 2>/dev/null
  TOTAL=$SESSIONS
fi

members=""
for ((k = 1; k <= NODES; k++)); do members+="${members:+,}127.0.0.1:$((HZ_BASE + k))"; done
NODE_PIDS=(); MGMTS=(); URLS=(); NAMES=()
for ((k = 1; k <= NODES; k++)); do
  # shellcheck disable=SC2086 # IDLE_NODE_ARGS: extra gateway options, word-split on purpose
  start_node "$k" "$GATEWAY_JAR" "$HEAP" "$((PORT_BASE + k))" "$((MGMT_BASE + k))" "$((HZ_BASE + k))" "$members" \
    ${IDLE_NODE_ARGS:-}
  NODE_PIDS+=("$SPAWNED"); MGMTS+=("$((MGMT_BASE + k))"); URLS+=("ws://127.0.0.1:$((PORT_BASE + k))/ws")
  NAMES+=("node $k")
done
wait_health 120 "${MGMTS[@]}" || { log "FATAL: the gateway nodes did not come up"; tail -n 20 "$LOGS"/node-*.log; exit 1; }
log "gateway: $NODES nodes up ($members)"
warm_up gateway "${URLS[0]}"
if [[ $MODE == single ]]; then
  NAMES=("node 1 (sockets)" "node 2 (replica)")
  # shellcheck disable=SC2046
  measure gateway "${NODE_PIDS[*]}" "${MGMTS[*]}" $(items_for "${URLS[0]}") || log "gateway measurement failed"
else
  # shellcheck disable=SC2046
  measure gateway "${NODE_PIDS[*]}" "${MGMTS[*]}" $(items_for "${URLS[@]}") || log "gateway measurement failed"
fi

{
  echo "# scripts/bench-idle.sh, $MODE: $TOTAL idle sessions"
  echo "command: $COMMAND"
  echo "date: $START_DATE; commit $(commit_of "$ROOT"); load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "gateway nodes: $NODES, -Xmx$HEAP, backup-count 1, options: ${IDLE_NODE_ARGS:-(defaults: heartbeat 25 s)}; ramp at most ${RATE} handshakes/s per load process (bare ${BARE_RATE}); idle window ${WINDOW_S}s after ${SETTLE_S}s; a ping every 20 s per session"
  echo "JVM options of every server measured: $IDLE_JVM"
  echo
  echo "| target | sessions held | ramp s | RSS MB (0 → loaded) | RSS KB / session | live heap KB / session | idle CPU % of a core | SUSPECT transitions | heartbeat timeouts |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "idle CPU by thread (% of a core over the window, the six largest; all in logs/threads-*.txt):"
  printf -- '- %s\n' "${THREAD_ROWS[@]}"
  echo
  echo "meters of node 1 at the end of the window:"
  cat "$LOGS"/metrics-gateway-0.txt 2>/dev/null | sed 's/^/    /'
} | tee "$RUN/summary.txt"
cat "$RUN/summary.txt" >>"$RUN/history.txt"
