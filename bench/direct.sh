#!/usr/bin/env bash
# Scenario 4, llm-service alone: the saturation and live-stream shapes sent straight to
# StreamChat over gRPC (ws-bench --grpc), without the gateway, so that the gateway's own
# share of the latency and CPU can be told apart from llm-service's.
#
#   LEVELS="500 1000 2000 5000" bench/direct.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONNECTIONS=${CONNECTIONS:-100}
MESSAGES=${MESSAGES:-100}
LEVELS=${LEVELS:-500 1000 2000 5000}
LIVE_MESSAGES=${LIVE_MESSAGES:-4}
DELAY_MS=${DELAY_MS:-20}
WORDS=${WORDS:-4}
EXTRA_WORDS=${EXTRA_WORDS:-20}
REPLY_MS=$((DELAY_MS * (1 + WORDS + EXTRA_WORDS)))
bench_check_binaries

start_llm_service 0 "$EXTRA_WORDS"
name=direct-saturation-${CONNECTIONS}x$MESSAGES
run_bench "$name" --grpc "127.0.0.1:$LLM_PORT" --connections "$CONNECTIONS" \
  --messages "$MESSAGES" --words "$WORDS" --sync-start --timeout 300 --server-pid "$LLM_PID"
saturation=("$BENCH_OUT/$name.json")
bench_stop_all

live=()
for level in $LEVELS; do
  start_llm_service "$DELAY_MS" "$EXTRA_WORDS"
  name=direct-live-$level
  run_bench "$name" --grpc "127.0.0.1:$LLM_PORT" --connections "$level" \
    --messages "$LIVE_MESSAGES" --words "$WORDS" --sync-start --start-spread-ms "$REPLY_MS" \
    --timeout $((LIVE_MESSAGES * REPLY_MS * 4 / 1000 + 60)) --server-pid "$LLM_PID"
  live+=("$BENCH_OUT/$name.json")
  bench_stop_all
done
bench_table "${saturation[@]}" "${live[@]}"
bench_added_latency "$REPLY_MS" "${live[@]}"
exit $((BENCH_FAILURES > 0))
