#!/usr/bin/env bash
# Packs the library and runs the examples against the package, as a NuGet user would (no project reference):
#   1. dotnet pack src/FashionMnist -c Release  → artifacts/packages/FashionMnist.<version>.nupkg
#   2. restore each example from that folder (examples/nuget.config) into its own package cache, emptied of FashionMnist
#      first, so a re-pack with the same version is what the examples get (the user-wide ~/.nuget cache is not touched)
#   3. build each from scratch and run it: QuickStart trains, evaluates, saves, reloads and evaluates again;
#      CustomModel registers a model of its own, runs it through ExperimentRunner and a ComparisonStudy beside a forest,
#      then reloads it; OnnxExport exports an MLP to ONNX and evaluates the .onnx file in ONNX Runtime (its "reload").
# Exits non-zero if any step fails or an example's accuracies before and after reloading differ. test.sh runs it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
feed="$root/artifacts/packages"
work="$root/artifacts/examples"
# Other packages (ONNX Runtime alone is ~500 MB) are read from the user-wide cache the repository's own build filled, as a
# fallback folder: used in place, never written, so a fresh clone downloads nothing again. FashionMnist is never there
# (only the examples restore it, into their own cache), and the DLL check below catches a stale copy if it ever were.
global_cache="$(dotnet nuget locals global-packages --list 2>/dev/null | sed -n 's/^global-packages: *//p')"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "== pack the library"
# With the repository's own package cache (the one its build restored into), before the examples' cache is set.
dotnet pack "$root/src/FashionMnist" -c Release -nologo -clp:ErrorsOnly -v:quiet
export NUGET_PACKAGES="$work/nuget-packages"
rm -rf "$NUGET_PACKAGES/fashionmnist"
mkdir -p "$work"

run_example() {
  local name="$1" example="$root/examples/$1"
  local version package output before after
  version="$(sed -n 's:.*<PackageReference Include="FashionMnist" Version="\([^"]*\)".*:\1:p' "$example/$name.csproj")"
  package="$feed/FashionMnist.$version.nupkg"
  if [ ! -f "$package" ]; then
    echo "examples/run.sh: $package is missing: $name.csproj pins FashionMnist $version, but the pack wrote:" >&2
    ls "$feed" >&2
    echo "Set its PackageReference's Version to the <Version> in Directory.Build.props." >&2
    return 1
  fi
  echo "== build examples/$name against $package"
  rm -rf "$example/bin" "$example/obj"
  dotnet restore "$example" --force -nologo -v:quiet ${global_cache:+"-p:RestoreFallbackFolders=$global_cache"}
  dotnet build "$example" -c Release --no-restore -nologo -clp:ErrorsOnly -v:quiet
  # The example must run on the library just packed, not on an older copy from some cache.
  if ! cmp -s "$example/bin/Release/net10.0/FashionMnist.dll" "$root/src/FashionMnist/bin/Release/net10.0/FashionMnist.dll"; then
    echo "examples/run.sh: examples/$name's FashionMnist.dll is not the one just packed into $package" >&2
    return 1
  fi
  echo "== run examples/$name"
  output="$(cd "$work" && dotnet "$example/bin/Release/net10.0/$name.dll")"
  echo "$output"
  before="$(echo "$output" | sed -n 's/^accuracy before reload: *//p')"
  after="$(echo "$output" | sed -n 's/^accuracy after reload: *//p')"
  if [ -z "$before" ] || [ "$before" != "$after" ]; then
    echo "examples/run.sh: examples/$name FAILED: the accuracy before reload ('$before') and after ('$after') must be printed and equal" >&2
    return 1
  fi
  echo "examples/$name: ok (accuracy $before before and after saving and reloading)"
}

run_example QuickStart
run_example CustomModel
run_example OnnxExport
echo "examples/run.sh: all examples passed"
