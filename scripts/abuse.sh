#!/usr/bin/env bash
# Abuse run (issue 9, docs/SECURITY.md "Abuse run"): every attack of the threat model against one node while 20
# well-behaved witness sessions keep working; prints one table (attack | tried | refused | harmed) and exits non-zero
# when an attack was not refused or a witness was harmed.
#
#   scripts/abuse.sh                       start a node of its own (fat jar, --auth jwt, random secret and API key,
#                                          --demo, limits set low) on free ports, attack it, stop it
#   scripts/abuse.sh --url ws://h:8080/ws --management-url http://h:9090 --jwt-secret S [--api-key K] [runner options]
#                                          attack a running node (pass its limits so the attacks can reach them)
# Other options go to the runner (io.tether.bench.abuse.AbuseRunner; --help lists them), e.g. --witnesses 50 --strict.
# Output: run/abuse/last.txt (and the node's log in run/abuse/node.log).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=$ROOT/run/abuse
BENCH_SRC=$ROOT/loadtest/bench/target/tether-bench.jar
GATEWAY_SRC=$ROOT/gateway/server/target/tether-gateway.jar
COMMAND="scripts/abuse.sh $*"
mkdir -p "$RUN"
log() { echo "[abuse.sh $(date +%H:%M:%S)] $*" >&2; }

OWN_NODE=1
REBUILD=0
RUNNER_ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --url) OWN_NODE=0; RUNNER_ARGS+=("$1" "$2"); shift 2 ;;
    --jwt-secret) export ABUSE_JWT_SECRET=$2; shift 2 ;; # to the runner by environment: ps shows argv
    --api-key) export ABUSE_API_KEY=$2; shift 2 ;;
    --rebuild) REBUILD=1; shift ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) RUNNER_ARGS+=("$1"); shift ;;
  esac
done

# --- jars --------------------------------------------------------------------------------------------
stale() { # jar, source dir
  [[ ! -f $1 ]] && return 0
  [[ -n $(find "$2" -newer "$1" -name '*.java' | head -1) ]]
}
if [[ $REBUILD == 1 ]] || stale "$BENCH_SRC" "$ROOT/loadtest/bench/src/main"; then
  log "building the bench jar"
  (cd "$ROOT" && mvn -B -q -o -pl loadtest/bench package -DskipTests) >"$RUN/build-bench.log" 2>&1 ||
    { log "FATAL: bench build failed, see $RUN/build-bench.log"; exit 2; }
fi
if ((OWN_NODE)) && { [[ $REBUILD == 1 ]] || stale "$GATEWAY_SRC" "$ROOT/gateway/server/src/main"; }; then
  log "building the gateway jar"
  (cd "$ROOT" && mvn -B -q -o -pl gateway/server -am package -DskipTests) >"$RUN/build-gateway.log" 2>&1 ||
    { log "FATAL: gateway build failed, see $RUN/build-gateway.log"; exit 2; }
fi
cp "$BENCH_SRC" "$RUN/tether-bench.jar"
ulimit -n "$(ulimit -Hn)" 2>/dev/null

