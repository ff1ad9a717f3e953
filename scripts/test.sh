#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, end-to-end, browser,
# load-generator smoke), then the end-to-end suite under ASan/UBSan/LSan.
# Exit code 0 means all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh -DSTREAMGATE_BUILD_TESTS=ON
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure --timeout 300
scripts/test-sanitizers.sh
