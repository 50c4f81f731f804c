#!/usr/bin/env bash
# Starts N ranks of a data-parallel command on this machine, as torchrun would:
#   tools/launch-local.sh N -- timbrel train timbre --data notes/fluidr3 --out models/x --minutes 60
# Each rank gets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR=127.0.0.1 and one MASTER_PORT (a free
# port unless MASTER_PORT is set); ranks other than 0 write their output to rank-N.log beside the
# working folder's logs (LAUNCH_LOG_DIR, default .). When a rank fails, the others are stopped and
# the script exits with that rank's status.
set -euo pipefail
if [[ $# -lt 3 || "$2" != "--" ]]; then
  echo "usage: $0 N -- command [args...]" >&2
  exit 2
fi
n=$1
shift 2
if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then echo "$0: N must be a positive whole number (got '$n')" >&2; exit 2; fi
port=${MASTER_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
log_dir=${LAUNCH_LOG_DIR:-.}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup INT TERM
for ((r = 0; r < n; r++)); do
  if ((r == 0)); then
    RANK=$r LOCAL_RANK=$r WORLD_SIZE=$n MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$@" &
  else
    RANK=$r LOCAL_RANK=$r WORLD_SIZE=$n MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$@" >"$log_dir/rank-$r.log" 2>&1 &
  fi
  pids+=($!)
done
status=0
running=("${pids[@]}")
while ((${#running[@]} > 0)); do
  set +e
  wait -n -p finished "${running[@]}"
  rc=$?
  set -e
  left=()
  for p in "${running[@]}"; do [[ "$p" != "$finished" ]] && left+=("$p"); done
  running=("${left[@]}")
  if ((rc != 0 && status == 0)); then
    status=$rc
    echo "$0: a rank exited with status $rc; stopping the others" >&2
    cleanup
  fi
done
exit $status
