#pragma once

#include <string>

#include "tools/ws-bench/bench_config.h"
#include "tools/ws-bench/bench_run.h"

namespace streamgate::bench {

// True when the run is clean: every connection established and never dropped, every reply
// received and matching, no error frame, no protocol violation, no timeout. CI smoke tests
// rely on the exit code that follows from it, never on a time.
bool RunSucceeded(const BenchConfig& config, const BenchResult& result);

// The one JSON object printed on stdout (one line; field reference in README.md).
std::string ReportJson(const BenchConfig& config, const BenchResult& result);

// A few lines for people, printed on stderr.
std::string ReportSummary(const BenchConfig& config, const BenchResult& result);

}  // namespace streamgate::bench
