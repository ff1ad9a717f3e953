# Shared by the bench scripts: starts the servers under test on free loopback ports, runs
# ws-bench, and stops everything it started when the script exits. Source it; do not run it.
#
# Environment (all optional):
#   STREAMGATE_BIN   where gateway, llm-service and ws-bench are   (default: <repo>/build/bin)
#   SEED_FASTIFY_DIR the peer's sources, read only (default: <repo>/../shared/peers/seed-fastify)
#   BENCH_OUT        where the JSON results go     (default: /tmp/streamgate-bench/results)
#   BENCH_WORK       scratch: the peer's npm install, server logs  (default: /tmp/streamgate-bench)
#   BENCH_LOG_LEVEL  log level of every server                     (default: warn, so that logging
#                    a line per connection does not take CPU from the servers being measured)
#   BENCH_STORE      the gateway's --store (default: sqlite:$BENCH_WORK/gateway.db, made
#                    fresh for each gateway started; `memory` to leave the disk out)
#   BENCH_BASELINE_BIN  a directory with another build's gateway (e.g. one built from an
#                    older commit), measured as server `streamgate-baseline` on this build's
#                    llm-service; BENCH_BASELINE_FLAGS are its extra flags (default none: a
#                    gateway older than the session store knows no --store)
#   BENCH_SERVERS    which gateways to measure (default "streamgate peer"): streamgate,
#                    streamgate-per-call (--llm-transport per-call, the path before mux),
#                    streamgate-baseline (see BENCH_BASELINE_BIN),
#                    streamgate-tls (wss:// with a certificate made here by openssl),
#                    streamgate-auth (--auth api-keys, every limit off: the cost of the
#                    credential check alone), peer

set -uo pipefail

BENCH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BIN=${STREAMGATE_BIN:-$BENCH_REPO/build/bin}
BENCH_PEER_SRC=${SEED_FASTIFY_DIR:-$BENCH_REPO/../shared/peers/seed-fastify}
BENCH_WORK=${BENCH_WORK:-/tmp/streamgate-bench}
BENCH_OUT=${BENCH_OUT:-$BENCH_WORK/results}
BENCH_LOG_LEVEL=${BENCH_LOG_LEVEL:-warn}
BENCH_SERVERS=${BENCH_SERVERS:-streamgate peer}
BENCH_LOGS=$BENCH_WORK/logs
BENCH_STARTED_PIDS=()
BENCH_FAILURES=0

mkdir -p "$BENCH_OUT" "$BENCH_LOGS"

bench_log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

bench_die() {
  bench_log "error: $*"
  exit 2
}

# Stops one process we started: SIGTERM, then SIGKILL after 5 s.
bench_stop() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

bench_stop_all() {
  local pid
  for pid in "${BENCH_STARTED_PIDS[@]}"; do bench_stop "$pid"; done
  BENCH_STARTED_PIDS=()
}
trap bench_stop_all EXIT
trap 'exit 130' INT TERM

