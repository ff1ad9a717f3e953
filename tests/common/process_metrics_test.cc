#include "common/metrics/process_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>
#include <string>

#include "common/metrics/registry.h"
#include "common/version.h"
#include "tests/support/prometheus_text.h"

namespace streamgate::common::metrics {
namespace {

// Fields 3.. of proc(5): state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
// cmajflt utime(14) stime(15) cutime cstime priority nice num_threads itrealvalue
// starttime(22) vsize(23) rss(24) ...
constexpr char kStat[] =
    "4242 (gate way) (x)) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 "
    "123400 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcessMetricsTest, ParsesStatWhoseCommandHoldsSpacesAndParentheses) {
  auto stat = ParseProcessStat(kStat, /*ticks_per_second=*/100, /*page_bytes=*/4096);
  ASSERT_TRUE(stat.has_value());
  EXPECT_DOUBLE_EQ(stat->cpu_seconds, 3.0);  // (250 + 50) / 100
  EXPECT_DOUBLE_EQ(stat->start_seconds, 1234.0);
  EXPECT_DOUBLE_EQ(stat->virtual_bytes, 104857600.0);
  EXPECT_DOUBLE_EQ(stat->resident_bytes, 2560.0 * 4096);
}

TEST(ProcessMetricsTest, RefusesTruncatedOrGarbledStat) {
  EXPECT_FALSE(ParseProcessStat("", 100, 4096).has_value());
  EXPECT_FALSE(ParseProcessStat("4242 (gateway) S 1 2 3", 100, 4096).has_value());
  EXPECT_FALSE(
      ParseProcessStat("4242 gateway S 1 4242 4242 0 -1 0 0 0 0 0 250 50", 100, 4096).has_value());
  std::string garbled = kStat;
  garbled.replace(garbled.find(" 250 "), 5, " 2x0 ");
  EXPECT_FALSE(ParseProcessStat(garbled, 100, 4096).has_value());
  EXPECT_FALSE(ParseProcessStat(kStat, 0, 4096).has_value());
}

double SeriesValue(const std::string& text, const std::string& series) {
  std::optional<double> value = testing::SampleValue(text, series);
  EXPECT_TRUE(value.has_value()) << series << " missing from:\n" << text;
  return value.value_or(-1);
}

TEST(ProcessMetricsTest, ExportsThisProcessAndTheBuild) {
  Registry registry;
  RegisterProcessMetrics(registry);
  // Burn a little CPU so that the counter cannot be zero.
  volatile double sink = 0;
  for (int i = 0; i < 20'000'000; ++i) sink = sink + i * 0.5;
  std::string text = registry.Render();
  EXPECT_GT(SeriesValue(text, "process_cpu_seconds_total"), 0);
  EXPECT_GT(SeriesValue(text, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(SeriesValue(text, "process_virtual_memory_bytes"),
            SeriesValue(text, "process_resident_memory_bytes"));
  EXPECT_GE(SeriesValue(text, "process_open_fds"), 3);  // stdin, stdout, stderr at least
  EXPECT_GT(SeriesValue(text, "process_max_fds"), SeriesValue(text, "process_open_fds"));
  double started = SeriesValue(text, "process_start_time_seconds");
  double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(started, now + 1);
  EXPECT_GT(started, now - 3600);  // this test binary started moments ago
  std::string build = "streamgate_build_info{version=\"" + std::string(Version()) +
                      "\",revision=\"" + std::string(Revision()) + "\"} 1\n";
  EXPECT_NE(text.find(build), std::string::npos) << text;
}

}  // namespace
}  // namespace streamgate::common::metrics
