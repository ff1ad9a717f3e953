#!/usr/bin/env bash
# deploy/prometheus: the compose profile's config and the alert rules are what Debian's
# promtool accepts, and the rules fire (and stay quiet) as alerts_test.yml says.
set -euo pipefail
dir=$1/deploy/prometheus
command -v promtool >/dev/null ||
  { echo "FAIL: promtool missing (Debian's prometheus: scripts/install-deps.sh --test)" >&2; exit 1; }
promtool check config "$dir/prometheus.yml"
promtool check rules "$dir/alerts.yml"
promtool test rules "$dir/alerts_test.yml"
