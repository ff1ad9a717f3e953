#!/usr/bin/env bash
# Configures and builds everything into build/ (binaries in build/bin/).
# Extra arguments go to the CMake configure step, e.g. -DSTREAMGATE_SANITIZE=ON. BUILD_TARGETS
# (space-separated) builds only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@"
targets=()
for target in ${BUILD_TARGETS:-}; do targets+=(--target "$target"); done
cmake --build "$build_dir" --parallel "${BUILD_JOBS:-$(nproc)}" "${targets[@]}"
