#!/usr/bin/env bash
# Notify fan-out benchmark (docs/BENCHMARKS.md "Notify fan-out", "Fan-out to 10k subscribers"): S subscribers of
# one topic, one publisher sending P demo.publish requests (at most 64 outstanding); delivered notifies/s summed over
# subscribers. Phases, one after the other, each with its own load-client process (10k sockets per target: the
# open-file limit of 20,000 per process allows one target at a time): a bare Vert.x fan-out server
# (io.tether.bench.BareNotifyServer), then per node count N in --nodes a gateway cluster of N nodes (--demo,
# subscribers spread over the nodes, publisher on the first), first with --compare-jar (if given) and then with
# this tree's jar. Each phase: W warm-up rounds, then R measured; the figure is the median. For gateway phases the
# client also reads tether_store_operations_total from every node's /metrics: store operations per publish.
# Summary: run/bench-notify/summary.txt.
set -uo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/bench-notify.sh [--subscribers S] [--publishes P] [--rounds R] [--warmup W] [--window N]
                               [--nodes 1,3] [--compare-jar JAR] [--port-base B] [--timeout-s T] [--rebuild]
  defaults: S=500, P=2000, R=4 measured rounds after W=2 warm-up rounds per phase, window 64, nodes 1,
            port base 28000 (bare B+1; node i: client B+10+i, management B+20+i, cluster B+30+i), timeout 120 s
  fan-out to 10k subscribers: scripts/bench-notify.sh --subscribers 10000 --publishes 100 --nodes 1,3
USAGE
}

SUBS=${BENCH_SUBSCRIBERS:-500}
PUBS=${BENCH_PUBLISHES:-2000}
ROUNDS=${BENCH_ROUNDS:-4}
WARMUP=${BENCH_WARMUP:-2}
WINDOW=${BENCH_WINDOW:-64}
TIMEOUT_S=${BENCH_TIMEOUT_S:-120}
REBUILD=${BENCH_REBUILD:-0}
NODES=${BENCH_NODES:-1}
COMPARE_JAR=${BENCH_COMPARE_JAR:-}
PORT_BASE=${BENCH_PORT_BASE:-28000}
COMMAND="scripts/bench-notify.sh $*"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --subscribers) SUBS=$2; shift 2 ;;
    --publishes) PUBS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --nodes) NODES=$2; shift 2 ;;
    --compare-jar) COMPARE_JAR=$2; shift 2 ;;
    --port-base) PORT_BASE=$2; shift 2 ;;
    --timeout-s) TIMEOUT_S=$2; shift 2 ;;
    --rebuild) REBUILD=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
TOTAL_ROUNDS=$((WARMUP + ROUNDS))

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=$ROOT/run/bench-notify
LOGS=$RUN/logs
BENCH_SRC=$ROOT/loadtest/bench/target/tether-bench.jar
GATEWAY_SRC=$ROOT/gateway/server/target/tether-gateway.jar
BENCH_JAR=$RUN/tether-bench.jar
GATEWAY_JAR=$RUN/tether-gateway.jar
COMPARE_COPY=$RUN/tether-gateway-compare.jar

BARE_PORT=$((PORT_BASE + 1))
client_port() { echo $((PORT_BASE + 10 + $1)); }
mgmt_port() { echo $((PORT_BASE + 20 + $1)); }
cluster_port() { echo $((PORT_BASE + 30 + $1)); }
# As scripts/bench-push.sh: Java 17 + Hazelcast flags, no phone-home, no join wait.
GW_JVM=(-Xmx1g --add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  -Dhazelcast.phone.home.enabled=false -Dhazelcast.wait.seconds.before.join=0)
GW_START_TIMEOUT_S=${BENCH_GW_START_TIMEOUT_S:-90}

PIDS=()
log() { echo "[bench-notify $(date +%H:%M:%S)] $*"; }

