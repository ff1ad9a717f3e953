// A real Prometheus (Debian's) on loopback scraping both services every second: after a
// reply it holds the gateway's reply counter and a time-to-first-chunk quantile, and both
// targets are up. Nothing here is mocked; the config is generated per run.
#include <cctype>
#include <chrono>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/ws_test_client.h"

namespace streamgate::testing {
namespace {

std::string UrlEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

class Prometheus {
 public:
  Prometheus(const TempDir& dir, int gateway_port, int llm_metrics_port) {
    std::string config = dir.Write(
        "prometheus.yml",
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: streamgate-gateway\n    static_configs:\n      - targets: ['127.0.0.1:" +
            std::to_string(gateway_port) +
            "']\n"
            "  - job_name: streamgate-llm-service\n    static_configs:\n      - targets: "
            "['127.0.0.1:" +
            std::to_string(llm_metrics_port) + "']\n");
    process_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "/usr/bin/prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir.Path("data"),
        "--web.listen-address=127.0.0.1:0", "--log.level=info"});
    auto port = process_->WaitForLine(
        std::regex(R"re(msg="Listening on" address=127\.0\.0\.1:(\d+))re"), 30s);
    if (port.has_value()) port_ = std::stoi(*port);
    ready_ = process_->WaitForLine(std::regex("Server is ready to receive web requests"), 30s)
                 .has_value();
  }
  bool ok() const { return port_ > 0 && ready_; }
  std::string Diagnostics() const { return process_->OutputForDiagnostics(); }

  // The first sample of an instant query, as Prometheus prints it ("1", "0.0005", "NaN"),
  // once `accept` takes it; waits for the scrapes (and rule evaluation) to catch up.
  std::optional<std::string> WaitForValue(const std::string& query,
                                          const std::function<bool(double)>& accept,
                                          std::chrono::milliseconds timeout = 30s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      HttpResult result = HttpGet(port_, "/api/v1/query?query=" + UrlEncode(query));
      auto json = Json::parse(result.body, nullptr, false);
      if (result.status == 200 && !json.is_discarded() && json["status"] == "success" &&
          !json["data"]["result"].empty()) {
        std::string value = json["data"]["result"][0]["value"][1].get<std::string>();
        if (accept(std::stod(value))) return value;
      }
      // Not there yet. Prometheus tells nobody when it has scraped: polling its API is the
      // only way to see it, and the next scrape is at most a second away.
      std::this_thread::sleep_for(200ms);
    }
    return std::nullopt;
  }

 private:
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  bool ready_ = false;
};

TEST(PrometheusE2e, ScrapesBothServicesAndAnswersForTheReplyCounterAndTheFirstChunkQuantile) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=5"}));
  ASSERT_TRUE(pair.ok());
  TempDir dir;
  Prometheus prometheus(dir, pair.gateway_port(), pair.llm_metrics_port());
  ASSERT_TRUE(prometheus.ok()) << prometheus.Diagnostics();

  auto is_one = [](double v) { return v == 1; };
  EXPECT_TRUE(prometheus.WaitForValue("up{job=\"streamgate-gateway\"}", is_one).has_value())
      << prometheus.Diagnostics();
  EXPECT_TRUE(prometheus.WaitForValue("up{job=\"streamgate-llm-service\"}", is_one).has_value());

  WsTestClient client;
  ASSERT_NE(Open(client, pair.gateway_port()), "");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.SendJson(UserMessage("hello " + std::to_string(i))));
    ASSERT_TRUE(ReadReply(client).end.has_value());
  }
  EXPECT_TRUE(prometheus
                  .WaitForValue("streamgate_gateway_replies_total{outcome=\"completed\"}",
                                [](double v) { return v == 3; })
                  .has_value());
  EXPECT_TRUE(prometheus
                  .WaitForValue("sum(streamgate_llm_calls_total{provider=\"mock\",code=\"OK\"})",
                                [](double v) { return v == 3; })
                  .has_value());
  // A quantile over the last minute: a number of seconds, above the mock's 5 ms delay
  // before the first delta and well under the reply's whole length.
  auto p99 = prometheus.WaitForValue(
      "histogram_quantile(0.99, sum by (le) "
      "(increase(streamgate_gateway_reply_first_chunk_seconds_bucket[1m])))",
      [](double v) { return v >= 0.005 && v < 10; });
  EXPECT_TRUE(p99.has_value());
}

}  // namespace
}  // namespace streamgate::testing
