#!/bin/sh
# systemctl for one unit whose main process is the PID in $FAKE_SYSTEMD_PID_FILE, as far as the stop tests need it.
# Like systemd, stop requests make one stop job per unit: the first sends the unit's KillSignal (SIGTERM) to the main
# process (KillMode=mixed); later ones join that job and only wait for it (or return at once with --no-block).
# Every call is appended to $FAKE_SYSTEMD_STATE_DIR/systemctl-calls.log.
set -u
state="$FAKE_SYSTEMD_STATE_DIR"
echo "$*" >> "$state/systemctl-calls.log"
pid=$(cat "$FAKE_SYSTEMD_PID_FILE" 2>/dev/null || true)
alive() { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
no_block=false
signal=SIGTERM
for arg in "$@"; do
  case "$arg" in
    --no-block) no_block=true ;;
    --signal=*) signal="${arg#--signal=}" ;;
  esac
done
case "${1:-}" in
  show)
    if alive; then echo "$pid"; else echo 0; fi ;;
  stop)
    # mkdir is atomic: of concurrent stop requests exactly one creates the stop job and signals.
    if alive && mkdir "$state/stop-job-$pid" 2>/dev/null; then kill -TERM "$pid"; fi
    if [ "$no_block" = false ]; then while alive; do sleep 0.05; done; fi ;;
  kill)
    if alive; then kill -s "${signal#SIG}" "$pid"; fi ;;
  *)
    echo "fake systemctl: unsupported: $*" >&2
    exit 1 ;;
esac
