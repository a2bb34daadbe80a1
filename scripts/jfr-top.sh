#!/usr/bin/env bash
# Where a JDK Flight Recorder recording's CPU samples went: samples by thread (numbers folded), by component
# (inclusive: a sample counts for every component on its stack), the top executing methods and the innermost
# io.tether frame of each sample (the gateway code it runs under). Nothing to install: `jfr` is in the JDK.
#   scripts/jfr-top.sh recording.jfr [top-N]        prints the summary
# Record with -XX:StartFlightRecording=settings=profile,filename=… (from the start: a first JFR.start on a loaded
# node stalls it for seconds) or jcmd <pid> JFR.start settings=profile.
set -euo pipefail
[[ $# -ge 1 && -s $1 ]] || { echo "usage: scripts/jfr-top.sh recording.jfr [top-N]" >&2; exit 2; }
TOP=${2:-25}
jfr print --events jdk.ExecutionSample --stack-depth 64 "$1" | awk -v top_n="$TOP" '
  /stackTrace = \[/ { inside = 1; top = 1; tether = 0; delete seen; n++; next }
  inside && /^[[:space:]]*\]/ { inside = 0; next }
  inside {
    frame = $0; sub(/^[[:space:]]+/, "", frame); sub(/[[:space:]]+line:.*/, "", frame)
    if (top) { tops[frame]++; top = 0 }
    if (!tether && index(frame, "io.tether") == 1) { tether = 1; tethers[frame]++ }
    split("com.hazelcast io.netty io.vertx io.tether com.fasterxml io.micrometer java.util.concurrent sun.nio", comps, " ")
    for (c in comps) if (index(frame, comps[c]) == 1 && !seen[comps[c]]++) incl[comps[c]]++
  }
  /sampledThread = / { t = $0; sub(/.*sampledThread = "/, "", t); sub(/".*/, "", t); gsub(/[0-9]+$/, "N", t); threads[t]++ }
  END {
    if (n == 0) { print "no execution samples in the recording"; exit 1 }
    printf "samples: %d\n\nsamples by thread (numbers folded):\n", n
    cmd = "sort -rn | head -12"
    for (t in threads) printf "%7d %5.1f%%  %s\n", threads[t], 100 * threads[t] / n, t | cmd
    close(cmd)
    printf "\nsamples with a frame of (inclusive):\n"
    for (c in incl) printf "%7d %5.1f%%  %s\n", incl[c], 100 * incl[c] / n, c | "sort -rn"
    close("sort -rn")
    cmd = "sort -rn | head -" top_n
    printf "\ntop %d executing methods:\n", top_n
    for (f in tops) printf "%7d %5.1f%%  %s\n", tops[f], 100 * tops[f] / n, f | cmd
    close(cmd)
    printf "\ntop %d innermost io.tether frames (the gateway code each sample runs under):\n", top_n
    for (f in tethers) printf "%7d %5.1f%%  %s\n", tethers[f], 100 * tethers[f] / n, f | cmd
    close(cmd)
  }'
