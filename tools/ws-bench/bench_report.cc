#include "tools/ws-bench/bench_report.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace streamgate::bench {
namespace {

using Json = nlohmann::ordered_json;

// Three decimals: microsecond resolution for milliseconds, and readable.
double Round3(double value) { return std::round(value * 1000.0) / 1000.0; }

Json Counts(const std::map<std::string, int64_t>& counts) {
  Json out = Json::object();
  for (const auto& [key, count] : counts) out[key] = count;
  return out;
}

Json LatencyJson(const std::vector<double>& samples) {
  Percentiles p = Summarize(samples);
  return Json{{"count", p.count},     {"p50", Round3(p.p50)}, {"p90", Round3(p.p90)},
              {"p99", Round3(p.p99)}, {"max", Round3(p.max)}, {"mean", Round3(p.mean)}};
}

template <typename T>
Json OrNull(const std::optional<T>& value) {
  return value.has_value() ? Json(*value) : Json(nullptr);
}

double BusySeconds(const BenchResult& result) {
  auto window = result.stats.busy_window();
  return window.has_value() ? std::chrono::duration<double>(*window).count() : 0.0;
}

double PerSecond(int64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
}

std::string TargetText(const BenchConfig& config) {
  return config.grpc_mode() ? absl::StrCat("grpc://", config.grpc_target) : config.url;
}

const char* ScenarioName(const BenchConfig& config) {
  if (config.resume_mode()) return "resume";
  return config.message_mode() ? "messages" : "idle";
}

int64_t RepliesExpected(const BenchConfig& config) {
  return config.resume_mode() ? config.connections : int64_t{config.connections} * config.messages;
}

// The resume scenario: every session resumed and verified, nothing lost or twice.
bool ResumeSucceeded(const BenchConfig& config, const BenchResult& result) {
  const ResumeStats& resume = result.stats.resume();
  return result.reference.has_value() && result.reference->ok() &&
         resume.resumed() == config.connections && resume.completed() == config.connections &&
         resume.failed() == 0 && resume.lost_chunks() == 0 && resume.duplicated_chunks() == 0 &&
         resume.text_mismatches() == 0;
}

Json ResumeJson(const BenchConfig& config, const BenchResult& result) {
  const ResumeStats& resume = result.stats.resume();
  Json reference = nullptr;
  if (result.reference.has_value()) {
    const ReferenceReply& ref = *result.reference;
    reference = Json{{"ok", ref.ok()},
                     {"error", ref.error},
                     {"chunks", ref.chunks},
                     {"text_bytes", ref.text.size()},
                     {"duration_ms", Round3(ref.duration_ms)}};
  }
  return Json{{"cut_after_chunks", config.cut_after_chunks},
              {"reconnect_delay_ms", config.reconnect_delay_ms},
              {"sessions", config.connections},
              {"resumed", resume.resumed()},
              {"completed", resume.completed()},
              {"failed", resume.failed()},
              {"failure_reasons", Counts(resume.failure_reasons())},
              {"lost_chunks", resume.lost_chunks()},
              {"duplicated_chunks", resume.duplicated_chunks()},
              {"text_mismatches", resume.text_mismatches()},
              {"replayed_frames", resume.replayed_frames()},
              {"replayed_max", resume.replayed_max()},
              {"latency_ms", LatencyJson(resume.latency_ms())},
              {"reference", reference}};
}

void AppendResumeSummary(const BenchConfig& config, const BenchResult& result, std::string* out) {
  const ResumeStats& resume = result.stats.resume();
  Percentiles latency = Summarize(resume.latency_ms());
  absl::StrAppendFormat(out,
                        "  resume (cut after %d chunks, reconnect after %d ms): "
                        "%d/%d resumed, %d completed, %d failed; "
                        "%d lost, %d duplicated chunks, %d text mismatches; "
                        "%d frames replayed (max %d)\n"
                        "  resume ms (reconnect -> session_resumed) p50 %.2f p90 %.2f p99 %.2f "
                        "max %.2f\n",
                        config.cut_after_chunks, config.reconnect_delay_ms, resume.resumed(),
                        config.connections, resume.completed(), resume.failed(),
                        resume.lost_chunks(), resume.duplicated_chunks(), resume.text_mismatches(),
                        resume.replayed_frames(), resume.replayed_max(), latency.p50, latency.p90,
                        latency.p99, latency.max);
  if (result.reference.has_value() && !result.reference->ok()) {
    absl::StrAppendFormat(out, "  reference reply: %s\n", result.reference->error);
  }
  for (const auto& [reason, count] : resume.failure_reasons()) {
    absl::StrAppendFormat(out, "  session failed: %d x %s\n", count, reason);
  }
}

}  // namespace

bool RunSucceeded(const BenchConfig& config, const BenchResult& result) {
  const BenchStats& stats = result.stats;
  bool all_replies = !config.reply_mode() || stats.completed() == RepliesExpected(config);
  if (config.resume_mode() && !ResumeSucceeded(config, result)) return false;
  return !result.timed_out && result.attempted == config.connections &&
         stats.established() == config.connections && stats.connect_failed() == 0 &&
         stats.dropped() == 0 && stats.errors() == 0 && stats.mismatches() == 0 &&
         stats.violations() == 0 && all_replies;
}

