# Shared by the bats tests of the wrapper scripts (demo.sh, sim.sh): puts recording stubs first on PATH, so a test
# checks what a script runs in milliseconds. Each call appends its arguments to $BATS_TEST_TMPDIR/<tool>.calls and
# exits with $STUB_<TOOL>_EXIT (default 0).
# Usage (in setup): load "<path>/recording-stubs"; stub_recording_commands pnpm node
stub_recording_commands() {
  local stubs="$BATS_TEST_TMPDIR/stubs" tool
  mkdir -p "$stubs"
  for tool in "$@"; do
    cat >"$stubs/$tool" <<STUB
#!/usr/bin/env bash
echo "\$*" >>"$BATS_TEST_TMPDIR/$tool.calls"
exit "\${STUB_${tool^^}_EXIT:-0}"
STUB
    chmod +x "$stubs/$tool"
  done
  export PATH="$stubs:$PATH"
}
