#!/usr/bin/env bash
# `make demo`: the real elastic-ci control plane on this machine. Builds the sandbox (and the packages it runs: the
# agent-scaler bundles, lifecycled, the instance tools, the CDK app it synthesizes), then `elastic-ci-sandbox demo`
# replays a cut of the bundled steady-trickle trace into moto and a Buildkite API stand-in on a compressed clock and
# prints the measured figures beside the simulator's prediction. `make sim` runs the simulator alone.
# Usage: scripts/demo.sh [elastic-ci-sandbox demo options, e.g. --policy buildkite-default --speed 30 --json]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

chart="${ELASTIC_CI_DEMO_CHART:-${TMPDIR:-/tmp}/elastic-ci-demo-sandbox.svg}"
# A --chart of the caller's is the chart: passed as given, and the one named at the end.
chart_options=(--chart "$chart")
previous=""
for arg in "$@"; do
  case "$arg" in
    --chart=*) chart="${arg#--chart=}" chart_options=() ;;
    *) if [[ "$previous" == --chart ]]; then chart="$arg" chart_options=(); fi ;;
  esac
  previous="$arg"
done

# The script's own lines go to stderr: with --json, stdout holds the demo's report alone.
say() { echo "$@" >&2; }

# build:js is each package's tsup build without type declarations (`tsup --no-dts`): the same JS bundles the demo runs,
# in seconds instead of minutes. It is its own turbo task, so its cache entries never stand in for make test's build.
say "make demo: building the sandbox and what it depends on (JavaScript only, no type declarations)..."
pnpm exec turbo run build:js --filter=@elastic-ci/sandbox... --output-logs=errors-only >&2

say "make demo: running the real control plane against moto and the Buildkite stand-in..."
node apps/sandbox/dist/bin/sandbox.js demo "${chart_options[@]}" "$@"
say "make demo: open the chart in a browser: $chart"
