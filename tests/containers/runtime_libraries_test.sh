#!/usr/bin/env bash
# The images' runtime stage installs scripts/debian-runtime-packages.txt on top of
# debian:bookworm-slim. Check, without Docker, that this is enough: every shared library the
# built binaries load (ldd) must come from a package in that list, from one of their
# dependencies, or from the base image (Debian's "required" packages and what they depend
# on). A new library linked without updating the list fails here, not in production.
# Usage: runtime_libraries_test.sh BIN_DIR (build/bin with gateway, llm-service, streamgate-cli)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin_dir=${1:?usage: runtime_libraries_test.sh BIN_DIR}
binaries=(gateway llm-service streamgate-cli)

# The given packages and everything they depend on (Pre-Depends and Depends, every
# alternative), among the installed packages: one dpkg-query, then a walk in awk.
closure() {
  dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Pre-Depends}, ${Depends}\n' |
    awk -F'\t' -v seeds="$*" '
      $1 ~ /^ii/ {
        n = split($3, items, /[,|]/)
        for (i = 1; i <= n; i++) {
          name = items[i]
          sub(/^[ \t]+/, "", name); sub(/[ \t(:].*$/, "", name)
          if (name != "") deps[$2] = deps[$2] " " name
        }
      }
      END {
        count = split(seeds, queue, " ")
        for (head = 1; head <= count; head++) {
          package = queue[head]
          if (package in seen) continue
          seen[package] = 1
          print package
          m = split(deps[package], next_packages, " ")
          for (j = 1; j <= m; j++) if (!(next_packages[j] in seen)) queue[++count] = next_packages[j]
        }
      }' | sort -u
}

mapfile -t runtime < <(grep -hvE '^\s*(#|$)' "$root/scripts/debian-runtime-packages.txt")
mapfile -t required < <(dpkg-query -W -f='${Package} ${Priority}\n' | awk '$2 == "required" {print $1}')
available=$(closure "${runtime[@]}" "${required[@]}")
[[ -n "$available" ]] || { echo "FAIL: found no installed packages" >&2; exit 1; }

failures=0
declare -A loaded_by  # library path -> the binaries that load it
for binary in "${binaries[@]}"; do
  file="$bin_dir/$binary"
  [[ -x "$file" ]] || { echo "FAIL: $file is not built" >&2; failures=$((failures + 1)); continue; }
  if ldd "$file" | grep -q 'not found'; then
    echo "FAIL: $binary: $(ldd "$file" | grep 'not found' | tr '\n' ' ')" >&2
    failures=$((failures + 1))
  fi
  while read -r library; do
    loaded_by[$library]+="$binary "
  done < <(ldd "$file" | awk '$2 == "=>" && $3 ~ /^\// {print $3}')
done

# Which package owns each library: one dpkg-query for all of them (each call reads every
# file list). Debian 12 is usr-merged, so a path may be recorded with or without /usr.
declare -A owner
queries=()
for library in "${!loaded_by[@]}"; do
  queries+=("$library" "${library#/usr}" "/usr${library#/usr}")
done
while IFS= read -r line; do
  package=${line%%: *}
  path=${line#*: }
  for variant in "$path" "/usr${path#/usr}" "${path#/usr}"; do owner[$variant]=${package%%:*}; done
done < <(dpkg-query -S "${queries[@]}" 2>/dev/null | grep -v ', ' || true)

for library in "${!loaded_by[@]}"; do
  package=${owner[$library]:-}
  if [[ -z "$package" ]]; then
    echo "FAIL: ${loaded_by[$library]}load $library, which no Debian package provides" >&2
    failures=$((failures + 1))
  elif ! grep -qxF "$package" <<<"$available"; then
    echo "FAIL: ${loaded_by[$library]}load $library from $package, which is neither in" \
         "scripts/debian-runtime-packages.txt nor a dependency of it" >&2
    failures=$((failures + 1))
  fi
done
if ((failures > 0)); then
  exit 1
fi
echo "runtime libraries of ${binaries[*]}: all provided by scripts/debian-runtime-packages.txt"
