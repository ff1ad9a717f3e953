#!/usr/bin/env bash
# Installs what building (and, with --test, testing) streamgate needs on Debian 12.
# Idempotent: does nothing when everything is already there. Uses sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

lists=(scripts/debian-packages.txt)
[[ "${1:-}" == "--test" ]] && lists+=(scripts/debian-test-packages.txt)

mapfile -t wanted < <(grep -hvE '^\s*(#|$)' "${lists[@]}")
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if ((${#missing[@]} > 0)); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ "${1:-}" == "--test" ]]; then
  if ! command -v node >/dev/null || ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
    echo "install-deps: the browser tests need Node.js 20 or newer with npm" >&2
    exit 1
  fi
  # playwright-core only: it never downloads a browser; the tests use Debian's chromium.
  if [[ ! -d tests/web/node_modules/playwright-core ]] ||
     [[ tests/web/package-lock.json -nt tests/web/node_modules/.package-lock.json ]]; then
    npm ci --prefix tests/web --no-audit --no-fund --loglevel=error
  fi
fi
