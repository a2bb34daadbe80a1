#!/usr/bin/env bash
# Resume latency after a crash (kill -9 of a gateway node -> `resumed`), its same-run baseline (resume after a plain
# socket drop) and session takeover time, on a private local cluster: 3 gateway nodes, the demo backend member and
# HAProxy, started with scripts/cluster.sh in run/bench-resume/cluster on ports that do not collide with a default
# cluster (clients through HAProxy on 18080, nodes 18081-18083, management 19091-19093, Hazelcast 15701-15703).
# The load client is io.tether.bench.ResumeBench (loadtest/bench); its class comment describes each phase.
#
# Everything it starts it stops again on exit (cluster.sh down, and the client by pid).

set -uo pipefail

usage() {
  cat <<'EOF'
usage: scripts/bench-resume.sh [options]            (each option also has an environment variable)

  --sessions N      sessions per crash round; the node holding the most is killed   BENCH_RESUME_SESSIONS  300
  --rounds R        crash rounds (each: fresh sessions, kill, plain baseline,       BENCH_RESUME_ROUNDS    3
                    restart, takeover)
  --takeover M      sessions taken over from node-1 to node-2 per round (0 = skip)  BENCH_RESUME_TAKEOVER  100
  --plain WHO       plain-drop baseline on the sessions the crash moved (crashed)   BENCH_RESUME_PLAIN     crashed
                    or on all N (all)
  --timeout-s S     bound of each phase                                             BENCH_RESUME_TIMEOUT_S 30
  --rebuild         build both jars even if they exist                              BENCH_RESUME_REBUILD   0
  -h, --help

Ports (environment only): BENCH_RESUME_PORT_BASE 18080 (HAProxy on it, node K on +K), BENCH_RESUME_MGMT_PORT_BASE
19090, BENCH_RESUME_HZ_PORT_BASE 15700, BENCH_RESUME_LB_STATS_PORT 18404. Extra gateway options:
BENCH_RESUME_NODE_ARGS. The cluster's heap and JVM options: NODE_HEAP, NODE_JVM_ARGS (see scripts/cluster.sh).

Output: run/bench-resume/summary.txt; every process's log in run/bench-resume/ (client) and
run/bench-resume/cluster/ (nodes, backend, HAProxy).
Exit status: 0 only if every session resumed, every replay was exact and every takeover closed the old socket.
EOF
}

SESSIONS=${BENCH_RESUME_SESSIONS:-300}
ROUNDS=${BENCH_RESUME_ROUNDS:-3}
TAKEOVER=${BENCH_RESUME_TAKEOVER:-100}
PLAIN=${BENCH_RESUME_PLAIN:-crashed}
TIMEOUT_S=${BENCH_RESUME_TIMEOUT_S:-30}
REBUILD=${BENCH_RESUME_REBUILD:-0}
COMMAND="scripts/bench-resume.sh${*:+ $*}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --sessions) SESSIONS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --takeover) TAKEOVER=$2; shift 2 ;;
    --plain) PLAIN=$2; shift 2 ;;
    --timeout-s) TIMEOUT_S=$2; shift 2 ;;
    --rebuild) REBUILD=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
for v in SESSIONS ROUNDS TAKEOVER TIMEOUT_S; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench-resume.sh: $v must be a number (got '${!v}')" >&2; exit 2; }
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=$ROOT/run/bench-resume
CLUSTER=$ROOT/scripts/cluster.sh
BENCH_SRC=$ROOT/loadtest/bench/target/tether-bench.jar
GATEWAY_SRC=$ROOT/gateway/server/target/tether-gateway.jar
BENCH_JAR=$RUN/tether-bench.jar
CLIENT_LOG=$RUN/client.log

# cluster.sh reads these; exported only for our own calls of it.
export CLUSTER_DIR=$RUN/cluster
export TETHER_JAR=$GATEWAY_SRC
export PORT_BASE=${BENCH_RESUME_PORT_BASE:-18080}
export LB_PORT=$PORT_BASE
export MGMT_PORT_BASE=${BENCH_RESUME_MGMT_PORT_BASE:-19090}
export HZ_PORT_BASE=${BENCH_RESUME_HZ_PORT_BASE:-15700}
export LB_STATS_PORT=${BENCH_RESUME_LB_STATS_PORT:-18404}
export NODE_ARGS=${BENCH_RESUME_NODE_ARGS:-}
unset BACKEND_ARGS # the backend member gets NODE_ARGS, as cluster.sh does by default

CLIENT_PID=
CLUSTER_STARTED=0

log() { echo "[bench-resume $(date +%H:%M:%S)] $*"; }

