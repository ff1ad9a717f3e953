#!/usr/bin/env bash
# Installs what is missing, builds, and runs llm-service and the gateway in the foreground:
# chat at http://localhost:3000/ (WebSocket ws://localhost:3000/ws). llm-service streams
# from Claude when ANTHROPIC_API_KEY is set, otherwise from the built-in mock. Ctrl-C stops.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
echo "run: built; starting llm-service on 127.0.0.1:${LLM_SERVICE_PORT:-50051} and gateway on" \
     "${GATEWAY_BIND:-127.0.0.1}:${GATEWAY_PORT:-3000}"

build/bin/llm-service &
llm_pid=$!
trap 'kill $llm_pid ${gateway_pid:-} 2>/dev/null; wait' EXIT INT TERM
build/bin/gateway --llm-service "127.0.0.1:${LLM_SERVICE_PORT:-50051}" &
gateway_pid=$!
wait -n $llm_pid $gateway_pid
