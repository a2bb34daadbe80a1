#!/usr/bin/env bash
# A local Tether cluster: N gateway nodes, one backend-only member running the demo backend, and HAProxy in front.
#
#   scripts/cluster.sh up N [--no-backend]   start N (1-8) gateway nodes + backend + HAProxy, wait until healthy
#   scripts/cluster.sh down                  stop everything this run folder started (SIGTERM, then -9)
#   scripts/cluster.sh status                every process: pid, alive, /health; HAProxy's view (exit 1 if unhealthy)
#   scripts/cluster.sh kill NODE             kill -9 one process (NODE: node-K, K, or backend)
#   scripts/cluster.sh restart NODE          SIGTERM (graceful drain), wait for exit, start again, wait healthy
#   scripts/cluster.sh lb-restart            kill -9 HAProxy and start it again: every client socket breaks at once
#   scripts/cluster.sh cut NODE [NODE2]      (MEMBER_ADDRESSES only) drop all member traffic between NODE and NODE2,
#                                            or between NODE and every other member: a network partition (iptables)
#   scripts/cluster.sh heal                  remove every cut of this cluster
#
# node-K: clients ws://127.0.0.1:$((PORT_BASE+K))/ws, management http://127.0.0.1:$((MGMT_PORT_BASE+K)),
#         Hazelcast 127.0.0.1:$((HZ_PORT_BASE+K)).
# backend: --backend-only --demo, management $((MGMT_PORT_BASE+9)), Hazelcast $((HZ_PORT_BASE+9)).
# HAProxy: clients ws://127.0.0.1:$LB_PORT/ws, stats http://127.0.0.1:$LB_STATS_PORT/
# API key: /admin/* and /api/* on the management ports need it (docs/PROTOCOL.md §10). `up` generates a random one
#         per cluster (or takes TETHER_API_KEY), writes it to <run folder>/api-key (mode 600) and hands it to every
#         process in its environment, never on the command line (which lands in the logs and in ps):
#           curl -H "Authorization: Bearer $(cat run/cluster/api-key)" http://127.0.0.1:9091/admin/clients/<id>
#
# Environment (read by `up`; the other commands use the values `up` saved in the run folder):
#   CLUSTER_DIR      run folder: jar copy, logs, pid files, haproxy.cfg (default <repo>/run/cluster)
#   TETHER_JAR       gateway fat jar to run (default gateway/server/target/tether-gateway.jar, built if missing)
#   NODE_HEAP        -Xmx of every JVM (default 256m)
#   NODE_JVM_ARGS    extra JVM options for every process, e.g. "-XX:TieredStopAtLevel=1" (faster start, slower code)
#   NODE_ARGS        extra options for every gateway node, e.g. "--heartbeat-ms 2000"
#   BACKEND_ARGS     extra options for the backend member (default: NODE_ARGS)
#   LB_PORT          HAProxy client port (8080); LB_STATS_PORT its stats page (8404)
#   PORT_BASE        client port base (8080);  MGMT_PORT_BASE management base (9090);  HZ_PORT_BASE Hazelcast base (5700)
#   START_TIMEOUT_S  how long to wait for a process to become healthy (60)
#   STOP_TIMEOUT_S   how long to wait for a process to exit after SIGTERM before kill -9 (45: drain timeout 30 s + margin)
#   MEMBER_ADDRESSES opt-in, for network faults between members (needs root and iptables): a base address such as
#                    127.0.0.10; node-K then binds Hazelcast and the event bus on base+K (127.0.0.11, .12, ...; Linux
#                    routes all of 127/8 to lo), the backend on base+9, and every member runs with its own group id
#                    (MEMBER_GID_BASE+K, backend +9; default 40000+HZ_PORT_BASE) so that `cut` can tell its packets
#                    apart. Unset (the default): every member on 127.0.0.1, as before. Clients, HAProxy and the
#                    management ports stay on 127.0.0.1 either way: a cut separates members, never clients.
#
# Cuts (docs/RELIABILITY.md "Split brain"): one iptables chain per cluster (TETHER-<HZ_PORT_BASE>, jumped to from
# OUTPUT: on loopback every packet is locally generated). For a cut between members X and Y it drops every packet a
# socket of X sends to Y's address and every packet a socket of Y sends to X's address: Hazelcast (whose outgoing
# sockets bind to the member's own address) and the event bus (whose client sockets come from 127.0.0.1, hence the
# owner match) both stop, in both directions, while HAProxy and clients still reach every node. `heal` and `down`
# remove the chain.
#
# Every process is started in the background with its output in <run folder>/<name>.log and its pid in
# <name>.pid, and stopped by that pid only (after checking that the pid still runs something from this run folder).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER_DIR="$(realpath -m "${CLUSTER_DIR:-$ROOT/run/cluster}")"
STATE_FILE="$CLUSTER_DIR/cluster.env"
API_KEY_FILE="$CLUSTER_DIR/api-key"

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

