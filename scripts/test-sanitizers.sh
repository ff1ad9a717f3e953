#!/usr/bin/env bash
# The end-to-end suite once more with the gateway, llm-service and the tests built with
# AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer included): any memory error
# aborts a binary and fails its test; a leak makes a clean SIGTERM exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${SANITIZE_BUILD_DIR:-build-asan}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSTREAMGATE_SANITIZE=ON >/dev/null
cmake --build "$build_dir" --parallel "${BUILD_JOBS:-$(nproc)}" --target gateway llm-service e2e_test \
  redis_client_test
# ASan's quarantine keeps freed memory resident, so the RSS bounds of the slow-reader and
# unread-memory tests mean nothing here; every other test runs.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  "$build_dir/bin/e2e_test" --gtest_filter='-SessionRulesE2e.SlowReaderKeepsGatewayMemoryBoundedAndLosesNothing:UnreadMemoryE2e.*'
# The Redis client's own hooks into hiredis (contexts freed inside callbacks, stale waits).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  "$build_dir/bin/redis_client_test"
