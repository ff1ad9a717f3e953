#!/usr/bin/env bash
# scripts/run.sh as a new user runs it, on free ports (GATEWAY_PORT=0, LLM_SERVICE_PORT=0),
# with the binaries already built (--no-build): it prints the page's URL once both services
# answer, the page and the chat work at that URL, and Ctrl-C (SIGINT) stops both services.
# usage: run_script_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir=$1 build_dir=$2
work=$(mktemp -d)
fail() { echo "FAIL: $*" >&2; [[ -f "$work/err" ]] && sed 's/^/  run.sh stderr: /' "$work/err" >&2; exit 1; }

out=$("$source_dir/scripts/run.sh" --help)
grep -q -- "--no-build" <<<"$out" || fail "--help does not describe --no-build"
grep -q "LLM_SERVICE_PORT=0" <<<"$out" || fail "--help does not mention free ports"
if "$source_dir/scripts/run.sh" --bogus 2>/dev/null; then fail "an unknown argument was accepted"; fi

mkfifo "$work/out"
# setsid: run.sh leads its own process group, so the test can find its children afterwards.
# --default-signal=INT: a background job of a script starts with SIGINT ignored, which run.sh
# could not trap; at a terminal Ctrl-C reaches it with the default disposition, as here.
GATEWAY_PORT=0 LLM_SERVICE_PORT=0 LLM_SERVICE_METRICS_PORT=0 LLM_SERVICE_MOCK_CHUNK_DELAY_MS=0 BUILD_DIR=$build_dir \
  GATEWAY_STORE=memory env --default-signal=INT setsid "$source_dir/scripts/run.sh" --no-build >"$work/out" 2>"$work/err" &
run_pid=$!
trap 'kill -TERM -- -$run_pid 2>/dev/null || true; rm -rf "$work"' EXIT
exec 3<"$work/out"

url=""
while IFS= read -r -t 60 line <&3; do
  if [[ "$line" =~ ready\.\ Open\ (http://[^ ]+/)\ in\ a\ browser ]]; then
    url=${BASH_REMATCH[1]}
    break
  fi
done
[[ -n "$url" ]] || fail "run.sh printed no 'ready. Open <url>' line within 60 s"
port=${url##*:}
port=${port%/}
[[ "$port" != 3000 && "$port" != 0 ]] || fail "the URL $url is not the free port the gateway took"

"$build_dir/bin/streamgate-cli" --health "${url}readyz" --connect-timeout=5s >/dev/null ||
  fail "$url/readyz is not ready"
"$build_dir/bin/streamgate-cli" --health "$url" --connect-timeout=5s >/dev/null ||
  fail "the page at $url does not answer"
reply=$("$build_dir/bin/streamgate-cli" --url "ws://127.0.0.1:$port/ws" "hello there") ||
  fail "a chat through $url failed"
[[ -n "$reply" ]] || fail "the chat through $url printed no reply"

children=$(pgrep -g "$run_pid" -f 'bin/(gateway|llm-service)( |$)' | wc -l)
[[ "$children" == 2 ]] || fail "expected the gateway and llm-service in run.sh's group, found $children"
kill -INT "$run_pid"
wait "$run_pid" || true
# Both services are gone once run.sh has returned: its trap waits for them.
left=$(pgrep -g "$run_pid" -f 'bin/(gateway|llm-service)( |$)' || true)
[[ -z "$left" ]] || fail "after Ctrl-C these services still run: $left"
echo "PASS: run.sh on free ports ($url)"