# Prints the TCP port process $1 listens on, read from /proc (the process's socket inodes
# matched against the kernel's table of listening sockets), so no tool beyond bash is needed.
bench_listen_port() {
  local pid=$1 inode local_address state
  local -A owned=()
  local sockets
  sockets=$(find "/proc/$pid/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n')
  for inode in $sockets; do owned[$inode]=1; done
  # Fields: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
  while read -r _ local_address _ state _ _ _ _ _ inode _; do
    [[ $state == 0A && -n ${owned[$inode]:-} ]] || continue  # 0A: LISTEN
    echo $((16#${local_address##*:}))
    return 0
  done < <(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null)
  return 1
}

# Prints the port of process $1 once it listens (10 s at most). Servers start on port 0 and
# are found this way whatever they log (at --log-level warn they print no ready line).
bench_wait_listening() {
  local pid=$1 name=$2 port
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || bench_die "$name exited during startup (see $BENCH_LOGS)"
    if port=$(bench_listen_port "$pid"); then
      echo "$port"
      return 0
    fi
    sleep 0.1
  done
  bench_die "$name did not listen within 10 s"
}

# Prints the gRPC port llm-service $1 announces in its log $2 after line $3 (10 s at most):
# it listens on two ports (gRPC and /metrics), so the socket alone does not say which.
bench_wait_announced() {
  local pid=$1 log=$2 from=$3 port
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || bench_die "llm-service exited during startup (see $BENCH_LOGS)"
    port=$(tail -n "+$((from + 1))" "$log" | sed -nE 's/.* listening .* port=([0-9]+).*/\1/p' |
      head -n 1)
    if [[ -n $port ]]; then
      echo "$port"
      return 0
    fi
    sleep 0.1
  done
  bench_die "llm-service did not listen within 10 s"
}

# start_llm_service DELAY_MS EXTRA_WORDS -> LLM_PID, LLM_PORT
start_llm_service() {
  local log=$BENCH_LOGS/llm-service.log from
  from=$(cat "$log" 2>/dev/null | wc -l)
  "$BENCH_BIN/llm-service" --bind 127.0.0.1 --port 0 --metrics-port 0 --provider mock \
    --log-level "$BENCH_LOG_LEVEL" --mock-chunk-delay-ms "$1" --mock-extra-words "$2" \
    2>>"$log" &
  LLM_PID=$!
  BENCH_STARTED_PIDS+=("$LLM_PID")
  LLM_PORT=$(bench_wait_announced "$LLM_PID" "$log" "$from") || exit 2
  bench_log "llm-service pid=$LLM_PID port=$LLM_PORT delay=${1}ms extra_words=$2"
}

# start_gateway LLM_PORT [more gateway flags] -> GW_PID, GW_PORT
start_gateway() {
  local llm_port=$1
  shift
  # Sessions go to a fresh SQLite file of this run (the default store, never the user's).
  local store=${BENCH_STORE:-sqlite:$BENCH_WORK/gateway.db}
  [[ $store == sqlite:* ]] && rm -f "${store#sqlite:}" "${store#sqlite:}-wal" "${store#sqlite:}-shm"
  local binary=$BENCH_BIN/gateway
  local -a own=(--store "$store")
  if [[ ${BENCH_GATEWAY_IS_BASELINE:-} == 1 ]]; then
    binary=$BENCH_BASELINE_BIN/gateway
    read -r -a own <<<"${BENCH_BASELINE_FLAGS:-}"
  fi
  "$binary" --bind 127.0.0.1 --port 0 --llm-service "127.0.0.1:$llm_port" \
    --log-level "$BENCH_LOG_LEVEL" --max-connections 20000 "${own[@]}" "$@" \
    2>>"$BENCH_LOGS/gateway.log" &
  GW_PID=$!
  BENCH_STARTED_PIDS+=("$GW_PID")
  GW_PORT=$(bench_wait_listening "$GW_PID" gateway) || exit 2
  bench_log "gateway pid=$GW_PID port=$GW_PORT"
}

# start_streamgate DELAY_MS EXTRA_WORDS [gateway flags]: llm-service + gateway.
start_streamgate() {
  start_llm_service "$1" "$2"
  shift 2
  start_gateway "$LLM_PORT" "$@"
}

# A CA and a certificate for localhost in $BENCH_WORK/tls, made once; exports WS_BENCH_TLS_CA
# (ws-bench's --tls-ca) so that ws-bench trusts it.
bench_make_certificate() {
  local dir=$BENCH_WORK/tls
  if [[ ! -f $dir/server.pem ]]; then
    mkdir -p "$dir"
    (cd "$dir" &&
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7         -subj /CN=bench-ca -keyout ca.key -out ca.pem &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost         -keyout server.key -out server.csr &&
      printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > san.ext &&
      openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 7         -extfile san.ext -out server.pem) >"$BENCH_LOGS/openssl.log" 2>&1 ||
      bench_die "openssl failed (see $BENCH_LOGS/openssl.log)"
  fi
  export WS_BENCH_TLS_CA=$dir/ca.pem
}

# An API key for identity "bench" in $BENCH_WORK/keys.txt; exports WS_BENCH_TOKEN.
bench_make_api_key() {
  local made
  made=$("$BENCH_BIN/streamgate-cli" keys add bench | grep -v '^#') || bench_die "keys add failed"
  WS_BENCH_TOKEN=$(sed -n 1p <<<"$made")
  export WS_BENCH_TOKEN
  sed -n 2p <<<"$made" >"$BENCH_WORK/keys.txt"
}

# Every per-identity and per-address limit off: one bench identity opens all connections.
BENCH_NO_LIMITS=(--limit-connections 0 --limit-concurrent-replies 0 --limit-messages-per-minute 0
                 --limit-upgrades-per-second 0 --limit-frames-per-second 0)

# The peer needs its npm dependencies; the shared copy is read only, so install into a
# scratch copy once and reuse it while its package-lock.json is unchanged.
bench_install_peer() {
  local dir=$BENCH_WORK/seed-fastify
  [[ -f $BENCH_PEER_SRC/server.mjs ]] || bench_die "no peer at $BENCH_PEER_SRC"
  if [[ -d $dir/node_modules ]] &&
    cmp -s "$BENCH_PEER_SRC/package-lock.json" "$dir/package-lock.json"; then
    return 0
  fi
  bench_log "installing the peer's dependencies into $dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp -R "$BENCH_PEER_SRC/." "$dir/"
  chmod -R u+w "$dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >"$BENCH_LOGS/npm-ci.log" 2>&1) ||
    bench_die "npm ci failed (see $BENCH_LOGS/npm-ci.log)"
}

# start_peer DELAY_MS EXTRA_WORDS -> PEER_PID, PEER_PORT
start_peer() {
  bench_install_peer
  (cd "$BENCH_WORK/seed-fastify" &&
    PORT=0 HOST=127.0.0.1 LOG_LEVEL=$BENCH_LOG_LEVEL MOCK_CHUNK_DELAY_MS=$1 \
      MOCK_EXTRA_WORDS=$2 exec node server.mjs) >>"$BENCH_LOGS/seed-fastify.log" 2>&1 &
  PEER_PID=$!
  BENCH_STARTED_PIDS+=("$PEER_PID")
  PEER_PORT=$(bench_wait_listening "$PEER_PID" seed-fastify) || exit 2
  bench_log "seed-fastify pid=$PEER_PID port=$PEER_PORT"
}

# start_server NAME DELAY_MS EXTRA_WORDS -> SERVER_URL, SERVER_PIDS (ws-bench flags)
# shellcheck disable=SC2034  # both are for the calling script
start_server() {
  case $1 in
    streamgate)
      start_streamgate "$2" "$3"
      SERVER_URL=ws://127.0.0.1:$GW_PORT/ws
      SERVER_PIDS=(--server-pid "$GW_PID" --server-pid "$LLM_PID")
      ;;
    streamgate-per-call)
      start_streamgate "$2" "$3" --llm-transport per-call
      SERVER_URL=ws://127.0.0.1:$GW_PORT/ws
      SERVER_PIDS=(--server-pid "$GW_PID" --server-pid "$LLM_PID")
      ;;
    streamgate-baseline)
      [[ -x ${BENCH_BASELINE_BIN:-}/gateway ]] ||
        bench_die "streamgate-baseline needs BENCH_BASELINE_BIN (a directory with a gateway)"
      BENCH_GATEWAY_IS_BASELINE=1 start_streamgate "$2" "$3"
      SERVER_URL=ws://127.0.0.1:$GW_PORT/ws
      SERVER_PIDS=(--server-pid "$GW_PID" --server-pid "$LLM_PID")
      ;;
    streamgate-tls)
      bench_make_certificate
      start_streamgate "$2" "$3" --tls-cert "$BENCH_WORK/tls/server.pem" \
        --tls-key "$BENCH_WORK/tls/server.key"
      SERVER_URL=wss://localhost:$GW_PORT/ws
      SERVER_PIDS=(--server-pid "$GW_PID" --server-pid "$LLM_PID")
      ;;
    streamgate-auth)
      bench_make_api_key
      start_streamgate "$2" "$3" --auth api-keys --api-keys-file "$BENCH_WORK/keys.txt" \
        "${BENCH_NO_LIMITS[@]}"
      SERVER_URL=ws://127.0.0.1:$GW_PORT/ws
      SERVER_PIDS=(--server-pid "$GW_PID" --server-pid "$LLM_PID")
      ;;
    peer)
      start_peer "$2" "$3"
      SERVER_URL=ws://127.0.0.1:$PEER_PORT/ws
      SERVER_PIDS=(--server-pid "$PEER_PID")
      ;;
    *) bench_die "unknown server '$1' (streamgate or peer)" ;;
  esac
}

