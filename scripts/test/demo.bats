#!/usr/bin/env bats
# scripts/demo.sh (`make demo`): builds the sandbox and what it depends on, then runs `elastic-ci-sandbox demo`. pnpm
# and node are stubbed so the test checks the wiring in milliseconds; the demo itself is tested by apps/sandbox.

setup() {
  repo_root="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
  real_path="$PATH"
  load "$repo_root/scripts/test/recording-stubs"
  stub_recording_commands pnpm node
  export ELASTIC_CI_DEMO_CHART="$BATS_TEST_TMPDIR/chart.svg"
}

@test "builds the sandbox with its dependencies (JavaScript only), then runs the sandbox demo with the chart path" {
  run "$repo_root/scripts/demo.sh"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/pnpm.calls")" = "exec turbo run build:js --filter=@elastic-ci/sandbox... --output-logs=errors-only" ]
  [ "$(cat "$BATS_TEST_TMPDIR/node.calls")" = "apps/sandbox/dist/bin/sandbox.js demo --chart $BATS_TEST_TMPDIR/chart.svg" ]
  [[ "$output" == *"open the chart in a browser: $BATS_TEST_TMPDIR/chart.svg"* ]]
}

# turbo skips a package that has no script for a task: every package the demo runs must have build:js, or the demo
# would start with that package's dist missing or stale.
@test "build:js builds every package the sandbox's build builds, each with its tsup config minus the declarations" {
  cd "$repo_root"
  PATH="$real_path" run pnpm exec turbo run build build:js --filter=@elastic-ci/sandbox... --dry=json
  [ "$status" -eq 0 ]
  echo "$output" >"$BATS_TEST_TMPDIR/dry.json"
  PATH="$real_path" run node -e '
    const { tasks } = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const of = (name) => tasks.filter((t) => t.task === name);
    const packages = (name) => of(name).map((t) => t.package).sort().join(" ");
    if (of("build").length < 12) throw new Error("expected the sandbox and its 11 dependencies, got " + packages("build"));
    if (packages("build:js") !== packages("build")) throw new Error("build:js " + packages("build:js") + " != build " + packages("build"));
    for (const t of of("build:js")) {
      const build = of("build").find((b) => b.package === t.package);
      if (t.command !== build.command + " --no-dts") throw new Error(t.package + ": build:js is " + t.command + ", build is " + build.command);
      if (t.hash === build.hash) throw new Error(t.package + ": build:js shares the cache key of build");
    }
  ' "$BATS_TEST_TMPDIR/dry.json"
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "passes extra options through to the demo" {
  run "$repo_root/scripts/demo.sh" --policy buildkite-default --speed 30
  [ "$status" -eq 0 ]
  [[ "$(cat "$BATS_TEST_TMPDIR/node.calls")" == *"--chart $BATS_TEST_TMPDIR/chart.svg --policy buildkite-default --speed 30" ]]
}

@test "a chart chosen with --chart is the one the demo writes and the one named at the end" {
  run "$repo_root/scripts/demo.sh" --speed 30 --chart "$BATS_TEST_TMPDIR/mine.html"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/node.calls")" = "apps/sandbox/dist/bin/sandbox.js demo --speed 30 --chart $BATS_TEST_TMPDIR/mine.html" ]
  [[ "$output" == *"open the chart in a browser: $BATS_TEST_TMPDIR/mine.html"* ]]
  run "$repo_root/scripts/demo.sh" "--chart=$BATS_TEST_TMPDIR/eq.svg"
  [ "$status" -eq 0 ]
  [[ "$output" == *"open the chart in a browser: $BATS_TEST_TMPDIR/eq.svg"* ]]
}

@test "with --json stdout holds only the demo's own output (the script's lines go to stderr)" {
  local stdout_file="$BATS_TEST_TMPDIR/stdout"
  "$repo_root/scripts/demo.sh" --json >"$stdout_file" 2>"$BATS_TEST_TMPDIR/stderr"
  run grep -c "make demo:" "$stdout_file"
  [ "$output" = "0" ]
  grep -q "make demo: open the chart" "$BATS_TEST_TMPDIR/stderr"
}

@test "fails when the build fails, without running the demo" {
  STUB_PNPM_EXIT=1 run "$repo_root/scripts/demo.sh"
  [ "$status" -ne 0 ]
  [ ! -e "$BATS_TEST_TMPDIR/node.calls" ]
}

@test "fails with the demo's exit code (2: bad input, 1: a job interrupted)" {
  STUB_NODE_EXIT=2 run "$repo_root/scripts/demo.sh"
  [ "$status" -eq 2 ]
  [[ "$output" != *"open the chart"* ]]
}

@test "the Makefile keeps the simulator alone as make sim" {
  run make -C "$repo_root" -n sim
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"scripts/sim.sh"* ]]
}

@test "demo.sh and this file pass shellcheck" {
  run shellcheck "$repo_root/scripts/demo.sh"
  echo "$output"
  [ "$status" -eq 0 ]
  run shellcheck --shell=bats "$BATS_TEST_DIRNAME/demo.bats"
  echo "$output"
  [ "$status" -eq 0 ]
}
