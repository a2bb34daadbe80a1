#!/usr/bin/env bash
# Reconnect storms (docs/BENCHMARKS.md "Reconnect storm"): S sessions lose their sockets at once and come back.
#   kill:    S sessions (default 10 000) on gateway node 1 of a 3-node cluster (scripts/cluster.sh, with the demo
#            backend member); node 1 is killed with SIGKILL and every session resumes on node 2 or 3 (half each, as a
#            client with a list of node URLs would). Baseline, same run: three bare Vert.x servers (BareWsServer), the
#            first killed, its clients reconnecting to the other two (hello/resume answered at once, no session).
#   haproxy: S sessions (default 9 000: HAProxy holds two descriptors per session and may open at most 20 000 here)
#            through HAProxy in front of the same cluster; HAProxy is killed with SIGKILL and started again
#            (scripts/cluster.sh lb-restart); every session resumes through it. Baseline: the bare servers behind an
#            HAProxy of their own, restarted the same way.
# Every gateway session gets P reliable pushes first and leaves the last U frames undelivered, so every resume must
# replay exactly those frames, once, in order, byte-identical (io.tether.bench.Storm checks it). Time is measured
# from the kill (epoch milliseconds written just before it) to each session's `resumed` and to its replay's end.
set -uo pipefail

usage() {
  cat <<'EOF'
usage: scripts/bench-storm.sh [kill|haproxy|both] [options]   (each option also has an environment variable)
  --sessions S     sessions per storm        STORM_SESSIONS   10000 (kill) / 9000 (haproxy)
  --pushes P       reliable pushes first     STORM_PUSHES     5
  --unacked U      frames left to replay     STORM_UNACKED    3
  --timeout-s T    bound of one storm        STORM_TIMEOUT_S  60
  --no-bare        without the bare baseline
  --profile        JFR (settings=profile) of the gateway nodes that take the sessions and of the load client, from
                   just before the break to the storm's end; summaries by scripts/jfr-top.sh in run/bench-storm/profile
  --rebuild        build the jars even if they exist
Ports (environment): STORM_PORT_BASE 24400 (HAProxy +80, its stats +81; nodes +1..+3; bare +11..+13, their HAProxy
+90), STORM_MGMT_BASE 24500, STORM_HZ_BASE 24600.
Output: run/bench-storm/summary.txt (appended to history.txt too); logs in run/bench-storm/logs.
EOF
}

MODES="kill haproxy"
if [[ ${1:-} == kill || ${1:-} == haproxy ]]; then MODES=$1; shift; elif [[ ${1:-} == both ]]; then shift; fi
SESSIONS=${STORM_SESSIONS:-}
PUSHES=${STORM_PUSHES:-5}
UNACKED=${STORM_UNACKED:-3}
TIMEOUT_S=${STORM_TIMEOUT_S:-60}
BARE=1
REBUILD=0
PROFILE=0
COMMAND="scripts/bench-storm.sh $MODES $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sessions) SESSIONS=$2; shift 2 ;;
    --pushes) PUSHES=$2; shift 2 ;;
    --unacked) UNACKED=$2; shift 2 ;;
    --timeout-s) TIMEOUT_S=$2; shift 2 ;;
    --no-bare) BARE=0; shift ;;
    --profile) PROFILE=1; shift ;;
    --rebuild) REBUILD=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=$ROOT/run/bench-storm
LOGS=$RUN/logs
LABEL=bench-storm
# shellcheck source=lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"
PORT_BASE=${STORM_PORT_BASE:-24400}
MGMT_BASE=${STORM_MGMT_BASE:-24500}
HZ_BASE=${STORM_HZ_BASE:-24600}
LB_PORT=$((PORT_BASE + 80))
BARE_LB_PORT=$((PORT_BASE + 90))
export CLUSTER_DIR=$RUN/cluster
cluster() { PORT_BASE=$PORT_BASE MGMT_PORT_BASE=$MGMT_BASE HZ_PORT_BASE=$HZ_BASE LB_PORT=$LB_PORT \
  LB_STATS_PORT=$((PORT_BASE + 81)) NODE_HEAP=${NODE_HEAP:-1g} TETHER_JAR=$RUN/tether-gateway.jar \
  "$ROOT/scripts/cluster.sh" "$@"; }
