#!/usr/bin/env bash
# Scenario 3, live streams: the mock waits DELAY_MS before each of 25 words, so a reply takes
# 25 x 20 ms = 500 ms however fast the server is. At each concurrency in LEVELS every
# connection is opened first; then their first messages start spread over one reply's
# length (so that LEVEL streams are in flight at once) and each sends MESSAGES in a row.
# What the server adds is send->stream_end minus 500 ms ("added" columns).
#
#   LEVELS="500 1000 2000 5000" MESSAGES=4 bench/live-streams.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LEVELS=${LEVELS:-500 1000 2000 5000}
MESSAGES=${MESSAGES:-4}
DELAY_MS=${DELAY_MS:-20}
WORDS=${WORDS:-4}
EXTRA_WORDS=${EXTRA_WORDS:-20}
RAMP=${RAMP:-2000}
REPLY_MS=$((DELAY_MS * (1 + WORDS + EXTRA_WORDS)))
bench_check_binaries

results=()
for level in $LEVELS; do
  for server in $BENCH_SERVERS; do
    start_server "$server" "$DELAY_MS" "$EXTRA_WORDS"
    name=live-$server-$level
    run_bench "$name" --url "$SERVER_URL" --connections "$level" --messages "$MESSAGES" \
      --words "$WORDS" --ramp-per-sec "$RAMP" --sync-start --start-spread-ms "$REPLY_MS" \
      --timeout $((level / RAMP + MESSAGES * REPLY_MS * 4 / 1000 + 60)) "${SERVER_PIDS[@]}"
    results+=("$BENCH_OUT/$name.json")
    bench_stop_all
  done
done
bench_table "${results[@]}"
bench_added_latency "$REPLY_MS" "${results[@]}"
exit $((BENCH_FAILURES > 0))
