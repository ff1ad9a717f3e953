#!/usr/bin/env bash
# Resume mid-reply (docs/sessions.md): SESSIONS sessions each send one message whose reply the
# mock paces at DELAY_MS per word (1 + WORDS + EXTRA_WORDS words: 45 x 20 ms = 900 ms), drop
# their TCP connection without a close handshake (an RST) once CUT_AFTER chunks are in,
# reconnect (at once, or after each pause in RECONNECT_DELAYS, one run each) and resume with
# the last seq they processed. Measures reconnect (TCP
# connect) -> session_resumed, and checks that every reply arrives whole and exactly once:
# seqs contiguous across the cut, the replay, session_resumed and the live rest, and the text
# equal to an uncut reference reply fetched first.
#
# Against streamgate only: the peer (seed-fastify) has no sessions and no resume, so
# BENCH_SERVERS is not used here.
#
#   SESSIONS=1000 bench/resume.sh             exit 0 = every session resumed, nothing lost
#   SESSIONS=50 RECONNECT_DELAYS="0 100" bench/resume.sh      (the CI check, bench_resume)
#
# Knobs (env): SESSIONS=1000 CUT_AFTER=3 DELAY_MS=20 WORDS=4 EXTRA_WORDS=40 RAMP=1000
# (sessions opened per second) THREADS=1 (ws-bench event loops) RECONNECT_DELAYS=0 (ms; at
# once, the replay holds only what was in flight; 100 lets the reply run on detached for
# ~5 words, which the replay must then carry, merged by the gateway into one frame). Exit 1 when any session failed, lost or
# duplicated a chunk; 2 on a setup error.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SESSIONS=${SESSIONS:-1000}
CUT_AFTER=${CUT_AFTER:-3}
DELAY_MS=${DELAY_MS:-20}
WORDS=${WORDS:-4}
EXTRA_WORDS=${EXTRA_WORDS:-40}
RAMP=${RAMP:-1000}
THREADS=${THREADS:-1}
RECONNECT_DELAYS=${RECONNECT_DELAYS:-0}
REPLY_MS=$((DELAY_MS * (1 + WORDS + EXTRA_WORDS)))
# "Echo:" and the message's words come before the filler: the cut must land inside the reply.
((CUT_AFTER < 1 + WORDS + EXTRA_WORDS)) ||
  bench_die "CUT_AFTER=$CUT_AFTER: the reply has only $((1 + WORDS + EXTRA_WORDS)) words"
((DELAY_MS > 0)) || bench_die "DELAY_MS must be > 0, or replies end before anyone can cut them"
for binary in gateway llm-service ws-bench; do
  [[ -x $BENCH_BIN/$binary ]] || bench_die "$BENCH_BIN/$binary not built (cmake --build build)"
done

# The resume table: what a resume costs and whether every reply came through exactly once.
resume_table() {
  command -v jq >/dev/null || { bench_log "jq not found; results are in $BENCH_OUT"; return 0; }
  local head='%-28s %8s %8s %7s %6s %5s %5s %8s %8s %10s %10s %10s %10s %9s %7s\n'
  local row='%-28s %8s %8s %7s %6s %5s %5s %8s %8s %10.2f %10.2f %10.2f %10.2f %9.2f %7.2f\n'
  # shellcheck disable=SC2059  # the formats are ours
  printf "$head" result sessions delay_ms resumed failed lost dup mismatch replayed \
    resume_p50 resume_p90 resume_p99 resume_max e2e_p50 cpu_s
  local file
  for file in "$@"; do
    jq -r '.resume as $r | [.label, $r.sessions, $r.reconnect_delay_ms, $r.resumed, $r.failed,
            $r.lost_chunks, $r.duplicated_chunks, $r.text_mismatches, $r.replayed_frames,
            $r.latency_ms.p50, $r.latency_ms.p90, $r.latency_ms.p99, $r.latency_ms.max,
            .latency_ms.stream_end.p50, ([.servers[].cpu_seconds // 0] | add)] | @tsv' "$file" |
      awk -F'\t' -v row="$row" '{printf row, $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15}'
    jq -r '.resume.failure_reasons | to_entries[] | "  failed: \(.value) x \(.key)"' "$file"
    jq -r 'if .resume.reference.ok then empty else "  reference: \(.resume.reference.error)" end' \
      "$file"
  done
}

results=()
for delay in $RECONNECT_DELAYS; do
  start_server streamgate "$DELAY_MS" "$EXTRA_WORDS"
  name=resume-streamgate-$SESSIONS-d$delay
  run_bench "$name" --url "$SERVER_URL" --resume --connections "$SESSIONS" \
    --cut-after-chunks "$CUT_AFTER" --reconnect-delay-ms "$delay" --words "$WORDS" \
    --ramp-per-sec "$RAMP" --threads "$THREADS" \
    --timeout $(((REPLY_MS * 3 + delay) / 1000 + SESSIONS / RAMP + 60)) "${SERVER_PIDS[@]}"
  results+=("$BENCH_OUT/$name.json")
  bench_stop_all
done
resume_table "${results[@]}"
if ((BENCH_FAILURES > 0)); then
  bench_log "resume FAILED ($BENCH_FAILURES runs); results in $BENCH_OUT, logs in $BENCH_LOGS"
  exit 1
fi
exit 0