warn() {
  echo "cluster.sh: warning: $*" >&2
}

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------------------------------------------------------
# Settings: from the environment at `up`, saved in the run folder for the other commands.

load_settings_from_env() {
  NODE_HEAP="${NODE_HEAP:-256m}"
  NODE_JVM_ARGS="${NODE_JVM_ARGS:-}"
  NODE_ARGS="${NODE_ARGS:-}"
  BACKEND_ARGS="${BACKEND_ARGS-$NODE_ARGS}"
  LB_PORT="${LB_PORT:-8080}"
  LB_STATS_PORT="${LB_STATS_PORT:-8404}"
  PORT_BASE="${PORT_BASE:-8080}"
  MGMT_PORT_BASE="${MGMT_PORT_BASE:-9090}"
  HZ_PORT_BASE="${HZ_PORT_BASE:-5700}"
  START_TIMEOUT_S="${START_TIMEOUT_S:-60}"
  STOP_TIMEOUT_S="${STOP_TIMEOUT_S:-45}"
  MEMBER_ADDRESSES="${MEMBER_ADDRESSES:-}"
  MEMBER_GID_BASE="${MEMBER_GID_BASE:-$((40000 + ${HZ_PORT_BASE}))}"
  if [[ -n "$MEMBER_ADDRESSES" ]]; then
    [[ "$MEMBER_ADDRESSES" =~ ^127\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] && ((BASH_REMATCH[3] <= 245)) ||
      die "MEMBER_ADDRESSES must be a loopback base address 127.a.b.c with c <= 245 (got '$MEMBER_ADDRESSES')"
    command -v setpriv >/dev/null || die "MEMBER_ADDRESSES needs setpriv (util-linux) to give each member its group id"
  fi
  for v in LB_PORT LB_STATS_PORT PORT_BASE MGMT_PORT_BASE HZ_PORT_BASE START_TIMEOUT_S STOP_TIMEOUT_S; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a number (got '${!v}')"
  done
}

save_settings() {
  {
    for v in NODES BACKEND NODE_HEAP NODE_JVM_ARGS NODE_ARGS BACKEND_ARGS LB_PORT LB_STATS_PORT PORT_BASE MGMT_PORT_BASE \
        HZ_PORT_BASE START_TIMEOUT_S STOP_TIMEOUT_S MEMBER_ADDRESSES MEMBER_GID_BASE; do
      printf '%s=%q\n' "$v" "${!v}"
    done
  } >"$STATE_FILE"
}

load_saved_settings() {
  [[ -f "$STATE_FILE" ]] || die "no cluster in $CLUSTER_DIR (start one with: scripts/cluster.sh up N)"
  # shellcheck disable=SC1090
  source "$STATE_FILE"
  # Timeouts may be overridden per command.
  START_TIMEOUT_S="${START_TIMEOUT_OVERRIDE:-$START_TIMEOUT_S}"
  STOP_TIMEOUT_S="${STOP_TIMEOUT_OVERRIDE:-$STOP_TIMEOUT_S}"
}

# ---------------------------------------------------------------------------------------------------------------
# Processes

pid_file() { echo "$CLUSTER_DIR/$1.pid"; }
log_file() { echo "$CLUSTER_DIR/$1.log"; }

read_pid() {
  local f
  f="$(pid_file "$1")"
  [[ -f "$f" ]] && cat "$f" || true
}

# Running and started from this run folder (guards against a recycled pid). A zombie is dead, but only once all
# its threads are gone: a JVM killed with -9 shows its main thread as a zombie while the other threads still exit
# (and still hold its ports).
alive() {
  local pid="$1" state threads
  [[ -n "$pid" && -e "/proc/$pid" ]] || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo X)"
  [[ "$state" != "X" ]] || return 1
  if [[ "$state" == "Z" ]]; then
    threads="$(ls "/proc/$pid/task" 2>/dev/null | wc -l)"
    ((threads > 1)) || return 1
    return 0 # exiting; the command line is no longer readable
  fi
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$CLUSTER_DIR/"
}

