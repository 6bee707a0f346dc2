#!/usr/bin/env bash
# The web server under load (issues 14 and 15): starts `fmnist serve` on loopback, sends good photos at 16 concurrent
# with hostile requests of every kind docs/hardening.md lists interleaved, samples the server's memory, and writes one
# JSON. Exit 0 only when every check held: 0 good requests failed, each hostile one got its 4xx (never a 5xx, never a
# hang), memory bounded, the server healthy afterwards.
#
#   bench/web-load.sh                     # speed (2,000 photos) + hostile (2,000 good, 200 hostile), 16 concurrent
#   bench/web-load.sh --soak 600          # the same, then 10 minutes of mixed load (one hostile per 10 good)
#   bench/web-load.sh --ci                # the small bounded check test.sh runs (< 1 minute, generated photos)
#   options: --model FILE (default models/cnn-photo.fmm, the photo model serve should get)  --photos DIR (default: $FMNIST_PHOTOS, then
#            /work/shared/photos if present, else generated photos)  --out FILE (default bench/results/<date>-web-load.json)
#            --server DLL (serve from this built fmnist.dll instead of this checkout's; e.g. a copy, so rebuilding meanwhile is safe)
#            --compare DLL (a second, earlier build to serve side by side: speed ratios in one run)
#            anything else goes to the tool (bench/FashionMnist.WebLoad/Program.cs: --requests, --hostile, --raw, ...)
# Timings are only meaningful on a quiet machine; the JSON records the load average during each phase.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tool="$root/bench/FashionMnist.WebLoad/bin/Release/net10.0/fmnist-web-load.dll"
fmnist_dll="$root/src/FashionMnist.Cli/bin/Release/net10.0/fmnist.dll"
model="" photos="${FMNIST_PHOTOS:-}" out="" soak=0 ci=0 compare=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ci) ci=1; shift ;;
    --soak) [ $# -ge 2 ] || { echo "--soak needs seconds" >&2; exit 2; }; soak="$2"; shift 2 ;;
    --model) [ $# -ge 2 ] || { echo "--model needs a file" >&2; exit 2; }; model="$2"; shift 2 ;;
    --photos) [ $# -ge 2 ] || { echo "--photos needs a folder" >&2; exit 2; }; photos="$2"; shift 2 ;;
    --out) [ $# -ge 2 ] || { echo "--out needs a file name" >&2; exit 2; }; out="$2"; shift 2 ;;
    --server) [ $# -ge 2 ] || { echo "--server needs a built fmnist.dll" >&2; exit 2; }; fmnist_dll="$2"; shift 2 ;;
    --compare) [ $# -ge 2 ] || { echo "--compare needs a built fmnist.dll" >&2; exit 2; }; compare="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set /p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) extra+=("$1"); shift ;;
  esac
done
if [ ! -f "$tool" ] || [ ! -f "$fmnist_dll" ]; then
  echo "fmnist or the load tool is not built: run setup/setup.sh (or dotnet build FashionMnist.slnx -c Release) first." >&2
  exit 2
fi

servers=()
[ -n "$compare" ] && servers+=(--fmnist "before=$compare")
servers+=(--fmnist "this=$fmnist_dll")

if [ "$ci" = 1 ]; then
  # Bounded: 23 hostile requests (each kind once) among 161 good ones, 8 generated photos, a small cnn1 trained here
  # in seconds, a 150-second deadline per phase and a hard stop after 5 minutes (on a quiet 2-core machine it takes well under a minute). Loopback only; nothing outside a temp folder.
  work="$(mktemp -d /tmp/fmnist-web-load.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
  if [ -z "$model" ]; then
    model="$work/cnn1.fmm"
    dotnet "$fmnist_dll" train cnn1 --epochs 1 --train-limit 3000 --test-limit 500 --no-store --out "$model" >/dev/null
  fi
  mkdir -p "$(dirname "${out:=$root/artifacts/web-load/ci.json}")"
  exec timeout --kill-after=15 300 dotnet "$tool" "${servers[@]}" --model "$model" --generated 8 --warm-up 16 --requests 0 \
    --hostile-good 161 --hostile 23 --slow-seconds 3 --deadline-seconds 150 --out "$out" --conditions "bench/web-load.sh --ci" "${extra[@]}"
fi

model="${model:-$root/models/cnn-photo.fmm}"
if [ ! -f "$model" ]; then
  echo "No model at $model. Train the photo model first (about 15 min on 2 cores): ./fmnist train cnn-photo --out models/cnn-photo.fmm" >&2
  exit 2
fi
if [ -z "$photos" ] && [ -d /work/shared/photos ]; then photos=/work/shared/photos; fi
source_args=(--generated 24)
[ -n "$photos" ] && source_args=(--photos "$photos")
out="${out:-$root/bench/results/$(date +%F-%H%M)-web-load$([ "$soak" != 0 ] && echo "-soak$soak").json}"
load="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
exec dotnet "$tool" "${servers[@]}" --model "$model" "${source_args[@]}" --soak-seconds "$soak" --out "$out" \
  --conditions "bench/web-load.sh; load average at start $load; $(nproc) cores" "${extra[@]}"