cleanup() {
  if [[ -n $CLIENT_PID ]] && kill -0 "$CLIENT_PID" 2>/dev/null; then
    kill "$CLIENT_PID" 2>/dev/null
    for _ in $(seq 25); do kill -0 "$CLIENT_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$CLIENT_PID" 2>/dev/null
  fi
  if [[ $CLUSTER_STARTED == 1 ]]; then
    log "stopping the cluster (scripts/cluster.sh down)"
    "$CLUSTER" down >>"$RUN/cluster-down.log" 2>&1 || log "cluster.sh down failed, see $RUN/cluster-down.log"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$RUN"
rm -f "$RUN"/summary.txt "$CLIENT_LOG" "$RUN"/cluster-*.log

# --- jars (the cluster runs a copy of the gateway jar, the client runs a copy of the bench jar) ----------------
if [[ $REBUILD == 1 || ! -f $GATEWAY_SRC ]]; then
  log "building the gateway (mvn -B -q -pl gateway/server -am package -DskipTests, log: $RUN/build.log)"
  (cd "$ROOT" && mvn -B -q -pl gateway/server -am package -DskipTests) >"$RUN/build.log" 2>&1 ||
    { log "FATAL: the gateway build failed, see $RUN/build.log"; exit 1; }
fi
if [[ $REBUILD == 1 || ! -f $BENCH_SRC ]]; then
  log "building the bench client (mvn -B -q -pl loadtest/bench -am package -DskipTests, log: $RUN/build.log)"
  (cd "$ROOT" && mvn -B -q -pl loadtest/bench -am package -DskipTests) >>"$RUN/build.log" 2>&1 ||
    { log "FATAL: the bench build failed, see $RUN/build.log"; exit 1; }
fi
cp "$BENCH_SRC" "$BENCH_JAR"
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# --- cluster ----------------------------------------------------------------------------------------------------
# A run folder left behind by an interrupted run: stop whatever of it still runs (by its pid files).
[[ -f $CLUSTER_DIR/cluster.env ]] && "$CLUSTER" down >"$RUN/cluster-down-stale.log" 2>&1
rm -rf "$CLUSTER_DIR" # cluster.sh appends to its logs: start them afresh
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "starting 3 gateway nodes + backend + HAProxy in $CLUSTER_DIR (HAProxy ws://127.0.0.1:$LB_PORT/ws)"
CLUSTER_STARTED=1
if ! "$CLUSTER" up 3 >"$RUN/cluster-up.log" 2>&1; then
  log "FATAL: scripts/cluster.sh up 3 failed:"
  tail -n 30 "$RUN/cluster-up.log"
  exit 1
fi
sed 's/^/    /' "$RUN/cluster-up.log"

# --- the client ---------------------------------------------------------------------------------------------------
log "running io.tether.bench.ResumeBench: $SESSIONS sessions x $ROUNDS rounds, takeover $TAKEOVER (log: $CLIENT_LOG)"
: >"$CLIENT_LOG" # exists before tail -f starts following it
(
  trap - EXIT INT TERM
  exec java -Xmx512m -cp "$BENCH_JAR" io.tether.bench.ResumeBench --cluster-dir "$CLUSTER_DIR" \
    --cluster-script "$CLUSTER" --sessions "$SESSIONS" --rounds "$ROUNDS" --takeover "$TAKEOVER" \
    --plain "$PLAIN" --timeout-s "$TIMEOUT_S"
) >"$CLIENT_LOG" 2>&1 &
CLIENT_PID=$!
tail -n +1 -f --pid="$CLIENT_PID" "$CLIENT_LOG" 2>/dev/null |
  grep --line-buffered -E '^(CONFIG|PHASE|RESULT|PROBLEM|ABORTED|SUMMARY|restarted|cluster.sh)'
wait "$CLIENT_PID"
STATUS=$?
CLIENT_PID=

# --- summary ------------------------------------------------------------------------------------------------------
COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)
[[ -n $(cd "$ROOT" && git status --porcelain --untracked-files=no 2>/dev/null) ]] && COMMIT="$COMMIT (with uncommitted changes)"
{
  echo "Resume latency after a crash, plain resume baseline, session takeover (scripts/bench-resume.sh)"
  echo "command: $COMMAND"
  echo "date:    $(date '+%F %T %Z')"
  echo "commit:  $COMMIT"
  echo "machine: $(nproc) cores, $(java -version 2>&1 | head -n 1); load average (1/5/15 min) before: $LOAD_BEFORE," \
    "after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "cluster: 3 gateway nodes + backend member (demo) + HAProxy, scripts/cluster.sh in $CLUSTER_DIR;" \
    "NODE_ARGS='${NODE_ARGS}' NODE_HEAP=${NODE_HEAP:-256m}"
  echo "         $(grep -m1 '^CONFIG' "$CLIENT_LOG" | cut -d' ' -f2-)"
  echo
  grep '^SUMMARY' "$CLIENT_LOG" | sed 's/^SUMMARY //'
  echo
  echo "per round:"
  grep '^RESULT' "$CLIENT_LOG" | sed 's/^RESULT /  /'
  if grep -q '^ABORTED' "$CLIENT_LOG"; then
    echo
    grep '^ABORTED' "$CLIENT_LOG"
  fi
  echo
  echo "Failure detection: on loopback a kill -9 closes the node's sockets at once, so the other members get" \
    "'connection refused' and Hazelcast removes the member without waiting for its heartbeat timeout (the" \
    "'member gone' line measures it; expect about a second on an idle machine). A machine or network failure" \
    "would wait for hazelcast.max.no.heartbeat.seconds instead (docs/OPERATIONS.md), and resumes of sessions" \
    "whose records were on that member would wait as long."
} >"$RUN/summary.txt"
echo
cat "$RUN/summary.txt"
exit "$STATUS"
