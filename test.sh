#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite. .ci/run calls exactly this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$root/setup/setup.sh"
results="$root/artifacts/test-results"
rm -rf "$results"
# A throwaway PostgreSQL on a free loopback port for the PostgreSQL store tests, stopped at the end whatever happens.
# If it cannot start, the tests that need it fail with the reason (they never skip silently in CI).
pg_state="$(mktemp /tmp/fmnist-pg-state.XXXXXX)"
trap '"$root/setup/services/postgres.sh" stop "$pg_state" || true' EXIT
if pg_url="$("$root/setup/services/postgres.sh" start "$pg_state")"; then
  export FMNIST_TEST_POSTGRES="$pg_url"
else
  export FMNIST_TEST_POSTGRES="unstarted:setup/services/postgres.sh start failed (see its output above)"
fi
set +e
dotnet test "$root/tests/FashionMnist.Tests/FashionMnist.Tests.csproj" -c Release --no-build -nologo \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=tests.trx" --results-directory "$results" "$@"
status=$?
# Each fuzz harness for a short time (docs/hardening.md); a crash or hang fails the run.
if [ "${FMNIST_SKIP_FUZZ:-0}" != "1" ]; then
  "$root/fuzz/run.sh" --seconds "${FMNIST_FUZZ_SECONDS:-20}" || status=1
fi
# The web server under load, under a minute (bench/web-load.sh --ci, docs/hardening.md): good and hostile requests at
# 16 concurrent on loopback; any 5xx, hang, failed good request or unbounded memory fails the run. Full runs only.
if [ $# -eq 0 ] && [ "${FMNIST_SKIP_WEB_LOAD:-0}" != "1" ]; then
  "$root/bench/web-load.sh" --ci --out "$root/artifacts/web-load/ci.json" || status=1
fi
# The study on a real (one-node) Slurm with its own PostgreSQL, about a minute: on full runs only (not with a --filter),
# and skipped with FMNIST_SKIP_SLURM_TEST=1. It installs slurm-wlm and munge if missing and stops every daemon it starts.
slurm_line=""
if [ $# -eq 0 ] && [ "${FMNIST_SKIP_SLURM_TEST:-0}" != "1" ]; then
  if "$root/deploy/slurm/local-test.sh" "$root/artifacts/slurm-test"; then
    slurm_line="deploy/slurm/local-test.sh: passed (report in artifacts/slurm-test/report)"
  else
    slurm_line="deploy/slurm/local-test.sh: FAILED (see its output above)"
    status=1
  fi
fi
# The library as a NuGet package: pack it, build examples/* against the package and run them (a few minutes;
# full runs only, skipped with FMNIST_SKIP_EXAMPLES=1).
examples_line=""
if [ $# -eq 0 ] && [ "${FMNIST_SKIP_EXAMPLES:-0}" != "1" ]; then
  if "$root/examples/run.sh"; then
    examples_line="examples/run.sh: passed"
  else
    examples_line="examples/run.sh: FAILED (see its output above)"
    status=1
  fi
fi
set -e
[ -n "$slurm_line" ] && echo "$slurm_line"
[ -n "$examples_line" ] && echo "$examples_line"
# One plain closing line, whatever the runner printed: "N passed, N failed, N skipped".
trx="$results/tests.trx"
if [ -f "$trx" ]; then
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed="$(get passed)"; failed="$(get failed)"; total="$(get total)"; executed="$(get executed)"
  skipped=$(( ${total:-0} - ${executed:-0} ))
  echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped} skipped"
fi
exit $status
