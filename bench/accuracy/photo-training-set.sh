#!/usr/bin/env bash
# Writes cnn-photo's photo training set (src/FashionMnist/Neural/Recipes/cnn-photo.training-photos.bin.gz; docs/photos.md):
# the tuning photos of bench/accuracy/photo-split.sh (never the held-out ones) as the 6 views a model sees, one label each
# (where a photo's labels allow several classes, the one MODEL finds likeliest; the shipped set used cnn-photo seed 42
# trained with photo-repeats=0).
# Usage: bench/accuracy/photo-training-set.sh MODEL.fmm [PHOTOS_DIR (default /work/shared/photos)] [OUT]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="${1:?usage: photo-training-set.sh MODEL.fmm [PHOTOS_DIR] [OUT]}"
photos="${2:-/work/shared/photos}"
out="${3:-$root/src/FashionMnist/Neural/Recipes/cnn-photo.training-photos.bin.gz}"
split="$(mktemp -d)"
trap 'rm -rf "$split"' EXIT
"$root/bench/accuracy/photo-split.sh" "$photos" "$split" >/dev/null
dotnet build "$root/bench/FashionMnist.Bench" -c Release -nologo -v quiet >/dev/null
dotnet "$root/bench/FashionMnist.Bench/bin/Release/net10.0/FashionMnist.Bench.dll" photo-training-set "$split/tune.csv" "$model" "$out"
