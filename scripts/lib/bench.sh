# Shared helpers of the benchmark scripts that hold many sessions (bench-idle.sh, bench-storm.sh). Sourced, not run.
# The caller sets LOGS (a folder) and LABEL (its log prefix) before sourcing.

PIDS=()

log() { echo "[$LABEL $(date +%H:%M:%S)] $*"; }

# Stops every process spawn() started: SIGTERM, up to 10 s each, then SIGKILL.
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || continue 2; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null
  done
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts "$@" in the background with output to $1; its PID in SPAWNED (and in PIDS for the cleanup). The child
# drops the caller's traps before exec: a signal arriving in between must not make it run the cleanup itself.
spawn() { # log command…
  local out=$1
  shift
  (
    trap - EXIT INT TERM
    exec "$@" >"$out" 2>&1
  ) &
  SPAWNED=$!
  PIDS+=("$SPAWNED")
}

# Java 17 + Hazelcast (STACK.md trap 6); no phone-home (no outside network); no join wait (trap 4).
GW_JVM_FLAGS=(--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  -Dhazelcast.phone.home.enabled=false -Dhazelcast.wait.seconds.before.join=0)

# Live heap in bytes: GC.class_histogram runs a full GC and sums live objects only, whatever the collector.
live_heap() {
  jcmd "$1" GC.run >/dev/null 2>&1
  jcmd "$1" GC.class_histogram 2>/dev/null | awk '$1 == "Total" { print $3 }'
}

rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null; }

# CPU time of a process (user + system, all threads) in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

# CPU ticks (user + system) of each thread of a process, summed by thread name with its trailing number folded
# (vert.x-eventloop-thread-N): one "name<TAB>ticks" line each. The kernel keeps 15 characters of a thread's name.
thread_ticks() { # pid
  local t
  for t in /proc/"$1"/task/*; do cat "$t/stat" 2>/dev/null; echo; done | awk '
    NF { match($0, /\(.*\)/); name = substr($0, RSTART + 1, RLENGTH - 2); split(substr($0, RSTART + RLENGTH + 1), f, " ")
         gsub(/[0-9]+$/, "N", name); s[name] += f[12] + f[13] }
    END { for (n in s) print n "\t" s[n] }'
}

# Share of a core each thread group used between two thread_ticks readings taken window-s apart, largest first.
thread_cpu() { # before-file after-file window-s
  awk -F'\t' -v t="$(getconf CLK_TCK)" -v w="$3" 'NR == FNR { a[$1] = $2; next }
    { d = $2 - a[$1]; if (d > 0) printf "%6.1f %%  %s\n", d / t / w * 100, $1 }' "$1" "$2" | sort -rn
}

# Value of one Prometheus sample line (exact name{labels}) from a /metrics page, 0 when absent.
metric() { # url sample
  curl -sf "$1" | awk -v s="$2" '$1 == s { v = $2 } END { printf "%.0f", v + 0 }'
}

# Waits until every file given has a line starting with the word; fails early if a watched PID exits.
wait_for_line() { # word timeout-s "pids" files…
  local word=$1 deadline=$((SECONDS + $2)) pids=$3 f p missing
  shift 3
  while ((SECONDS < deadline)); do
    missing=0
    for f in "$@"; do grep -qs "^$word" "$f" || missing=1; done
    ((missing == 0)) && return 0
    for p in $pids; do kill -0 "$p" 2>/dev/null || { log "process $p exited early"; return 1; }; done
    sleep 0.5
  done
  return 1
}

# Starts a gateway node: n jar heap client-port management-port cluster-port members [extra options…]
start_node() {
  local n=$1 jar=$2 heap=$3 port=$4 mgmt=$5 cport=$6 members=$7
  shift 7
  # shellcheck disable=SC2086 # NODE_EXTRA_JVM: extra JVM options, word-split on purpose
  spawn "$LOGS/node-$n.log" java -Xmx"$heap" "${GW_JVM_FLAGS[@]}" ${NODE_EXTRA_JVM:-} -jar "$jar" --demo --port "$port" \
    --management-port "$mgmt" --cluster-host 127.0.0.1 --cluster-port "$cport" --members "$members" \
    --node-id "bench-$n" "$@"
}

wait_health() { # timeout-s management-ports…
  local deadline=$((SECONDS + $1)) p ok
  shift
  while ((SECONDS < deadline)); do
    ok=1
    for p in "$@"; do curl -sf -o /dev/null "http://127.0.0.1:$p/health" || ok=0; done
    ((ok)) && return 0
    sleep 0.5
  done
  return 1
}

commit_of() { git -C "$1" rev-parse --short HEAD 2>/dev/null || echo unknown; }

# Fresh logs, the jars built if missing (or REBUILD=1) and copied to RUN (never run from target/: STACK.md trap 11);
# sets BENCH_JAR and GATEWAY_JAR. Needs ROOT, RUN, LOGS, REBUILD.
stage_jars() {
  local bench_src=$ROOT/loadtest/bench/target/tether-bench.jar gateway_src=$ROOT/gateway/server/target/tether-gateway.jar
  rm -rf "$LOGS"
  mkdir -p "$LOGS"
  if [[ $REBUILD == 1 || ! -f $bench_src || ! -f $gateway_src ]]; then
    log "building (mvn -q -B -DskipTests package, log: $LOGS/build.log)"
    (cd "$ROOT" && mvn -q -B -DskipTests package -pl gateway/server,loadtest/bench -am) >"$LOGS/build.log" 2>&1 ||
      { log "FATAL: build failed, see $LOGS/build.log"; exit 1; }
  fi
  cp "$bench_src" "$RUN/tether-bench.jar"
  cp "$gateway_src" "$RUN/tether-gateway.jar"
  BENCH_JAR=$RUN/tether-bench.jar
  GATEWAY_JAR=$RUN/tether-gateway.jar
}
