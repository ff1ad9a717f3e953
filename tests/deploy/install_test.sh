#!/usr/bin/env bash
# usage: install_test.sh BUILD_DIR SOURCE_DIR VERSION
set -euo pipefail
build=$1 source=$2 version=$3
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null

revision=""
if git -C "$source" rev-parse --git-dir >/dev/null 2>&1; then
  revision=$(git -C "$source" rev-parse --short=12 HEAD)
fi
for binary in gateway llm-service streamgate-cli; do
  [[ -x "$prefix/bin/$binary" ]] || fail "$binary not installed in $prefix/bin"
  out=$("$prefix/bin/$binary" --version)
  [[ "$out" == "$binary $version"* ]] || fail "$binary --version printed '$out'"
  if [[ -n "$revision" ]]; then
    # Built from this checkout: the revision is HEAD's, perhaps -dirty while work is uncommitted.
    [[ "$out" =~ \(git\ $revision(-dirty)?\)$ ]] || fail "$binary --version printed '$out', HEAD is $revision"
  fi
done

units="$prefix/lib/systemd/system"
for service in gateway llm-service; do
  unit="$units/streamgate-$service.service"
  [[ -f "$unit" ]] || fail "$unit not installed"
  grep -qx "ExecStart=$prefix/bin/$service" "$unit" || fail "$unit does not start $prefix/bin/$service"
  grep -qx "EnvironmentFile=-$prefix/etc/streamgate/$service.env" "$unit" ||
    fail "$unit does not read $prefix/etc/streamgate/$service.env"
  for setting in DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict Restart=on-failure; do
    grep -qx "$setting" "$unit" || fail "$unit lacks $setting"
  done
  # The stop timeout must leave the default drain (25s) time to finish.
  drain=$("$prefix/bin/$service" --help | grep -A0 -- '--drain-timeout' | sed -E "s/.*default '([0-9]+)s'.*/\1/")
  stop=$(sed -nE 's/^TimeoutStopSec=([0-9]+)s$/\1/p' "$unit")
  [[ -n "$drain" && -n "$stop" ]] || fail "$service: drain '$drain' or TimeoutStopSec '$stop' not found"
  (( stop > drain )) || fail "$unit: TimeoutStopSec=${stop}s is not above the drain timeout ${drain}s"
  example="$prefix/share/streamgate/$service.env.example"
  [[ -f "$example" ]] || fail "$example not installed"
  grep -q "$prefix/etc/streamgate/$service.env" "$example" || fail "$example names another path"
done

# verify loads each unit as systemd would: unknown or misspelt settings, a missing binary and
# bad values are errors. It prints them and exits 0 on some, so its output must be empty.
output=$(systemd-analyze verify "$units"/streamgate-*.service 2>&1) || fail "systemd-analyze verify: $output"
[[ -z "$output" ]] || fail "systemd-analyze verify reported: $output"
echo "PASS: installed into $prefix; units verified"