mgmt_port_of() {
  case "$1" in
    backend) echo $((MGMT_PORT_BASE + 9)) ;;
    node-*) echo $((MGMT_PORT_BASE + ${1#node-})) ;;
  esac
}

# Normalizes a NODE argument: node-K, K or backend.
node_name() {
  local arg="${1:-}"
  [[ -n "$arg" ]] || die "name a node: node-K, K (1..$NODES) or backend"
  if [[ "$arg" == "backend" ]]; then
    [[ "$BACKEND" == "1" ]] || die "this cluster was started with --no-backend"
    echo backend
    return
  fi
  arg="${arg#node-}"
  [[ "$arg" =~ ^[0-9]+$ ]] && ((arg >= 1 && arg <= NODES)) || die "no node '$1' (nodes are node-1..node-$NODES, or backend)"
  echo "node-$arg"
}

# The member index of a process: K for node-K, 9 for the backend.
member_index() {
  [[ "$1" == backend ]] && echo 9 || echo "${1#node-}"
}

# The address a member binds Hazelcast and the event bus to: 127.0.0.1, or its own with MEMBER_ADDRESSES.
member_host() {
  if [[ -z "${MEMBER_ADDRESSES:-}" ]]; then
    echo 127.0.0.1
    return
  fi
  local base="${MEMBER_ADDRESSES%.*}" last="${MEMBER_ADDRESSES##*.}"
  echo "$base.$((last + $(member_index "$1")))"
}

member_gid() {
  echo $((MEMBER_GID_BASE + $(member_index "$1")))
}

members() {
  local list="" name
  for name in $(all_names); do
    list+="${list:+,}$(member_host "$name"):$((HZ_PORT_BASE + $(member_index "$name")))"
  done
  echo "$list"
}

# The java command line of one process (one word per line, for mapfile).
java_command() {
  local name="$1"
  # java -jar: the jar's manifest carries the Add-Opens/Add-Exports Hazelcast needs on Java 17 (STACK.md trap 6).
  # With MEMBER_ADDRESSES the member runs with its own group id (still root): `cut` matches its packets by it.
  [[ -n "${MEMBER_ADDRESSES:-}" ]] && printf '%s\n' setpriv --regid "$(member_gid "$name")" --clear-groups --
  printf '%s\n' java "-Xmx$NODE_HEAP" -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 \
    -Dhazelcast.phone.home.enabled=false
  # shellcheck disable=SC2086
  [[ -n "$NODE_JVM_ARGS" ]] && printf '%s\n' $NODE_JVM_ARGS
  printf '%s\n' -jar "$CLUSTER_DIR/tether-gateway.jar" \
    --node-id "$name" --cluster-host "$(member_host "$name")" --members "$(members)" --management-host 127.0.0.1
  if [[ "$name" == backend ]]; then
    printf '%s\n' --backend-only --demo --management-port $((MGMT_PORT_BASE + 9)) \
      --cluster-port $((HZ_PORT_BASE + 9))
    # shellcheck disable=SC2086
    [[ -n "$BACKEND_ARGS" ]] && printf '%s\n' $BACKEND_ARGS
  else
    local k="${name#node-}"
    printf '%s\n' --host 127.0.0.1 --port $((PORT_BASE + k)) --management-port $((MGMT_PORT_BASE + k)) \
      --cluster-port $((HZ_PORT_BASE + k))
    if [[ "$BACKEND" == "1" ]]; then
      # The demo addresses are served by the backend member; the gateway nodes only let clients call them.
      printf '%s\n' --allowed-addresses 'demo.*'
    else
      printf '%s\n' --demo
    fi
    # shellcheck disable=SC2086
    [[ -n "$NODE_ARGS" ]] && printf '%s\n' $NODE_ARGS
  fi
  return 0
}

start_process() {
  local name="$1" cmd pid
  mapfile -t cmd < <(java_command "$name")
  {
    echo "==== $(date '+%F %T') starting $name"
    printf '%q ' "${cmd[@]}"
    echo
  } >>"$(log_file "$name")"
  # Detached from our stdin/stdout/stderr, so that whoever runs this script is not kept waiting on its pipes. The
  # API key goes in the environment of a subshell that then becomes the JVM (exec: same pid), never on a command line
  # (the one above is logged, and command lines show in ps).
  local key=""
  [[ -s "$API_KEY_FILE" ]] && key="$(<"$API_KEY_FILE")"
  (
    [[ -n "$key" ]] && export TETHER_API_KEY="$key"
    exec nohup "${cmd[@]}" </dev/null >>"$(log_file "$name")" 2>&1
  ) &
  pid=$!
  echo "$pid" >"$(pid_file "$name")"
}

# The cluster's key for /admin/* and /api/*: TETHER_API_KEY if set, else 32 random characters; kept in $API_KEY_FILE
# (mode 600) for `restart` and for the operator. Random rather than a fixed dev key: the management ports of a
# cluster started here must not answer a key that everyone who read this script knows.
write_api_key() {
  local key="${TETHER_API_KEY:-}"
  if [[ -n "$key" ]]; then
    ((${#key} >= 16)) || die "TETHER_API_KEY must be at least 16 characters"
  else
    key="$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  fi
  (umask 077 && printf '%s\n' "$key" >"$API_KEY_FILE")
}

# 0 if something accepts TCP connections on 127.0.0.1:$1.
port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

health_json() {
  curl -s --max-time 2 "http://127.0.0.1:$1/health" 2>/dev/null || true
}

health_code() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/health" 2>/dev/null || true
}

json_field() { # json_field <json> <field>: a number or a string value
  sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$1"
}

fail_with_log() {
  local name="$1" message="$2"
  echo "cluster.sh: $message" >&2
  echo "---- last lines of $(log_file "$name"):" >&2
  tail -n 30 "$(log_file "$name")" >&2 || true
  exit 1
}

# How many of this cluster's members are running now.
running_members() {
  local name count=0
  for name in $(all_names); do
    alive "$(read_pid "$name")" && count=$((count + 1))
  done
  echo "$count"
}

# Waits until the process is healthy: alive, /health 200, in one cluster with every running member, and the cluster
# safe (/health "clusterSafe": every partition has its backups again after the member joined), so that the next
# kill or restart cannot take the last copy of anything.
wait_healthy() {
  local name="$1" pid port deadline json="" expected
  pid="$(read_pid "$name")"
  port="$(mgmt_port_of "$name")"
  deadline=$((SECONDS + START_TIMEOUT_S))
  while :; do
    alive "$pid" || fail_with_log "$name" "$name (pid $pid) exited during start"
    expected="$(running_members)"
    if [[ "$(health_code "$port")" == 200 ]]; then
      json="$(health_json "$port")"
      if [[ "$(json_field "$json" clusterMembers)" == "$expected" && "$(json_field "$json" clusterSafe)" != false ]]; then
        return 0
      fi
    fi
    ((SECONDS < deadline)) || fail_with_log "$name" "$name is not healthy after ${START_TIMEOUT_S}s (last /health on port $port: ${json:-no answer}; expected clusterMembers $expected)"
    sleep 0.25
  done
}

# Sends SIGTERM and waits for the exit; kill -9 after STOP_TIMEOUT_S. Returns 0 if it exited on its own.
stop_process() {
  local name="$1" pid deadline
  pid="$(read_pid "$name")"
  if ! alive "$pid"; then
    rm -f "$(pid_file "$name")"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT_S))
  while alive "$pid"; do
    if ((SECONDS >= deadline)); then
      warn "$name (pid $pid) did not exit ${STOP_TIMEOUT_S}s after SIGTERM: kill -9"
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" 10 || warn "$name (pid $pid) still there after kill -9"
      rm -f "$(pid_file "$name")"
      return 1
    fi
    sleep 0.2
  done
  rm -f "$(pid_file "$name")"
  return 0
}

wait_gone() {
  local pid="$1" deadline=$((SECONDS + $2))
  while alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# ---------------------------------------------------------------------------------------------------------------
# HAProxy

ensure_haproxy() {
  command -v haproxy >/dev/null && return 0
  echo "installing haproxy ..." >&2
  local sudo=""
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || die "haproxy is not installed and this is not root (no sudo either): apt-get install haproxy"
    sudo="sudo"
  fi
  if ! { $sudo apt-get install -y -qq haproxy >/dev/null 2>&1 ||
      { $sudo apt-get update -qq && $sudo apt-get install -y -qq haproxy >/dev/null; }; }; then
    die "could not install haproxy with apt-get"
  fi
  command -v haproxy >/dev/null || die "haproxy still not found after installing it"
}

# Two descriptors per proxied connection: HAProxy refuses to start if it cannot raise its limit to ~2 x maxconn.
lb_maxconn() {
  local hard
  hard="$(ulimit -Hn)"
  [[ "$hard" == unlimited ]] && hard=1048576
  local n=$(((hard - 200) / 2))
  ((n > 20000)) && n=20000
  echo "$n"
}

# The same choices as cluster-config/haproxy.cfg (see the comments there), for N nodes.
write_haproxy_cfg() {
  local k cfg="$CLUSTER_DIR/haproxy.cfg"
  {
    cat <<EOF
# Generated by scripts/cluster.sh for $NODES node(s); the commented version is cluster-config/haproxy.cfg.
global
    maxconn $(lb_maxconn)
    log stdout format raw local0 notice

defaults
    mode http
    log global
    log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %HM %HPO %HV"
    option dontlognull
    option forwardfor
    timeout connect 2s
    timeout http-request 10s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h
    timeout client-fin 5s
    retries 3
    retry-on conn-failure empty-response 503
    option redispatch 1

frontend tether_clients
    bind 127.0.0.1:$LB_PORT
    default_backend tether_nodes

backend tether_nodes
    balance leastconn
    option httpchk GET /health
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
EOF
    for ((k = 1; k <= NODES; k++)); do
      echo "    use-server node-$k if { urlp(node) -m str node-$k }"
    done
    for ((k = 1; k <= NODES; k++)); do
      echo "    server node-$k 127.0.0.1:$((PORT_BASE + k)) check port $((MGMT_PORT_BASE + k))"
    done
    cat <<EOF

listen stats
    bind 127.0.0.1:$LB_STATS_PORT
    stats enable
    stats uri /
    stats refresh 2s
    stats show-legends
EOF
  } >"$cfg"
  haproxy -c -q -f "$cfg" >/dev/null 2>&1 || die "the generated $cfg is invalid: $(haproxy -c -f "$cfg" 2>&1 | tail -n 5)"
}

start_haproxy() {
  {
    echo "==== $(date '+%F %T') starting haproxy"
  } >>"$(log_file haproxy)"
  nohup haproxy -f "$CLUSTER_DIR/haproxy.cfg" -db </dev/null >>"$(log_file haproxy)" 2>&1 &
  echo $! >"$(pid_file haproxy)"
}

# HAProxy's view of one server: UP, DOWN, "UP 1/2", MAINT, ... (empty if the stats page does not answer).
lb_server_status() {
  curl -s --max-time 2 "http://127.0.0.1:$LB_STATS_PORT/;csv" 2>/dev/null |
    awk -F, -v s="$1" '$1 == "tether_nodes" && $2 == s { print $18 }' || true
}

wait_lb_server_up() {
  local name="$1" deadline=$((SECONDS + START_TIMEOUT_S)) st=""
  while :; do
    alive "$(read_pid haproxy)" || fail_with_log haproxy "haproxy exited"
    st="$(lb_server_status "$name")"
    [[ "$st" == "UP" ]] && return 0
    ((SECONDS < deadline)) || fail_with_log haproxy "haproxy does not see $name UP after ${START_TIMEOUT_S}s (status: ${st:-no answer})"
    sleep 0.25
  done
}

wait_haproxy() {
  local k
  for ((k = 1; k <= NODES; k++)); do
    wait_lb_server_up "node-$k"
  done
}

# ---------------------------------------------------------------------------------------------------------------
# Commands

cmd_up() {
  local n="${1:-}" opt k name jar
  [[ "$n" =~ ^[0-9]+$ ]] && ((n >= 1 && n <= 8)) || die "up needs a node count from 1 to 8 (got '${n}')"
  shift
  BACKEND=1
  for opt in "$@"; do
    case "$opt" in
      --no-backend) BACKEND=0 ;;
      *) die "unknown option '$opt' for up (only --no-backend)" ;;
    esac
  done
  NODES="$n"
  load_settings_from_env
  if [[ -f "$STATE_FILE" ]]; then
    for name in haproxy backend $(seq -f 'node-%g' 1 8); do
      if alive "$(read_pid "$name")"; then
        die "a cluster is already running in $CLUSTER_DIR ($name, pid $(read_pid "$name")): run 'scripts/cluster.sh down' first"
      fi
    done
  fi

  # Nothing else may hold our ports: a stray node answering /health would fool the health checks.
  local ports=("$LB_PORT" "$LB_STATS_PORT")
  for ((k = 1; k <= NODES; k++)); do
    ports+=($((PORT_BASE + k)) $((MGMT_PORT_BASE + k)) $((HZ_PORT_BASE + k)))
  done
  [[ "$BACKEND" == 1 ]] && ports+=($((MGMT_PORT_BASE + 9)) $((HZ_PORT_BASE + 9)))
  for p in "${ports[@]}"; do
    port_busy "$p" && die "port $p is already in use (another cluster? see 'ss -ltnp'); set PORT_BASE, MGMT_PORT_BASE, HZ_PORT_BASE, LB_PORT, LB_STATS_PORT"
  done

  ensure_haproxy
  command -v curl >/dev/null || die "curl is required"
  command -v java >/dev/null || die "java is required"

  jar="${TETHER_JAR:-$ROOT/gateway/server/target/tether-gateway.jar}"
  if [[ -n "${TETHER_JAR:-}" ]]; then
    [[ -f "$jar" ]] || die "TETHER_JAR=$jar does not exist"
  elif [[ ! -f "$jar" ]]; then
    echo "building $jar ..." >&2
    (cd "$ROOT" && mvn -B -q -pl gateway/server -am package -DskipTests) || die "the build failed"
    [[ -f "$jar" ]] || die "the build did not produce $jar"
  fi

  [[ -n "$MEMBER_ADDRESSES" ]] && add_member_addresses
  mkdir -p "$CLUSTER_DIR"
  rm -f "$CLUSTER_DIR"/*.pid
  # A copy: rebuilding the jar must not pull classes from under running nodes (STACK.md trap 11).
  cp "$jar" "$CLUSTER_DIR/tether-gateway.jar"
  save_settings
  write_api_key
  write_haproxy_cfg

  # node-1 first and alone: members that start at the same moment can each form a cluster of their own, which
  # Hazelcast only merges minutes later. The others then join node-1, together.
  start_process node-1
  wait_healthy_alone node-1
  for ((k = 2; k <= NODES; k++)); do
    start_process "node-$k"
  done
  [[ "$BACKEND" == 1 ]] && start_process backend
  for ((k = 1; k <= NODES; k++)); do
    wait_healthy "node-$k"
  done
  [[ "$BACKEND" == 1 ]] && wait_healthy backend
  start_haproxy
  wait_haproxy
  summary
}

# The first node: healthy on its own (the others are not started yet).
wait_healthy_alone() {
  local name="$1" pid port deadline
  pid="$(read_pid "$name")"
  port="$(mgmt_port_of "$name")"
  deadline=$((SECONDS + START_TIMEOUT_S))
  # With a split-brain quorum (--split-brain-quorum) a member alone answers 503 NO_QUORUM until enough others join:
  # it is up and waiting for them, which is all this wait is for.
  until [[ "$(health_code "$port")" == 200 || "$(json_field "$(health_json "$port")" status)" == NO_QUORUM ]]; do
    alive "$pid" || fail_with_log "$name" "$name (pid $pid) exited during start"
    ((SECONDS < deadline)) || fail_with_log "$name" "$name is not healthy after ${START_TIMEOUT_S}s"
    sleep 0.25
  done
}

summary() {
  local k
  echo "Tether cluster in $CLUSTER_DIR"
  for ((k = 1; k <= NODES; k++)); do
    printf '  %-8s pid %-7s ws://127.0.0.1:%s/ws  management http://127.0.0.1:%s  hazelcast %s  log %s\n' \
      "node-$k" "$(read_pid "node-$k")" $((PORT_BASE + k)) $((MGMT_PORT_BASE + k)) "$(member_host "node-$k"):$((HZ_PORT_BASE + k))" \
      "$(log_file "node-$k")"
  done
  if [[ "$BACKEND" == 1 ]]; then
    printf '  %-8s pid %-7s (backend only, demo)        management http://127.0.0.1:%s  hazelcast %s  log %s\n' \
      backend "$(read_pid backend)" $((MGMT_PORT_BASE + 9)) "$(member_host backend):$((HZ_PORT_BASE + 9))" "$(log_file backend)"
  fi
  printf '  %-8s pid %-7s ws://127.0.0.1:%s/ws  stats http://127.0.0.1:%s/  log %s\n' \
    haproxy "$(read_pid haproxy)" "$LB_PORT" "$LB_STATS_PORT" "$(log_file haproxy)"
  echo "  /admin and /api need the API key in $API_KEY_FILE, e.g."
  echo "    curl -H \"Authorization: Bearer \$(cat $API_KEY_FILE)\" http://127.0.0.1:$((MGMT_PORT_BASE + 1))/admin/clients/<id>"
}

all_names() {
  local k
  for ((k = 1; k <= NODES; k++)); do echo "node-$k"; done
  [[ "$BACKEND" == 1 ]] && echo backend
  return 0
}

cmd_down() {
  if [[ ! -f "$STATE_FILE" ]]; then
    echo "no cluster in $CLUSTER_DIR"
    return 0
  fi
  load_saved_settings
  local name pid
  [[ -n "${MEMBER_ADDRESSES:-}" ]] && remove_cuts
  # HAProxy first: no new connections. Then every member at once (SIGTERM: each gateway node drains). The backend
  # is not kept for last: a backend-only member told to stop right after the last other member left can hang in
  # its shutdown (then it is killed after STOP_TIMEOUT_S).
  stop_process haproxy || true
  local pids=()
  for name in $(all_names); do
    pid="$(read_pid "$name")"
    if alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$name")
    fi
  done
  [[ ${#pids[@]} -gt 0 ]] && echo "stopping ${pids[*]} (graceful drain, at most ${STOP_TIMEOUT_S}s) ..."
  for name in "${pids[@]}"; do
    stop_process "$name" || true
  done
  [[ -n "${MEMBER_ADDRESSES:-}" ]] && remove_member_addresses
  rm -f "$CLUSTER_DIR"/*.pid "$STATE_FILE" "$API_KEY_FILE"
  echo "stopped (logs kept in $CLUSTER_DIR)"
  return 0
}

cmd_status() {
  load_saved_settings
  local name pid port code json ok=0 st
  echo "Tether cluster in $CLUSTER_DIR: $NODES node(s)$([[ "$BACKEND" == 1 ]] && echo " + backend")"
  for name in $(all_names); do
    pid="$(read_pid "$name")"
    port="$(mgmt_port_of "$name")"
    if alive "$pid"; then
      code="$(health_code "$port")"
      json="$(health_json "$port")"
      printf '  %-8s pid %-7s alive  /health %s %-9s sessions=%-6s members=%s safe=%s\n' "$name" "$pid" \
        "${code:-000}" "$(json_field "$json" status)" "$(json_field "$json" sessions)" \
        "$(json_field "$json" clusterMembers)" "$(json_field "$json" clusterSafe)"
      [[ "$code" == 200 ]] || ok=1
    else
      printf '  %-8s pid %-7s DEAD\n' "$name" "${pid:--}"
      ok=1
    fi
  done
  pid="$(read_pid haproxy)"
  if alive "$pid"; then
    local view=""
    for name in $(all_names); do
      [[ "$name" == backend ]] && continue
      st="$(lb_server_status "$name")"
      view+=" $name=${st:-?}"
      [[ "$st" == UP ]] || ok=1
    done
    printf '  %-8s pid %-7s alive  ws://127.0.0.1:%s/ws  servers:%s\n' haproxy "$pid" "$LB_PORT" "$view"
  else
    printf '  %-8s pid %-7s DEAD\n' haproxy "${pid:--}"
    ok=1
  fi
  return $ok
}

cmd_kill() {
  load_saved_settings
  local name pid
  name="$(node_name "${1:-}")"
  pid="$(read_pid "$name")"
  alive "$pid" || die "$name is not running"
  kill -KILL "$pid"
  wait_gone "$pid" 10 || die "$name (pid $pid) is still there 10 s after kill -9"
  echo "killed $name (pid $pid)"
}

cmd_restart() {
  load_saved_settings
  local name pid t0=$SECONDS t1 t2
  name="$(node_name "${1:-}")"
  pid="$(read_pid "$name")"
  if alive "$pid"; then
    echo "stopping $name (pid $pid, SIGTERM: graceful drain) ..."
    stop_process "$name" || true
  fi
  t1=$SECONDS
  start_process "$name"
  wait_healthy "$name"
  t2=$SECONDS
  if [[ "$name" != backend ]] && alive "$(read_pid haproxy)"; then
    wait_lb_server_up "$name"
  fi
  echo "restarted $name (pid $(read_pid "$name")): stopped in $((t1 - t0)) s, healthy $((t2 - t1)) s after start, UP in haproxy after $((SECONDS - t2)) s more"
}

cmd_lb_restart() {
  load_saved_settings
  local pid k t0=$SECONDS
  pid="$(read_pid haproxy)"
  if alive "$pid"; then
    kill -KILL "$pid"
    wait_gone "$pid" 10 || die "haproxy (pid $pid) is still there 10 s after kill -9"
  fi
  start_haproxy
  for ((k = 1; k <= NODES; k++)); do
    wait_lb_server_up "node-$k"
  done
  echo "restarted haproxy (pid $(read_pid haproxy)): every node UP in it after $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------------------------------------------------------
# Network faults between members (MEMBER_ADDRESSES): see "Cuts" at the top.

cut_chain() { echo "TETHER-$HZ_PORT_BASE"; }

# Linux routes all of 127/8 to lo, but Hazelcast binds only to an address an interface carries: each member's
# address goes on lo as a /32 for the cluster's lifetime (root only).
add_member_addresses() {
  [[ "$(id -u)" == 0 ]] || die "MEMBER_ADDRESSES needs root (ip addr add ... dev lo, iptables)"
  local name
  for name in $(all_names); do
    ip addr replace "$(member_host "$name")/32" dev lo || die "could not add $(member_host "$name") to lo"
  done
}

remove_member_addresses() {
  [[ "$(id -u)" == 0 ]] || return 0
  local name
  for name in $(all_names); do
    ip addr del "$(member_host "$name")/32" dev lo 2>/dev/null || true
  done
}

ensure_iptables() {
  [[ "$(id -u)" == 0 ]] || die "cutting links needs root (iptables)"
  command -v iptables >/dev/null && return 0
  echo "installing iptables ..." >&2
  { apt-get install -y -qq iptables >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq iptables >/dev/null; }; } ||
    die "could not install iptables with apt-get"
}

ensure_cut_chain() {
  local chain
  chain="$(cut_chain)"
  iptables -n -L "$chain" >/dev/null 2>&1 || iptables -N "$chain"
  iptables -C OUTPUT -j "$chain" 2>/dev/null || iptables -I OUTPUT 1 -j "$chain"
}

# Drops what the sockets of member $1 send to the address of member $2 (one direction; call it both ways).
drop_from_to() {
  local rule=(-d "$(member_host "$2")/32" -p tcp -m owner --gid-owner "$(member_gid "$1")" -m comment --comment "tether $1->$2" -j DROP)
  iptables -C "$(cut_chain)" "${rule[@]}" 2>/dev/null || iptables -A "$(cut_chain)" "${rule[@]}"
}

cmd_cut() {
  load_saved_settings
  [[ -n "${MEMBER_ADDRESSES:-}" ]] || die "cut needs a cluster started with MEMBER_ADDRESSES (each member on its own address)"
  local a b others=() other
  a="$(node_name "${1:-}")"
  if [[ -n "${2:-}" ]]; then
    b="$(node_name "$2")"
    [[ "$a" != "$b" ]] || die "cut: name two different members"
    others=("$b")
  else
    for other in $(all_names); do
      [[ "$other" != "$a" ]] && others+=("$other")
    done
  fi
  ensure_iptables
  ensure_cut_chain
  for other in "${others[@]}"; do
    drop_from_to "$a" "$other"
    drop_from_to "$other" "$a"
  done
  echo "cut $a from ${others[*]} (chain $(cut_chain): $(iptables -S "$(cut_chain)" | grep -c -- '-j DROP') rules)"
}

# Removes every cut of this cluster (no error if there is none).
remove_cuts() {
  command -v iptables >/dev/null || return 0
  [[ "$(id -u)" == 0 ]] || return 0
  local chain
  chain="$(cut_chain)"
  iptables -n -L "$chain" >/dev/null 2>&1 || return 0
  while iptables -D OUTPUT -j "$chain" 2>/dev/null; do :; done
  iptables -F "$chain"
  iptables -X "$chain"
  echo "healed: removed chain $chain"
}

cmd_heal() {
  load_saved_settings
  remove_cuts
  return 0
}

[[ $# -ge 1 ]] || usage
command="$1"
shift
case "$command" in
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kill) cmd_kill "$@" ;;
  restart) cmd_restart "$@" ;;
  lb-restart) cmd_lb_restart "$@" ;;
  cut) cmd_cut "$@" ;;
  heal) cmd_heal ;;
  -h | --help | help) usage ;;
  *) echo "cluster.sh: unknown command '$command'" >&2; usage ;;
esac
