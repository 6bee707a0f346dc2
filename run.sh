#!/usr/bin/env bash
# The main job, from a fresh Debian machine with the .NET SDK: install what is missing, build, run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$root/setup/setup.sh"
exec "$root/fmnist" data info