stop_all() {
  cluster down >/dev/null 2>&1
  [[ -n ${BARE_LB_PID:-} ]] && kill -9 "$BARE_LB_PID" 2>/dev/null
  cleanup
}
trap stop_all EXIT
trap 'exit 130' INT TERM

stage_jars
ulimit -n "$(ulimit -Hn)" 2>/dev/null

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
ROWS=()

# One storm: holder with `urls`/`failover`, armed; then `breaker` (a command) breaks the sockets after the mark.
storm() { # name sessions pushes unacked urls failover breaker…
  local name=$1 n=$2 p=$3 u=$4 urls=$5 failover=$6 holder out=$LOGS/storm-$1.log mark=$RUN/$1.mark line
  shift 6
  spawn "$out" java -Xmx2g -cp "$BENCH_JAR" io.tether.bench.HoldClient --urls "$urls" --failover "$failover" \
    --sessions "$n" --client-prefix "storm-$name-$$" --sources 127.0.9.1,127.0.10.1 --connect-rate 2000 \
    --pushes "$p" --unacked "$u" --storm --mark-file "$mark" --storm-timeout-s "$TIMEOUT_S" --progress-ms 5000
  holder=$SPAWNED
  if ! wait_for_line ARMED 600 "$holder" "$out"; then
    log "$name: the sessions did not all come up:"; tail -n 5 "$out"; kill "$holder" 2>/dev/null; return 1
  fi
  [[ $PROFILE == 1 && $name == gateway-* ]] && profile_start "$name" "$holder"
  log "$name: $(grep -h '^READY' "$out"); breaking every socket: $*"
  date +%s%3N >"$mark"
  "$@" >>"$LOGS/breaker-$name.log" 2>&1 || log "$name: the breaker failed: $(tail -2 "$LOGS/breaker-$name.log")"
  wait "$holder"
  [[ $PROFILE == 1 && $name == gateway-* ]] && profile_stop "$name"
  line=$(grep -h '^STORM' "$out")
  log "$name: ${line:-no STORM line (see $out)}"
  ROWS+=("$name|$line")
}

# JFR on the load client (written when it exits) and on every gateway node that will still run after the break,
# started a few seconds before it: a first JFR.start stalls a JVM for a moment, which must not fall into the storm.
PROFILE_DIR=$RUN/profile
PROFILED=()
profile_start() { # name holder-pid
  local name=$1 k pid
  mkdir -p "$PROFILE_DIR"
  PROFILED=()
  jcmd "$2" JFR.start name=storm settings=profile dumponexit=true filename="$PROFILE_DIR/$name-client.jfr" >/dev/null
  for k in 1 2 3; do
    [[ $name == gateway-kill && $k == 1 ]] && continue
    pid=$(cat "$CLUSTER_DIR/node-$k.pid" 2>/dev/null) || continue
    jcmd "$pid" JFR.start name=storm settings=profile >/dev/null && PROFILED+=("node-$k:$pid")
  done
  sleep 5
}
profile_stop() { # name
  local name=$1 entry f
  for entry in "${PROFILED[@]}"; do
    jcmd "${entry#*:}" JFR.dump name=storm filename="$PROFILE_DIR/$name-${entry%%:*}.jfr" >/dev/null
    jcmd "${entry#*:}" JFR.stop name=storm >/dev/null
  done
  for f in "$PROFILE_DIR/$name"-*.jfr; do
    "$ROOT/scripts/jfr-top.sh" "$f" >"${f%.jfr}.txt" 2>&1 && log "profile: ${f%.jfr}.txt"
  done
}

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

start_bare_servers() {
  local k
  BARE_PIDS=()
  for k in 1 2 3; do
    spawn "$LOGS/bare-$k.log" java -Xmx1g -cp "$BENCH_JAR" io.tether.bench.BareWsServer --port $((PORT_BASE + 10 + k))
    BARE_PIDS+=("$SPAWNED")
  done
  for k in 1 2 3; do
    for _ in $(seq 100); do grep -qs listening "$LOGS/bare-$k.log" && break; sleep 0.2; done
  done
}
stop_bare_servers() { kill "${BARE_PIDS[@]}" 2>/dev/null; wait "${BARE_PIDS[@]}" 2>/dev/null; }

