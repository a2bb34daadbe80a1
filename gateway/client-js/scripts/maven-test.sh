#!/usr/bin/env bash
# Run by Maven (exec-maven-plugin, integration-test phase): installs the pinned dev dependencies and runs the tests.
# Skips cleanly, with a message, when Node.js or npm is not installed (the Java build does not need them).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "[tether-client-js] node/npm not found on PATH: skipping the JavaScript SDK tests (they need Node.js >= 20)"
  exit 0
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
# The package runs on Node >= 18; its tests use the test runner options of Node 20 (--test-concurrency).
if ((major < 20)); then
  echo "[tether-client-js] node $(node -v) is older than 20: skipping the JavaScript SDK tests"
  exit 0
fi
echo "[tether-client-js] node $(node -v), npm $(npm -v); gateway jar ${TETHER_JAR:-(default)}"
npm ci --no-audit --no-fund --silent
exec npm test
