// Both services' /metrics after real traffic: the series move with what happened, and
// Debian's promtool accepts each exposition without a lint finding.
#include <regex>
#include <string>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/streamgate_pair.h"
#include "tests/support/ws_test_client.h"

namespace streamgate::testing {
namespace {

class MetricsE2e : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(pair_.ok()); }

  std::string Scrape(int port) {
    HttpResult result = HttpGet(port, "/metrics");
    EXPECT_EQ(result.status, 200);
    EXPECT_EQ(result.content_type, "text/plain; version=0.0.4; charset=utf-8");
    return result.body;
  }
  double Gateway(const std::string& series) {
    return SampleValue(Scrape(pair_.gateway_port()), series).value_or(-1);
  }

  StreamgatePair pair_{PairArgs({"--mock-chunk-delay-ms=0"})};
};

TEST_F(MetricsE2e, BothEndpointsPassPromtoolAfterTraffic) {
  WsTestClient client;
  ASSERT_NE(Open(client, pair_.gateway_port()), "");
  ASSERT_TRUE(client.SendJson(UserMessage("hello")));
  ASSERT_TRUE(ReadReply(client).end.has_value());

  for (int port : {pair_.gateway_port(), pair_.llm_metrics_port()}) {
    std::string text = Scrape(port);
    PromtoolResult checked = PromtoolCheckMetrics(text);
    EXPECT_EQ(checked.exit_status, 0) << "port " << port << ": " << checked.output;
    EXPECT_EQ(checked.output, "") << "port " << port << " lint findings";
    EXPECT_GT(SampleValue(text, "process_resident_memory_bytes").value_or(0), 0) << text;
    EXPECT_GE(SampleValue(text, "process_open_fds").value_or(0), 3) << text;
    EXPECT_NE(text.find("streamgate_build_info{version=\""), std::string::npos) << text;
  }
  // The pair's memory store: its queue and counters are there, empty once flushed.
  std::string gateway = Scrape(pair_.gateway_port());
  EXPECT_TRUE(SampleValue(gateway, "streamgate_gateway_store_queued_bytes").has_value());
  EXPECT_EQ(SampleValue(gateway, "streamgate_gateway_store_dropped_frames_total"), 0);
}

TEST_F(MetricsE2e, AReplyMovesUpgradesFramesRepliesAndCalls) {
  WsTestClient client;
  ASSERT_NE(Open(client, pair_.gateway_port()), "");
  EXPECT_EQ(Gateway("streamgate_gateway_connections"), 1);
  EXPECT_EQ(Gateway("streamgate_gateway_upgrades_total{result=\"accepted\"}"), 1);
  ASSERT_TRUE(client.SendJson(UserMessage("hello")));
  ASSERT_TRUE(ReadReply(client).end.has_value());
  EXPECT_EQ(Gateway("streamgate_gateway_client_frames_total{type=\"user_message\"}"), 1);
  EXPECT_EQ(Gateway("streamgate_gateway_replies_total{outcome=\"completed\"}"), 1);
  EXPECT_EQ(Gateway("streamgate_gateway_llm_calls_total{code=\"OK\"}"), 1);
  EXPECT_EQ(Gateway("streamgate_gateway_replies_total{outcome=\"error\"}"), 0);
  EXPECT_EQ(Gateway("streamgate_gateway_reply_first_chunk_seconds_count"), 1);
  // llm-service said how long its provider took: the gateway's share is the rest.
  EXPECT_EQ(Gateway("streamgate_gateway_reply_first_chunk_added_seconds_count"), 1);
  EXPECT_LT(Gateway("streamgate_gateway_reply_first_chunk_added_seconds_sum"),
            Gateway("streamgate_gateway_reply_first_chunk_seconds_sum"));
  EXPECT_EQ(Gateway("streamgate_gateway_reply_duration_seconds_count{outcome=\"completed\"}"), 1);
  EXPECT_EQ(Gateway("streamgate_gateway_outbound_queued_bytes"), 0);
  client.Close();
  // The close is the gateway's to see; the gauge follows once it has.
  double open = 1;
  for (int i = 0; i < 200 && open != 0; ++i) {
    open = Gateway("streamgate_gateway_connections");
    if (open != 0) client.ReadJson(10ms);  // a short wait on a closed client, not a sleep
  }
  EXPECT_EQ(open, 0);
}

