#!/usr/bin/env bash
# Peers in the same run: reliable push throughput and idle RSS per connection of the bare Vert.x server
# (BareWsServer), the Tether gateway, Mosquitto 2 (MQTT QoS 1, persistent sessions) and Socket.IO 4 (with
# connection state recovery), on 127.0.0.1 only. Method and results: docs/BENCHMARKS.md, section
# "Peers: Mosquitto and Socket.IO (scripts/bench-peers.sh)".
#
# A peer that is not installed is skipped with a line saying so. Everything this script starts it stops
# again (by PID, on exit too). Bench-only: .ci/run does not need any of it.

set -uo pipefail # no -e: one target failing must not cost us the others' figures

usage() {
  cat <<'EOF'
usage: scripts/bench-peers.sh [options]           (each option also has an environment variable)

  --variants NxM[,NxM…]  push variants: N connections x M messages each  PEERS_VARIANTS   100x2000,1000x200
                         (none = idle only: no push servers are started)
  --rounds R             rounds per variant and target                   PEERS_ROUNDS     9
  --warmup W             leading rounds left out of the median           PEERS_WARMUP     4
  --idle-conns K1[,K2]   idle connections held, in stages (0 = skip)     PEERS_IDLE_CONNS 2000,10000
  --timeout-s S          bound of each load-client phase                 PEERS_TIMEOUT_S  180
  --rebuild              run the Maven build even if both jars exist     PEERS_REBUILD    0
  -h, --help

Ports (all 127.0.0.1), push servers: bare 22090; Tether pair clients 22080/22081, management
22190/22191, cluster 22701/22702; Mosquitto 22883; Socket.IO 22300. Idle servers: bare 22091; Tether
single node 22085/22195/22705; Mosquitto 22884; Socket.IO 22301.
Output: run/bench-peers/summary.txt (the tables), run/bench-peers/logs/ (every process's output).
Needs: Java 17 and Maven (for the jars); mosquitto (apt-get install -y mosquitto); node 18+ with
loadtest/peers/socketio installed (npm ci in that folder). Missing peers are skipped.
Exit status: 0 only if every figure was measured and no round had errors, gaps or duplicates.
EOF
}

VARIANTS=${PEERS_VARIANTS:-100x2000,1000x200}
ROUNDS=${PEERS_ROUNDS:-9}
WARMUP=${PEERS_WARMUP:-4}
IDLE_STAGES=${PEERS_IDLE_CONNS:-2000,10000}
TIMEOUT_S=${PEERS_TIMEOUT_S:-180}
REBUILD=${PEERS_REBUILD:-0}
COMMAND_LINE="scripts/bench-peers.sh $*"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --variants) VARIANTS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --idle-conns) IDLE_STAGES=$2; shift 2 ;;
    --timeout-s) TIMEOUT_S=$2; shift 2 ;;
    --rebuild) REBUILD=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=$ROOT/run/bench-peers
LOGS=$RUN/logs
SIO_DIR=$ROOT/loadtest/peers/socketio
BENCH_SRC=$ROOT/loadtest/bench/target/tether-bench.jar
GATEWAY_SRC=$ROOT/gateway/server/target/tether-gateway.jar
BENCH_JAR=$RUN/tether-bench.jar
GATEWAY_JAR=$RUN/tether-gateway.jar

BARE_PORT=22090
BARE_URL=ws://127.0.0.1:$BARE_PORT/ws
BARE_IDLE_PORT=22091
BARE_IDLE_URL=ws://127.0.0.1:$BARE_IDLE_PORT/ws
GW_URL=ws://127.0.0.1:22080/ws
SOLO_URL=ws://127.0.0.1:22085/ws
MQTT_PORT=22883
MQTT_TARGET=mqtt://127.0.0.1:$MQTT_PORT
MQTT_IDLE_PORT=22884
SIO_PORT=22300
SIO_URL=http://127.0.0.1:$SIO_PORT
SIO_IDLE_URL=http://127.0.0.1:22301
# As scripts/bench-push.sh: Java 17 + Hazelcast flags (STACK.md trap 6), no phone-home, no join wait (trap 4).
GW_JVM=(-Xmx1g --add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  -Dhazelcast.phone.home.enabled=false -Dhazelcast.wait.seconds.before.join=0)
GW_START_TIMEOUT_S=${PEERS_GW_START_TIMEOUT_S:-180} # a 2-node start took 87 s at load average 35
CLK_TCK=$(getconf CLK_TCK)

