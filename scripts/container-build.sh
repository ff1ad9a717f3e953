#!/usr/bin/env bash
# The build script of both container images (gateway/Dockerfile, llm-service/Dockerfile). It
# reuses the README's own scripts, so the images get exactly the packages and build steps
# of `scripts/run.sh` / `scripts/test.sh` and cannot drift from them:
#
#   container-build.sh deps            build stage: scripts/install-deps.sh, which installs
#                                      scripts/debian-packages.txt with apt-get
#   container-build.sh build OUT_DIR   build stage: scripts/build.sh with the tests off; the
#                                      stripped binaries go to OUT_DIR/bin
#   container-build.sh runtime         runtime stage: apt-get installs
#                                      scripts/debian-runtime-packages.txt (shared libraries)
#
# tests/containers checks all of this without a Docker engine.
set -euo pipefail
cd "$(dirname "$0")/.."

# The binaries both images carry: each its service, and streamgate-cli as the HEALTHCHECK
# probe (and a client for debugging from inside the container).
binaries=(gateway llm-service streamgate-cli)

# Package names from list files: one per line, '#' comments and blank lines skipped.
packages_in() { grep -hvE '^\s*(#|$)' "$@"; }

case "${1:-}" in
  deps)
    bash scripts/install-deps.sh
    ;;
  build)
    out=${2:?usage: container-build.sh build OUT_DIR}
    export BUILD_DIR=${BUILD_DIR:-build-container}
    BUILD_TYPE=Release bash scripts/build.sh -DSTREAMGATE_BUILD_TESTS=OFF \
      -DSTREAMGATE_REVISION="${STREAMGATE_REVISION:-}"
    for binary in "${binaries[@]}"; do
      install -D -m 0755 --strip "$BUILD_DIR/bin/$binary" "$out/bin/$binary"
    done
    ;;
  runtime)
    mapfile -t wanted < <(packages_in scripts/debian-runtime-packages.txt)
    echo "container-build: installing ${wanted[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${wanted[@]}"
    ;;
  *)
    echo "usage: $0 deps | build OUT_DIR | runtime" >&2
    exit 2
    ;;
esac
