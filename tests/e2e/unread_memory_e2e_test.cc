// What clients that never read cost with replies multiplexed on one Chat stream: 100 of
// them pause only their own replies, and each costs the gateway a small multiple of what it
// is configured to hold (the replay log kept for a resume, the outbox, the credit in
// flight) and llm-service its per-reply queue and credit, whatever HTTP/2's windows would
// allow; the sessions beside them finish whole. (Each client's receive buffer is small, so
// the kernel does not absorb the replies before the gateway's bounds are reached.)
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"

namespace streamgate::testing {
namespace {

// Waits until lines matching `pattern` named `count` distinct first groups; returns how
// many it saw.
size_t WaitForDistinct(ChildProcess& process, const std::regex& pattern, size_t count) {
  std::set<std::string> seen;
  for (size_t from = 0, at = 0; seen.size() < count; from = at + 1) {
    auto group = process.WaitForLine(pattern, 60s, from, &at);
    if (!group.has_value()) break;
    seen.insert(*group);
  }
  return seen.size();
}

TEST(UnreadMemoryE2e, HundredUnreadClientsOnOneStreamCostTheirBoundsAndHoldUpNobody) {
  constexpr int kUnread = 100;
  constexpr int kReaders = 20;
  constexpr long kOutboundKb = 256;  // --max-outbound-bytes (the default)
  constexpr long kReplayKb = 256;    // --replay-max-bytes
  constexpr long kCreditKb = 64;     // MuxReplyBackend::kCreditBytes
  StreamgatePair pair(
      PairArgs({"--mock-chunk-delay-ms=0", "--mock-extra-words=1000000", "--log-level=debug"},
               {"--llm-streams=1", "--store=memory", "--log-level=debug", "--idle-timeout=120s",
                "--replay-max-bytes=262144",
                // The kernel's autotuned send buffer can take a whole reply of an unread
                // client before the gateway's own bound is reached (seen on a loaded CI
                // machine: no session paused at all). Bounded, the gateway's bounds are what
                // the test measures.
                "--socket-send-buffer-bytes=16384"}));
  ASSERT_TRUE(pair.ok());
  const long gateway_before = pair.gateway().ResidentKb();
  const long llm_before = pair.llm().ResidentKb();
  std::vector<std::unique_ptr<WsTestClient>> unread;
  for (int i = 0; i < kUnread; ++i) {
    unread.push_back(std::make_unique<WsTestClient>());
    ASSERT_TRUE(unread.back()->Connect(pair.gateway_port(), {.receive_buffer_bytes = 4096}));
    auto established = unread.back()->ReadUntilType("connection_established", 5s);
    ASSERT_TRUE(established.has_value());
    // On a loaded machine the gateway may accept before its stream to llm-service is up;
    // a reply asked for then fails fast instead of filling the outbox.
    if (i == 0) {
      const Json ready = {{"state", "ready"}, {"provider", "mock"}, {"model", "mock"}};
      ASSERT_TRUE(WaitForService(*unread.back(), (*established)["service"], ready, 20s));
    }
    ASSERT_TRUE(unread.back()->SendJson(UserMessage("a long reply nobody reads")));
  }
  // Each of them: the gateway pauses the reply, and the mock in llm-service pauses too.
  ASSERT_EQ(WaitForDistinct(pair.gateway(), std::regex("replies paused session=(\\S+)"), kUnread),
            size_t{kUnread});
  ASSERT_EQ(WaitForDistinct(pair.llm(), std::regex("mock paused request=(\\S+)"), kUnread),
            size_t{kUnread});
  const long gateway_growth = pair.gateway().ResidentKb() - gateway_before;
  const long llm_growth = pair.llm().ResidentKb() - llm_before;
  std::fprintf(stderr, "gateway +%ld KiB, llm-service +%ld KiB for %d unread\n", gateway_growth,
               llm_growth, kUnread);
  // What the gateway is configured to hold per session (the replay log, the outbox, the
  // credit in flight) is ~576 KiB; measured, 1.0-1.8 MiB of resident memory (the frame on
  // the socket, and allocator slack after the burst, which varies with the load around).
  // Before replies were cut off from the history past its bound it was ~3.9 MiB, and
  // per-call transport windows cost 8-9 MiB.
  EXPECT_LT(gateway_growth, kUnread * 4 * (kReplayKb + kOutboundKb + kCreditKb));
  // llm-service: the per-reply queue (--max-queued-bytes-per-call, 64 KiB) and the credit.
  EXPECT_LT(llm_growth, kUnread * 2 * (64 + kCreditKb));

  std::vector<std::unique_ptr<WsTestClient>> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.push_back(std::make_unique<WsTestClient>());
    ASSERT_FALSE(Open(*readers.back(), pair.gateway_port()).empty());
    ASSERT_TRUE(readers.back()->SendJson(UserMessage("reader " + std::to_string(i))));
  }
  for (int i = 0; i < kReaders; ++i) {
    Reply reply = ReadReply(*readers[i], 120s);
    ASSERT_TRUE(reply.end.has_value()) << i << (reply.error ? reply.error->dump() : " no end");
    EXPECT_EQ(reply.text.rfind("Echo: reader " + std::to_string(i) + " lorem", 0), 0u);
  }
}

}  // namespace
}  // namespace streamgate::testing
