#!/usr/bin/env bash
# `make demo`: until the local sandbox lands, the demo is the scaling simulator on the trace bundled with it
# (one day of single jobs), comparing our recommended policy with Buildkite's stack defaults.
# Usage: scripts/demo.sh [extra elastic-ci-sim options, e.g. --json or --seed 7]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

chart="${ELASTIC_CI_DEMO_CHART:-${TMPDIR:-/tmp}/elastic-ci-demo-scaling.svg}"

echo "make demo: building the simulator and what it depends on..."
pnpm exec turbo run build --filter=@elastic-ci/simulator... --output-logs=errors-only

echo "make demo: simulating the bundled trace (elastic-ci vs buildkite-default)..."
node packages/simulator/dist/cli.js \
  --policy buildkite-default,elastic-ci \
  --chart "$chart" \
  "$@"
echo "make demo: open the chart in a browser: $chart"
