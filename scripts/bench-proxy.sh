#!/usr/bin/env bash
# Throughput through tether-proxy (its own JVM) and a gateway node against a direct TCP connection to the same
# upstream, in the same run (docs/BENCHMARKS.md "Proxy throughput"). Usage: scripts/bench-proxy.sh [MiB each way, default 64]
set -euo pipefail
cd "$(dirname "$0")/.."
mib="${1:-64}"
echo "bench-proxy: $mib MiB each way, direct vs through tether-proxy, best of 3 ($(date -u +%FT%TZ), $(git rev-parse --short HEAD))"
mvn -B -q -o -pl gateway/proxy -am test -Dtest=ProxyThroughputBench -Dsurefire.failIfNoSpecifiedTests=false \
  -Dproxy.bench=true -Dproxy.bench.mib="$mib" 2>&1 | grep -E '^\||^all runs' || { echo "bench-proxy: failed" >&2; exit 1; }
