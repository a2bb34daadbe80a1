#!/usr/bin/env bash
# Request/response latency under open-loop load: a client `request` to `demo.echo`, answered through the event bus,
# at fixed offered rates, with latencies from each request's intended send time (coordinated omission corrected).
# The Tether gateway (two clustered nodes, session records replicated to the second member, load and the demo
# backend on node 1) against a bare Vert.x 5 WebSocket server that answers through a local event-bus consumer, in
# alternating rounds from one load-client JVM, on 127.0.0.1 only. Method and results: docs/BENCHMARKS.md,
# "Request/response latency (scripts/bench-request.sh)".
#
# Everything this script starts it stops again (trap on EXIT, by PID). If the gateway jar is missing or a node
# does not come up, it says so and still reports the bare figures.

set -uo pipefail # no -e: a failing gateway must not cost us the bare figures

usage() {
  cat <<'EOF'
usage: scripts/bench-request.sh [options]          (each option also has an environment variable)

  --rates R[,R…]     offered total rates, requests/s               BENCH_RR_RATES      1000,5000,10000
  --rounds N         measured rounds per rate and target           BENCH_RR_ROUNDS     3
  --round-s S        seconds of load per round                     BENCH_RR_ROUND_S    15
  --warmup-s S       seconds of each warm-up round (0: none)       BENCH_RR_WARMUP_S   10
  --warmup-rates R,… warm-up rounds per target first, at these     BENCH_RR_WARMUP_RATES 1000,5000
                     rates (a ramp: a cold gateway at 5000 at
                     once spends its warm-up on timeouts)
  --conns C          connections per target                        BENCH_RR_CONNS      100
  --timeout-s S      a request unanswered this long is a timeout   BENCH_RR_TIMEOUT_S  5
  --profile RATE     after the measured rounds, one more gateway    BENCH_RR_PROFILE   (none)
                     round at RATE (e.g. 5000) with a JFR profile
                     of node 1 (kept out of the figures)
  --bare-only        do not build or start the gateway             BENCH_RR_BARE_ONLY  0
  --rebuild          run the Maven build even if both jars exist   BENCH_RR_REBUILD    0
  -h, --help

Ports (environment BENCH_RR_PORT_BASE, default 23000; below the ephemeral ports 32768-60999): bare server base+91; gateway clients base+80/base+81,
management base+190/base+191, cluster base+701/base+702.
Output: run/bench-request/summary.txt (the final table), run/bench-request/logs/ (every process's output),
run/bench-request/profile/ with --profile (the recording, `jfr summary`, the top frames).
Exit status: 0 only if every figure was measured and no round had errors, timeouts, gaps or duplicates.
EOF
}

RATES=${BENCH_RR_RATES:-1000,5000,10000}
ROUNDS=${BENCH_RR_ROUNDS:-3}
ROUND_S=${BENCH_RR_ROUND_S:-15}
WARMUP_S=${BENCH_RR_WARMUP_S:-10}
WARMUP_RATES=${BENCH_RR_WARMUP_RATES:-1000,5000}
CONNS=${BENCH_RR_CONNS:-100}
TIMEOUT_S=${BENCH_RR_TIMEOUT_S:-5}
PROFILE_RATE=${BENCH_RR_PROFILE:-}
BARE_ONLY=${BENCH_RR_BARE_ONLY:-0}
REBUILD=${BENCH_RR_REBUILD:-0}
PORT_BASE=${BENCH_RR_PORT_BASE:-23000}
COMMAND="scripts/bench-request.sh${*:+ $*}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --rates) RATES=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --round-s) ROUND_S=$2; shift 2 ;;
    --warmup-s) WARMUP_S=$2; shift 2 ;;
    --warmup-rates) WARMUP_RATES=$2; shift 2 ;;
    --conns) CONNS=$2; shift 2 ;;
    --timeout-s) TIMEOUT_S=$2; shift 2 ;;
    --profile) PROFILE_RATE=$2; shift 2 ;;
    --bare-only) BARE_ONLY=1; shift ;;
    --rebuild) REBUILD=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
