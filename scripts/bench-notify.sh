#!/usr/bin/env bash
# Notify fan-out benchmark (docs/BENCHMARKS.md "Notify fan-out"): S subscribers of one topic, one publisher
# sending P demo.publish requests (at most 64 outstanding); delivered notifies/s summed over subscribers, gateway
# (one node, --demo) against a bare Vert.x fan-out server (io.tether.bench.BareNotifyServer) in the same run,
# in alternating rounds after warm-up. Summary: run/bench-notify/summary.txt.
set -uo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/bench-notify.sh [--subscribers S] [--publishes P] [--rounds R] [--warmup W] [--window N]
                               [--timeout-s T] [--rebuild]
  defaults: S=500, P=2000, R=4 measured rounds after W=2 warm-up rounds per target, window 64, timeout 120 s
USAGE
}

SUBS=${BENCH_SUBSCRIBERS:-500}
PUBS=${BENCH_PUBLISHES:-2000}
ROUNDS=${BENCH_ROUNDS:-4}
WARMUP=${BENCH_WARMUP:-2}
WINDOW=${BENCH_WINDOW:-64}
TIMEOUT_S=${BENCH_TIMEOUT_S:-120}
REBUILD=${BENCH_REBUILD:-0}
COMMAND="scripts/bench-notify.sh $*"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --subscribers) SUBS=$2; shift 2 ;;
    --publishes) PUBS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
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

BARE_PORT=28091
GW_PORT=28080
GW_MGMT=29090
GW_CLUSTER=25701
BARE_URL=ws://127.0.0.1:$BARE_PORT/ws
GW_URL=ws://127.0.0.1:$GW_PORT/ws
# As scripts/bench-push.sh: Java 17 + Hazelcast flags, no phone-home, no join wait.
GW_JVM=(-Xmx1g --add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  -Dhazelcast.phone.home.enabled=false -Dhazelcast.wait.seconds.before.join=0)
GW_START_TIMEOUT_S=${BENCH_GW_START_TIMEOUT_S:-90}

PIDS=()
log() { echo "[bench-notify $(date +%H:%M:%S)] $*"; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || continue 2; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null
  done
}
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
  unzip -l "$BENCH_SRC" 2>/dev/null | grep -q 'io/tether/bench/NotifyLoadClient.class' || return 0
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
GATEWAY_WHY=
if [[ -f $GATEWAY_SRC ]]; then cp "$GATEWAY_SRC" "$GATEWAY_JAR"; else GATEWAY_WHY="gateway jar missing"; fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# --- servers -----------------------------------------------------------------------------------------
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for port in $BARE_PORT $GW_PORT $GW_MGMT $GW_CLUSTER; do
  port_in_use "$port" && { log "FATAL: port $port is already in use"; exit 1; }
done
spawn "$LOGS/bare.log" java -Xmx1g -cp "$BENCH_JAR" io.tether.bench.BareNotifyServer --port $BARE_PORT
BARE_PID=$SPAWNED
for _ in $(seq 100); do
  grep -qs "listening" "$LOGS/bare.log" && break
  kill -0 "$BARE_PID" 2>/dev/null || break
  sleep 0.2
done
grep -qs "listening" "$LOGS/bare.log" || { log "FATAL: bare server did not start"; tail -20 "$LOGS/bare.log"; exit 1; }
log "bare notify server up (pid $BARE_PID)"