TEST_F(MetricsE2e, BadFramesAndRefusedUpgradesAreCountedByKind) {
  WsTestClient client;
  ASSERT_NE(Open(client, pair_.gateway_port()), "");
  ASSERT_TRUE(client.SendText("{not json"));
  ASSERT_TRUE(client.ReadUntilType("error").has_value());
  ASSERT_TRUE(client.SendBinary("\x01\x02"));
  ASSERT_TRUE(client.ReadUntilType("error").has_value());
  ASSERT_TRUE(client.SendJson({{"type", "cancel"}}));
  ASSERT_TRUE(client.ReadUntilType("error").has_value());
  EXPECT_EQ(Gateway("streamgate_gateway_client_frames_total{type=\"invalid\"}"), 1);
  EXPECT_EQ(Gateway("streamgate_gateway_client_frames_total{type=\"binary\"}"), 1);
  EXPECT_EQ(Gateway("streamgate_gateway_client_frames_total{type=\"cancel\"}"), 1);
  EXPECT_EQ(Gateway("streamgate_gateway_errors_sent_total{code=\"invalid_json\"}"), 1);
  EXPECT_EQ(Gateway("streamgate_gateway_errors_sent_total{code=\"unsupported_frame\"}"), 1);
  EXPECT_EQ(Gateway("streamgate_gateway_errors_sent_total{code=\"nothing_to_cancel\"}"), 1);

  WsTestClient foreign;
  WsTestClient::ConnectOptions options;
  options.headers = {{"Origin", "https://elsewhere.example"}};
  EXPECT_FALSE(foreign.Connect(pair_.gateway_port(), options));
  EXPECT_EQ(foreign.handshake_status(), 403);
  EXPECT_EQ(Gateway("streamgate_gateway_upgrades_total{result=\"forbidden_origin\"}"), 1);
}

TEST_F(MetricsE2e, ACancelledReplyIsCountedAsCancelledWithItsCall) {
  StreamgatePair slow(PairArgs({"--mock-chunk-delay-ms=50", "--mock-extra-words=200"}));
  ASSERT_TRUE(slow.ok());
  WsTestClient client;
  ASSERT_NE(Open(client, slow.gateway_port()), "");
  ASSERT_TRUE(client.SendJson(UserMessage("hello")));
  ASSERT_TRUE(client.ReadUntilType("stream_chunk").has_value());
  ASSERT_TRUE(client.SendJson({{"type", "cancel"}}));
  ASSERT_TRUE(client.ReadUntilType("stream_end", 10s).has_value());
  std::string text = Scrape(slow.gateway_port());
  EXPECT_EQ(SampleValue(text, "streamgate_gateway_replies_total{outcome=\"cancelled\"}"), 1);
  EXPECT_EQ(SampleValue(text, "streamgate_gateway_llm_calls_total{code=\"CANCELLED\"}"), 1);
  EXPECT_EQ(SampleValue(text, "streamgate_gateway_replies_total{outcome=\"completed\"}"), 0);
  EXPECT_EQ(SampleValue(text, "streamgate_gateway_cancel_seconds_count"), 1);
  // The reply had streamed before the cancel: a first chunk and gaps after it.
  EXPECT_EQ(SampleValue(text, "streamgate_gateway_reply_first_chunk_seconds_count"), 1);
  // The mock waited 50 ms before its first delta: in the first chunk's time, not in the
  // gateway's share of it.
  double first = SampleValue(text, "streamgate_gateway_reply_first_chunk_seconds_sum").value_or(0);
  double added =
      SampleValue(text, "streamgate_gateway_reply_first_chunk_added_seconds_sum").value_or(1);
  EXPECT_GE(first, 0.050);
  EXPECT_LT(added, first - 0.045);
}

TEST_F(MetricsE2e, LlmServiceUpFollowsTheChannelToIt) {
  // Connected once a client asked for a reply (the channel connects on demand).
  WsTestClient client;
  ASSERT_NE(Open(client, pair_.gateway_port()), "");
  ASSERT_TRUE(client.SendJson(UserMessage("hello")));
  ASSERT_TRUE(ReadReply(client).end.has_value());
  EXPECT_EQ(Gateway("streamgate_gateway_llm_service_up"), 1);
  size_t from = pair_.gateway().LineCount();
  pair_.KillLlm();
  ASSERT_TRUE(
      pair_.gateway().WaitForLine(std::regex("llm-service unreachable"), 10s, from).has_value())
      << pair_.gateway().OutputForDiagnostics();
  EXPECT_EQ(Gateway("streamgate_gateway_llm_service_up"), 0);
}

TEST_F(MetricsE2e, LlmServiceServesOnlyMetricsOnItsPort) {
  EXPECT_EQ(HttpGet(pair_.llm_metrics_port(), "/").status, 404);
  EXPECT_EQ(HttpGet(pair_.llm_metrics_port(), "/metrics?debug=1").status, 200);
}

}  // namespace
}  // namespace streamgate::testing
