#!/usr/bin/env bash
# Reliable push throughput and idle heap per session: the Tether gateway (two clustered nodes, session
# buffers replicated to the second member) against a bare Vert.x 5 WebSocket server, in one run, on
# 127.0.0.1 only. Method and results: docs/BENCHMARKS.md.
#
# Everything this script starts it stops again (trap on EXIT, by PID). If the gateway jar is missing or
# a node does not come up, it says so and still reports the bare figures.

set -uo pipefail # no -e: a failing gateway must not cost us the bare figures

usage() {
  cat <<'EOF'
usage: scripts/bench-push.sh [options]            (each option also has an environment variable)

  --variants NxM[,NxM…]  push variants: N connections x M pushes each  BENCH_VARIANTS   100x2000,1000x200
  --rounds R             rounds per variant and server                 BENCH_ROUNDS     9
  --warmup W             leading rounds left out of the median         BENCH_WARMUP     4
  --idle-conns K         idle sessions for heap per session (0 = skip) BENCH_IDLE_CONNS 2000
  --timeout-s S          bound of each load-client phase               BENCH_TIMEOUT_S  120
  --bare-only            do not build or start the gateway             BENCH_BARE_ONLY  0
  --gateway-jar FILE     the gateway jar to measure (default: the build  BENCH_GATEWAY_JAR
                         output, gateway/server/target/tether-gateway.jar)
  --compare-jar FILE     also run FILE (another build of the gateway,  BENCH_COMPARE_JAR
                         e.g. an earlier commit's) as a second 2-node
                         gateway, in the same alternating rounds
  --rebuild              run the Maven build even if both jars exist   BENCH_REBUILD    0
  -h, --help

Ports: bare 8090; gateway clients 8080/8081, management 9090/9091, cluster 5701/5702;
--compare-jar gateway clients 8082/8083, management 9092/9093, cluster 5703/5704.
Output: run/bench/summary.txt (the final table), run/bench/logs/ (every process's output).
Exit status: 0 only if every figure was measured and no round had errors, gaps or duplicates.
EOF
}

VARIANTS=${BENCH_VARIANTS:-100x2000,1000x200}
ROUNDS=${BENCH_ROUNDS:-9}
WARMUP=${BENCH_WARMUP:-4}
IDLE_CONNS=${BENCH_IDLE_CONNS:-2000}
TIMEOUT_S=${BENCH_TIMEOUT_S:-120}
BARE_ONLY=${BENCH_BARE_ONLY:-0}
REBUILD=${BENCH_REBUILD:-0}
COMPARE_SRC=${BENCH_COMPARE_JAR:-}
GATEWAY_SRC_OPT=${BENCH_GATEWAY_JAR:-}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --variants) VARIANTS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --idle-conns) IDLE_CONNS=$2; shift 2 ;;
    --timeout-s) TIMEOUT_S=$2; shift 2 ;;
    --bare-only) BARE_ONLY=1; shift ;;
    --rebuild) REBUILD=1; shift ;;
    --compare-jar) COMPARE_SRC=$2; shift 2 ;;
    --gateway-jar) GATEWAY_SRC_OPT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=$ROOT/run/bench
LOGS=$RUN/logs
BENCH_SRC=$ROOT/loadtest/bench/target/tether-bench.jar
GATEWAY_SRC=${GATEWAY_SRC_OPT:-$ROOT/gateway/server/target/tether-gateway.jar}
BENCH_JAR=$RUN/tether-bench.jar
GATEWAY_JAR=$RUN/tether-gateway.jar
COMPARE_JAR=$RUN/tether-gateway-compare.jar
GWB_URL=ws://127.0.0.1:8082/ws

BARE_PORT=8090
BARE_URL=ws://127.0.0.1:$BARE_PORT/ws
GW_URL=ws://127.0.0.1:8080/ws
# Java 17 + Hazelcast (STACK.md trap 6) even if the manifest has them; no phone-home (no outside
# network); no 5 s join wait on the first member (trap 4).
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
GATEWAY_OK=0
GATEWAY_WHY=
GWB_OK=0
GWB_WHY=
GW3_PID=
GW4_PID=

