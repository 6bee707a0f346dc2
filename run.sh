#!/usr/bin/env bash
# The main job, from a fresh Debian machine with the .NET SDK: install what is missing, build, then compare every
# model family on Fashion-MNIST (the quick profile: under 10 minutes on 2 cores). Writes report/ (index.html,
# summary.md, results.json) and records every run in runs/fmnist.db, both next to this script.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$root/setup/setup.sh"
cd "$root"
"$root/fmnist" compare --profile quick "$@"
echo
echo "Open the report: $root/report/index.html"
echo "Recorded runs:   $root/fmnist runs list"