PIDS=()
log() { echo "[peers $(date +%H:%M:%S)] $*"; }

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

# Starts "$@" with output to $1 and records its PID (SPAWNED, and PIDS for the cleanup). The child drops
# the traps before exec, so a signal in between cannot make it run the cleanup itself.
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

# Stops one process this script started (TERM, up to 10 s, then KILL) and forgets it.
stop_pid() {
  local pid=$1 p kept=()
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  PIDS=("${kept[@]}")
}

wait_for_line() { # log pattern pid seconds
  local deadline=$((SECONDS + $4))
  while ((SECONDS < deadline)); do
    grep -qsE "$2" "$1" && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
cpu_ticks() { # utime + stime of each pid given, summed
  local pid total=0 t
  for pid in "$@"; do
    t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

# --- build and stage jars (never run from target/: STACK.md trap 11) --------------------------------------
rm -rf "$LOGS"
mkdir -p "$LOGS"
if [[ $REBUILD == 1 || ! -f $BENCH_SRC || ! -f $GATEWAY_SRC ]]; then
  log "building (mvn -q -B -DskipTests -fae package -pl gateway/server,loadtest/bench -am, log: $LOGS/build.log)"
  (cd "$ROOT" && mvn -q -B -DskipTests -fae package -pl gateway/server,loadtest/bench -am) >"$LOGS/build.log" 2>&1 ||
    log "the build reported failures (see $LOGS/build.log); continuing with whatever jars exist"
fi
[[ -f $BENCH_SRC ]] || { log "FATAL: $BENCH_SRC missing, see $LOGS/build.log"; exit 1; }
cp "$BENCH_SRC" "$BENCH_JAR"
GATEWAY_WHY=
if [[ -f $GATEWAY_SRC ]]; then cp "$GATEWAY_SRC" "$GATEWAY_JAR"; else GATEWAY_WHY="jar $GATEWAY_SRC missing"; fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null # thousands of sockets on both ends (hard limit 20000 here)

# --- which peers are here ---------------------------------------------------------------------------------
MQTT_WHY=
SIO_WHY=
if command -v mosquitto >/dev/null; then
  MQTT_VERSION=$(mosquitto -h 2>&1 | awk '/^mosquitto version/ { print $3; exit }')
else
  MQTT_WHY="mosquitto not installed (apt-get install -y mosquitto)"
fi
if ! command -v node >/dev/null; then
  SIO_WHY="node not installed"
else
  if [[ ! -d $SIO_DIR/node_modules/socket.io ]] && command -v npm >/dev/null; then
    log "installing loadtest/peers/socketio (npm ci)"
    (cd "$SIO_DIR" && npm ci --no-audit --no-fund) >"$LOGS/npm.log" 2>&1
  fi
  if [[ -d $SIO_DIR/node_modules/socket.io && -d $SIO_DIR/node_modules/socket.io-client ]]; then
    SIO_VERSION=$(cd "$SIO_DIR" && node -p 'require("socket.io/package.json").version')
  else
    SIO_WHY="socket.io not installed in loadtest/peers/socketio (npm ci there; see $LOGS/npm.log)"
  fi
fi
[[ -z $MQTT_WHY ]] || log "SKIPPING Mosquitto: $MQTT_WHY"
[[ -z $SIO_WHY ]] || log "SKIPPING Socket.IO: $SIO_WHY"

for port in $BARE_PORT $BARE_IDLE_PORT 22080 22081 22085 22190 22191 22195 22701 22702 22705 $MQTT_PORT \
  $MQTT_IDLE_PORT $SIO_PORT 22301; do
  port_in_use "$port" && { log "FATAL: port $port is already in use"; exit 1; }
done

# Our ports lie below the kernel's ephemeral range (32768-60999); ports that lie inside it (set by hand) can be held
# by a client socket anywhere on the machine, or
# one in TIME_WAIT after our own idle clients close (60 s), can hold one of them, and Hazelcast does not bind
# over TIME_WAIT. So the push servers listen before any load, and each idle server waits for its ports.
wait_ports_free() { # port…
  local deadline=$((SECONDS + 90)) p busy
  while ((SECONDS < deadline)); do
    busy=
    for p in "$@"; do [[ -n $(ss -Htan "( sport = :$p )") ]] && busy="$busy $p"; done
    [[ -z $busy ]] && return 0
    sleep 1
  done
  log "ports still held after 90 s:$busy"
  return 1
}

# --- servers: each start_* sets its PID variable, or its *_WHY on failure ---------------------------------
start_bare() { # label port: sets BARE_PID
  spawn "$LOGS/bare-$1.log" java -Xmx1g -cp "$BENCH_JAR" io.tether.bench.BareWsServer --port "$2"
  BARE_PID=$SPAWNED
  wait_for_line "$LOGS/bare-$1.log" listening "$BARE_PID" 30 && { log "bare server up (pid $BARE_PID, port $2)"; return 0; }
  log "FATAL: bare server did not start:"; tail -20 "$LOGS/bare-$1.log"; exit 1
}

start_gateway_node() { # name client-port management-port cluster-port members
  spawn "$LOGS/gateway-$1.log" java "${GW_JVM[@]}" -jar "$GATEWAY_JAR" --demo --port "$2" \
    --management-port "$3" --cluster-host 127.0.0.1 --cluster-port "$4" --members "$5" --node-id "peers-$1"
}

wait_health() { # seconds pid… then management ports after "--"
  local deadline=$((SECONDS + $1)) pids=() ports=() p ok
  shift
  while [[ $1 != -- ]]; do pids+=("$1"); shift; done
  shift
  ports=("$@")
  while ((SECONDS < deadline)); do
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || return 1; done
    ok=1
    for p in "${ports[@]}"; do curl -sf -o /dev/null "http://127.0.0.1:$p/health" || ok=0; done
    ((ok)) && return 0
    sleep 0.5
  done
  return 1
}

start_gateway_solo() { # one node, no replica: the idle figure
  wait_ports_free 22085 22195 22705 || { GATEWAY_IDLE_WHY="ports 22085/22195/22705 stayed busy"; return 1; }
  start_gateway_node solo 22085 22195 22705 127.0.0.1:22705
  SOLO_PID=$SPAWNED
  wait_health $GW_START_TIMEOUT_S "$SOLO_PID" -- 22195 && { log "Tether single node up (pid $SOLO_PID)"; return 0; }
  GATEWAY_IDLE_WHY="the single node did not answer /health within ${GW_START_TIMEOUT_S}s"
  log "Tether single node did not start:"; tail -15 "$LOGS/gateway-solo.log"
  stop_pid "$SOLO_PID"; SOLO_PID=
  return 1
}

start_gateway_pair() { # two nodes, backup-count 1: every session record replicated (the push figure)
  local members=127.0.0.1:22701,127.0.0.1:22702
  start_gateway_node 1 22080 22190 22701 $members
  GW1_PID=$SPAWNED
  start_gateway_node 2 22081 22191 22702 $members
  GW2_PID=$SPAWNED
  if wait_health $GW_START_TIMEOUT_S "$GW1_PID" "$GW2_PID" -- 22190 22191; then
    log "Tether pair up (pids $GW1_PID $GW2_PID)"
    ss -Htnp state established "( dport = :22701 or dport = :22702 )" | grep -qE "pid=($GW1_PID|$GW2_PID)," ||
      log "WARNING: no member connection between the Tether nodes; are they really one cluster?"
    return 0
  fi
  GATEWAY_WHY="the 2-node gateway did not answer /health within ${GW_START_TIMEOUT_S}s"
  log "$GATEWAY_WHY:"; tail -n 15 "$LOGS/gateway-1.log" "$LOGS/gateway-2.log"
  stop_pid "$GW1_PID"; stop_pid "$GW2_PID"; GW1_PID=; GW2_PID=
  return 1
}

start_mosquitto() { # label port: sets MQTT_PID
  # QoS 1 with in-memory persistent sessions. The queue and inflight limits are raised so that the broker
  # neither drops (default max_queued_messages 1000 would drop at 2000 per subscriber) nor throttles to 20
  # unacked messages: 1000 inflight per client mirrors the gateway's 1000 unacked frames per session.
  cat >"$RUN/mosquitto-$1.conf" <<EOF
listener $2 127.0.0.1
allow_anonymous true
persistence false
max_inflight_messages 1000
max_queued_messages 10000
log_dest stdout
log_type error
log_type warning
connection_messages false
EOF
  spawn "$LOGS/mosquitto-$1.log" mosquitto -c "$RUN/mosquitto-$1.conf"
  MQTT_PID=$SPAWNED
  local deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    port_in_use "$2" && { log "Mosquitto $MQTT_VERSION up (pid $MQTT_PID, port $2)"; return 0; }
    kill -0 "$MQTT_PID" 2>/dev/null || break
    sleep 0.2
  done
  START_WHY="mosquitto did not start: $(tail -3 "$LOGS/mosquitto-$1.log")"
  log "$START_WHY"; stop_pid "$MQTT_PID"; MQTT_PID=
  return 1
}

start_socketio() { # label port: sets SIO_PID
  spawn "$LOGS/socketio-$1.log" node "$SIO_DIR/server.js" --port "$2"
  SIO_PID=$SPAWNED
  wait_for_line "$LOGS/socketio-$1.log" "^listening" "$SIO_PID" 20 && { log "Socket.IO $SIO_VERSION up (pid $SIO_PID, port $2)"; return 0; }
  START_WHY="socket.io server did not start: $(tail -3 "$LOGS/socketio-$1.log")"
  log "$START_WHY"; stop_pid "$SIO_PID"; SIO_PID=
  return 1
}

# --- idle RSS per connection ------------------------------------------------------------------------------
# Idle clients per kind of target: $1 = kind, $2 = conns, $3 = client prefix.
idle_client() {
  case $1 in
    bare) spawn "$LOGS/idle-$3.log" java -Xmx1g -jar "$BENCH_JAR" --idle --url "$BARE_IDLE_URL" --conns "$2" \
      --client-prefix "$3" --timeout-s "$TIMEOUT_S" ;;
    tether) spawn "$LOGS/idle-$3.log" java -Xmx1g -jar "$BENCH_JAR" --idle --url "$SOLO_URL" --conns "$2" \
      --client-prefix "$3" --timeout-s "$TIMEOUT_S" ;;
    mosquitto) spawn "$LOGS/idle-$3.log" java -Xmx1g -cp "$BENCH_JAR" io.tether.bench.MqttPeerBench --idle \
      --port $MQTT_IDLE_PORT --conns "$2" --client-prefix "$3" --timeout-s "$TIMEOUT_S" ;;
    socketio) spawn "$LOGS/idle-$3.log" node "$SIO_DIR/client.js" --idle --url "$SIO_IDLE_URL" --conns "$2" \
      --timeout-s "$TIMEOUT_S" ;;
  esac
  IDLE_CLIENT_PID=$SPAWNED
  wait_for_line "$LOGS/idle-$3.log" "^READY" "$IDLE_CLIENT_PID" $((TIMEOUT_S + 15)) && return 0
  log "idle client $3 did not get READY: $(tail -3 "$LOGS/idle-$3.log")"
  return 1
}

