#!/usr/bin/env bash
# Runs the benchmarks of docs/BENCHMARKS.md one after the other (never two at once: they share this machine's cores)
# and collects their summary tables in run/bench-all/summary.txt. Each benchmark is also a script of its own, with
# its own options; this one runs them with their defaults, or smaller with --quick.
#
#   scripts/bench.sh                 every benchmark, defaults (about an hour on 2 cores)
#   scripts/bench.sh --quick         smaller sizes, for a check that everything runs (about 20 minutes)
#   scripts/bench.sh idle storm      only these (names: idle, cluster, request, push, storm, fanout, peers)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/run/bench-all
QUICK=0
ONLY=()
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    idle | cluster | request | push | storm | fanout | peers) ONLY+=("$a") ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done
((${#ONLY[@]})) || ONLY=(idle cluster request push storm fanout peers)
mkdir -p "$OUT"

# name, summary file, full command, quick command
declare -A SUMMARY=(
  [idle]=run/bench-idle/summary.txt [cluster]=run/bench-idle/summary.txt [request]=run/bench-request/summary.txt
  [push]=run/bench/summary.txt [storm]=run/bench-storm/summary.txt [fanout]=run/bench-notify/summary.txt
  [peers]=run/bench-peers/summary.txt)
declare -A FULL=(
  [idle]="scripts/bench-idle.sh single" [cluster]="scripts/bench-idle.sh cluster" [request]="scripts/bench-request.sh"
  [push]="scripts/bench-push.sh" [storm]="scripts/bench-storm.sh" [fanout]="scripts/bench-notify.sh --subscribers 10000 --publishes 30 --nodes 1,3"
  [peers]="scripts/bench-peers.sh")
declare -A QUICKCMD=(
  [idle]="scripts/bench-idle.sh single --sessions 5000 --idle-s 20 --settle-s 20"
  [cluster]="scripts/bench-idle.sh cluster --sessions 30000 --nodes 3 --idle-s 20 --settle-s 20 --rate 200"
  [request]="scripts/bench-request.sh"
  [push]="scripts/bench-push.sh --rounds 5 --warmup 2 --idle-conns 1000"
  [storm]="scripts/bench-storm.sh kill --sessions 2000" [fanout]="scripts/bench-notify.sh --subscribers 2000 --publishes 30 --nodes 1"
  [peers]="scripts/bench-peers.sh")

: >"$OUT/summary.txt"
status=0
for name in "${ONLY[@]}"; do
  cmd=${FULL[$name]}
  ((QUICK)) && cmd=${QUICKCMD[$name]}
  script=${cmd%% *}
  if [[ ! -x $ROOT/$script ]]; then
    echo "[bench.sh] $name: $script is missing, skipped" | tee -a "$OUT/summary.txt"
    continue
  fi
  echo "[bench.sh $(date +%H:%M:%S)] $name: $cmd (log: $OUT/$name.log)"
  t0=$SECONDS
  (cd "$ROOT" && $cmd) >"$OUT/$name.log" 2>&1
  rc=$?
  ((rc == 0)) || status=1
  echo "[bench.sh $(date +%H:%M:%S)] $name: exit $rc after $((SECONDS - t0)) s"
  {
    echo "## $name ($cmd, exit $rc, $((SECONDS - t0)) s)"
    cat "$ROOT/${SUMMARY[$name]}" 2>/dev/null || echo "(no summary; see $OUT/$name.log)"
    echo
  } >>"$OUT/summary.txt"
done
echo "[bench.sh] all summaries: $OUT/summary.txt"
exit $status
