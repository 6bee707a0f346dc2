#!/usr/bin/env bash
# Coverage-guided fuzzing of the five parsers that take outside bytes (docs/hardening.md).
#   fuzz/run.sh [--seconds N] [--only idx,model,spec,image,classify] [--update-corpus] [--parallel]
# Builds fuzz/FashionMnist.Fuzz, instruments fmnist's assemblies with SharpFuzz, and runs each harness under afl-fuzz
# for N seconds (default 20), starting from fuzz/corpus/HARNESS. Exits non-zero if any harness found a crash or a
# hang; those inputs are copied to fuzz/findings/HARNESS/ (add them to the regression suite, then fix).
# --update-corpus copies afl's queue (new coverage) into fuzz/corpus. A JSON summary goes to artifacts/fuzz/summary.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=20
only="idx,model,spec,image,classify"
update=0
parallel=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --update-corpus) update=1; shift ;;
    --parallel) parallel=1; shift ;;
    *) echo "usage: fuzz/run.sh [--seconds N] [--only h1,h2] [--update-corpus]" >&2; exit 2 ;;
  esac
done
command -v afl-fuzz >/dev/null || { echo "afl-fuzz is missing: apt-get install afl++" >&2; exit 1; }

out="$root/artifacts/fuzz"
bin="$out/bin"
rm -rf "$bin"
mkdir -p "$out/findings"
( cd "$root" && dotnet tool restore >/dev/null )
dotnet build "$root/fuzz/FashionMnist.Fuzz/FashionMnist.Fuzz.csproj" -c Release -nologo -clp:ErrorsOnly -v:quiet -o "$bin" >/dev/null
# Instrument our code (and the YAML parser the spec harness exercises); the framework stays as it is.
for assembly in FashionMnist.dll FashionMnist.Web.dll YamlDotNet.dll; do
  ( cd "$root" && dotnet sharpfuzz "$bin/$assembly" >/dev/null )
done

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export AFL_FORKSRV_INIT_TMOUT=60000 DOTNET_TieredPGO=0 DOTNET_gcServer=0
# One harness: afl-fuzz for $seconds, then its figures as a JSON line in $out/HARNESS.json; returns 1 on a finding.
fuzz_one() {
  local h="$1" findings="$out/findings/$1" started elapsed stats execs paths crashes hangs
  rm -rf "$findings" "$out/$h.json"
  started=$(date +%s)
  # -t: per-input limit in ms (image decodes are bounded at 2 s inside the harness); -m none: .NET reserves much virtual memory.
  if ! afl-fuzz -V "$seconds" -t 10000 -m none -i "$root/fuzz/corpus/$h" -o "$findings" -- "$(command -v dotnet)" "$bin/fmnist-fuzz.dll" "$h" \
      > "$out/$h.log" 2>&1; then
    echo "afl-fuzz failed for $h (see $out/$h.log)" >&2; tail -5 "$out/$h.log" >&2; return 1
  fi
  stats="$findings/default/fuzzer_stats"
  get() { sed -n "s/^$1 *: *//p" "$stats"; }
  execs=$(get execs_done); paths=$(get corpus_count); crashes=$(get saved_crashes); hangs=$(get saved_hangs)
  crashes=${crashes:-$(get unique_crashes)}; hangs=${hangs:-$(get unique_hangs)}
  elapsed=$(( $(date +%s) - started ))
  echo "fuzz $h: ${elapsed} s, ${execs} executions, corpus ${paths}, crashes ${crashes}, hangs ${hangs}"
  printf '  {"harness": "%s", "seconds": %s, "executions": %s, "corpus": %s, "crashes": %s, "hangs": %s}' \
    "$h" "$elapsed" "${execs:-0}" "${paths:-0}" "${crashes:-0}" "${hangs:-0}" > "$out/$h.json"
  if [ $update -eq 1 ]; then
    for f in "$findings"/default/queue/id:*; do
      [ -e "$f" ] && cp "$f" "$root/fuzz/corpus/$h/q-$(sha1sum "$f" | cut -c1-12)"
    done
  fi
  if [ "${crashes:-0}" != "0" ] || [ "${hangs:-0}" != "0" ]; then
    mkdir -p "$root/fuzz/findings/$h"
    for f in "$findings"/default/crashes/id:* "$findings"/default/hangs/id:*; do
      [ -e "$f" ] && cp "$f" "$root/fuzz/findings/$h/$(basename "$(dirname "$f")")-$(sha1sum "$f" | cut -c1-12)"
    done
    echo "  -> inputs copied to fuzz/findings/$h/ (replay: dotnet $bin/fmnist-fuzz.dll $h FILE)" >&2
    return 1
  fi
}

status=0
IFS=',' read -ra harnesses <<< "$only"
if [ $parallel -eq 1 ]; then
  pids=()
  for h in "${harnesses[@]}"; do fuzz_one "$h" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
else
  for h in "${harnesses[@]}"; do fuzz_one "$h" || status=1; done
fi
summary="$out/summary.json"
{ echo "["; first=1; for h in "${harnesses[@]}"; do [ -f "$out/$h.json" ] || continue; [ $first -eq 1 ] || echo ","; first=0; cat "$out/$h.json"; done; echo; echo "]"; } > "$summary"
exit $status
