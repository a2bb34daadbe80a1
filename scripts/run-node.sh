#!/usr/bin/env bash
# Runs one Tether gateway node from the fat jar, building it first if it is missing.
# Usage: scripts/run-node.sh [gateway options]    e.g.  scripts/run-node.sh --demo
# Options are those of `java -jar tether-gateway.jar --help`; JAVA_OPTS is passed to the JVM (default -Xmx1g).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jar="$root/gateway/server/target/tether-gateway.jar"
if [[ ! -f "$jar" ]]; then
  echo "building $jar ..." >&2
  (cd "$root" && mvn -B -q -ntp package -DskipTests)
fi
# A copy, so that rebuilding the jar cannot pull classes from under a running node.
run_dir="$root/run/node-$$"
mkdir -p "$run_dir"
cp "$jar" "$run_dir/tether-gateway.jar"
trap 'rm -rf "$run_dir"' EXIT
java ${JAVA_OPTS:--Xmx1g} -jar "$run_dir/tether-gateway.jar" "$@"
