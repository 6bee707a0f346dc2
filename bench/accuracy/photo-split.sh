#!/usr/bin/env bash
# Splits the labelled photo set into a tuning part and a held-out part, fixed before any tuning (docs/photos.md):
# within each source class, in labels.csv order, every third photo (the 3rd, 6th, 9th, ...) is held out.
# Usage: bench/accuracy/photo-split.sh [PHOTOS_DIR (default /work/shared/photos)] [OUT_DIR (default /tmp/fmnist-photo-split)]
# Writes OUT_DIR/tune.csv and OUT_DIR/holdout.csv (labels.csv format) next to links to the photo folders, so
# `fmnist predict --model M --labels OUT_DIR/holdout.csv` scores one part. Nothing is written into PHOTOS_DIR.
set -euo pipefail
photos="${1:-/work/shared/photos}"
out="${2:-/tmp/fmnist-photo-split}"
if [ ! -f "$photos/labels.csv" ]; then
  echo "no labels.csv in '$photos': pass the photo folder as the first argument" >&2
  exit 2
fi
mkdir -p "$out"
for dir in "$photos"/*/; do
  name="$(basename "$dir")"
  ln -sfn "$(cd "$dir" && pwd)" "$out/$name"
done
header="$(head -n 1 "$photos/labels.csv")"
echo "$header" > "$out/tune.csv"
echo "$header" > "$out/holdout.csv"
tail -n +2 "$photos/labels.csv" | awk -F, -v tune="$out/tune.csv" -v hold="$out/holdout.csv" '
  NF >= 3 { i = seen[$2]++; if (i % 3 == 2) print >> hold; else print >> tune }'
echo "tune: $(($(wc -l < "$out/tune.csv") - 1)) photos, holdout: $(($(wc -l < "$out/holdout.csv") - 1)) photos in $out"
