#!/usr/bin/env bash
# The fault suite (issue 10, docs/RELIABILITY.md): every fault case of gateway/e2e (and the *FaultTest cases of
# gateway/server, built with -am: malformed input, churn) at its full length, then one
# table of what each case injected and what came out (lost, duplicated, failed with a reason, silent gaps, recovery).
# The same cases run in `mvn -B verify` (CI) at their fast length.
#
# usage: scripts/faults.sh [--fast] [--only PATTERN] [--port-offset N]
#   --fast          the CI lengths instead of the full ones
#   --only PATTERN  only the fault test classes matching PATTERN (a surefire -Dtest pattern, default *Fault*Test,ClusterFailoverTest)
#   --port-offset N add N to every port the cases use (default 0)
# Output: the table on stdout and in run/faults/table.txt; each case's log in gateway/e2e/target/surefire-reports.
# Exit status: 0 only if every case ran and every row reads lost 0, duplicated 0, silent gaps 0.

set -uo pipefail
cd "$(dirname "$0")/.."

MODE=full
ONLY='*Fault*Test,ClusterFailoverTest'
OFFSET=0
while [ $# -gt 0 ]; do
  case "$1" in
    --fast) MODE=fast ;;
    --only) ONLY="$2"; shift ;;
    --port-offset) OFFSET="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

OUT=run/faults
mkdir -p "$OUT"
ROWS="$PWD/$OUT/rows.tsv"
: > "$ROWS"
started=$(date +%s)
echo "faults: $MODE run of $ONLY, rows in $ROWS"
mvn -B -ntp -pl gateway/e2e -am verify -Dtest="$ONLY" -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtether.e2e.faults="$MODE" -Dtether.e2e.faultRows="$ROWS" -Dtether.e2e.portOffset="$OFFSET" \
  > "$OUT/mvn.log" 2>&1
build=$?
elapsed=$(( $(date +%s) - started ))

{
  printf 'case\tload\tfaults injected\tsessions\tframes checked\tlost\tduplicated\tfailed with reason\tsilent gaps\trecovery p50 ms\trecovery p99 ms\tverdict\n'
  cat "$ROWS"
} | column -t -s $'\t' | tee "$OUT/table.txt"

rows=$(wc -l < "$ROWS")
failed=$(awk -F'\t' '$12 != "PASS"' "$ROWS" | wc -l)
echo "faults: $rows cases in ${elapsed} s, $failed not passed, build exit $build (log $OUT/mvn.log)" | tee -a "$OUT/table.txt"
[ "$build" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$rows" -gt 0 ]
