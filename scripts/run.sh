#!/usr/bin/env bash
# Installs what is missing, builds the two services (no tests), and runs llm-service and the
# gateway in the foreground until Ctrl-C. `scripts/run.sh --help` says more.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
usage: scripts/run.sh [--help] [--no-build]

Installs the Debian packages the build needs (apt-get, via sudo when not root), builds
llm-service, the gateway and streamgate-cli into build/ (Release, test suites off), starts both
services and prints the URL of the chat page once they answer. Ctrl-C stops both.

llm-service answers from Claude when ANTHROPIC_API_KEY is set, otherwise from its built-in mock.
Every flag of `build/bin/gateway --help` and `build/bin/llm-service --help` can be set through
its environment twin, for example:

  GATEWAY_PORT=8080 scripts/run.sh          the chat page on port 8080 (default 3000)
  GATEWAY_PORT=0 LLM_SERVICE_PORT=0 scripts/run.sh
                                            free ports, picked by the system and printed
  LLM_SERVICE_MOCK_CHUNK_DELAY_MS=0 scripts/run.sh
                                            the mock without its pause between words
  ANTHROPIC_API_KEY=sk-ant-... scripts/run.sh
                                            real replies from Claude

--no-build runs the binaries already in the build folder (no install, no build).

The first run compiles for several minutes (about 8 on two cores); later runs only rebuild what
changed. BUILD_DIR picks another build folder (default build/).
EOF
}

build=true
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    --no-build) build=false ;;
    *) echo "run: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

build_dir=${BUILD_DIR:-build}
if $build; then
  scripts/install-deps.sh
  if [[ ! -x "$build_dir/bin/gateway" ]]; then
    echo "run: first build: compiling llm-service, the gateway and streamgate-cli; this takes" \
         "several minutes (about 8 on two cores). Later runs rebuild only what changed."
  else
    echo "run: building (only what changed)"
  fi
  BUILD_DIR=$build_dir BUILD_TARGETS="gateway llm-service streamgate-cli" \
    scripts/build.sh -DSTREAMGATE_BUILD_TESTS=OFF
fi

logs=$(mktemp -d)
pids=()
stop() {
  trap - EXIT INT TERM
  ((${#pids[@]} > 0)) && kill "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$logs"
}
trap stop EXIT
trap 'exit 130' INT TERM

# Starts a service with its log on the terminal and in $logs/NAME.log; sets $pid.
start() {
  local name=$1
  shift
  "$@" 2> >(tee "$logs/$name.log" >&2) &
  pid=$!
  pids+=("$pid")
}

# Waits for NAME's "listening" line and prints the port in it (the real one when 0 was asked).
listening_port() {
  local name=$1 pid=$2 line
  for ((i = 0; i < 600; i++)); do
    line=$(grep -m1 ' listening ' "$logs/$name.log" 2>/dev/null || true)
    if [[ -n "$line" ]]; then
      sed -E 's/.* port=([0-9]+).*/\1/' <<<"$line"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run: $name exited before listening (its log is above)" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "run: $name did not start listening within 60 s" >&2
  return 1
}

start llm-service "$build_dir/bin/llm-service"
llm_port=$(listening_port llm-service "$pid")

# The gateway goes to the llm-service just started, unless told otherwise.
gateway_args=()
[[ -z "${GATEWAY_LLM_SERVICE:-}" ]] && gateway_args+=(--llm-service "127.0.0.1:$llm_port")
start gateway "$build_dir/bin/gateway" "${gateway_args[@]}"
gateway_pid=$pid
gateway_port=$(listening_port gateway "$gateway_pid")

host=${GATEWAY_BIND:-127.0.0.1}
[[ "$host" == "0.0.0.0" || "$host" == "::" ]] && host=localhost
[[ "$host" == *:* ]] && host="[$host]"
scheme=http
[[ -n "${GATEWAY_TLS_CERT:-}" ]] && scheme=https
# Ready means the gateway reaches llm-service: that is when the page can chat.
ready="ready."
if [[ "$scheme" == http ]]; then
  ready="up, but it does not reach llm-service yet (see the log above)."
  for ((i = 0; i < 100; i++)); do
    if "$build_dir/bin/streamgate-cli" --health "http://127.0.0.1:$gateway_port/readyz" \
         --connect-timeout=1s >/dev/null 2>&1; then
      ready="ready."
      break
    fi
    sleep 0.1
  done
fi
cat <<EOF

run: $ready Open $scheme://$host:$gateway_port/ in a browser, or chat in this terminal:
       $build_dir/bin/streamgate-cli --url ${scheme/http/ws}://$host:$gateway_port/ws
     llm-service (gRPC) is on 127.0.0.1:$llm_port. Ctrl-C stops both.

EOF
wait -n "${pids[@]}"