# run_bench RESULT_NAME [ws-bench flags]: writes $BENCH_OUT/RESULT_NAME.json; a failed run is
# counted in BENCH_FAILURES, not fatal, so that the other results still get recorded.
run_bench() {
  local name=$1
  shift
  local out=$BENCH_OUT/$name.json
  bench_log "ws-bench $name: $*"
  "$BENCH_BIN/ws-bench" --label "$name" "$@" >"$out" 2> >(sed 's/^/    /' >&2)
  local rc=$?
  if ((rc != 0)); then
    BENCH_FAILURES=$((BENCH_FAILURES + 1))
    bench_log "ws-bench $name exited $rc"
  fi
  return 0
}

# Prints one table row per result file given, when jq is there to read them.
bench_table() {
  command -v jq >/dev/null || { bench_log "jq not found; results are in $BENCH_OUT"; return 0; }
  printf '%-34s %6s %6s %7s %9s %9s %9s %9s %9s %11s %8s\n' result conns estab replies \
    replies/s e2e_p50 e2e_p99 first_p50 rss_end_kb rss_B/conn cpu_s
  local file
  for file in "$@"; do
    jq -r '[.label, .connections.attempted, .connections.established, .replies_completed,
            .replies_per_sec, .latency_ms.stream_end.p50, .latency_ms.stream_end.p99,
            .latency_ms.first_chunk.p50,
            ([.servers[].rss_kb_end // 0] | add),
            ([.servers[].rss_bytes_per_connection // 0] | add),
            ([.servers[].cpu_seconds // 0] | add)] | @tsv' "$file" |
      awk -F'\t' '{printf "%-34s %6s %6s %7s %9.1f %9.2f %9.2f %9.2f %9s %11.0f %8.2f\n",
                   $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11}'
  done
}

bench_check_binaries() {
  local binary
  for binary in gateway llm-service ws-bench streamgate-cli; do
    [[ -x $BENCH_BIN/$binary ]] || bench_die "$BENCH_BIN/$binary not built (cmake --build build)"
  done
}

# bench_added_latency REPLY_MS FILE...: what the server adds to a reply that takes REPLY_MS
# by itself: send->stream_end percentiles minus REPLY_MS.
bench_added_latency() {
  command -v jq >/dev/null || return 0
  local reply_ms=$1
  shift
  printf '%-34s %8s %10s %10s %10s %10s %10s\n' result streams added_p50 added_p90 added_p99 \
    added_max first_p99
  local file
  for file in "$@"; do
    jq -r --argjson r "$reply_ms" '.latency_ms as $l | [.label, .config.connections,
            $l.stream_end.p50 - $r, $l.stream_end.p90 - $r, $l.stream_end.p99 - $r,
            $l.stream_end.max - $r, $l.first_chunk.p99] | @tsv' "$file" |
      awk -F'\t' '{printf "%-34s %8s %10.2f %10.2f %10.2f %10.2f %10.2f\n", $1,$2,$3,$4,$5,$6,$7}'
  done
}
