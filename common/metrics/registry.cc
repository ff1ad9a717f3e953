#include "common/metrics/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/fatal.h"

namespace streamgate::common::metrics {
namespace {

bool IsNameChar(char c, bool first, bool allow_colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (allow_colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool IsValidName(const std::string& name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, allow_colon)) return false;
  }
  return true;
}

// Label values: backslash, double quote and line feed escaped. HELP text: backslash and
// line feed (the format's two escaping rules).
void AppendEscaped(std::string_view text, bool quote, std::string* out) {
  for (char c : text) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (quote && c == '"') {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

void AppendValue(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("NaN");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "+Inf" : "-Inf");
  } else {
    fmt::format_to(std::back_inserter(*out), "{}", value);
  }
}

// name{a="x",b="y"} with an optional extra label (a histogram's le) last.
void AppendSeriesName(std::string_view name, const Labels& labels, std::string_view extra_name,
                      std::string_view extra_value, std::string* out) {
  out->append(name);
  if (labels.empty() && extra_name.empty()) return;
  out->push_back('{');
  bool first = true;
  auto append_label = [&](std::string_view label, std::string_view value) {
    if (!first) out->push_back(',');
    first = false;
    out->append(label);
    out->append("=\"");
    AppendEscaped(value, /*quote=*/true, out);
    out->push_back('"');
  };
  for (const auto& [label, value] : labels) append_label(label, value);
  if (!extra_name.empty()) append_label(extra_name, extra_value);
  out->push_back('}');
}

std::vector<std::string> LabelNames(const Labels& labels) {
  std::vector<std::string> names;
  for (const auto& label : labels) names.push_back(label.first);
  return names;
}

}  // namespace

Registry::Series& Registry::Add(const std::string& name, const std::string& help, Type type,
                                Labels labels) {
  if (!IsValidName(name, /*allow_colon=*/true)) Fatal("metrics", "invalid metric name");
  for (const auto& [label, value] : labels) {
    if (!IsValidName(label, /*allow_colon=*/false) || label.starts_with("__") ||
        (type == Type::kHistogram && label == "le")) {
      Fatal("metrics", "invalid label name");
    }
  }
  auto family = std::find_if(families_.begin(), families_.end(),
                             [&](const Family& f) { return f.name == name; });
  if (family == families_.end()) {
    families_.push_back(Family{name, help, type, {}});
    family = families_.end() - 1;
  } else if (family->type != type || family->help != help ||
             LabelNames(family->series.front().labels) != LabelNames(labels)) {
    Fatal("metrics", "a metric family registered again with another type, help or labels");
  }
  for (const Series& series : family->series) {
    if (series.labels == labels) Fatal("metrics", "a series registered twice");
  }
  family->series.push_back(Series{std::move(labels), nullptr, nullptr, nullptr, nullptr});
  return family->series.back();
}

Counter& Registry::AddCounter(const std::string& name, const std::string& help, Labels labels) {
  absl::MutexLock lock(&mutex_);
  Series& series = Add(name, help, Type::kCounter, std::move(labels));
  series.counter = std::make_unique<Counter>();
  return *series.counter;
}

Gauge& Registry::AddGauge(const std::string& name, const std::string& help, Labels labels) {
  absl::MutexLock lock(&mutex_);
  Series& series = Add(name, help, Type::kGauge, std::move(labels));
  series.gauge = std::make_unique<Gauge>();
  return *series.gauge;
}

Histogram& Registry::AddHistogram(const std::string& name, const std::string& help,
                                  std::span<const double> bounds, Labels labels) {
  absl::MutexLock lock(&mutex_);
  Series& series = Add(name, help, Type::kHistogram, std::move(labels));
  series.histogram = std::make_unique<Histogram>(bounds);
  return *series.histogram;
}

void Registry::AddGaugeFunction(const std::string& name, const std::string& help, Labels labels,
                                std::function<double()> read) {
  absl::MutexLock lock(&mutex_);
  Add(name, help, Type::kGauge, std::move(labels)).read = std::move(read);
}

void Registry::AddCounterFunction(const std::string& name, const std::string& help, Labels labels,
                                  std::function<double()> read) {
  absl::MutexLock lock(&mutex_);
  Add(name, help, Type::kCounter, std::move(labels)).read = std::move(read);
}

std::string Registry::Render() const {
  std::string out;
  absl::MutexLock lock(&mutex_);
  for (const Family& family : families_) RenderFamily(family, &out);
  return out;
}

void Registry::RenderFamily(const Family& family, std::string* out) {
  static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
  out->append("# HELP ").append(family.name).push_back(' ');
  AppendEscaped(family.help, /*quote=*/false, out);
  out->append("\n# TYPE ").append(family.name).push_back(' ');
  out->append(kTypeNames[static_cast<int>(family.type)]).push_back('\n');
  for (const Series& series : family.series) {
    if (series.histogram != nullptr) {
      Histogram::Snapshot snapshot = series.histogram->Read();
      std::string bucket_name = family.name + "_bucket";
      for (size_t i = 0; i < snapshot.cumulative.size(); ++i) {
        std::string le = i < snapshot.bounds.size() ? fmt::format("{}", snapshot.bounds[i])
                                                    : std::string("+Inf");
        AppendSeriesName(bucket_name, series.labels, "le", le, out);
        fmt::format_to(std::back_inserter(*out), " {}\n", snapshot.cumulative[i]);
      }
      AppendSeriesName(family.name + "_sum", series.labels, "", "", out);
      out->push_back(' ');
      AppendValue(snapshot.sum, out);
      out->push_back('\n');
      AppendSeriesName(family.name + "_count", series.labels, "", "", out);
      fmt::format_to(std::back_inserter(*out), " {}\n", snapshot.cumulative.back());
      continue;
    }
    AppendSeriesName(family.name, series.labels, "", "", out);
    out->push_back(' ');
    if (series.counter != nullptr) {
      fmt::format_to(std::back_inserter(*out), "{}", series.counter->Value());
    } else if (series.gauge != nullptr) {
      fmt::format_to(std::back_inserter(*out), "{}", series.gauge->Value());
    } else {
      AppendValue(series.read(), out);
    }
    out->push_back('\n');
  }
}

}  // namespace streamgate::common::metrics
