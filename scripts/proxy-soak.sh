#!/usr/bin/env bash
# The big byte-stream soak of docs/PROXY.md: N MiB each way (default 256) through tether-proxy (its own JVM) with 20
# cuts of the proxy's link (resets and stalls); SHA-256 both ways and the heaps of the proxy and the node printed.
# CI runs the same test with 32 MiB. Usage: scripts/proxy-soak.sh [MiB each way, default 256]
set -euo pipefail
cd "$(dirname "$0")/.."
mib="${1:-256}"
echo "proxy-soak: $mib MiB each way, 20 cuts ($(date -u +%FT%TZ), $(git rev-parse --short HEAD))"
mvn -B -q -o -pl gateway/proxy -am test -Dtest=ProxyByteStreamTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dproxy.stream.mib="$mib" 2>&1 | grep -E 'ProxyByteStreamTest|proxy \| WARNING|Tests run:|closed after' | grep -v evicted
test "${PIPESTATUS[0]}" -eq 0 && echo "proxy-soak: PASS" || { echo "proxy-soak: FAIL" >&2; exit 1; }
