#!/usr/bin/env bash
# Runs the Python peers (Debian's scikit-learn, xgboost, PyTorch) on this machine, for the side-by-side tables.
# Installs the Debian packages if missing. Arguments go to peers.py (see --help).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
need=()
for p in python3-sklearn python3-xgboost python3-torch; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >&2
fi
cd "$root"
# PyTorch is fastest here with 2 intra-op threads and a single-threaded OpenBLAS (see bench/README.md).
OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=passive exec /usr/bin/python3 bench/python/peers.py "$@"
