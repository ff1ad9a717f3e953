#!/usr/bin/env bash
# Smoke test for CI: a freshly started llm-service (mock, no delay) and gateway on free ports,
# 50 WebSocket connections x 5 replies each, then 10 gRPC sessions x 5 straight to
# llm-service. Passes on correctness alone (every connection open, every reply received and
# echoing its message, no error frame); it never asserts a time.
#
#   STREAMGATE_BIN=build/bin bench/smoke.sh      exit 0 = pass
export BENCH_WORK=${BENCH_WORK:-$(mktemp -d /tmp/streamgate-smoke.XXXXXX)}
export BENCH_LOG_LEVEL=${BENCH_LOG_LEVEL:-warn}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_check_binaries
start_streamgate 0 20
run_bench smoke-websocket --url "ws://127.0.0.1:$GW_PORT/ws" --connections 50 --messages 5 \
  --ramp-per-sec 0 --timeout 60 --server-pid "$GW_PID" --server-pid "$LLM_PID"
run_bench smoke-grpc --grpc "127.0.0.1:$LLM_PORT" --connections 10 --messages 5 --timeout 60
bench_stop_all
echo "$((2 - BENCH_FAILURES)) passed, $BENCH_FAILURES failed"
if ((BENCH_FAILURES > 0)); then
  bench_log "smoke FAILED; results and server logs in $BENCH_WORK"
  exit 1
fi
rm -rf "$BENCH_WORK"
exit 0
