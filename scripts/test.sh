#!/usr/bin/env bash
# The whole test suite, from a fresh checkout: set-up (idempotent), type check, lint, tests.
# Ends with one summary line "tests: N passed, N failed[, N skipped]".
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
node_bin=$(cat .tools/node-path)
export PATH="$(dirname "$node_bin"):$root/node_modules/.bin:$PATH"

echo "== type check" >&2
tsc -p tsconfig.json
echo "== lint" >&2
eslint --max-warnings=0 .
echo "== tests" >&2
report="$root/.tools/vitest-report.json"
rm -f "$report"
set +e
vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
rc=$?
set -e
if [ -f "$report" ]; then
  "$node_bin" -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = (r.numPendingTests || 0) + (r.numTodoTests || 0);
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$report"
else
  echo "tests: 0 passed, 1 failed"
fi
exit $rc
