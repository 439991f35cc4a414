#!/bin/sh
# One command of Crucible's FIFO control protocol (Antithesis' test composer,
# as Jepsen's antithesis namespace speaks it):
#
#   composer.sh op [CONTROL_DIR]     run one operation; prints the completed op (one JSON line)
#   composer.sh check [CONTROL_DIR]  end the main phase, run the final phase and the checkers;
#                                    prints the verdict (one JSON line), exits with its code
#
# It creates a FIFO (op-<id> or check) in the control directory of a running
# `crucible antithesis`, blocks reading it, prints what the runner writes and
# removes the FIFO. It never waits forever:
#   - no runner yet (no CONTROL_DIR/.runner-pid): waits CRUCIBLE_COMPOSER_START_WAIT_S (default 30) s;
#   - the runner's process is gone: fails within about a second;
#   - no answer after CRUCIBLE_COMPOSER_TIMEOUT_S (default 600 for op, 3600 for check) s: fails.
# The liveness check needs the runner's pid to be visible (same machine, same pid
# namespace); set CRUCIBLE_COMPOSER_PID_CHECK=0 to rely on the timeout alone.
#
# Other settings: CRUCIBLE_CONTROL_DIR (default store/control) when no CONTROL_DIR
# argument is given; CRUCIBLE_OP_ID, the <id> of op-<id> (default: this shell's pid).
#
# Exit codes: op 0 (answered), check 0/1/2/3 (valid/invalid/unknown/run failed);
# 3 when the runner failed, is gone or did not answer; 64 for bad usage.
set -u

command=${1:-}
case $command in
  op | check) ;;
  *)
    echo "usage: composer.sh op|check [CONTROL_DIR]" >&2
    exit 64
    ;;
esac
dir=${2:-${CRUCIBLE_CONTROL_DIR:-store/control}}
me="crucible composer $command"
if [ "$command" = op ]; then default_timeout_s=600; else default_timeout_s=3600; fi
timeout_s=${CRUCIBLE_COMPOSER_TIMEOUT_S:-$default_timeout_s}
start_wait_s=${CRUCIBLE_COMPOSER_START_WAIT_S:-30}
pid_check=${CRUCIBLE_COMPOSER_PID_CHECK:-1}
pidfile="$dir/.runner-pid"
fifo=
out=
reader=

fail() {
  echo "$me: $*" >&2
  exit 3
}

cleanup() {
  if [ -n "$reader" ]; then kill "$reader" 2>/dev/null; fi
  if [ -n "$fifo" ]; then rm -f "$fifo"; fi
  if [ -n "$out" ]; then rm -f "$out"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for number in "$timeout_s" "$start_wait_s"; do
  case $number in
    '' | *[!0-9]*) fail "CRUCIBLE_COMPOSER_TIMEOUT_S and CRUCIBLE_COMPOSER_START_WAIT_S must be whole seconds" ;;
  esac
done

# True while process $1 exists (kill -0 would also fail for another user's process).
alive() {
  [ "$pid_check" = 0 ] && return 0
  if [ -d /proc/self ]; then [ -d "/proc/$1" ]; else kill -0 "$1" 2>/dev/null; fi
}

# Wait for a runner to watch the directory (bounded), then remember its pid.
ticks=0
while :; do
  pid=$(cat "$pidfile" 2>/dev/null) || pid=
  case $pid in '' | *[!0-9]*) pid= ;; esac
  if [ -n "$pid" ]; then
    alive "$pid" || fail "the runner (pid $pid in $pidfile) is not running: nobody is watching $dir"
    break
  fi
  [ "$ticks" -ge $((start_wait_s * 10)) ] &&
    fail "no runner is watching $dir (no $pidfile after ${start_wait_s}s): start 'crucible antithesis --control-dir $dir' first"
  sleep 0.1
  ticks=$((ticks + 1))
done

# Create our FIFO: op-<id> (op-<id>-<n> if taken) or check.
if [ "$command" = op ]; then
  id=${CRUCIBLE_OP_ID:-$$}
  case $id in
    '' | *[!A-Za-z0-9_.-]*) fail "CRUCIBLE_OP_ID must be letters, digits, _ . or -; got '$id'" ;;
  esac
  base="$dir/op-$id"
else
  base="$dir/check"
fi
candidate=$base
attempt=0
until mkfifo "$candidate" 2>/dev/null; do
  [ "$command" = check ] && fail "cannot create $candidate (is another check waiting?)"
  attempt=$((attempt + 1))
  [ "$attempt" -le 100 ] || fail "cannot create a FIFO named $base-<n> in $dir"
  candidate="$base-$attempt"
done
fifo=$candidate
name=${fifo##*/}

out=$(mktemp "${TMPDIR:-/tmp}/crucible-composer.XXXXXX") || fail "cannot create a temporary file"
cat "$fifo" >"$out" &
reader=$!

# Wait for the answer: the reader ends at end-of-file, after the runner closes the FIFO.
ticks=0
while kill -0 "$reader" 2>/dev/null; do
  if ! alive "$pid"; then
    # The runner may have answered just before exiting: give the reader a moment to finish.
    sleep 0.5
    kill -0 "$reader" 2>/dev/null && fail "the runner (pid $pid) exited before answering $name"
    break
  fi
  [ "$ticks" -ge $((timeout_s * 20)) ] && fail "no answer on $fifo within ${timeout_s}s (the runner, pid $pid, is still running)"
  # 50 ms: an answer usually comes within milliseconds, and a fork every 50 ms costs nothing.
  sleep 0.05
  ticks=$((ticks + 1))
done
wait "$reader"
status=$?
reader=
[ "$status" -eq 0 ] || fail "reading $fifo failed (status $status)"

answer=$(cat "$out")
[ -n "$answer" ] || fail "the runner (pid $pid) closed $name without an answer (it stopped, or dropped the FIFO)"
case $answer in
  '{"error":'*)
    echo "$answer" >&2
    fail "the runner could not run this command"
    ;;
esac
printf '%s\n' "$answer"
if [ "$command" = check ]; then
  code=$(printf '%s\n' "$answer" | sed -n 's/^{"exitCode":\([0-9][0-9]*\).*/\1/p')
  [ -n "$code" ] || fail "the verdict has no exitCode: $answer"
  exit "$code"
fi
exit 0
