#!/usr/bin/env bash
# Installs whatever fmnist is missing on a Debian 12 machine with the .NET SDK, then restores and builds.
# Idempotent and quick when everything is there. Run as root or with sudo available.
#   setup/setup.sh            install missing Debian packages, restore, build (Release)
#   FMNIST_SKIP_APT=1 ...     skip the Debian step (you manage packages yourself)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

if ! command -v dotnet >/dev/null 2>&1; then
  log "The .NET SDK is not on PATH. Install the .NET 10 SDK (https://dot.net) and run this again."
  exit 2
fi

if [ "${FMNIST_SKIP_APT:-0}" != "1" ]; then
  mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/debian-packages.txt" | grep -v '^$')
  missing=()
  for package in "${wanted[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" != "0" ]; then
      if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        log "Missing Debian packages: ${missing[*]}. Install them as root: apt-get install ${missing[*]}"; exit 2
      fi
    fi
    log "Installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    log "Debian packages: all ${#wanted[@]} present."
  fi
fi

"$here/npm-packages.sh"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log "Building (Release)…"
dotnet build "$root/FashionMnist.slnx" -c Release -nologo -clp:ErrorsOnly -v:quiet >&2
log "Ready: $root/fmnist"