GATEWAY_OK=0
if [[ -z $GATEWAY_WHY ]]; then
  spawn "$LOGS/gateway.log" java "${GW_JVM[@]}" -jar "$GATEWAY_JAR" --demo --port $GW_PORT \
    --management-port $GW_MGMT --cluster-host 127.0.0.1 --cluster-port $GW_CLUSTER \
    --members 127.0.0.1:$GW_CLUSTER --node-id bench-notify-1
  GW_PID=$SPAWNED
  deadline=$((SECONDS + GW_START_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    kill -0 "$GW_PID" 2>/dev/null || { GATEWAY_WHY="the gateway exited during start-up"; break; }
    if curl -sf -o /dev/null "http://127.0.0.1:$GW_MGMT/health"; then GATEWAY_OK=1; break; fi
    sleep 0.5
  done
  if ((GATEWAY_OK)); then
    log "gateway up (pid $GW_PID)"
  else
    GATEWAY_WHY=${GATEWAY_WHY:-"/health did not answer within ${GW_START_TIMEOUT_S}s"}
    log "GATEWAY UNAVAILABLE: $GATEWAY_WHY"; tail -n 15 "$LOGS/gateway.log"
  fi
fi

# --- load --------------------------------------------------------------------------------------------
URLS=$BARE_URL
((GATEWAY_OK)) && URLS="$BARE_URL,$GW_URL"
log "$SUBS subscribers, $PUBS publishes/round, window $WINDOW, $TOTAL_ROUNDS rounds ($WARMUP warm-up), alternating: $URLS"
spawn "$LOGS/client.log" java -Xmx1g -cp "$BENCH_JAR" io.tether.bench.NotifyLoadClient --url "$URLS" \
  --subscribers "$SUBS" --publishes "$PUBS" --rounds "$TOTAL_ROUNDS" --window "$WINDOW" --timeout-s "$TIMEOUT_S"
CLIENT_PID=$SPAWNED
# Progress: one line per round and target as it arrives.
tail -n +1 -F --pid="$CLIENT_PID" "$LOGS/client.log" 2>/dev/null | grep --line-buffered -E "^(RESULT|FAILED|PROBLEM|CONNECTED)" |
  awk '{ if ($1 != "RESULT") { print; fflush(); next }
         for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
         printf "round %s %-26s publishes/s %7s  notifies/s %9s  violations %s skipped %s %s\n",
           f["round"], f["target"], f["publishesPerSec"], f["notifiesPerSec"], f["violations"], f["skipped"], f["status"]
         fflush() }'
wait "$CLIENT_PID"
CLIENT_RC=$?

# --- report ------------------------------------------------------------------------------------------
field_rounds() { # url field: "round value" lines
  grep "^RESULT .*target=$1 " "$LOGS/client.log" |
    awk -v k="$2" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } print f["round"], f[k] }'
}
median() { # url field: median over the measured rounds
  field_rounds "$1" "$2" | awk -v w="$WARMUP" '$1 > w { print $2 }' | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2];
                            else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
total() { field_rounds "$1" "$2" | awk '{ s += $2 } END { print s + 0 }'; }
every() { field_rounds "$1" "$2" | awk '{ printf "%s ", $2 }'; }
ratio() { [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ && $2 -gt 0 ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo "-"; }

B_PUB=$(median "$BARE_URL" publishesPerSec); B_NOT=$(median "$BARE_URL" notifiesPerSec)
G_PUB=-; G_NOT=-
((GATEWAY_OK)) && { G_PUB=$(median "$GW_URL" publishesPerSec); G_NOT=$(median "$GW_URL" notifiesPerSec); }
{
  echo "command: $COMMAND"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)   commit: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- gateway loadtest || echo ' (uncommitted changes)')"
  echo "machine: $(nproc) cores; load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "settings: $SUBS subscribers, $PUBS publishes per round (window $WINDOW), topic bench/t, $TOTAL_ROUNDS rounds per target, first $WARMUP warm-up"
  echo
  echo "== Notify fan-out: median of rounds $((WARMUP + 1))..$TOTAL_ROUNDS =="
  printf "%-28s %14s %18s %11s %8s %10s\n" "target" "publishes/s" "notifies/s (all)" "violations" "skipped" "timeouts"
  for t in bare gateway; do
    if [[ $t == bare ]]; then url=$BARE_URL; p=$B_PUB; n=$B_NOT; label="bare Vert.x (BareNotifyServer)"; else
      ((GATEWAY_OK)) || continue; url=$GW_URL; p=$G_PUB; n=$G_NOT; label="gateway, 1 node, --demo"; fi
    printf "%-28s %14s %18s %11s %8s %10s\n" "$label" "$p" "$n" "$(total "$url" violations)" "$(total "$url" skipped)" \
      "$(grep -c "^RESULT .*target=$url .*status=timeout" "$LOGS/client.log")"
  done
  echo "gateway / bare, notifies/s: $(ratio "$G_NOT" "$B_NOT")   publishes/s: $(ratio "$G_PUB" "$B_PUB")"
  echo "every round, notifies/s:"
  echo "  bare:    $(every "$BARE_URL" notifiesPerSec)"
  ((GATEWAY_OK)) && echo "  gateway: $(every "$GW_URL" notifiesPerSec)"
  echo "every round, publishes/s:"
  echo "  bare:    $(every "$BARE_URL" publishesPerSec)"
  ((GATEWAY_OK)) && echo "  gateway: $(every "$GW_URL" publishesPerSec)"
  [[ -n $GATEWAY_WHY ]] && echo "GATEWAY NOT MEASURED: $GATEWAY_WHY"
  echo "client exit status: $CLIENT_RC (0 = every round completed with 0 violations)"
} >"$RUN/summary.txt"
cat "$RUN/summary.txt"
exit "$CLIENT_RC"