std::string ReportJson(const BenchConfig& config, const BenchResult& result) {
  const BenchStats& stats = result.stats;
  const double busy = BusySeconds(result);
  Json servers = Json::array();
  for (const ProcessUsage& usage : result.servers) {
    Json per_connection = nullptr;
    if (usage.rss_kb_start.has_value() && usage.rss_kb_end.has_value() && stats.established() > 0) {
      per_connection = Round3(static_cast<double>(*usage.rss_kb_end - *usage.rss_kb_start) *
                              1024.0 / static_cast<double>(stats.established()));
    }
    servers.push_back(
        Json{{"pid", usage.pid},
             {"rss_kb_start", OrNull(usage.rss_kb_start)},
             {"rss_kb_peak", OrNull(usage.rss_kb_peak)},
             {"rss_kb_end", OrNull(usage.rss_kb_end)},
             {"rss_bytes_per_connection", per_connection},
             {"cpu_seconds",
              usage.cpu_seconds.has_value() ? Json(Round3(*usage.cpu_seconds)) : Json(nullptr)},
             {"vanished", usage.vanished}});
  }
  Json report{
      {"tool", "ws-bench"},
      {"label", config.label},
      {"mode", config.grpc_mode() ? "grpc" : "websocket"},
      {"scenario", ScenarioName(config)},
      {"target", TargetText(config)},
      {"config",
       {{"connections", config.connections},
        {"messages", config.messages},
        {"words", config.words},
        {"think_ms", config.think_ms},
        {"sync_start", config.sync_start},
        {"start_spread_ms", config.start_spread_ms},
        {"idle_seconds", config.idle_seconds},
        {"resume", config.resume},
        {"cut_after_chunks", config.cut_after_chunks},
        {"reconnect_delay_ms", config.reconnect_delay_ms},
        {"ramp_per_sec", config.ramp_per_sec},
        {"threads", config.threads},
        {"timeout_seconds", config.timeout_seconds}}},
      {"ok", RunSucceeded(config, result)},
      {"timed_out", result.timed_out},
      {"connections",
       {{"attempted", result.attempted},
        {"established", stats.established()},
        {"failed", stats.connect_failed()},
        {"dropped", stats.dropped()},
        {"failure_reasons", Counts(stats.connect_failures())},
        {"drop_reasons", Counts(stats.dropped_reasons())}}},
      {"messages_sent", stats.sent()},
      {"replies_completed", stats.completed()},
      {"replies_abandoned", stats.abandoned()},
      {"chunks", stats.chunks()},
      {"reply_text_bytes", stats.text_bytes()},
      {"errors", {{"total", stats.errors()}, {"by_code", Counts(stats.errors_by_code())}}},
      {"mismatches", stats.mismatches()},
      {"protocol_violations",
       {{"total", stats.violations()}, {"by_kind", Counts(stats.violations_by_kind())}}},
      {"duration_s", Round3(result.duration_s)},
      {"busy_s", Round3(busy)},
      {"hold_s", Round3(result.hold_s)},
      {"replies_per_sec", Round3(PerSecond(stats.completed(), busy))},
      {"chunks_per_sec", Round3(PerSecond(stats.chunks(), busy))},
      {"latency_ms",
       {{"stream_start", LatencyJson(stats.start_ms())},
        {"first_chunk", LatencyJson(stats.first_chunk_ms())},
        {"stream_end", LatencyJson(stats.end_ms())}}},
      {"servers", servers},
      {"client",
       {{"cpu_seconds", Round3(result.client_cpu_seconds)},
        {"max_rss_kb", result.client_max_rss_kb},
        {"open_file_limit", result.open_file_limit}}},
  };
  if (config.resume_mode()) report["resume"] = ResumeJson(config, result);
  return report.dump();
}

std::string ReportSummary(const BenchConfig& config, const BenchResult& result) {
  const BenchStats& stats = result.stats;
  std::string out = absl::StrFormat(
      "ws-bench %s %s: %s%s\n  connections: %d attempted, %d established, %d failed, %d "
      "dropped\n",
      config.label.empty() ? "-" : config.label, TargetText(config),
      RunSucceeded(config, result) ? "OK" : "FAILED", result.timed_out ? " (timed out)" : "",
      result.attempted, stats.established(), stats.connect_failed(), stats.dropped());
  if (config.reply_mode()) {
    Percentiles end = Summarize(stats.end_ms());
    Percentiles first = Summarize(stats.first_chunk_ms());
    const double busy = BusySeconds(result);
    absl::StrAppendFormat(&out,
                          "  replies: %d/%d in %.2fs (%.1f/s, %.0f chunks/s), %d errors, "
                          "%d mismatches, %d violations\n"
                          "  first chunk ms p50 %.2f p99 %.2f; stream_end ms p50 %.2f p90 %.2f "
                          "p99 %.2f max %.2f\n",
                          stats.completed(), RepliesExpected(config), busy,
                          PerSecond(stats.completed(), busy), PerSecond(stats.chunks(), busy),
                          stats.errors(), stats.mismatches(), stats.violations(), first.p50,
                          first.p99, end.p50, end.p90, end.p99, end.max);
  } else {
    absl::StrAppendFormat(&out, "  held %.1fs; %d violations\n", result.hold_s, stats.violations());
  }
  if (config.resume_mode()) AppendResumeSummary(config, result, &out);
  for (const ProcessUsage& usage : result.servers) {
    absl::StrAppendFormat(&out, "  pid %d: rss %d -> %d kB (peak %d), cpu %.2fs%s\n", usage.pid,
                          usage.rss_kb_start.value_or(-1), usage.rss_kb_end.value_or(-1),
                          usage.rss_kb_peak.value_or(-1), usage.cpu_seconds.value_or(-1),
                          usage.vanished ? " (vanished)" : "");
  }
  for (const auto& [reason, count] : stats.connect_failures()) {
    absl::StrAppendFormat(&out, "  failed: %d x %s\n", count, reason);
  }
  for (const auto& [code, count] : stats.errors_by_code()) {
    absl::StrAppendFormat(&out, "  error: %d x %s\n", count, code);
  }
  return out;
}

}  // namespace streamgate::bench
