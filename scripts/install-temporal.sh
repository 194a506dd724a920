#!/usr/bin/env bash
# Installs the Temporal CLI (dev server with SQLite persistence and the web UI) into .tools/bin.
# Built from the Go module proxy once and cached per user; skipped when already there.
# TEMPORAL_CLI_PATH, when set, is used instead and nothing is built.
set -euo pipefail
cd "$(dirname "$0")/.."

version="v1.5.1"   # the newest tag whose go.mod has no replace directive (go install refuses those)
target=".tools/bin/temporal"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/stationflow/temporal-$version"

if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  [ -x "$TEMPORAL_CLI_PATH" ] || { echo "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file" >&2; exit 1; }
  echo "Using TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH"; exit 0
fi
if [ -x "$target" ]; then echo "Temporal CLI already in $target"; exit 0; fi

mkdir -p .tools/bin
if [ -x "$cache/temporal" ]; then
  cp "$cache/temporal" "$target"
  echo "Temporal CLI $version copied from $cache"; exit 0
fi

if command -v go >/dev/null 2>&1; then
  echo "Building the Temporal CLI $version with Go (a few minutes, once)..."
  mkdir -p "$cache"
  CGO_ENABLED=0 GOBIN="$cache" go install "github.com/temporalio/cli/cmd/temporal@$version"
  cp "$cache/temporal" "$target"
  echo "Temporal CLI installed in $target"
else
  echo "Go is not installed: the Temporal SDK will download the dev server on first start (needs the internet)."
fi