declare -A IDLE # IDLE[kind.base], IDLE[kind.K] = VmRSS in kB
IFS=, read -ra STAGE_LIST <<<"$IDLE_STAGES"

# kind pid: warm-up (200 connections that connect and leave), then the RSS with 0 and with each stage's
# total held (stages add up: clients of earlier stages stay connected).
measure_idle() {
  local kind=$1 pid=$2 held=0 k clients=() c
  log "idle: $kind, warm-up with 200 connections"
  idle_client "$kind" 200 "warm-$kind" || { stop_pid "$IDLE_CLIENT_PID"; return 1; }
  stop_pid "$IDLE_CLIENT_PID"
  sleep 2
  IDLE[$kind.base]=$(rss_kb "$pid")
  for k in "${STAGE_LIST[@]}"; do
    ((k > held)) || continue
    log "idle: $kind, $k connections"
    if ! idle_client "$kind" $((k - held)) "idle-$kind-$k"; then
      stop_pid "$IDLE_CLIENT_PID"
      break
    fi
    clients+=("$IDLE_CLIENT_PID")
    held=$k
    sleep 3 # asynchronous work triggered by the connects (subscriptions, session records) settles
    IDLE[$kind.$k]=$(rss_kb "$pid")
    log "idle: $kind RSS ${IDLE[$kind.base]} kB -> ${IDLE[$kind.$k]} kB with $k connections"
  done
  for c in "${clients[@]}"; do stop_pid "$c"; done
  [[ -n ${IDLE[$kind.base]:-} ]]
}

