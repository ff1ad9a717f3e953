#!/usr/bin/env bash
# The claude provider under load: llm-service --provider=claude against fake_claude_server,
# STREAMS StreamChat calls at once over gRPC (ws-bench --grpc), each a reply of ~WORDS+3
# deltas paced DELAY_MS apart by the fake, so that every stream is open upstream at the same
# time. Reports what the upstream side costs: llm-service threads (/proc/PID/status Threads),
# peak RSS, CPU per delta, and the fake's peak of concurrently open responses (proof that the
# streams really overlapped). A measurement, not a timed test: read the numbers, judge them.
#
#   bench/claude-fake.sh                     # 1,000 streams, 1 curl thread
#   STREAMS=2000 CURL_THREADS=2 bench/claude-fake.sh
#
# Knobs (env): STREAMS=1000 MESSAGES=2 WORDS=50 DELAY_MS=20 CURL_THREADS=1, plus lib.sh's.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STREAMS=${STREAMS:-1000}
MESSAGES=${MESSAGES:-2}
WORDS=${WORDS:-50}
DELAY_MS=${DELAY_MS:-20}
CURL_THREADS=${CURL_THREADS:-1}
KEY=bench-key-not-secret
DELTAS_PER_REPLY=$((WORDS + 3))  # "Claude" "echo:" "bench-cI-mJ" + WORDS words
REPLY_MS=$((DELAY_MS * DELTAS_PER_REPLY))
bench_check_binaries
[[ -x $BENCH_BIN/fake_claude_server ]] || bench_die "$BENCH_BIN/fake_claude_server not built"
command -v jq >/dev/null || bench_die "jq is needed to read the results"

"$BENCH_BIN/fake_claude_server" --port 0 --api-key "$KEY" --delta-delay-ms "$DELAY_MS" \
  --log-level "$BENCH_LOG_LEVEL" 2>>"$BENCH_LOGS/fake_claude_server.log" &
FAKE_PID=$!
BENCH_STARTED_PIDS+=("$FAKE_PID")
FAKE_PORT=$(bench_wait_listening "$FAKE_PID" fake_claude_server) || exit 2

llm_log=$BENCH_LOGS/llm-service.log
llm_log_from=$(cat "$llm_log" 2>/dev/null | wc -l)
ANTHROPIC_API_KEY=$KEY ANTHROPIC_BASE_URL=http://127.0.0.1:$FAKE_PORT \
  "$BENCH_BIN/llm-service" --bind 127.0.0.1 --port 0 --metrics-port 0 --provider claude \
  --curl-threads "$CURL_THREADS" --log-level "$BENCH_LOG_LEVEL" \
  2>>"$llm_log" &
LLM_PID=$!
BENCH_STARTED_PIDS+=("$LLM_PID")
LLM_PORT=$(bench_wait_announced "$LLM_PID" "$llm_log" "$llm_log_from") || exit 2
bench_log "fake pid=$FAKE_PID port=$FAKE_PORT; llm-service pid=$LLM_PID port=$LLM_PORT" \
  "curl_threads=$CURL_THREADS"

status_field() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)
threads_idle=$(status_field "$LLM_PID" Threads)
rss_idle=$(status_field "$LLM_PID" VmRSS)
ticks_before=$(cpu_ticks "$LLM_PID")

# Samples llm-service and the fake every 100 ms while ws-bench runs; keeps the peaks.
sample_file=$BENCH_WORK/claude-fake-samples.txt
: >"$sample_file"
(
  while kill -0 "$LLM_PID" 2>/dev/null; do
    open=$(curl -s --max-time 1 "http://127.0.0.1:$FAKE_PORT/__fake/stats" |
      jq -r '.open_responses // 0' 2>/dev/null)
    echo "$(status_field "$LLM_PID" Threads) $(status_field "$LLM_PID" VmRSS) ${open:-0}" \
      >>"$sample_file"
    sleep 0.1
  done
) &
SAMPLER_PID=$!

name=claude-fake-${STREAMS}x${MESSAGES}-t$CURL_THREADS
run_bench "$name" --grpc "127.0.0.1:$LLM_PORT" --connections "$STREAMS" --messages "$MESSAGES" \
  --words "$WORDS" --sync-start --start-spread-ms 200 --threads 1 \
  --timeout $((MESSAGES * REPLY_MS * 4 / 1000 + 60)) --server-pid "$LLM_PID" \
  --server-pid "$FAKE_PID"
ticks_after=$(cpu_ticks "$LLM_PID")
kill "$SAMPLER_PID" 2>/dev/null
wait "$SAMPLER_PID" 2>/dev/null

result=$BENCH_OUT/$name.json
replies=$(jq '.replies_completed' "$result")
chunks=$(jq '.chunks' "$result")
errors=$(jq '.errors.total' "$result")
read -r threads_peak rss_peak open_peak < <(awk '
  $1 > t {t = $1} $2 > r {r = $2} $3 > o {o = $3} END {print t + 0, r + 0, o + 0}' "$sample_file")
upstream_deltas=$((replies * DELTAS_PER_REPLY))
cpu_s=$(awk -v a="$ticks_after" -v b="$ticks_before" -v t="$TICKS" 'BEGIN {printf "%.2f", (a - b) / t}')
per_delta_us=$(awk -v c="$cpu_s" -v d="$upstream_deltas" 'BEGIN {printf "%.1f", d ? c * 1e6 / d : 0}')
per_chunk_us=$(awk -v c="$cpu_s" -v d="$chunks" 'BEGIN {printf "%.1f", d ? c * 1e6 / d : 0}')

printf '\n%s\n' "$name (reply: $DELTAS_PER_REPLY deltas, ${REPLY_MS} ms upstream)"
printf '  %-42s %s\n' \
  "replies completed / errors" "$replies / $errors" \
  "peak concurrently open upstream responses" "$open_peak" \
  "llm-service threads idle -> peak" "$threads_idle -> $threads_peak" \
  "llm-service RSS idle -> peak (KiB)" "$rss_idle -> $rss_peak" \
  "RSS per open stream (bytes)" "$(awk -v a="$rss_idle" -v b="$rss_peak" -v n="$open_peak" \
    'BEGIN {printf "%.0f", n ? (b - a) * 1024 / n : 0}')" \
  "llm-service CPU seconds" "$cpu_s" \
  "upstream deltas / gRPC delta messages" "$upstream_deltas / $chunks" \
  "CPU per upstream delta (us)" "$per_delta_us" \
  "CPU per gRPC delta message (us)" "$per_chunk_us"
bench_table "$result"
exit $((BENCH_FAILURES > 0))
