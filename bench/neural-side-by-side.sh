#!/usr/bin/env bash
# Neural side by side (issue 14): our engine against PyTorch 1.13 (Debian's python3-torch) for training, and against
# ONNX Runtime (NuGet 1.32.0, running the PyTorch export of the same trained network) for inference; same networks
# (bench/specs = bench/python/peers.py's), same thread count, batch 128 + Adam for training, batch 1000 for inference.
# Repetitions are interleaved (odd ones start with ours, even ones with the peers) and one JSON holds every figure
# and the ratios.
#
#   bench/neural-side-by-side.sh                         # mlp cnn1 cnn3, 2 repetitions, 2 threads
#   bench/neural-side-by-side.sh --reps 3 --threads 2 --epochs 2 --infer-repeat 5 --out FILE cnn3
#
# Epoch time is the LAST epoch of each run (the first carries JIT and oneDNN set-up); inference is the median of
# --infer-repeat passes over the 10,000 test images after a warm-up pass. PyTorch runs with OPENBLAS_NUM_THREADS=1
# and OMP_WAIT_POLICY=passive (bench/python/run.sh); on an AVX-512 CPU that OpenBLAS 0.3.21 does not know (it falls
# back to its SSE3 'Prescott' kernels) OPENBLAS_CORETYPE=SkylakeX is set for it unless already set, so the peer's
# dense layers get their AVX-512 kernels. Run it on an idle machine: both sides are timed by wall clock.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/bench/results/$(date +%F)-neural-side-by-side.json"
reps=2 threads=2 epochs=2 infer_repeat=5 nets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out|--reps|--threads|--epochs|--infer-repeat)
      [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
      case "$1" in --out) out="$2" ;; --reps) reps="$2" ;; --threads) threads="$2" ;; --epochs) epochs="$2" ;; --infer-repeat) infer_repeat="$2" ;; esac
      shift 2 ;;
    -h|--help) sed -n 2,16p "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    mlp|cnn1|cnn3) nets+=("$1"); shift ;;
    *) echo "unknown argument '$1': nets are mlp, cnn1, cnn3; options --reps --threads --epochs --infer-repeat --out" >&2; exit 2 ;;
  esac
