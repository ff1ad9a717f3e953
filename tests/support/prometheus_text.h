#pragma once

#include <optional>
#include <string>

namespace streamgate::testing {

// The value of one series in a Prometheus text exposition, named exactly as it is written
// (`name` or `name{a="x",b="y"}`, labels in the exporter's order); nullopt when absent.
std::optional<double> SampleValue(const std::string& exposition, const std::string& series);

// Runs Debian's `promtool check metrics` on `exposition`: its exit status (0 when the text
// parses and lints clean) and what it printed (lint findings, or why it could not run).
struct PromtoolResult {
  int exit_status = -1;
  std::string output;
};
PromtoolResult PromtoolCheckMetrics(const std::string& exposition);

}  // namespace streamgate::testing