# --- push throughput --------------------------------------------------------------------------------------
declare -A PUSH # PUSH[variant.kind] = "median|all rounds|problems"
declare -A CPU  # CPU[variant.kind] = server CPU µs per delivered message, over all rounds of that target

# "median|every round|problems" for one target's RESULT lines in a log (as scripts/bench-push.sh).
summarise_rounds() { # log target
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

delivered_total() { # log target
  grep "^RESULT .*target=$2 " "$1" | awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "delivered") s += kv[2] } }
    END { print s + 0 }'
}

cpu_per_msg() { # ticks delivered → µs per message
  awk -v t="$1" -v d="$2" -v hz="$CLK_TCK" 'BEGIN { if (d > 0) printf "%.1f", t / hz * 1e6 / d; else print "-" }'
}

run_variant() { # NxM
  local v=$1 conns=${1%x*} count=${1#*x} urls=$BARE_URL b0 g0 b1 g1 t0 t1 logf
  [[ -n $GW1_PID ]] && urls="$urls,$GW_URL"
  logf=$LOGS/push-$v-tether.log
  log "push $v: bare and Tether in alternating rounds ($ROUNDS each)"
  b0=$(cpu_ticks "$BARE_PID")
  g0=$([[ -n $GW1_PID ]] && cpu_ticks "$GW1_PID" "$GW2_PID")
  spawn "$logf" java -Xmx1g -jar "$BENCH_JAR" --url "$urls" --conns "$conns" --count "$count" \
    --rounds "$ROUNDS" --timeout-s "$TIMEOUT_S" --client-prefix "peers-$v"
  wait "$SPAWNED"
  b1=$(cpu_ticks "$BARE_PID")
  grep -E "^(RESULT|FAILED|PROBLEM)" "$logf"
  PUSH[$v.bare]=$(summarise_rounds "$logf" "$BARE_URL")
  CPU[$v.bare]=$(cpu_per_msg $((b1 - b0)) "$(delivered_total "$logf" "$BARE_URL")")
  if [[ -n $GW1_PID ]]; then
    g1=$(cpu_ticks "$GW1_PID" "$GW2_PID")
    PUSH[$v.tether]=$(summarise_rounds "$logf" "$GW_URL")
    CPU[$v.tether]=$(cpu_per_msg $((g1 - g0)) "$(delivered_total "$logf" "$GW_URL")")
  fi
  if [[ -n $MQTT_PID ]]; then
    logf=$LOGS/push-$v-mosquitto.log
    log "push $v: Mosquitto ($ROUNDS rounds)"
    t0=$(cpu_ticks "$MQTT_PID")
    spawn "$logf" java -Xmx1g -cp "$BENCH_JAR" io.tether.bench.MqttPeerBench --port $MQTT_PORT --conns "$conns" \
      --count "$count" --rounds "$ROUNDS" --timeout-s "$TIMEOUT_S" --client-prefix "peers-$v"
    wait "$SPAWNED"
    t1=$(cpu_ticks "$MQTT_PID")
    grep -E "^(RESULT|FAILED|PROBLEM)" "$logf"
    PUSH[$v.mosquitto]=$(summarise_rounds "$logf" "$MQTT_TARGET")
    CPU[$v.mosquitto]=$(cpu_per_msg $((t1 - t0)) "$(delivered_total "$logf" "$MQTT_TARGET")")
  fi
  if [[ -n $SIO_PID ]]; then
    logf=$LOGS/push-$v-socketio.log
    log "push $v: Socket.IO ($ROUNDS rounds)"
    t0=$(cpu_ticks "$SIO_PID")
    spawn "$logf" node "$SIO_DIR/client.js" --url "$SIO_URL" --conns "$conns" --count "$count" \
      --rounds "$ROUNDS" --timeout-s "$TIMEOUT_S"
    wait "$SPAWNED"
    t1=$(cpu_ticks "$SIO_PID")
    grep -E "^(RESULT|FAILED|PROBLEM)" "$logf"
    PUSH[$v.socketio]=$(summarise_rounds "$logf" "$SIO_URL")
    CPU[$v.socketio]=$(cpu_per_msg $((t1 - t0)) "$(delivered_total "$logf" "$SIO_URL")")
  fi
}

# --- run --------------------------------------------------------------------------------------------------
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
BARE_PID= SOLO_PID= GW1_PID= GW2_PID= MQTT_PID= SIO_PID=

# The push servers first, fresh and listening before any load (see wait_ports_free); idle until phase 2.
[[ $VARIANTS == none ]] && VARIANTS=
PUSH_BARE_PID= PUSH_MQTT_PID= PUSH_SIO_PID=
GATEWAY_IDLE_WHY=$GATEWAY_WHY MQTT_IDLE_WHY=$MQTT_WHY SIO_IDLE_WHY=$SIO_WHY
if [[ -n $VARIANTS ]]; then
  start_bare push $BARE_PORT
  PUSH_BARE_PID=$BARE_PID
  [[ -z $GATEWAY_WHY ]] && start_gateway_pair
fi
if [[ -n $VARIANTS && -z $MQTT_WHY ]]; then
  if start_mosquitto push $MQTT_PORT; then PUSH_MQTT_PID=$MQTT_PID; else MQTT_WHY=$START_WHY; fi
fi
if [[ -n $VARIANTS && -z $SIO_WHY ]]; then
  if start_socketio push $SIO_PORT; then PUSH_SIO_PID=$SIO_PID; else SIO_WHY=$START_WHY; fi
fi

# Phase 1, idle: a fresh process per target, one target at a time.
if [[ ${STAGE_LIST[0]:-0} -gt 0 ]]; then
  wait_ports_free $BARE_IDLE_PORT && start_bare idle $BARE_IDLE_PORT
  measure_idle bare "$BARE_PID"
  stop_pid "$BARE_PID"
  if [[ -z $GATEWAY_IDLE_WHY ]] && start_gateway_solo; then
    measure_idle tether "$SOLO_PID" || GATEWAY_IDLE_WHY="the idle client failed (see $LOGS/idle-*tether*.log)"
    stop_pid "$SOLO_PID"
  fi
  if [[ -z $MQTT_IDLE_WHY ]]; then
    START_WHY="port $MQTT_IDLE_PORT stayed busy"
    if wait_ports_free $MQTT_IDLE_PORT && start_mosquitto idle $MQTT_IDLE_PORT; then
      measure_idle mosquitto "$MQTT_PID"
      stop_pid "$MQTT_PID"
    else
      MQTT_IDLE_WHY=$START_WHY
    fi
  fi
  if [[ -z $SIO_IDLE_WHY ]]; then
    START_WHY="port 22301 stayed busy"
    if wait_ports_free 22301 && start_socketio idle 22301; then
      measure_idle socketio "$SIO_PID"
      stop_pid "$SIO_PID"
    else
      SIO_IDLE_WHY=$START_WHY
    fi
  fi
fi

# Phase 2, push: each target driven in turn while the others idle.
BARE_PID=$PUSH_BARE_PID MQTT_PID=$PUSH_MQTT_PID SIO_PID=$PUSH_SIO_PID
IFS=, read -ra VARIANT_LIST <<<"$VARIANTS"
for v in "${VARIANT_LIST[@]}"; do run_variant "$v"; done

# --- report -----------------------------------------------------------------------------------------------
declare -A LABEL=(
  [bare]="bare Vert.x 5 (BareWsServer)"
  [tether]="Tether, 2 nodes, replicated"
  [mosquitto]="Mosquitto ${MQTT_VERSION:-2}, QoS1, persistent"
  [socketio]="Socket.IO ${SIO_VERSION:-4}, recovery on"
)
declare -A IDLE_LABEL=(
  [bare]="bare Vert.x 5 (BareWsServer)"
  [tether]="Tether, 1 node"
  [mosquitto]="Mosquitto ${MQTT_VERSION:-2}, persistent"
  [socketio]="Socket.IO ${SIO_VERSION:-4}, recovery on"
)
why() {
  case $1 in
    tether) echo "$GATEWAY_WHY" ;; mosquitto) echo "$MQTT_WHY" ;; socketio) echo "$SIO_WHY" ;; *) echo "" ;;
  esac
}
COMPLETE=1
{
  echo
  echo "Command: $COMMAND_LINE"
  echo "Date: $STARTED; commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo ' (with uncommitted changes)')"
  echo
  [[ -n $VARIANTS ]] && {
  echo "== Push, delivered msgs/s: median of rounds $((WARMUP + 1))..$ROUNDS (1..$WARMUP warm-up); x bare; server CPU us/msg =="
  printf "%-36s" "target"
  for v in "${VARIANT_LIST[@]}"; do printf " %11s %6s %7s" "$v" "x bare" "us/msg"; done
  echo
  for kind in bare tether mosquitto socketio; do
    printf "%-36s" "${LABEL[$kind]}"
    if [[ -n $(why "$kind") ]]; then
      echo "   SKIPPED: $(why "$kind")"
      [[ $kind == tether ]] && COMPLETE=0
      continue
    fi
    problems=
    for v in "${VARIANT_LIST[@]}"; do
      IFS='|' read -r med _ bad <<<"${PUSH[$v.$kind]:-n/a||}"
      IFS='|' read -r bare_med _ _ <<<"${PUSH[$v.bare]:-n/a||}"
      ratio=-
      [[ $med =~ ^[0-9]+$ && $bare_med =~ ^[0-9]+$ && $bare_med -gt 0 ]] &&
        ratio=$(awk -v a="$med" -v b="$bare_med" 'BEGIN { printf "%.2f", a / b }')
      printf " %11s %6s %7s" "$med" "$ratio" "${CPU[$v.$kind]:--}"
      [[ -n $bad ]] && problems="$problems $v:$bad"
      [[ -z $bad && $med =~ ^[0-9]+$ ]] || COMPLETE=0
    done
    echo
    [[ -n $problems ]] && echo "   problems:$problems"
  done
  echo "   every round (msgs/s):"
  for v in "${VARIANT_LIST[@]}"; do
    for kind in bare tether mosquitto socketio; do
      [[ -n ${PUSH[$v.$kind]:-} ]] && printf "     %-9s %-10s %s\n" "$v" "$kind" "$(cut -d'|' -f2 <<<"${PUSH[$v.$kind]}")"
    done
  done
  }
  if [[ ${STAGE_LIST[0]:-0} -gt 0 ]]; then
    echo
    echo "== Idle connections: server VmRSS, KiB per connection = (RSS at K - RSS at 0) / K =="
    printf "%-36s %9s" "target" "RSS at 0"
    for k in "${STAGE_LIST[@]}"; do printf " %11s %8s" "RSS at $k" "KiB/conn"; done
    echo
    for kind in bare tether mosquitto socketio; do
      printf "%-36s" "${IDLE_LABEL[$kind]}"
      if [[ -z ${IDLE[$kind.base]:-} ]]; then
        case $kind in
          tether) w=$GATEWAY_IDLE_WHY ;; mosquitto) w=$MQTT_IDLE_WHY ;; socketio) w=$SIO_IDLE_WHY ;; *) w= ;;
        esac
        echo "   NOT MEASURED${w:+: $w}"
        [[ -z $w ]] && COMPLETE=0
        continue
      fi
      printf " %6d MB" $((IDLE[$kind.base] / 1024))
      for k in "${STAGE_LIST[@]}"; do
        if [[ -n ${IDLE[$kind.$k]:-} ]]; then
          printf " %8d MB %8s" $((IDLE[$kind.$k] / 1024)) \
            "$(awk -v a="${IDLE[$kind.$k]}" -v b="${IDLE[$kind.base]}" -v k="$k" 'BEGIN { printf "%.1f", (a - b) / k }')"
        else
          printf " %11s %8s" "-" "-"; COMPLETE=0
        fi
      done
      echo
    done
  fi
  echo "machine: $(nproc) cores; load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RUN/summary.txt"
cat "$RUN/summary.txt"
((COMPLETE))
