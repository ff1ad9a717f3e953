#!/usr/bin/env bash
# Scenario 1, idle capacity: CONNECTIONS WebSocket connections opened at RAMP per second and
# held open HOLD_SECONDS, against each server in BENCH_SERVERS in turn (fresh processes).
# Records each server's RSS before and while holding them, hence RSS per connection.
#
#   CONNECTIONS=15000 HOLD_SECONDS=30 RAMP=2000 bench/idle.sh
#
# One ws-bench process (and one server process) is limited by RLIMIT_NOFILE, 20,000 here, and
# one client address reaches one server port from ~28,000 ephemeral ports; beyond ~19,000
# connections run several ws-bench processes, each with its own --server-pid sampling.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONNECTIONS=${CONNECTIONS:-15000}
HOLD_SECONDS=${HOLD_SECONDS:-30}
RAMP=${RAMP:-2000}
((CONNECTIONS <= 19000)) || bench_die "CONNECTIONS=$CONNECTIONS: one process holds at most ~19,000"
bench_check_binaries

results=()
for server in $BENCH_SERVERS; do
  start_server "$server" 0 0
  name=idle-$server-$CONNECTIONS
  run_bench "$name" --url "$SERVER_URL" --connections "$CONNECTIONS" --ramp-per-sec "$RAMP" \
    --idle-seconds "$HOLD_SECONDS" --timeout $((HOLD_SECONDS + CONNECTIONS / RAMP + 60)) \
    "${SERVER_PIDS[@]}"
  results+=("$BENCH_OUT/$name.json")
  bench_stop_all
done
bench_table "${results[@]}"
exit $((BENCH_FAILURES > 0))
