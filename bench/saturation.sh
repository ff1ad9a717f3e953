#!/usr/bin/env bash
# Scenario 2, saturation: CONNECTIONS connections each send MESSAGES user messages back to
# back (the next after the previous stream_end) to a mock without delay, so the servers run
# flat out; each reply is "Echo: " + a 4-word message + 20 filler words = 25 words.
#
#   CONNECTIONS=100 MESSAGES=100 bench/saturation.sh
#
# Compare replies/s and server CPU. chunks/s is not comparable between the two: llm-service
# merges deltas that queue up, so at zero delay streamgate sends fewer, larger chunks.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONNECTIONS=${CONNECTIONS:-100}
MESSAGES=${MESSAGES:-100}
WORDS=${WORDS:-4}
EXTRA_WORDS=${EXTRA_WORDS:-20}
TIMEOUT=${TIMEOUT:-300}
bench_check_binaries

results=()
for server in $BENCH_SERVERS; do
  start_server "$server" 0 "$EXTRA_WORDS"
  name=saturation-$server-${CONNECTIONS}x$MESSAGES
  run_bench "$name" --url "$SERVER_URL" --connections "$CONNECTIONS" --messages "$MESSAGES" \
    --words "$WORDS" --sync-start --timeout "$TIMEOUT" "${SERVER_PIDS[@]}"
  results+=("$BENCH_OUT/$name.json")
  bench_stop_all
done
bench_table "${results[@]}"
exit $((BENCH_FAILURES > 0))