done
[ ${#nets[@]} -gt 0 ] || nets=(mlp cnn1 cnn3)
for v in "$reps" "$threads" "$epochs" "$infer_repeat"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "--reps, --threads, --epochs and --infer-repeat need whole numbers >= 1 (got '$v')" >&2; exit 2; }
done
[ -x "$root/fmnist" ] && [ -f "$root/src/FashionMnist.Cli/bin/Release/net10.0/fmnist.dll" ] \
  || { echo "fmnist is not built: run setup/setup.sh first" >&2; exit 2; }
dpkg-query -W -f='${Status}' python3-torch 2>/dev/null | grep -q "install ok installed" \
  || { echo "PyTorch is missing: apt-get install python3-torch python3-onnx (bench/python/run.sh installs it)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bench_bin="$work/bench-bin"
echo "[neural-side-by-side] building the bench (ONNX Runtime runner) …" >&2
dotnet build "$root/bench/FashionMnist.Bench" -c Release -nologo -v quiet -o "$bench_bin" >/dev/null
coretype="${OPENBLAS_CORETYPE:-}"
if [ -z "$coretype" ] && grep -qw avx512f /proc/cpuinfo; then coretype=SkylakeX; fi
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
cd "$root"

ours_train() { # net rep
  ./fmnist --threads "$threads" train custom --set "spec=bench/specs/$1.yaml" --epochs "$epochs" --set validation-fraction=0 \
    --set batch-size=128 --set optimizer=adam --set learning-rate=0.001 --out "$work/$1.fmm" --no-store --json >"$work/$1.$2.ours-train.json"
}
ours_infer() {
  ./fmnist --threads "$threads" evaluate --model "$work/$1.fmm" --repeat "$infer_repeat" --no-store --json >"$work/$1.$2.ours-infer.json"
}
torch_run() { # trains, times its inference, exports the network for ONNX Runtime
  OPENBLAS_CORETYPE="$coretype" "$root/bench/python/run.sh" --only "torch-$1" --epochs "$epochs" --threads "$threads" \
    --infer-repeat "$infer_repeat" --export-onnx "$work/onnx-$2" --out "$work/$1.$2.torch.json" >/dev/null
}
ort_infer() {
  dotnet "$bench_bin/FashionMnist.Bench.dll" ort-infer "$work/onnx-$2/$1.onnx" --threads "$threads" --repeat "$infer_repeat" >"$work/$1.$2.ort.json"
}
for rep in $(seq 1 "$reps"); do
  for net in "${nets[@]}"; do
    if [ $((rep % 2)) = 1 ]; then
      echo "[neural-side-by-side] rep $rep $net: ours, then PyTorch + ONNX Runtime …" >&2
      ours_train "$net" "$rep"; ours_infer "$net" "$rep"; torch_run "$net" "$rep"; ort_infer "$net" "$rep"
    else
      echo "[neural-side-by-side] rep $rep $net: PyTorch + ONNX Runtime, then ours …" >&2
      torch_run "$net" "$rep"; ort_infer "$net" "$rep"; ours_train "$net" "$rep"; ours_infer "$net" "$rep"
    fi
  done
done

/usr/bin/python3 - "$work" "$out" "$reps" "$threads" "$epochs" "$infer_repeat" "$coretype" "$load_start" "${nets[@]}" <<'EOF'
import json, os, platform, statistics, subprocess, sys, time
work, out, reps, threads, epochs, infer_repeat, coretype, load_start = sys.argv[1:9]
nets, reps = sys.argv[9:], int(reps)
def load(path): return json.load(open(path))
def cpu():
    info = open("/proc/cpuinfo").read()
    model = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), platform.machine())
    flags = next((l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags")), [])
    return model, [f for f in flags if f.startswith(("avx512f", "avx512_bf16", "avx512_vnni", "avx512_fp16", "amx"))]
def version(cmd):
    try: return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception: return None
rows = {}
for net in nets:
    per_rep = []
    for r in range(1, reps + 1):
        ot, oi = load(f"{work}/{net}.{r}.ours-train.json"), load(f"{work}/{net}.{r}.ours-infer.json")
        pt = load(f"{work}/{net}.{r}.torch.json")["results"][f"torch-{net}"]
        ort = load(f"{work}/{net}.{r}.ort.json")
        per_rep.append({
            "ours_epoch_seconds": ot["epoch_seconds"][-1], "ours_all_epochs": ot["epoch_seconds"],
            "torch_epoch_seconds": pt["epoch_seconds"][-1], "torch_all_epochs": pt["epoch_seconds"],
            "ours_images_per_second": oi["predict_images_per_second"], "ort_images_per_second": ort["images_per_second"],
            "torch_images_per_second": pt["inference_images_per_second"],
            "ours_test_accuracy": oi["test_accuracy"], "torch_test_accuracy": pt["test_accuracy"], "ort_test_accuracy": ort["test_accuracy"],
        })
    med = lambda k: statistics.median(x[k] for x in per_rep)
    row = {k: med(k) for k in ("ours_epoch_seconds", "torch_epoch_seconds", "ours_images_per_second", "ort_images_per_second", "torch_images_per_second")}
    row["epoch_ratio_vs_torch"] = row["ours_epoch_seconds"] / row["torch_epoch_seconds"]
    row["inference_time_ratio_vs_ort"] = row["ort_images_per_second"] / row["ours_images_per_second"]
    row["inference_time_ratio_vs_torch"] = row["torch_images_per_second"] / row["ours_images_per_second"]
    row["paired_epoch_ratios"] = [x["ours_epoch_seconds"] / x["torch_epoch_seconds"] for x in per_rep]
    row["paired_inference_time_ratios_vs_ort"] = [x["ort_images_per_second"] / x["ours_images_per_second"] for x in per_rep]
    row["repetitions"] = per_rep
    rows[net] = row
model, flags = cpu()
doc = {"finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
       "machine": {"cpu_model": model, "cpu_flags": flags, "cores": os.cpu_count(), "host": platform.node(),
                   "load_average_at_start": [float(x) for x in load_start.split()], "load_average_at_end": list(os.getloadavg()),
                   "dotnet": version(["dotnet", "--version"]),
                   "torch": version(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"]),
                   "onnx_runtime": load(f"{work}/{nets[0]}.1.ort.json")["onnx_runtime_version"],
                   "torch_openblas_coretype": coretype or "(OpenBLAS default)"},
       "settings": {"threads": int(threads), "epochs_per_run": int(epochs), "epoch_timed": "last", "train_batch": 128, "optimizer": "adam 1e-3",
                    "inference_batch": 1000, "inference_passes": int(infer_repeat), "repetitions": reps,
                    "networks": {n: f"bench/specs/{n}.yaml = bench/python/peers.py torch-{n}" for n in nets}},
       "note": "epoch_ratio_vs_torch = ours / PyTorch epoch seconds; inference_time_ratio_vs_X = our time / X's time for the same images (below 1: ours is faster); medians over repetitions",
       "results": rows}
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
with open(out + ".tmp", "w") as f: json.dump(doc, f, indent=2)
os.replace(out + ".tmp", out)
print(f"{'net':<6} {'ours s/ep':>9} {'torch':>8} {'ratio':>6}  {'ours img/s':>10} {'ORT':>10} {'t.ratio':>7} {'torch':>9}")
for n, r in rows.items():
    print(f"{n:<6} {r['ours_epoch_seconds']:>9.2f} {r['torch_epoch_seconds']:>8.2f} {r['epoch_ratio_vs_torch']:>6.2f}  "
          f"{r['ours_images_per_second']:>10,.0f} {r['ort_images_per_second']:>10,.0f} {r['inference_time_ratio_vs_ort']:>7.2f} {r['torch_images_per_second']:>9,.0f}")
print(out)
EOF
