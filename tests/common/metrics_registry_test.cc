#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics/registry.h"
#include "tests/support/prometheus_text.h"

namespace streamgate::common::metrics {
namespace {

TEST(MetricsRegistryTest, RendersCountersAndGaugesWithHelpAndType) {
  Registry registry;
  Counter& frames = registry.AddCounter("demo_frames_total", "Frames read.");
  Gauge& open = registry.AddGauge("demo_connections", "Open connections.");
  frames.Increment();
  frames.Increment(4);
  open.Add(3);
  open.Subtract(1);
  EXPECT_EQ(registry.Render(),
            "# HELP demo_frames_total Frames read.\n"
            "# TYPE demo_frames_total counter\n"
            "demo_frames_total 5\n"
            "# HELP demo_connections Open connections.\n"
            "# TYPE demo_connections gauge\n"
            "demo_connections 2\n");
}

TEST(MetricsRegistryTest, SeriesOfOneNameFormOneFamilyInRegistrationOrder) {
  Registry registry;
  Counter& ok = registry.AddCounter("demo_calls_total", "Calls.", {{"code", "OK"}});
  registry.AddGauge("demo_other", "Other.");
  Counter& cancelled = registry.AddCounter("demo_calls_total", "Calls.", {{"code", "CANCELLED"}});
  ok.Increment(2);
  cancelled.Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP demo_calls_total Calls.\n"
            "# TYPE demo_calls_total counter\n"
            "demo_calls_total{code=\"OK\"} 2\n"
            "demo_calls_total{code=\"CANCELLED\"} 1\n"
            "# HELP demo_other Other.\n"
            "# TYPE demo_other gauge\n"
            "demo_other 0\n");
}

TEST(MetricsRegistryTest, EscapesLabelValuesAndHelpText) {
  Registry registry;
  registry.AddCounter("demo_total", "A \\ help\nline \"quoted\".",
                      {{"model", "a\"b\\c\nd"}, {"kind", "x"}});
  EXPECT_EQ(registry.Render(),
            "# HELP demo_total A \\\\ help\\nline \"quoted\".\n"
            "# TYPE demo_total counter\n"
            "demo_total{model=\"a\\\"b\\\\c\\nd\",kind=\"x\"} 0\n");
}

TEST(MetricsRegistryTest, HistogramBucketsAreCumulativeWithUpperBoundsInclusive) {
  Registry registry;
  static constexpr std::array<double, 3> kBounds = {0.001, 0.01, 0.1};
  Histogram& latency =
      registry.AddHistogram("demo_seconds", "Latency.", kBounds, {{"outcome", "completed"}});
  latency.Observe(0.001);  // on a bound: counted in it (le is <=)
  latency.Observe(0.0005);
  latency.ObserveDuration(std::chrono::milliseconds(5));
  latency.Observe(7);  // above every bound: +Inf only
  EXPECT_EQ(registry.Render(),
            "# HELP demo_seconds Latency.\n"
            "# TYPE demo_seconds histogram\n"
            "demo_seconds_bucket{outcome=\"completed\",le=\"0.001\"} 2\n"
            "demo_seconds_bucket{outcome=\"completed\",le=\"0.01\"} 3\n"
            "demo_seconds_bucket{outcome=\"completed\",le=\"0.1\"} 3\n"
            "demo_seconds_bucket{outcome=\"completed\",le=\"+Inf\"} 4\n"
            "demo_seconds_sum{outcome=\"completed\"} 7.0065\n"
            "demo_seconds_count{outcome=\"completed\"} 4\n");
}

TEST(MetricsRegistryTest, DurationsOnABoundFallInItLikeSeconds) {
  Histogram histogram(LatencySecondsBuckets());
  histogram.ObserveDuration(std::chrono::microseconds(50));
  histogram.ObserveDuration(std::chrono::nanoseconds(50'001));
  histogram.Observe(0.00005);
  Histogram::Snapshot snapshot = histogram.Read();
  ASSERT_EQ(snapshot.bounds.front(), 0.00005);
  EXPECT_EQ(snapshot.cumulative[0], 2u);
  EXPECT_EQ(snapshot.cumulative[1], 3u);
  EXPECT_EQ(snapshot.cumulative.back(), 3u);
  EXPECT_DOUBLE_EQ(snapshot.sum, 0.000150001);
}

TEST(MetricsRegistryTest, LatencyBucketsAreTheDocumentedOnes) {
  std::vector<double> bounds(LatencySecondsBuckets().begin(), LatencySecondsBuckets().end());
  EXPECT_EQ(bounds, (std::vector<double>{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                         0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1,
                                         2.5,     5,      10,      30,     60,    120,    300}));
}

TEST(MetricsRegistryTest, FunctionSeriesAreReadAtEachRender) {
  Registry registry;
  double depth = 1.5;
  registry.AddGaugeFunction("demo_depth", "Depth.", {}, [&depth] { return depth; });
  registry.AddCounterFunction("demo_cpu_seconds_total", "CPU.", {{"mode", "user"}},
                              [] { return 2.0; });
  EXPECT_NE(registry.Render().find("\ndemo_depth 1.5\n"), std::string::npos);
  depth = 7;
  std::string text = registry.Render();
  EXPECT_NE(text.find("\ndemo_depth 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ndemo_cpu_seconds_total{mode=\"user\"} 2\n"), std::string::npos) << text;
}

TEST(MetricsRegistryTest, CountsFromManyThreadsAreNotLost) {
  Registry registry;
  Counter& counter = registry.AddCounter("demo_total", "Count.");
  Histogram& histogram = registry.AddHistogram("demo_seconds", "Latency.", LatencySecondsBuckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) {
        counter.Increment();
        histogram.ObserveDuration(std::chrono::microseconds(i % 400));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.Value(), 40'000u);
  EXPECT_EQ(histogram.Read().cumulative.back(), 40'000u);
}

using MetricsRegistryDeathTest = ::testing::Test;

TEST_F(MetricsRegistryDeathTest, ABugInRegistrationAborts) {
  EXPECT_DEATH(
      {
        Registry registry;
        registry.AddCounter("demo_total", "Count.");
        registry.AddCounter("demo_total", "Count.");
      },
      "registered twice");
  EXPECT_DEATH(
      {
        Registry registry;
        registry.AddCounter("demo_total", "Count.", {{"code", "OK"}});
        registry.AddGauge("demo_total", "Count.", {{"code", "CANCELLED"}});
      },
      "another type");
  EXPECT_DEATH(
      {
        Registry registry;
        registry.AddCounter("demo_total", "Count.", {{"code", "OK"}});
        registry.AddCounter("demo_total", "Count.", {{"status", "OK"}});
      },
      "another type, help or labels");
  EXPECT_DEATH({ Registry().AddCounter("2demo", "Bad name."); }, "invalid metric name");
  EXPECT_DEATH(
      {
        Registry().AddCounter("demo", "Bad label.", {{"a-b", "x"}});
      },
      "invalid label name");
  EXPECT_DEATH(
      {
        Registry().AddHistogram("demo", "Bad.", LatencySecondsBuckets(), {{"le", "1"}});
      },
      "invalid label name");
  static constexpr std::array<double, 2> kUnsorted = {0.1, 0.01};
  EXPECT_DEATH({ Histogram histogram(kUnsorted); }, "strictly increasing");
}

// The real Prometheus tooling accepts what Render writes (promtool from Debian's prometheus,
// installed by scripts/install-deps.sh --test).
TEST(MetricsRegistryTest, PromtoolAcceptsTheExposition) {
  Registry registry;
  registry.AddCounter("demo_replies_total", "Replies ended.", {{"outcome", "completed"}})
      .Increment(3);
  registry.AddCounter("demo_replies_total", "Replies ended.", {{"outcome", "error"}});
  registry.AddGauge("demo_connections", "Open connections.").Set(2);
  registry.AddHistogram("demo_first_chunk_seconds", "First chunk.", LatencySecondsBuckets())
      .Observe(0.0003);
  registry.AddGaugeFunction("demo_depth_bytes", "Depth.", {{"queue", "a\"b"}}, [] { return 0.5; });
  testing::PromtoolResult checked = testing::PromtoolCheckMetrics(registry.Render());
  EXPECT_EQ(checked.exit_status, 0) << checked.output;
  EXPECT_EQ(checked.output, "") << "lint findings";
}

}  // namespace
}  // namespace streamgate::common::metrics
