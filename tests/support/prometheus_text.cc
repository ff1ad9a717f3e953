#include "tests/support/prometheus_text.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace streamgate::testing {

std::optional<double> SampleValue(const std::string& exposition, const std::string& series) {
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

PromtoolResult PromtoolCheckMetrics(const std::string& exposition) {
  TempDir dir;
  std::string path = dir.Write("metrics.txt", exposition);
  std::string command = "promtool check metrics < '" + path + "' 2>&1";
  PromtoolResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    result.output = "could not run promtool";
    return result;
  }
  std::array<char, 512> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) result.output += buffer.data();
  int status = pclose(pipe);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (result.exit_status == 127) {
    result.output += " (promtool is in Debian's prometheus: scripts/install-deps.sh --test)";
  }
  return result;
}

}  // namespace streamgate::testing