for v in RATES WARMUP_RATES; do
  [[ ${!v} =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "bench-request.sh: $v must be numbers separated by commas" >&2; exit 2; }
done
for v in ROUNDS ROUND_S WARMUP_S CONNS TIMEOUT_S PORT_BASE; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench-request.sh: $v must be a number (got '${!v}')" >&2; exit 2; }
done
[[ -z $PROFILE_RATE || $PROFILE_RATE =~ ^[0-9]+$ ]] || { echo "bench-request.sh: --profile takes a rate" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=$ROOT/run/bench-request
LOGS=$RUN/logs
PROFILE_DIR=$RUN/profile
BENCH_SRC=$ROOT/loadtest/bench/target/tether-bench.jar
GATEWAY_SRC=$ROOT/gateway/server/target/tether-gateway.jar
BENCH_JAR=$RUN/tether-bench.jar
GATEWAY_JAR=$RUN/tether-gateway.jar

BARE_PORT=$((PORT_BASE + 91))
GW_PORT=$((PORT_BASE + 80))
GW_MGMT=$((PORT_BASE + 190))
GW_CLUSTER=$((PORT_BASE + 701))
BARE_URL=ws://127.0.0.1:$BARE_PORT/ws
GW_URL=ws://127.0.0.1:$GW_PORT/ws
# As scripts/bench-push.sh: Java 17 + Hazelcast flags (STACK.md trap 6), no phone-home, no join wait (trap 4).
GW_JVM=(-Xmx1g --add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  -Dhazelcast.phone.home.enabled=false -Dhazelcast.wait.seconds.before.join=0)
GW_START_TIMEOUT_S=${BENCH_GW_START_TIMEOUT_S:-90}

PIDS=()
BARE_PID=
GW1_PID=
GW2_PID=
WATCH_PID=
GATEWAY_OK=0
GATEWAY_WHY=

log() { echo "[bench-request $(date +%H:%M:%S)] $*"; }

cleanup() {
  local pid
  [[ -n $WATCH_PID ]] && kill "$WATCH_PID" 2>/dev/null
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do # up to 10 s to shut down cleanly, then SIGKILL
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || continue 2; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

spawn() { # log command…  (the child drops this script's traps before exec)
  local log=$1
  shift
  (
    trap - EXIT INT TERM
    exec "$@" >"$log" 2>&1
  ) &
  SPAWNED=$!
  PIDS+=("$SPAWNED")
}

# --- build and stage jars (never run from target/: STACK.md trap 11) ---------------------------------
rm -rf "$LOGS" "$PROFILE_DIR"
mkdir -p "$LOGS"
need_gateway=$((1 - BARE_ONLY))
if [[ $REBUILD == 1 || ! -f $BENCH_SRC || ($need_gateway == 1 && ! -f $GATEWAY_SRC) ]]; then
  log "building (mvn -q -B -DskipTests -fae package, log: $LOGS/build.log)"
  (cd "$ROOT" && mvn -q -B -DskipTests -fae package -pl gateway/server,loadtest/bench -am) >"$LOGS/build.log" 2>&1 ||
    log "the build reported failures (see $LOGS/build.log); continuing with whatever jars exist"
fi
[[ -f $BENCH_SRC ]] || { log "FATAL: $BENCH_SRC missing, see $LOGS/build.log"; exit 1; }
cp "$BENCH_SRC" "$BENCH_JAR"
if [[ $BARE_ONLY == 1 ]]; then
  GATEWAY_WHY="skipped (--bare-only)"
elif [[ -f $GATEWAY_SRC ]]; then
  cp "$GATEWAY_SRC" "$GATEWAY_JAR"
else
  GATEWAY_WHY="jar $GATEWAY_SRC missing (build failed? see $LOGS/build.log)"
fi

# --- servers ----------------------------------------------------------------------------------------
start_bare() {
  port_in_use $BARE_PORT && { log "FATAL: port $BARE_PORT is already in use"; exit 1; }
  spawn "$LOGS/bare.log" java -Xmx1g -cp "$BENCH_JAR" io.tether.bench.rr.BareRrServer --port $BARE_PORT
  BARE_PID=$SPAWNED
  for _ in $(seq 150); do
    grep -qs "listening" "$LOGS/bare.log" && { log "bare server up (pid $BARE_PID, $BARE_URL)"; return; }
    kill -0 "$BARE_PID" 2>/dev/null || break
    sleep 0.2
  done
  log "FATAL: bare server did not start:"; tail -20 "$LOGS/bare.log"; exit 1
}

# Node 1 runs the demo backend (demo.echo is then a consumer on the node that holds the sockets, as the bare
# server's is); node 2 is a plain member that holds the backups of node 1's session records.
start_gateway() {
  [[ -n $GATEWAY_WHY ]] && { log "gateway: $GATEWAY_WHY"; return; }
  local port
  for port in $GW_PORT $((GW_PORT + 1)) $GW_MGMT $((GW_MGMT + 1)) $GW_CLUSTER $((GW_CLUSTER + 1)); do
    port_in_use "$port" && { GATEWAY_WHY="port $port is already in use"; log "gateway: $GATEWAY_WHY"; return; }
  done
  local members="127.0.0.1:$GW_CLUSTER,127.0.0.1:$((GW_CLUSTER + 1))"
  spawn "$LOGS/gateway-1.log" java "${GW_JVM[@]}" -jar "$GATEWAY_JAR" --demo --allowed-addresses 'demo.*' \
    --port $GW_PORT --management-port $GW_MGMT --cluster-host 127.0.0.1 --cluster-port $GW_CLUSTER \
    --members "$members" --node-id rr-1
  GW1_PID=$SPAWNED
  spawn "$LOGS/gateway-2.log" java "${GW_JVM[@]}" -jar "$GATEWAY_JAR" \
    --port $((GW_PORT + 1)) --management-port $((GW_MGMT + 1)) --cluster-host 127.0.0.1 \
    --cluster-port $((GW_CLUSTER + 1)) --members "$members" --node-id rr-2
  GW2_PID=$SPAWNED
  local deadline=$((SECONDS + GW_START_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$GW1_PID" 2>/dev/null || ! kill -0 "$GW2_PID" 2>/dev/null; then
      GATEWAY_WHY="a gateway node exited during start-up"
      break
    fi
    # Both serving and clusterSafe: every partition's backup in sync, so the records really are replicated.
    if curl -sf "http://127.0.0.1:$GW_MGMT/health" | grep -q '"clusterSafe":true' &&
      curl -sf -o /dev/null "http://127.0.0.1:$((GW_MGMT + 1))/health"; then
      GATEWAY_OK=1
      log "gateway up: node 1 pid $GW1_PID ($GW_URL, demo backend), node 2 pid $GW2_PID (backups)"
      ss -Htnp state established "( dport = :$GW_CLUSTER or dport = :$((GW_CLUSTER + 1)) )" |
        grep -qE "pid=($GW1_PID|$GW2_PID)," ||
        log "WARNING: no member connection between the gateway nodes; are they really one cluster?"
      return
    fi
    sleep 0.5
  done
  [[ -z $GATEWAY_WHY ]] && GATEWAY_WHY="/health did not answer UP and clusterSafe within ${GW_START_TIMEOUT_S}s"
  log "GATEWAY UNAVAILABLE: $GATEWAY_WHY. Last lines of its logs:"
  tail -n 15 "$LOGS/gateway-1.log" "$LOGS/gateway-2.log"
  kill "$GW1_PID" "$GW2_PID" 2>/dev/null
}

# --- profile ----------------------------------------------------------------------------------------
# Waits for the client's "ROUND target=<gateway> rate=<R> round=profile" line (an extra round after the measured
# ones, so the profiler's overhead is in no figure) and records node 1 for that round.
watch_for_profile() { # client-log
  local line="ROUND target=$GW_URL rate=$PROFILE_RATE round=profile"
  mkdir -p "$PROFILE_DIR"
  (
    trap - EXIT INT TERM
    while ! grep -qsF "$line" "$1"; do sleep 0.1; done
    jcmd "$GW1_PID" JFR.start name=rr settings=profile duration="${ROUND_S}s" \
      filename="$PROFILE_DIR/gateway-node1-$PROFILE_RATE.jfr" >"$PROFILE_DIR/jfr-start.txt" 2>&1
  ) &
  WATCH_PID=$!
}

# Top frames of the recording: the executing method of each sample, and the samples whose stack holds a frame
# of each component (inclusive, so they add up to more than 100 %).
summarise_profile() {
  local jfr=$PROFILE_DIR/gateway-node1-$PROFILE_RATE.jfr
  for _ in $(seq 50); do [[ -s $jfr ]] && break; sleep 0.2; done # JFR writes the file when the duration ends
  [[ -s $jfr ]] || { log "no profile recorded (see $PROFILE_DIR/jfr-start.txt)"; return; }
  jfr summary "$jfr" >"$PROFILE_DIR/jfr-summary.txt" 2>&1
  "$ROOT/scripts/jfr-top.sh" "$jfr" >"$PROFILE_DIR/top-frames.txt" 2>&1
  log "profile: $jfr, top frames in $PROFILE_DIR/top-frames.txt"
}

# --- run --------------------------------------------------------------------------------------------
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" && git diff --quiet HEAD 2>/dev/null || echo "+uncommitted")
start_bare
start_gateway
urls=$BARE_URL
[[ $GATEWAY_OK == 1 ]] && urls="$urls,$GW_URL"
CLIENT_LOG=$LOGS/client.log
PROFILE_ARGS=()
if [[ -n $PROFILE_RATE && $GATEWAY_OK == 1 ]]; then
  PROFILE_ARGS=(--profile-target 1 --profile-rate "$PROFILE_RATE")
  # A first recording costs the JVM seconds of CPU (JFR's own start-up) on these 2 shared cores: at 5k req/s that
  # stall put the profiled round into a backlog it never left (3 runs out of 3). Paid here, before the warm-up.
  mkdir -p "$PROFILE_DIR"
  jcmd "$GW1_PID" JFR.start name=init duration=2s settings=profile filename="$PROFILE_DIR/init.jfr" \
    >"$PROFILE_DIR/jfr-init.txt" 2>&1
  sleep 3
  watch_for_profile "$CLIENT_LOG"
fi
log "load: $CONNS conns per target, rates $RATES req/s, $ROUNDS rounds of ${ROUND_S}s, warm-up ${WARMUP_S}s at" \
  "each of $WARMUP_RATES; alternating $urls"
spawn "$CLIENT_LOG" java -Xmx1g -cp "$BENCH_JAR" io.tether.bench.rr.RequestLoadClient --url "$urls" \
  --conns "$CONNS" --rates "$RATES" --rounds "$ROUNDS" --round-s "$ROUND_S" --warmup-s "$WARMUP_S" \
  --warmup-rates "$WARMUP_RATES" --timeout-s "$TIMEOUT_S" \
  ${PROFILE_ARGS[@]+"${PROFILE_ARGS[@]}"}
CLIENT_PID=$SPAWNED
# A progress line per round while the client runs (it is waited for, so Ctrl-C reaches the cleanup at once).
shown=0
while kill -0 "$CLIENT_PID" 2>/dev/null; do
  total=$(grep -cE "^(WARMUP|RESULT|PROFILED|FAILED|PROBLEM)" "$CLIENT_LOG" 2>/dev/null)
  if ((total > shown)); then
    grep -E "^(WARMUP|RESULT|PROFILED|FAILED|PROBLEM)" "$CLIENT_LOG" | sed -n "$((shown + 1)),${total}p" |
      sed -E 's/^(WARMUP|RESULT|PROFILED) mode=rr target=ws:\/\/127.0.0.1:([0-9]+)\/ws /\1 :\2 /; s/ codes=- / /' |
      while read -r l; do log "$l"; done
    shown=$total
  fi
  sleep 1
done
wait "$CLIENT_PID"
CLIENT_RC=$?
grep -E "^(RESULT|WARMUP|PROFILED|FAILED|PROBLEM)" "$CLIENT_LOG" | sed -n "$((shown + 1)),\$p" | while read -r l; do log "$l"; done
[[ -n $PROFILE_RATE && $GATEWAY_OK == 1 ]] && summarise_profile

# --- report -----------------------------------------------------------------------------------------
field() { # line name → value of name=… in the line
  tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -1
}
summary_line() { grep -F "SUMMARY target=$1 rate=$2 " "$CLIENT_LOG" | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "-" }'; }

COMPLETE=1
IFS=, read -ra RATE_LIST <<<"$RATES"
{
  echo
  echo "== Request/response to demo.echo, open loop, latency in ms from intended send to response =="
  echo "   (median over the $ROUNDS measured rounds of each round's figure; $CONNS connections per target, ${ROUND_S}s rounds,"
  echo "    ${WARMUP_S}s warm-up rounds per target at $WARMUP_RATES req/s first; pooled = all measured rounds' histograms merged)"
  printf "%-7s %-8s %9s %8s %8s %8s %9s %8s %7s %8s\n" "rate" "target" "achieved" "p50" "p99" "p99.9" "max" \
    "lag p99" "errors" "timeouts"
  for rate in "${RATE_LIST[@]}"; do
    for target in bare gateway; do
      url=$BARE_URL
      [[ $target == gateway ]] && url=$GW_URL
      [[ $target == gateway && $GATEWAY_OK != 1 ]] && continue
      line=$(summary_line "$url" "$rate")
      if [[ -z $line ]]; then
        printf "%-7s %-8s %s\n" "$rate" "$target" "not measured (see $CLIENT_LOG)"
        COMPLETE=0
        continue
      fi
      printf "%-7s %-8s %9s %8s %8s %8s %9s %8s %7s %8s\n" "$rate" "$target" "$(field "$line" medAchieved)" \
        "$(field "$line" medP50)" "$(field "$line" medP99)" "$(field "$line" medP999)" "$(field "$line" medMax)" \
        "$(field "$line" medLagP99)" "$(field "$line" errors)" "$(field "$line" timeouts)"
      [[ $(field "$line" errors)$(field "$line" timeouts)$(field "$line" gaps)$(field "$line" dups) == 0000 ]] || COMPLETE=0
    done
    if [[ $GATEWAY_OK == 1 ]]; then
      b=$(summary_line "$BARE_URL" "$rate")
      g=$(summary_line "$GW_URL" "$rate")
      echo "        gateway/bare: p50 $(ratio "$(field "$g" medP50)" "$(field "$b" medP50)")," \
        "p99 $(ratio "$(field "$g" medP99)" "$(field "$b" medP99)"), p99.9 $(ratio "$(field "$g" medP999)" "$(field "$b" medP999)");" \
        "pooled p99 bare $(field "$b" pooled:p99), gateway $(field "$g" pooled:p99) ($(ratio "$(field "$g" pooled:p99)" "$(field "$b" pooled:p99)"))"
    fi
  done
  echo "   every round (p99 ms, achieved req/s):"
  for rate in "${RATE_LIST[@]}"; do
    for url in "$BARE_URL" "$GW_URL"; do
      rounds=$(grep -F "RESULT mode=rr target=$url rate=$rate " "$CLIENT_LOG" |
        awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
               printf "%s%s (%s)", sep, f["p99"], f["achieved"]; sep = ", " }')
      [[ -n $rounds ]] && echo "     $rate $([[ $url == "$BARE_URL" ]] && echo "bare   " || echo gateway): $rounds"
    done
    # Each gateway round against the bare round just before it: the closest in time, so the least apart in noise.
    pairs=$(grep -E "^RESULT mode=rr target=($BARE_URL|$GW_URL) rate=$rate " "$CLIENT_LOG" |
      awk -v bare="$BARE_URL" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
             if (f["target"] == bare) b[f["round"]] = f["p99"]; else g[f["round"]] = f["p99"] }
           END { for (r = 1; r in b; r++) if ((r in g) && b[r] > 0) { printf "%s%.2f", sep, g[r] / b[r]; sep = ", " } }')
    [[ -n $pairs ]] && echo "     $rate gateway/bare p99, round by round: $pairs"
  done
  problems=$(grep -E "^(RESULT|WARMUP) .*status=errors" "$CLIENT_LOG" | sed -E 's/ p50=.* errors=/ errors=/')
  [[ -n $problems ]] && { echo "   rounds with errors or timeouts:"; sed 's/^/     /' <<<"$problems"; }
  if [[ $GATEWAY_OK == 1 ]]; then
    b=$(summary_line "$BARE_URL" 5000)
    g=$(summary_line "$GW_URL" 5000)
    if [[ -n $b && -n $g ]]; then
      r=$(ratio "$(field "$g" medP99)" "$(field "$b" medP99)")
      verdict=$(awk -v r="$r" 'BEGIN { print (r != "-" && r <= 2.0) ? "MET" : "NOT MET" }')
      # Percentiles leave out timed-out and refused requests: with any of those, a figure flatters its side.
      clean5k=$(field "$b" errors)$(field "$b" timeouts)$(field "$g" errors)$(field "$g" timeouts)
      [[ $clean5k == 0000 ]] || verdict="UNDECIDED (rounds at 5000 req/s had errors or timeouts, so the percentiles leave requests out)"
      echo "target (issue 11): at 5000 req/s, gateway p99 <= 2x bare p99 in the same run: $verdict" \
        "(gateway $(field "$g" medP99) ms / bare $(field "$b" medP99) ms = ${r}x)"
    fi
  else
    echo "GATEWAY NOT MEASURED: $GATEWAY_WHY"
    [[ $BARE_ONLY == 1 ]] || COMPLETE=0
  fi
  if [[ -n $PROFILE_RATE ]]; then
    p=$(grep -E "^PROFILED " "$CLIENT_LOG" | sed -E 's/^PROFILED mode=rr target=[^ ]+ //; s/ conns=[0-9]+//')
    echo "profiled extra gateway round (in no figure above): ${p:-none}"
    [[ -s $PROFILE_DIR/top-frames.txt ]] && echo "   its JFR profile of node 1: $PROFILE_DIR/top-frames.txt"
  fi
  echo "command: $COMMAND"
  echo "date: $START_DATE; commit: ${COMMIT:-unknown}; machine: $(nproc) cores"
  echo "load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RUN/summary.txt"
cat "$RUN/summary.txt"
[[ $CLIENT_RC == 0 ]] || COMPLETE=0
((COMPLETE))