stop_pids() { # pid…
  local pid
  for pid in "$@"; do kill "$pid" 2>/dev/null; done
  for pid in "$@"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || continue 2; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || continue 2; sleep 0.2; done
  done
}
wait_ports_free() { # port…: the previous phase's processes may hold them for a moment after they exit
  local port
  for port in "$@"; do
    for _ in $(seq 150); do port_in_use "$port" || continue 2; sleep 0.2; done
    log "port $port still in use after 30 s"
  done
}
cleanup() { stop_pids "${PIDS[@]}"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

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

# --- build and stage jars ----------------------------------------------------------------------------
rm -rf "$LOGS"
mkdir -p "$LOGS"
bench_stale() {
  [[ ! -f $BENCH_SRC ]] && return 0
  unzip -l "$BENCH_SRC" 2>/dev/null | grep -q 'io/tether/bench/StoreOps.class' || return 0
  [[ -n $(find "$ROOT/loadtest/bench/src" -newer "$BENCH_SRC" -name '*.java' | head -1) ]]
}
if [[ $REBUILD == 1 ]] || bench_stale; then
  log "building the bench jar (log: $LOGS/build-bench.log)"
  (cd "$ROOT" && mvn -B -q -o -pl loadtest/bench -am package -DskipTests) >"$LOGS/build-bench.log" 2>&1 ||
    { log "FATAL: bench build failed, see $LOGS/build-bench.log"; exit 1; }
fi
if [[ $REBUILD == 1 || ! -f $GATEWAY_SRC ]]; then
  # Others may be editing the gateway: a failed compile is retried a few times.
  for attempt in 1 2 3 4; do
    log "building the gateway jar, attempt $attempt (log: $LOGS/build-gateway.log)"
    (cd "$ROOT" && mvn -B -q -o -pl gateway/server -am package -DskipTests) >"$LOGS/build-gateway.log" 2>&1 && break
    sleep 30
  done
fi
cp "$BENCH_SRC" "$BENCH_JAR"
[[ -f $GATEWAY_SRC ]] || { log "FATAL: gateway jar missing: $GATEWAY_SRC"; exit 1; }
cp "$GATEWAY_SRC" "$GATEWAY_JAR"
if [[ -n $COMPARE_JAR ]]; then
  [[ -f $COMPARE_JAR ]] || { log "FATAL: --compare-jar $COMPARE_JAR not found"; exit 1; }
  cp "$COMPARE_JAR" "$COMPARE_COPY"
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# --- phases ------------------------------------------------------------------------------------------
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for port in $BARE_PORT $(for i in 1 2 3; do echo "$(client_port $i) $(mgmt_port $i) $(cluster_port $i)"; done); do
  port_in_use "$port" && { log "FATAL: port $port is already in use"; exit 1; }
done

PHASES=()     # name
declare -A LABEL STATUS LOADS

run_client() { # phase urls metrics
  local phase=$1 urls=$2 metrics=$3
  log "$phase: $SUBS subscribers, $PUBS publishes/round, window $WINDOW, $TOTAL_ROUNDS rounds ($WARMUP warm-up)"
  spawn "$LOGS/client-$phase.log" java -Xmx1500m -cp "$BENCH_JAR" io.tether.bench.NotifyLoadClient --url "$urls" \
    --metrics "$metrics" --subscribers "$SUBS" --publishes "$PUBS" --rounds "$TOTAL_ROUNDS" --window "$WINDOW" \
    --timeout-s "$TIMEOUT_S" --client-prefix "notify-$phase"
  local pid=$SPAWNED
  tail -n +1 -F --pid="$pid" "$LOGS/client-$phase.log" 2>/dev/null |
    grep --line-buffered -E "^(RESULT|FAILED|PROBLEM|CONNECTED)" |
    awk -v ph="$phase" '{ if ($1 != "RESULT") { print; fflush(); next }
         for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
         printf "round %s %-10s publishes/s %6s  notifies/s %8s  store ops/pub %7s  session writes/pub %7s  violations %s skipped %s %s\n",
           f["round"], ph, f["publishesPerSec"], f["notifiesPerSec"], (f["storeOpsPerPublish"] == "" ? "-" : f["storeOpsPerPublish"]),
           (f["sessionWritesPerPublish"] == "" ? "-" : f["sessionWritesPerPublish"]),
           f["violations"], f["skipped"], f["status"]
         fflush() }'
  wait "$pid"
  STATUS[$phase]=$?
  PHASES+=("$phase")
}

bare_phase() {
  spawn "$LOGS/bare.log" java -Xmx1g -cp "$BENCH_JAR" io.tether.bench.BareNotifyServer --port $BARE_PORT
  local pid=$SPAWNED
  for _ in $(seq 100); do
    grep -qs "listening" "$LOGS/bare.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  grep -qs "listening" "$LOGS/bare.log" || { log "FATAL: bare server did not start"; tail -20 "$LOGS/bare.log"; exit 1; }
  LABEL[bare]="bare Vert.x (BareNotifyServer)"
  LOADS[bare]=$(cut -d' ' -f1 /proc/loadavg)
  run_client bare "ws://127.0.0.1:$BARE_PORT/ws" "-"
  stop_pids "$pid"
}

