#!/usr/bin/env bash
# Runs the benchmarks and writes bench/results/<date>-<host>.json (or --out FILE). See bench/README.md.
#   bench/run.sh                 all suites
#   bench/run.sh --quick         fast smoke run (fewer repetitions, no 2048 GEMM)
#   bench/run.sh gemm --out bench/results/mine.json
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dotnet build bench/FashionMnist.Bench -c Release -nologo -v quiet >/dev/null
exec dotnet bench/FashionMnist.Bench/bin/Release/net10.0/FashionMnist.Bench.dll "$@"
