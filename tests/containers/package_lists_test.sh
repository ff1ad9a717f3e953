#!/usr/bin/env bash
# The container images install and build exactly what the README's commands do, without a
# Docker engine to prove it by building:
#  1. scripts/install-deps.sh (the README's install, run by scripts/run.sh and test.sh) and
#     `scripts/container-build.sh deps` (the images' build stage) ask apt-get for the same
#     packages: exactly scripts/debian-packages.txt. Both run for real, against a fake
#     apt-get/dpkg-query/sudo on PATH that only record what they are asked.
#  2. `container-build.sh runtime` asks for exactly scripts/debian-runtime-packages.txt.
#  3. Both Dockerfiles install and build only through scripts/container-build.sh, share one
#     build stage, and have a non-root USER, EXPOSE, HEALTHCHECK and a bookworm base.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
mkdir "$fake/bin"
cat > "$fake/bin/apt-get" <<'FAKE'
#!/usr/bin/env bash
# Records the packages of `apt-get install`; ignores update and the rest.
if [[ " $* " == *" install "* ]]; then
  for arg in "$@"; do [[ "$arg" == -* || "$arg" == install ]] || echo "$arg"; done >> "$APT_LOG"
fi
FAKE
cat > "$fake/bin/dpkg-query" <<'FAKE'
#!/usr/bin/env bash
exit 1  # nothing is installed: every package in a list is asked for
FAKE
cat > "$fake/bin/sudo" <<'FAKE'
#!/usr/bin/env bash
exec "$@"
FAKE
chmod +x "$fake/bin/"*

# Runs a command with the fakes first on PATH; prints the sorted packages it asked for.
asked_for() {
  local log="$fake/apt.log"
  : > "$log"
  APT_LOG="$log" PATH="$fake/bin:$PATH" "$@" > /dev/null
  sort -u "$log"
}
list() { grep -hvE '^\s*(#|$)' "$@" | sort -u; }

# 1. The README's install and the images' build stage: the same list.
expected_build=$(list scripts/debian-packages.txt)
readme_install=$(asked_for bash scripts/install-deps.sh)
image_install=$(asked_for bash scripts/container-build.sh deps)
[[ -n "$expected_build" ]] || fail "scripts/debian-packages.txt lists no packages"
[[ "$readme_install" == "$expected_build" ]] ||
  fail "scripts/install-deps.sh installs something else than scripts/debian-packages.txt:
$(diff <(echo "$expected_build") <(echo "$readme_install"))"
[[ "$image_install" == "$readme_install" ]] ||
  fail "container-build.sh deps and install-deps.sh install different packages:
$(diff <(echo "$readme_install") <(echo "$image_install"))"
for script in scripts/run.sh scripts/test.sh; do
  grep -q 'scripts/install-deps.sh' "$script" || fail "$script no longer runs scripts/install-deps.sh"
done

# 2. The runtime stage: exactly the runtime list.
expected_runtime=$(list scripts/debian-runtime-packages.txt)
runtime_install=$(asked_for bash scripts/container-build.sh runtime)
[[ "$runtime_install" == "$expected_runtime" ]] ||
  fail "container-build.sh runtime installs something else than debian-runtime-packages.txt:
$(diff <(echo "$expected_runtime") <(echo "$runtime_install"))"

# 3. The Dockerfiles.
build_stage() { sed -n '/^FROM .* AS build$/,/^FROM /p' "$1" | grep -vE '^(#|$)' | sed '$d'; }
for dockerfile in gateway/Dockerfile llm-service/Dockerfile; do
  [[ -f "$dockerfile" ]] || { fail "$dockerfile is missing"; continue; }
  instructions=$(grep -vE '^\s*(#|$)' "$dockerfile")
  grep -qxE 'FROM debian:bookworm AS build' <<<"$instructions" ||
    fail "$dockerfile: the build stage is not FROM debian:bookworm AS build"
  grep -qxE 'FROM debian:bookworm-slim' <<<"$instructions" ||
    fail "$dockerfile: the runtime stage is not FROM debian:bookworm-slim"
  for step in 'container-build.sh deps' 'container-build.sh build /out' 'container-build.sh runtime'; do
    grep -q "$step" <<<"$instructions" || fail "$dockerfile does not run $step"
  done
  if grep -qE 'apt-get +install|apt +install' <<<"$instructions"; then
    fail "$dockerfile installs packages itself; only scripts/container-build.sh may"
  fi
  if grep -qE '(cmake|ninja|scripts/build\.sh)' <<<"$instructions"; then
    fail "$dockerfile builds by itself; only scripts/container-build.sh may"
  fi
  user=$(grep -E '^USER ' <<<"$instructions" | tail -1 | awk '{print $2}')
  [[ -n "$user" && "${user%%:*}" != "0" && "${user%%:*}" != "root" ]] ||
    fail "$dockerfile: the last USER ('$user') is not a non-root user"
  grep -qE '^EXPOSE [0-9]+' <<<"$instructions" || fail "$dockerfile has no EXPOSE"
  grep -qE '^HEALTHCHECK ' <<<"$instructions" || fail "$dockerfile has no HEALTHCHECK"
  grep -qE '^ENTRYPOINT ' <<<"$instructions" || fail "$dockerfile has no ENTRYPOINT"
done
grep -q 'streamgate-cli --health "${GATEWAY_HEALTHCHECK_URL:-http://127.0.0.1:${GATEWAY_PORT}/healthz}"' gateway/Dockerfile ||
  fail "gateway/Dockerfile: HEALTHCHECK does not probe /healthz with streamgate-cli"
grep -q 'streamgate-cli --grpc-health "127.0.0.1:${LLM_SERVICE_PORT}"' llm-service/Dockerfile ||
  fail "llm-service/Dockerfile: HEALTHCHECK does not probe the gRPC health service"
[[ "$(build_stage gateway/Dockerfile)" == "$(build_stage llm-service/Dockerfile)" ]] ||
  fail "the build stages of the two Dockerfiles differ (one cached build should serve both):
$(diff <(build_stage gateway/Dockerfile) <(build_stage llm-service/Dockerfile))"

# .dockerignore keeps local build trees and dependencies out of the context.
for pattern in .git 'build*' '**/node_modules' test-artifacts; do
  grep -qxF "$pattern" .dockerignore || fail ".dockerignore does not exclude $pattern"
done

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "package lists and Dockerfiles: ok"
