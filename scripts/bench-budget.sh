#!/usr/bin/env bash
# Node buffer budget, memory (issue 9; docs/BENCHMARKS.md "Node buffer budget"): one node with --auth jwt, SESSIONS
# sessions that never ack, and a backend (/api/send) pushing BODY-byte frames to each until the node refuses or each
# has had PER_SESSION bytes (its own bound, --buffer-max-bytes, is PER_SESSION too). Run twice in the same script: with
# --node-buffer-max-bytes BUDGET, and with a budget larger than everything the sessions could hold (the baseline).
# Each run measures the node's heap after a full GC (jcmd GC.run, GC.heap_info) before the sends and while the
# sessions hold what was accepted.
#
# usage: scripts/bench-budget.sh        environment: SESSIONS (40), BODY (16384), PER_SESSION (2097152),
#                                       BUDGET (8388608), NODE_HEAP (1g)
# Output: one table on stdout and in run/bench-budget/summary.txt.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=$ROOT/run/bench-budget
mkdir -p "$RUN"
SESSIONS=${SESSIONS:-40} BODY=${BODY:-16384} PER_SESSION=${PER_SESSION:-2097152} BUDGET=${BUDGET:-8388608}
NODE_HEAP=${NODE_HEAP:-1g}
GATEWAY=$ROOT/gateway/server/target/tether-gateway.jar BENCH=$ROOT/loadtest/bench/target/tether-bench.jar
[[ -f $GATEWAY ]] || (cd "$ROOT" && mvn -B -q -o -pl gateway/server -am package -DskipTests) || exit 2
(cd "$ROOT" && mvn -B -q -o -pl loadtest/bench package -DskipTests) || exit 2
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
secret() { head -c 30 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
export ABUSE_JWT_SECRET=$(secret) ABUSE_API_KEY=$(secret)
heap_kb() { jcmd "$1" GC.run >/dev/null 2>&1; sleep 1; jcmd "$1" GC.heap_info | sed -n 's/.*total [0-9]*K, used \([0-9]*\)K.*/\1/p' | head -1; }

run() { # label, node budget
  local port mgmt cluster pid bench_pid line h0 h1
  port=$(free_port) mgmt=$(free_port) cluster=$(free_port)
  TETHER_JWT_SECRET=$ABUSE_JWT_SECRET TETHER_API_KEY=$ABUSE_API_KEY java -Xmx"$NODE_HEAP" -XX:+UseG1GC \
    -Dhazelcast.phone.home.enabled=false -jar "$GATEWAY" --node-id budget --host 127.0.0.1 --port "$port" \
    --management-host 127.0.0.1 --management-port "$mgmt" --cluster-port "$cluster" --members "127.0.0.1:$cluster" \
    --auth jwt --buffer-max-bytes "$PER_SESSION" --node-buffer-max-bytes "$2" >"$RUN/node-$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 120); do curl -sf "localhost:$mgmt/health" >/dev/null && break; sleep 0.5; done
  h0=$(heap_kb $pid)
  rm -f "$RUN/hold"; mkfifo "$RUN/hold"
  java -cp "$BENCH" io.tether.bench.abuse.BudgetMemoryBench "ws://127.0.0.1:$port/ws" "http://127.0.0.1:$mgmt" \
    "$SESSIONS" "$BODY" "$PER_SESSION" <"$RUN/hold" >"$RUN/bench-$1.log" 2>&1 &
  bench_pid=$!
  exec 9>"$RUN/hold"
  for _ in $(seq 600); do grep -q '^BUDGET' "$RUN/bench-$1.log" && break; sleep 0.5; done
  line=$(grep '^BUDGET' "$RUN/bench-$1.log")
  h1=$(heap_kb $pid)
  exec 9>&-
  wait $bench_pid 2>/dev/null
  kill $pid; wait $pid 2>/dev/null
  echo "$1|$2|$line|$h0|$h1"
}

echo "bench-budget: $SESSIONS sessions x $PER_SESSION bytes possible, $BODY-byte pushes, budget $BUDGET, heap $NODE_HEAP"
rows=("$(run budget "$BUDGET")" "$(run baseline 536870912)")
{
  echo "date $(date -u +%FT%TZ) commit $(cd "$ROOT" && git rev-parse --short HEAD) sessions $SESSIONS body $BODY per-session $PER_SESSION"
  printf '%-9s | %12s | %9s | %15s | %11s | %14s | %16s\n' run node-budget accepted "accepted bytes" refused "node buffered" "heap growth (GC)"
  for r in "${rows[@]}"; do
    IFS='|' read -r label budget line h0 h1 <<<"$r"
    acc=$(sed -n 's/.*accepted=\([0-9]*\).*/\1/p' <<<"$line"); bytes=$(sed -n 's/.*acceptedBytes=\([0-9]*\).*/\1/p' <<<"$line")
    ref=$(sed -n 's/.*refusedNodeFull=\([0-9]*\) refusedOther=\([0-9]*\).*/\1+\2/p' <<<"$line")
    buf=$(sed -n 's/.*bufferedBytes=\([0-9]*\).*/\1/p' <<<"$line")
    printf '%-9s | %12s | %9s | %15s | %11s | %14s | %13s KB\n' "$label" "$budget" "$acc" "$bytes" "$ref" "$buf" "$((h1 - h0))"
  done
} | tee "$RUN/summary.txt"
