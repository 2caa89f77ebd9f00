#!/usr/bin/env bats
# The load run's own logic with `make` stubbed on PATH: how many runs, stop at the first failure, and no CPU hog
# outlives the script (success, failure, or a signal).

setup() {
  script="$BATS_TEST_DIRNAME/../test-under-load.sh"
  work="$(mktemp -d)"
  mkdir "$work/bin"
  # The stub records its arguments and how many other children the script has at that moment (the hogs), then
  # fails on the call numbered STUB_FAIL_ON_CALL, or blocks until $work/release exists when STUB_BLOCK is set.
  cat >"$work/bin/make" <<'EOF'
#!/usr/bin/env bash
call=$(($(wc -l <"$STUB_LOG") + 1))
siblings=$(ps -o pid= --ppid "$PPID" | grep -vcw "$$")
echo "$* siblings=$siblings force=${TURBO_FORCE:-}" >>"$STUB_LOG"
if [[ -n "${STUB_BLOCK:-}" ]]; then
  touch "$STUB_DIR/started"
  until [[ -e "$STUB_DIR/release" ]]; do sleep 0.05; done
fi
[[ "$call" != "${STUB_FAIL_ON_CALL:-}" ]]
EOF
  chmod +x "$work/bin/make"
  # Short-lived hogs: should the script ever fail to stop them, they end soon anyway.
  export PATH="$work/bin:$PATH" STUB_LOG="$work/make.log" STUB_DIR="$work" TEST_UNDER_LOAD_HOG_SECONDS=120
  : >"$STUB_LOG"
  started_hogs=()
}

teardown() {
  # Hogs a broken script left behind (the test has failed already): stop them by pid.
  if ((${#started_hogs[@]} > 0)); then kill "${started_hogs[@]}" 2>/dev/null || true; fi
  rm -rf "$work"
}

# The pids the script printed when it started its hogs.
hog_pids_from() {
  sed -n 's/^test-under-load: .* CPU hogs running (pids \(.*\))$/\1/p' <<<"$1"
}

assert_all_dead() {
  local pid
  started_hogs+=("$@")
  for pid in "$@"; do
    if kill -0 "$pid" 2>/dev/null; then
      echo "hog $pid is still running" >&2
      return 1
    fi
  done
}

@test "runs make test three times by default with two hogs running, then stops the hogs" {
  run "$script"

  [ "$status" -eq 0 ]
  [ "$(cat "$STUB_LOG")" = "$(printf 'test siblings=2 force=true\ntest siblings=2 force=true\ntest siblings=2 force=true')" ]
  [[ "$output" == *"all 3 runs passed with 2 CPU hogs"* ]]
  read -ra pids <<<"$(hog_pids_from "$output")"
  [ "${#pids[@]}" -eq 2 ]
  assert_all_dead "${pids[@]}"
}

@test "takes the number of runs as its argument" {
  run "$script" 5

  [ "$status" -eq 0 ]
  [ "$(wc -l <"$STUB_LOG")" -eq 5 ]
  read -ra pids <<<"$(hog_pids_from "$output")"
  assert_all_dead "${pids[@]}"
}

@test "stops at the first failing run, exits non-zero and still stops the hogs" {
  STUB_FAIL_ON_CALL=2 run "$script" 4

  [ "$status" -eq 1 ]
  [ "$(wc -l <"$STUB_LOG")" -eq 2 ]
  [[ "$output" == *"run 2 of 4 failed"* ]]
  read -ra pids <<<"$(hog_pids_from "$output")"
  [ "${#pids[@]}" -eq 2 ]
  assert_all_dead "${pids[@]}"
}

@test "stops the hogs when it is terminated during a run" {
  STUB_BLOCK=1 "$script" 1 >"$work/output" 2>&1 &
  script_pid=$!
  for _ in $(seq 1 1200); do [[ -e "$work/started" ]] && break; sleep 0.05; done
  [ -e "$work/started" ]

  kill -TERM "$script_pid"
  touch "$work/release"
  status=0
  wait "$script_pid" || status=$?

  [ "$status" -eq 143 ]
  read -ra pids <<<"$(hog_pids_from "$(cat "$work/output")")"
  [ "${#pids[@]}" -eq 2 ]
  assert_all_dead "${pids[@]}"
}

@test "refuses a run count that is not a positive whole number, before starting anything" {
  run "$script" 0

  [ "$status" -eq 2 ]
  [[ "$output" == *"RUNS must be a positive whole number, got '0'"* ]]
  [ ! -s "$STUB_LOG" ]

  TEST_UNDER_LOAD_HOGS=two run "$script"

  [ "$status" -eq 2 ]
  [[ "$output" == *"TEST_UNDER_LOAD_HOGS must be a positive whole number, got 'two'"* ]]
}