log() { echo "[bench $(date +%H:%M:%S)] $*"; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do # up to 10 s to shut down cleanly, then SIGKILL
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || continue 2; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts "$@" in the background with output to $1, records its PID (in SPAWNED and for the cleanup).
# The child drops this script's traps before exec: a signal arriving in between must not make it
# run the cleanup itself.
spawn() { # log command…
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
rm -rf "$LOGS" # the start-up checks grep these logs: nothing from an earlier run may match
mkdir -p "$LOGS"
need_gateway=$((1 - BARE_ONLY))
if [[ $REBUILD == 1 || ! -f $BENCH_SRC || ($need_gateway == 1 && ! -f $GATEWAY_SRC) ]]; then
  log "building (mvn -q -B -DskipTests -fae package, log: $LOGS/build.log)"
  # -fae: a gateway that does not compile yet must not stop the bench module from building.
  (cd "$ROOT" && mvn -q -B -DskipTests -fae package) >"$LOGS/build.log" 2>&1 ||
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
if [[ -n $COMPARE_SRC ]]; then
  if [[ -f $COMPARE_SRC && $BARE_ONLY == 0 ]]; then
    cp "$COMPARE_SRC" "$COMPARE_JAR"
  else
    GWB_WHY="compare jar $COMPARE_SRC missing (or --bare-only)"
  fi
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null # thousands of sockets on both ends

# --- servers ----------------------------------------------------------------------------------------
start_bare() {
  port_in_use $BARE_PORT && { log "FATAL: port $BARE_PORT is already in use"; exit 1; }
  spawn "$LOGS/bare.log" java -Xmx1g -cp "$BENCH_JAR" io.tether.bench.BareWsServer --port $BARE_PORT
  BARE_PID=$SPAWNED
  for _ in $(seq 100); do
    grep -qs "listening" "$LOGS/bare.log" && { log "bare server up (pid $BARE_PID)"; return; }
    kill -0 "$BARE_PID" 2>/dev/null || break
    sleep 0.2
  done
  log "FATAL: bare server did not start:"; tail -20 "$LOGS/bare.log"; exit 1
}

start_gateway_node() { # n jar client-port management-port cluster-port members
  spawn "$LOGS/gateway-$1.log" java "${GW_JVM[@]}" -jar "$2" --demo --port "$3" \
    --management-port "$4" --cluster-host 127.0.0.1 --cluster-port "$5" \
    --members "$6" --node-id "bench-$1"
  printf -v "GW$1_PID" '%s' "$SPAWNED"
}

# Starts a 2-node gateway from a jar and waits for both /health; sets ${var}_OK=1 or ${var}_WHY.
# (Node numbers a and a+1; client ports p, p+1; management m, m+1; cluster c, c+1.)
start_gateway_pair() { # var label jar a p m c
  local var=$1 label=$2 jar=$3 a=$4 p=$5 m=$6 c=$7 port pid1 pid2
  local why_var=${var}_WHY ok_var=${var}_OK
  [[ -n ${!why_var} ]] && { log "$label: ${!why_var}"; return; }
  for port in $p $((p + 1)) $m $((m + 1)) $c $((c + 1)); do
    port_in_use "$port" && { printf -v "$why_var" 'port %s is already in use' "$port"; log "$label: ${!why_var}"; return; }
  done
  local members="127.0.0.1:$c,127.0.0.1:$((c + 1))"
  start_gateway_node "$a" "$jar" "$p" "$m" "$c" "$members"
  pid1=$SPAWNED
  start_gateway_node "$((a + 1))" "$jar" "$((p + 1))" "$((m + 1))" "$((c + 1))" "$members"
  pid2=$SPAWNED
  local deadline=$((SECONDS + GW_START_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid1" 2>/dev/null || ! kill -0 "$pid2" 2>/dev/null; then
      printf -v "$why_var" '%s' "a gateway node exited during start-up"
      break
    fi
    if curl -sf -o /dev/null "http://127.0.0.1:$m/health" && curl -sf -o /dev/null "http://127.0.0.1:$((m + 1))/health"; then
      printf -v "$ok_var" '%s' 1
      log "$label up: node $a pid $pid1, node $((a + 1)) pid $pid2"
      # The point of the comparison is replication to a second member; warn loudly if there is none.
      # Checked on the sockets, as the gateway need not log Hazelcast's membership.
      ss -Htnp state established "( dport = :$c or dport = :$((c + 1)) )" | grep -qE "pid=($pid1|$pid2)," ||
        log "WARNING: no member connection between the $label nodes; are they really one cluster?"
      return
    fi
    sleep 0.5
  done
  [[ -z ${!why_var} ]] && printf -v "$why_var" '%s' "/health did not answer 200 on both nodes within ${GW_START_TIMEOUT_S}s"
  log "${label^^} UNAVAILABLE: ${!why_var}. Last lines of its logs:"
  tail -n 15 "$LOGS/gateway-$a.log" "$LOGS/gateway-$((a + 1)).log"
  kill "$pid1" "$pid2" 2>/dev/null
}

start_gateway() {
  start_gateway_pair GATEWAY gateway "$GATEWAY_JAR" 1 8080 9090 5701
  [[ -n $COMPARE_SRC ]] && start_gateway_pair GWB "compare gateway" "$COMPARE_JAR" 3 8082 9092 5703
}

# --- idle heap per session --------------------------------------------------------------------------
# Live heap in bytes: GC.class_histogram runs a full GC itself and sums live objects only, whatever
# the collector (GC.heap_info's format differs per collector). GC.run first lets weak references
# and finalizers settle.
live_heap() {
  jcmd "$1" GC.run >/dev/null 2>&1
  jcmd "$1" GC.class_histogram 2>/dev/null | awk '$1 == "Total" { print $3 }'
}

# Starts an idle client (its PID in IDLE_PID) and waits for READY; fails if it never gets there.
start_idle_client() { # url conns prefix log
  spawn "$4" java -Xmx1g -jar "$BENCH_JAR" --idle --url "$1" --conns "$2" --client-prefix "$3" \
    --timeout-s "$TIMEOUT_S"
  IDLE_PID=$SPAWNED
  local deadline=$((SECONDS + TIMEOUT_S + 10))
  while ((SECONDS < deadline)); do
    grep -qs "^READY" "$4" && return 0
    kill -0 "$IDLE_PID" 2>/dev/null || break
    sleep 0.3
  done
  stop_idle_client
  return 1
}

# SIGTERM makes the client say bye on every session, so a gateway frees them at once.
stop_idle_client() {
  kill "$IDLE_PID" 2>/dev/null
  wait "$IDLE_PID" 2>/dev/null
}

declare -A HEAP # HEAP[name.base], HEAP[name.loaded], HEAP[name.per]

# name url pid [pid2 name2]: heap of pid (and of a second process: the other gateway node) with 0 and
# with IDLE_CONNS sessions, after a small warm-up so class loading and pools are not counted.
measure_idle() {
  local name=$1 url=$2 pid=$3 pid2=${4:-} name2=${5:-}
  local warm=$((IDLE_CONNS < 200 ? IDLE_CONNS : 200))
  log "idle heap: $name, warm-up with $warm sessions"
  start_idle_client "$url" "$warm" "warm-$name" "$LOGS/idle-warm-$name.log" ||
    { log "idle warm-up against $name failed: $(tail -3 "$LOGS/idle-warm-$name.log")"; return 1; }
  stop_idle_client
  sleep 1
  HEAP[$name.base]=$(live_heap "$pid")
  [[ -n $pid2 ]] && HEAP[$name2.base]=$(live_heap "$pid2")
  log "idle heap: $name, $IDLE_CONNS sessions"
  start_idle_client "$url" "$IDLE_CONNS" "idle-$name" "$LOGS/idle-$name.log" ||
    { log "idle run against $name failed: $(tail -3 "$LOGS/idle-$name.log")"; return 1; }
  sleep 2 # let asynchronous work triggered by the hellos (replication, presence) finish
  HEAP[$name.loaded]=$(live_heap "$pid")
  [[ -n $pid2 ]] && HEAP[$name2.loaded]=$(live_heap "$pid2")
  stop_idle_client
  local n
  for n in $name $name2; do # an empty reading (jcmd failed) must not turn into a figure
    [[ -n ${HEAP[$n.base]:-} && -n ${HEAP[$n.loaded]:-} ]] &&
      HEAP[$n.per]=$(((HEAP[$n.loaded] - HEAP[$n.base]) / IDLE_CONNS))
  done
  return 0
}

# --- push throughput --------------------------------------------------------------------------------
declare -A PUSH # PUSH[variant.target] = "median|all rounds|problems"

# "median|every round|problems" for one target: the median of the rounds after the warm-up ones.
# A round whose status is not ok is listed under problems, so a broken figure cannot pass unnoticed.
summarise_rounds() { # log url
  local rounds med
  rounds=$(grep "^RESULT .*target=$2 " "$1" |
    awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
           print f["round"], f["msgsPerSec"], f["status"] }')
  [[ -n $rounds ]] || { echo "failed|| no RESULT (see $1)"; return; }
  med=$(awk -v w="$WARMUP" '$1 > w { print $2 }' <<<"$rounds" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2];
                            else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
  echo "$med|$(awk '{ print $2 }' <<<"$rounds" | xargs)|$(awk '$3 != "ok" { printf " round%s=%s", $1, $3 }' <<<"$rounds")"
}

run_variant() { # NxM
  local conns=${1%x*} count=${1#*x} urls=$BARE_URL
  [[ $GATEWAY_OK == 1 ]] && urls="$urls,$GW_URL"
  [[ $GWB_OK == 1 ]] && urls="$urls,$GWB_URL"
  log "push $conns x $count, $ROUNDS rounds, alternating: $urls"
  # In the background and waited for, so that Ctrl-C / SIGTERM reach the cleanup at once.
  spawn "$LOGS/push-$1.log" java -Xmx1g -jar "$BENCH_JAR" --url "$urls" --conns "$conns" --count "$count" \
    --rounds "$ROUNDS" --timeout-s "$TIMEOUT_S" --client-prefix "push-$1"
  wait "$SPAWNED"
  grep -E "^(RESULT|FAILED|PROBLEM)" "$LOGS/push-$1.log"
  PUSH[$1.bare]=$(summarise_rounds "$LOGS/push-$1.log" "$BARE_URL")
  [[ $GATEWAY_OK == 1 ]] && PUSH[$1.gateway]=$(summarise_rounds "$LOGS/push-$1.log" "$GW_URL")
  [[ $GWB_OK == 1 ]] && PUSH[$1.compare]=$(summarise_rounds "$LOGS/push-$1.log" "$GWB_URL")
}

# --- run --------------------------------------------------------------------------------------------
# Other work on the machine skews every figure; the load averages in the summary tell when it did.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
start_bare
start_gateway

if ((IDLE_CONNS > 0)); then
  # First, on fresh processes: the push phase would leave garbage and grown pools behind.
  measure_idle bare "$BARE_URL" "$BARE_PID" || HEAP[bare.per]=
  if [[ $GATEWAY_OK == 1 ]]; then
    measure_idle gateway "$GW_URL" "$GW1_PID" "$GW2_PID" gateway-replica || HEAP[gateway.per]=
  fi
  if [[ $GWB_OK == 1 ]]; then
    measure_idle compare "$GWB_URL" "$GW3_PID" || HEAP[compare.per]=
  fi
fi

IFS=, read -ra VARIANT_LIST <<<"$VARIANTS"
for v in "${VARIANT_LIST[@]}"; do run_variant "$v"; done

# --- report -----------------------------------------------------------------------------------------
fmt_mb() { [[ -n ${1:-} ]] && awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }' || echo "-"; }
COMPLETE=1 # cleared when a figure that should exist is missing or a round had problems
{
  echo
  echo "== Reliable push, delivered msgs/s: median of rounds $((WARMUP + 1))..$ROUNDS (rounds 1..$WARMUP are warm-up) =="
  printf "%-12s %12s %12s %14s\n" "N x M" "bare" "gateway" "gateway/bare"
  for v in "${VARIANT_LIST[@]}"; do
    IFS='|' read -r bare_med _ bare_bad <<<"${PUSH[$v.bare]:-n/a||}"
    IFS='|' read -r gw_med _ gw_bad <<<"${PUSH[$v.gateway]:-n/a||}"
    ratio="-"
    [[ $bare_med =~ ^[0-9]+$ && $gw_med =~ ^[0-9]+$ && $bare_med -gt 0 ]] &&
      ratio=$(awk -v g="$gw_med" -v b="$bare_med" 'BEGIN { printf "%.2f", g / b }')
    printf "%-12s %12s %12s %14s\n" "$v" "$bare_med" "$gw_med" "$ratio"
    if [[ $GWB_OK == 1 ]]; then
      IFS='|' read -r cmp_med _ cmp_bad <<<"${PUSH[$v.compare]:-n/a||}"
      [[ $bare_med =~ ^[0-9]+$ && $cmp_med =~ ^[0-9]+$ && $bare_med -gt 0 ]] &&
        echo "   compare jar: $cmp_med msgs/s, compare/bare $(awk -v g="$cmp_med" -v b="$bare_med" 'BEGIN { printf "%.2f", g / b }')"
      [[ -n $cmp_bad ]] && echo "   compare problems:$cmp_bad"
    fi
    [[ -n $bare_bad ]] && echo "   bare problems:$bare_bad"
    [[ -n $gw_bad ]] && echo "   gateway problems:$gw_bad"
    [[ -z $bare_bad$gw_bad && $bare_med =~ ^[0-9]+$ && ($BARE_ONLY == 1 || $gw_med =~ ^[0-9]+$) ]] || COMPLETE=0
  done
  echo "   every round (msgs/s):"
  for v in "${VARIANT_LIST[@]}"; do
    echo "     $v bare:    $(cut -d'|' -f2 <<<"${PUSH[$v.bare]:-}")"
    [[ -n ${PUSH[$v.gateway]:-} ]] && echo "     $v gateway: $(cut -d'|' -f2 <<<"${PUSH[$v.gateway]}")"
    [[ -n ${PUSH[$v.compare]:-} ]] && echo "     $v compare: $(cut -d'|' -f2 <<<"${PUSH[$v.compare]}")"
  done
  if ((IDLE_CONNS > 0)); then
    echo
    echo "== Idle sessions: live heap after full GC, 0 vs $IDLE_CONNS sessions =="
    printf "%-26s %12s %12s %14s\n" "process" "0 sessions" "$IDLE_CONNS" "bytes/session"
    for n in bare gateway gateway-replica compare; do
      [[ -n ${HEAP[$n.base]:-} ]] || continue
      label=$n
      [[ $n == gateway ]] && label="gateway node 1 (serving)"
      [[ $n == gateway-replica ]] && label="gateway node 2 (replica)"
      [[ $n == compare ]] && label="compare jar node 3 (serving)"
      printf "%-26s %12s %12s %14s\n" "$label" "$(fmt_mb "${HEAP[$n.base]}")" \
        "$(fmt_mb "${HEAP[$n.loaded]:-}")" "${HEAP[$n.per]:--}"
    done
    if [[ -n ${HEAP[bare.per]:-} && -n ${HEAP[gateway.per]:-} ]]; then
      echo "   session layer on the serving node: $((HEAP[gateway.per] - HEAP[bare.per])) bytes/session over bare"
    fi
    if [[ -n ${HEAP[bare.per]:-} && -n ${HEAP[compare.per]:-} ]]; then
      echo "   compare jar: $((HEAP[compare.per] - HEAP[bare.per])) bytes/session over bare"
    fi
    [[ -n ${HEAP[bare.per]:-} && ($BARE_ONLY == 1 || -n ${HEAP[gateway.per]:-}) ]] || COMPLETE=0
  fi
  [[ $GATEWAY_OK == 1 || -z $GATEWAY_WHY ]] || echo "GATEWAY NOT MEASURED: $GATEWAY_WHY"
  [[ -z $COMPARE_SRC || $GWB_OK == 1 ]] || { echo "COMPARE JAR NOT MEASURED: $GWB_WHY"; COMPLETE=0; }
  echo "machine: $(nproc) cores; load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RUN/summary.txt"
cat "$RUN/summary.txt"
((COMPLETE)) # exit status for automation: 1 if a figure is missing or a round had problems
