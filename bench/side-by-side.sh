#!/usr/bin/env bash
# Runs each classical model of ours and its Python peer (Debian's scikit-learn / xgboost) one after the other on
# this machine, same data and settings, and writes one JSON with both sides and their time ratios.
#
#   bench/side-by-side.sh                          # knn-l2, random-forest, hist-gb, xgboost, svm-pca50 (~25 min on 2 cores)
#   bench/side-by-side.sh svm-raw xgboost          # the issue's "same engine" pair (~30 min)
#   bench/side-by-side.sh --out FILE knn-l1        # default FILE: bench/results/<date>-side-by-side.json
#
# Run it on an idle machine: both sides are timed by wall clock, and anything else running slows whichever side
# it overlaps. Needs a built fmnist (setup/setup.sh); installs the Python packages if missing (bench/python/run.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/bench/results/$(date +%F)-side-by-side.json"
peers=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "--out needs a file name" >&2; exit 2; }; out="$2"; shift 2 ;;
    -h|--help) sed -n 2,10p "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) peers+=("$1"); shift ;;
  esac
done
[ ${#peers[@]} -gt 0 ] || peers=(knn-l2 random-forest hist-gb xgboost svm-pca50)

# Our command for each peer name: the same settings as bench/python/peers.py.
ours() {
  case "$1" in
    knn-l1) echo "knn --set k=5 --set weights=distance --set metric=l1" ;;
    knn-l2) echo "knn --set k=5 --set weights=distance --set metric=l2" ;;
    random-forest) echo "random-forest --set trees=100" ;;
    hist-gb) echo "gradient-boosting" ;;
    xgboost) echo "xgboost --set n-estimators=200 --set max-depth=6 --set eta=0.3 --set tree-method=hist" ;;
    svm-pca50) echo "svm --set c=10 --set gamma=scale --pca 50" ;;
    svm-raw) echo "svm --set c=10 --set gamma=scale" ;;
    *) return 1 ;;
  esac
}
for p in "${peers[@]}"; do
  ours "$p" >/dev/null || { echo "unknown peer '$p': use knn-l1, knn-l2, random-forest, hist-gb, xgboost, svm-pca50 or svm-raw" >&2; exit 2; }
done
[ -x "$root/fmnist" ] && [ -f "$root/src/FashionMnist.Cli/bin/Release/net10.0/fmnist.dll" ] \
  || { echo "fmnist is not built: run setup/setup.sh first" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for p in "${peers[@]}"; do
  echo "[side-by-side] $p: ours ($(ours "$p")) …" >&2
  # shellcheck disable=SC2046 # the settings are words on purpose
  "$root/fmnist" train $(ours "$p") --no-save --no-store --json >"$work/$p.ours.json"
  echo "[side-by-side] $p: python …" >&2
  "$root/bench/python/run.sh" --only "$p" --out "$work/$p.python.json" >/dev/null
done

/usr/bin/python3 - "$work" "$out" "${peers[@]}" <<'EOF'
import json, os, sys, time
work, out, peers = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = {}
for p in peers:
    o = json.load(open(f"{work}/{p}.ours.json"))
    py = json.load(open(f"{work}/{p}.python.json"))["results"][p]
    ours = {"command": "fmnist train " + o["model"], "parameters": o["parameters"], "preprocessing": o["preprocessing"],
            "fit_seconds": o["train_seconds"], "predict_seconds": o["predict_seconds"], "test_accuracy": o["test_accuracy"]}
    rows[p] = {"ours": ours, "python": py,
               "fit_ratio": ours["fit_seconds"] / py["fit_seconds"] if py["fit_seconds"] > 0 else None,
               "predict_ratio": ours["predict_seconds"] / py["predict_seconds"] if py["predict_seconds"] > 0 else None}
doc = {"finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "load_average_at_end": os.getloadavg(),
       "cores": os.cpu_count(), "note": "ratio = ours / python (below 1: ours is faster)", "results": rows}
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
with open(out + ".tmp", "w") as f:
    json.dump(doc, f, indent=2)
os.replace(out + ".tmp", out)
print(f"{'peer':<14} {'ours fit':>9} {'py fit':>9} {'ratio':>6}  {'ours pred':>9} {'py pred':>9}  {'ours acc':>8} {'py acc':>8}")
for p, r in rows.items():
    o, y = r["ours"], r["python"]
    print(f"{p:<14} {o['fit_seconds']:>9.1f} {y['fit_seconds']:>9.1f} {r['fit_ratio']:>6.2f}  "
          f"{o['predict_seconds']:>9.2f} {y['predict_seconds']:>9.2f}  {o['test_accuracy']:>8.4f} {y['test_accuracy']:>8.4f}")
print(out)
EOF
