#!/usr/bin/env bash
# Runs one Tether gateway node from the fat jar, building it first if it is missing.
# Usage: scripts/run-node.sh [gateway options]    e.g.  scripts/run-node.sh --demo
# Options are those of `java -jar tether-gateway.jar --help`; JAVA_OPTS is passed to the JVM (default -Xmx1g).
#
# API key: /admin/* and /api/* on the management port need one (docs/PROTOCOL.md §10). Unless you give one
# (--api-key, TETHER_API_KEY, or a --config/TETHER_CONFIG file), this script uses a random development key, made on
# the first run and kept in run/dev-api-key (mode 600), passed to the node in its environment (not on the command
# line, which ps shows):
#   curl -H "Authorization: Bearer $(cat run/dev-api-key)" localhost:9090/admin/clients/alice
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jar="$root/gateway/server/target/tether-gateway.jar"
if [[ ! -f "$jar" ]]; then
  echo "building $jar ..." >&2
  (cd "$root" && mvn -B -q -ntp package -DskipTests)
fi
own_key=0
[[ -n "${TETHER_API_KEY:-}" || -n "${TETHER_CONFIG:-}" ]] && own_key=1
for arg in "$@"; do
  case "$arg" in --api-key | --api-key=* | --config | --config=*) own_key=1 ;; esac
done
if [[ $own_key == 0 ]]; then
  key_file="$root/run/dev-api-key"
  mkdir -p "$root/run"
  if [[ ! -s "$key_file" ]]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$key_file")
  fi
  TETHER_API_KEY="$(<"$key_file")"
  export TETHER_API_KEY
  echo "run-node.sh: /admin and /api need the development API key in $key_file:" \
    "curl -H \"Authorization: Bearer \$(cat $key_file)\" localhost:9090/admin/clients/<id>" >&2
fi
# A copy, so that rebuilding the jar cannot pull classes from under a running node.
run_dir="$root/run/node-$$"
mkdir -p "$run_dir"
cp "$jar" "$run_dir/tether-gateway.jar"
trap 'rm -rf "$run_dir"' EXIT
java ${JAVA_OPTS:--Xmx1g} -jar "$run_dir/tether-gateway.jar" "$@"