NODE_PID=
cleanup() {
  [[ -z $NODE_PID ]] && return
  kill "$NODE_PID" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$NODE_PID" 2>/dev/null || return; sleep 0.2; done
  kill -9 "$NODE_PID" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
random_secret() { head -c 30 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }

# --- the node ----------------------------------------------------------------------------------------
if ((OWN_NODE)); then
  cp "$GATEWAY_SRC" "$RUN/tether-gateway.jar"
  PORT=$(free_port); MGMT=$(free_port); CLUSTER=$(free_port)
  ORIGIN=https://app.example
  java -cp "$RUN/tether-bench.jar" io.tether.bench.abuse.AbuseRunner --write-rsa-public-key "$RUN/rsa-public.pem"
  export ABUSE_JWT_SECRET=${ABUSE_JWT_SECRET:-$(random_secret)} ABUSE_API_KEY=${ABUSE_API_KEY:-$(random_secret)}
  # Low limits, so that each one is reached within seconds; the runner is told the same values.
  LIMITS=(--max-frame-bytes 16384 --max-connections 200 --max-connections-per-ip 50
    --max-handshakes-per-ip-per-second 30 --max-sessions 80 --max-frames-per-second 100
    --max-requests-per-second 30 --max-subscriptions 20 --max-attrs-bytes 512 --max-attrs-keys 16
    --buffer-max-bytes 262144 --node-buffer-max-bytes 1048576)
  log "starting a node: ws://127.0.0.1:$PORT/ws, management http://127.0.0.1:$MGMT (log: $RUN/node.log)"
  (
    trap - EXIT INT TERM
    # Secrets by environment (TETHER_JWT_SECRET, TETHER_API_KEY), never on the command line.
    TETHER_JWT_SECRET=$ABUSE_JWT_SECRET TETHER_API_KEY=$ABUSE_API_KEY exec java -Xmx512m --add-modules java.se \
      --add-exports java.base/jdk.internal.ref=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED \
      --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.management/sun.management=ALL-UNNAMED \
      --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED -Dhazelcast.phone.home.enabled=false \
      -Dhazelcast.wait.seconds.before.join=0 -jar "$RUN/tether-gateway.jar" --demo --node-id abuse-1 \
      --host 127.0.0.1 --port "$PORT" --management-host 127.0.0.1 --management-port "$MGMT" \
      --cluster-host 127.0.0.1 --cluster-port "$CLUSTER" --members "127.0.0.1:$CLUSTER" \
      --auth jwt --jwt-public-key "$RUN/rsa-public.pem" --allowed-origins "$ORIGIN" "${LIMITS[@]}" \
      --rate-limit-close-after-ms 2000
  ) >"$RUN/node.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 180); do
    curl -sf -o /dev/null "http://127.0.0.1:$MGMT/health" && break
    kill -0 "$NODE_PID" 2>/dev/null || break
    sleep 0.5
  done
  curl -sf -o /dev/null "http://127.0.0.1:$MGMT/health" ||
    { log "FATAL: the node did not come up"; tail -20 "$RUN/node.log" >&2; exit 2; }
  log "node up (pid $NODE_PID)"
  RUNNER_ARGS=(--url "ws://127.0.0.1:$PORT/ws" --management-url "http://127.0.0.1:$MGMT"
    --jwt-public-key "$RUN/rsa-public.pem" --origin "$ORIGIN" "${LIMITS[@]}" "${RUNNER_ARGS[@]}")
fi

# --- the run -----------------------------------------------------------------------------------------
{
  echo "command: $COMMAND"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)   commit: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" &&
    git diff --quiet HEAD -- gateway loadtest scripts || echo ' (uncommitted changes)')"
  ((OWN_NODE)) && echo "node: one node started by the script, --auth jwt (HS256 secret + RSA public key), --demo, ${LIMITS[*]}"
} >"$RUN/last.txt"
java -Xmx512m -cp "$RUN/tether-bench.jar" io.tether.bench.abuse.AbuseRunner "${RUNNER_ARGS[@]}" | tee -a "$RUN/last.txt"
RC=${PIPESTATUS[0]}
if ((OWN_NODE)); then
  # "no token, resume token or API key ever appears in a log": the node's log must not contain the run's secrets.
  if grep -qF -e "$ABUSE_JWT_SECRET" -e "$ABUSE_API_KEY" "$RUN/node.log"; then
    echo "node log: CONTAINS the JWT secret or the API key" | tee -a "$RUN/last.txt"; RC=1
  else
    echo "node log: neither the JWT secret nor the API key appears in it ($(wc -l <"$RUN/node.log") lines)" |
      tee -a "$RUN/last.txt"
  fi
fi
log "exit status $RC; output in $RUN/last.txt"
exit "$RC"
