#!/usr/bin/env bats
# scripts/sim.sh (`make sim`): builds the simulator, then runs it on the bundled trace. pnpm and node are stubbed
# so the test checks the wiring in milliseconds; the CLI itself is tested by the package's vitest suite.

setup() {
  repo_root="$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)"
  load "$repo_root/scripts/test/recording-stubs"
  stub_recording_commands pnpm node
  export ELASTIC_CI_SIM_CHART="$BATS_TEST_TMPDIR/chart.svg"
}

@test "builds the simulator with its dependencies, then compares elastic-ci with buildkite-default" {
  run "$repo_root/scripts/sim.sh"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/pnpm.calls")" = "exec turbo run build --filter=@elastic-ci/simulator... --output-logs=errors-only" ]
  [ "$(cat "$BATS_TEST_TMPDIR/node.calls")" = "packages/simulator/dist/cli.js --policy buildkite-default,elastic-ci --chart $BATS_TEST_TMPDIR/chart.svg" ]
  [[ "$output" == *"open the chart in a browser: $BATS_TEST_TMPDIR/chart.svg"* ]]
}

@test "passes extra options through to the simulator" {
  run "$repo_root/scripts/sim.sh" --json --seed 7
  [ "$status" -eq 0 ]
  [[ "$(cat "$BATS_TEST_TMPDIR/node.calls")" == *"--chart $BATS_TEST_TMPDIR/chart.svg --json --seed 7" ]]
}

@test "the caller's --policy replaces the default comparison" {
  run "$repo_root/scripts/sim.sh" --policy buildkite-tuned
  [ "$status" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/node.calls")" = "packages/simulator/dist/cli.js --chart $BATS_TEST_TMPDIR/chart.svg --policy buildkite-tuned" ]
}

@test "a chart chosen with --chart is the one the simulator writes and the one named at the end" {
  run "$repo_root/scripts/sim.sh" --chart "$BATS_TEST_TMPDIR/mine.html"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/node.calls")" = "packages/simulator/dist/cli.js --policy buildkite-default,elastic-ci --chart $BATS_TEST_TMPDIR/mine.html" ]
  [[ "$output" == *"open the chart in a browser: $BATS_TEST_TMPDIR/mine.html"* ]]
  run "$repo_root/scripts/sim.sh" "--chart=$BATS_TEST_TMPDIR/eq.svg"
  [ "$status" -eq 0 ]
  [[ "$output" == *"open the chart in a browser: $BATS_TEST_TMPDIR/eq.svg"* ]]
}

@test "with --json stdout holds only the simulator's own output (the script's lines go to stderr)" {
  "$repo_root/scripts/sim.sh" --json >"$BATS_TEST_TMPDIR/stdout" 2>"$BATS_TEST_TMPDIR/stderr"
  run grep -c "make sim:" "$BATS_TEST_TMPDIR/stdout"
  [ "$output" = "0" ]
  grep -q "make sim: open the chart" "$BATS_TEST_TMPDIR/stderr"
}

@test "fails when the build fails, without running the simulator" {
  STUB_PNPM_EXIT=1 run "$repo_root/scripts/sim.sh"
  [ "$status" -ne 0 ]
  [ ! -e "$BATS_TEST_TMPDIR/node.calls" ]
}

@test "fails with the simulator's exit code" {
  STUB_NODE_EXIT=2 run "$repo_root/scripts/sim.sh"
  [ "$status" -eq 2 ]
}

@test "sim.sh and this file pass shellcheck" {
  run shellcheck "$repo_root/scripts/sim.sh"
  echo "$output"
  [ "$status" -eq 0 ]
  run shellcheck --shell=bats "$BATS_TEST_DIRNAME/sim.bats"
  echo "$output"
  [ "$status" -eq 0 ]
}