bare_lb_start() {
  {
    echo "global"
    echo "    maxconn 9800"
    echo "defaults"
    echo "    mode http"
    echo "    timeout connect 2s"
    echo "    timeout client 30s"
    echo "    timeout server 30s"
    echo "    timeout tunnel 1h"
    echo "frontend bare"
    echo "    bind 127.0.0.1:$BARE_LB_PORT"
    echo "    default_backend bare_servers"
    echo "backend bare_servers"
    echo "    balance leastconn"
    for k in 1 2 3; do echo "    server bare-$k 127.0.0.1:$((PORT_BASE + 10 + k))"; done
  } >"$RUN/bare-haproxy.cfg"
  haproxy -f "$RUN/bare-haproxy.cfg" -db </dev/null >>"$LOGS/bare-haproxy.log" 2>&1 &
  BARE_LB_PID=$!
  for _ in $(seq 50); do port_in_use "$BARE_LB_PORT" && return 0; sleep 0.1; done
}
bare_lb_restart() { kill -9 "$BARE_LB_PID"; wait "$BARE_LB_PID" 2>/dev/null; bare_lb_start; }

bare_url() { echo "ws://127.0.0.1:$((PORT_BASE + 10 + $1))/ws"; }
node_url() { echo "ws://127.0.0.1:$((PORT_BASE + $1))/ws"; }

for mode in $MODES; do
  n=${SESSIONS:-$([[ $mode == kill ]] && echo 10000 || echo 9000)}
  if [[ $BARE == 1 ]]; then
    start_bare_servers
    if [[ $mode == kill ]]; then
      storm "bare-kill" "$n" 0 0 "$(bare_url 1)" "$(bare_url 2),$(bare_url 3)" kill -9 "${BARE_PIDS[0]}"
    else
      bare_lb_start
      storm "bare-haproxy" "$n" 0 0 "ws://127.0.0.1:$BARE_LB_PORT/ws" "ws://127.0.0.1:$BARE_LB_PORT/ws" bare_lb_restart
      kill -9 "$BARE_LB_PID" 2>/dev/null
    fi
    stop_bare_servers
  fi
  log "gateway cluster: 3 nodes + demo backend + HAProxy (log: $LOGS/cluster-$mode.log)"
  cluster up 3 >"$LOGS/cluster-$mode.log" 2>&1 || { log "FATAL: cluster did not come up"; tail -n 20 "$LOGS/cluster-$mode.log"; exit 1; }
  if [[ $mode == kill ]]; then
    storm "gateway-kill" "$n" "$PUSHES" "$UNACKED" "$(node_url 1)" "$(node_url 2),$(node_url 3)" cluster kill node-1
  else
    storm "gateway-haproxy" "$n" "$PUSHES" "$UNACKED" "ws://127.0.0.1:$LB_PORT/ws" "ws://127.0.0.1:$LB_PORT/ws" \
      cluster lb-restart
  fi
  cp "$CLUSTER_DIR"/*.log "$LOGS/" 2>/dev/null
  cluster down >/dev/null 2>&1
done

{
  echo "# scripts/bench-storm.sh: reconnect storms"
  echo "command: $COMMAND"
  echo "date: $START_DATE; commit $(commit_of "$ROOT"); load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "gateway: 3 nodes (-Xmx${NODE_HEAP:-1g}) + demo backend member, backup-count 1; $PUSHES pushes per session, $UNACKED left to replay"
  echo
  echo "| storm | sessions | broke | resumed | failed | violations | frames replayed | kill → resumed p50 / p99 / max ms | kill → replay done p99 ms |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for row in "${ROWS[@]}"; do
    name=${row%%|*}; line=${row#*|}
    if [[ -z $line ]]; then echo "| $name | (no result) | | | | | | | |"; continue; fi
    echo "| $name | $(field "$line" sessions) | $(field "$line" broke) | $(field "$line" resumed) | $(field "$line" failed) | $(field "$line" violations) | $(field "$line" replayed) | $(field "$line" resumed_p50_ms) / $(field "$line" resumed_p99_ms) / $(field "$line" resumed_max_ms) | $(field "$line" replayed_p99_ms) |"
  done
} | tee "$RUN/summary.txt"
cat "$RUN/summary.txt" >>"$RUN/history.txt"