gateway_phase() { # phase jar nodes label
  local phase=$1 jar=$2 n=$3 members= urls= metrics= i pids=()
  for ((i = 1; i <= n; i++)); do members+="${members:+,}127.0.0.1:$(cluster_port $i)"; done
  for ((i = 1; i <= n; i++)); do wait_ports_free "$(client_port $i)" "$(mgmt_port $i)" "$(cluster_port $i)"; done
  for ((i = 1; i <= n; i++)); do
    spawn "$LOGS/$phase-node$i.log" java "${GW_JVM[@]}" -jar "$jar" --demo --port "$(client_port $i)" \
      --management-port "$(mgmt_port $i)" --cluster-host 127.0.0.1 --cluster-port "$(cluster_port $i)" \
      --members "$members" --node-id "bench-notify-$i"
    pids+=("$SPAWNED")
    urls+="${urls:+|}ws://127.0.0.1:$(client_port $i)/ws"
    metrics+="${metrics:+|}http://127.0.0.1:$(mgmt_port $i)/metrics"
    # Node 1 first and alone (members starting at the same moment may form clusters of their own).
    local deadline=$((SECONDS + GW_START_TIMEOUT_S)) up=0
    while ((SECONDS < deadline)); do
      kill -0 "${pids[-1]}" 2>/dev/null || break
      if curl -sf -o /dev/null "http://127.0.0.1:$(mgmt_port $i)/health"; then up=1; break; fi
      sleep 0.5
    done
    if ((!up)); then
      log "$phase: node $i did not become healthy"; tail -n 15 "$LOGS/$phase-node$i.log"
      stop_pids "${pids[@]}"; STATUS[$phase]=99; PHASES+=("$phase"); LABEL[$phase]=$4; return
    fi
  done
  log "$phase: $n node(s) up (pids ${pids[*]})"
  LABEL[$phase]=$4
  LOADS[$phase]=$(cut -d' ' -f1 /proc/loadavg)
  run_client "$phase" "$urls" "$metrics"
  stop_pids "${pids[@]}"
}

bare_phase
IFS=',' read -ra NODE_COUNTS <<<"$NODES"
for n in "${NODE_COUNTS[@]}"; do
  [[ -n $COMPARE_JAR ]] && gateway_phase "before-$n" "$COMPARE_COPY" "$n" "gateway $n node(s), --compare-jar"
  gateway_phase "gw-$n" "$GATEWAY_JAR" "$n" "gateway $n node(s), this tree"
done

# --- report ------------------------------------------------------------------------------------------
field_rounds() { # phase field: "round value" lines
  grep "^RESULT " "$LOGS/client-$1.log" 2>/dev/null |
    awk -v k="$2" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } print f["round"], f[k] }'
}
median() { # phase field: median over the measured rounds
  field_rounds "$1" "$2" | awk -v w="$WARMUP" '$1 > w && $2 != "" { print $2 }' | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
                            else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
total() { field_rounds "$1" "$2" | awk '{ s += $2 } END { print s + 0 }'; }
every() { field_rounds "$1" "$2" | awk '{ printf "%s ", $2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }

B_NOT=$(median bare notifiesPerSec)
{
  echo "command: $COMMAND"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)   commit: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- gateway loadtest || echo ' (uncommitted changes)')"
  echo "machine: $(nproc) cores; load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "settings: $SUBS subscribers, $PUBS publishes per round (window $WINDOW), topic bench/t, $TOTAL_ROUNDS rounds per phase, first $WARMUP warm-up"
  [[ -n $COMPARE_JAR ]] && echo "compare jar: $COMPARE_JAR"
  echo
  echo "== Notify fan-out: median of rounds $((WARMUP + 1))..$TOTAL_ROUNDS =="
  printf "%-38s %11s %12s %8s %13s %13s %14s %6s %8s %8s %5s\n" "phase" "publishes/s" "notifies/s" "vs bare" \
    "store ops/pub" "flush ops/pub" "sess.writes/pub" "load1" "violat." "skipped" "exit"
  for ph in "${PHASES[@]}"; do
    n=$(median "$ph" notifiesPerSec)
    printf "%-38s %11s %12s %8s %13s %13s %14s %6s %8s %8s %5s\n" "${LABEL[$ph]}" "$(median "$ph" publishesPerSec)" \
      "$n" "$(ratio "$n" "$B_NOT")" "$(median "$ph" storeOpsPerPublish)" "$(median "$ph" flushOpsPerPublish)" \
      "$(median "$ph" sessionWritesPerPublish)" \
      "${LOADS[$ph]:-}" "$(total "$ph" violations)" "$(total "$ph" skipped)" "${STATUS[$ph]}"
  done
  echo "every round, notifies/s (first $WARMUP warm-up):"
  for ph in "${PHASES[@]}"; do printf "  %-10s %s\n" "$ph" "$(every "$ph" notifiesPerSec)"; done
  echo "store ops/pub: tether_store_operations_total over the target's nodes per publish (all kinds; a jar without"
  echo "  the counter shows 0); sess.writes/pub: session batches written (tether_store_flush_duration), each one its own"
  echo "  operation in a gateway that does not group writes by partition"
  echo "every round, store ops per publish:"
  for ph in "${PHASES[@]}"; do [[ $ph == bare ]] || printf "  %-10s %s\n" "$ph" "$(every "$ph" storeOpsPerPublish)"; done
  echo "exit: 0 = every round completed with 0 violations"
} >"$RUN/summary.txt"
cat "$RUN/summary.txt"
rc=0
for ph in "${PHASES[@]}"; do ((STATUS[$ph] == 0)) || rc=1; done
exit $rc
