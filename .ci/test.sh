#!/usr/bin/env bash
# The README's test command (`pnpm test`: lint, typecheck, the whole vitest suite) on the default
# Node, two test files at a time: most files wait on sockets and child processes, and vitest's
# default on a 2-core machine is one at a time (cores - 1). A test file that fails is rerun once,
# alone; if it then passes the step passes and the file is printed as FLAKY in the last lines (a
# defect to fix, never silently absorbed). Lint or typecheck failing fails the step at once.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=vitest-report.sh
source .ci/vitest-report.sh

PNPM="npx -y pnpm@10.34.8"
REPORT=$(mktemp)
trap 'rm -f "$REPORT"' EXIT
rm -f "$REPORT"

# pnpm appends the arguments to the script's last command, `vitest run`.
if VITEST_MAX_WORKERS="${VITEST_MAX_WORKERS:-2}" $PNPM test --reporter=default --reporter=json \
  --outputFile.json="$REPORT"; then
  exit 0
fi
mapfile -t failed_files < <(failed_files_of "$REPORT")
if ((${#failed_files[@]} == 0)); then
  echo "test: failed before or outside any test file (lint, typecheck or vitest itself)" >&2
  exit 1
fi
echo "test: rerunning ${#failed_files[@]} failed file(s) once, alone: ${failed_files[*]}"
if node node_modules/vitest/vitest.mjs run "${failed_files[@]}"; then
  echo "test: FLAKY (failed, then passed alone): ${failed_files[*]}"
  exit 0
fi
exit 1
