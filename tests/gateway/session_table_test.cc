#include "gateway/session_table.h"

#include <boost/asio/io_context.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/metrics/registry.h"
#include "common/sha256.h"
#include "gateway/auth/principal.h"
#include "gateway/chat_session.h"
#include "gateway/connection_registry.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_metrics.h"
#include "gateway/gateway_services.h"
#include "gateway/limits/identity_limits.h"
#include "gateway/llm_client.h"
#include "gateway/store/memory_session_store.h"
#include "gtest/gtest.h"
#include "tests/gateway/fake_peer.h"

namespace streamgate::gateway {
namespace {

using State = ChatSession::State;
using testing::FakePeer;

// The table with real sessions (no replies: an llm-service nobody listens for, whose
// state connection_established tells as unavailable), each attached to a fake peer
// and detached again where a test needs it. The budget's expiries are posted to the
// sessions' loop; the test thread runs them with poll().
class SessionTableTest : public ::testing::Test {
 protected:
  static constexpr size_t kBudget = 1000;

  SessionTableTest() {
    config_.resume_window = absl::Minutes(2);
    services_.config = &config_;
    services_.llm = &llm_;
    services_.identities = &identities_;
    services_.sessions = &table_;
    services_.store = &store_;
    services_.metrics = &metrics_;
  }

  // A new session, opened (which adds it to the table) and attached.
  std::shared_ptr<ChatSession> Open() {
    Principal principal;
    principal.identity = "user-a";
    auto session = std::make_shared<ChatSession>(
        services_, io_.get_executor(), std::make_shared<const Principal>(std::move(principal)));
    session->Open();
    auto peer = std::make_shared<FakePeer>();
    uint64_t attach_id = next_attach_id_++;
    peer->Bind(session, attach_id);
    session->Attach(peer, attach_id);
    peers_.push_back(peer);
    Poll();
    return session;
  }
  std::shared_ptr<ChatSession> OpenDetached() {
    auto session = Open();
    session->Detach(peers_.back()->attach_id());
    EXPECT_EQ(session->state(), State::kDetached);
    return session;
  }
  // Runs what is ready; restarts first, since a poll that ran out of work stops io_.
  void Poll() {
    io_.restart();
    io_.poll();
  }
  std::string TokenOf(size_t index) const {
    auto json = nlohmann::json::parse(*peers_[index]->delivered[0].text, nullptr, false);
    return json["resumeToken"].get<std::string>();
  }

  boost::asio::io_context io_;  // first: the sessions' timers go before it
  GatewayConfig config_;
  LlmClient llm_{"127.0.0.1:1"};  // port 1: nothing listens there
  IdentityLimits identities_{IdentityLimitRules{}};
  MemorySessionStore store_;
  SessionTable table_{kBudget};
  common::metrics::Registry metrics_registry_;
  ConnectionRegistry connections_;
  GatewayMetrics metrics_{metrics_registry_, connections_};
  GatewayServices services_;
  std::vector<std::shared_ptr<FakePeer>> peers_;
  uint64_t next_attach_id_ = 1;
};

TEST_F(SessionTableTest, FindsWhatWasAddedUntilItIsRemoved) {
  auto a = Open();
  auto b = Open();
  EXPECT_EQ(table_.size(), 2u);
  EXPECT_EQ(table_.Find(a->id()), a);
  EXPECT_EQ(table_.Find(b->id()), b);
  EXPECT_EQ(table_.Find("no-such-session"), nullptr);
  EXPECT_EQ(table_.Find(""), nullptr);
  std::set<std::string> seen;
  table_.ForEach([&](const std::shared_ptr<ChatSession>& s) { seen.insert(s->id()); });
  EXPECT_EQ(seen, (std::set<std::string>{a->id(), b->id()}));
  table_.Remove(a.get());
  EXPECT_EQ(table_.Find(a->id()), nullptr);
  EXPECT_EQ(table_.Find(b->id()), b);
  EXPECT_EQ(table_.size(), 1u);
  table_.Remove(a.get());  // twice: nothing
  EXPECT_EQ(table_.size(), 1u);
  // The table holds its sessions: dropped by everyone else, b is still there.
  std::weak_ptr<ChatSession> weak = b;
  std::string id = b->id();
  b.reset();
  EXPECT_FALSE(weak.expired());
  table_.Remove(table_.Find(id).get());
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(SessionTableTest, AddIfAbsentReturnsTheSessionAlreadyHeld) {
  auto live = Open();
  // The same session restored from the store by a concurrent resume.
  SessionSnapshot snapshot;
  snapshot.session.id = live->id();
  snapshot.session.identity = "user-a";
  snapshot.session.token_hash = common::Sha256("t");
  snapshot.session.last_seen_ms = absl::ToUnixMillis(absl::Now());
  Principal owner;
  owner.identity = "user-a";
  auto restored = std::make_shared<ChatSession>(services_, io_.get_executor(),
                                                std::make_shared<const Principal>(owner));
  restored->Restore(std::move(snapshot));
  ASSERT_EQ(restored->id(), live->id());
  EXPECT_EQ(table_.AddIfAbsent(restored), live);
  EXPECT_EQ(table_.size(), 1u);
  // Removing the one not held leaves the held one.
  table_.Remove(restored.get());
  EXPECT_EQ(table_.Find(live->id()), live);
  table_.Remove(live.get());
  EXPECT_EQ(table_.AddIfAbsent(restored), restored);
  EXPECT_EQ(table_.Find(live->id()), restored);
}

TEST_F(SessionTableTest, DetachedSessionsCountAgainstTheBudget) {
  auto attached = Open();
  auto a = OpenDetached();
  auto b = OpenDetached();
  // A detached session counts at least one byte (its log holds only a seq now).
  EXPECT_EQ(table_.detached_sessions(), 2u);
  EXPECT_EQ(table_.detached_bytes(), 2u);
  table_.SetDetachedBytes(a.get(), 300);
  table_.SetDetachedBytes(b.get(), 200);
  EXPECT_EQ(table_.detached_bytes(), 500u);
  table_.SetDetachedBytes(a.get(), 100);  // a size, not an increment
  EXPECT_EQ(table_.detached_bytes(), 300u);
  table_.SetDetachedBytes(attached.get(), 0);  // not detached: nothing to forget
  EXPECT_EQ(table_.detached_sessions(), 2u);
  // Attached again (a resume): out of the budget.
  auto peer = std::make_shared<FakePeer>();
  peer->Bind(a, 100);
  bool ok = false;
  a->Resume(peer, 100, {.token = TokenOf(1), .identity = "", .last_seq = 1},
            [&](ChatSession::ResumeResult result) { ok = result.ok; });
  ASSERT_TRUE(ok);
  EXPECT_EQ(table_.detached_sessions(), 1u);
  EXPECT_EQ(table_.detached_bytes(), 200u);
  // Removed (closed): out of it too.
  table_.Remove(b.get());
  EXPECT_EQ(table_.detached_sessions(), 0u);
  EXPECT_EQ(table_.detached_bytes(), 0u);
}

TEST_F(SessionTableTest, OverTheBudgetTheLongestDetachedExpireFirst) {
  auto attached = Open();
  auto first = OpenDetached();
  auto second = OpenDetached();
  auto third = OpenDetached();
  table_.SetDetachedBytes(third.get(), 600);
  table_.SetDetachedBytes(first.get(), 100);  // the smallest, but detached longest
  table_.SetDetachedBytes(second.get(), 300);
  EXPECT_EQ(table_.detached_bytes(), kBudget);  // at the budget is within it
  Poll();
  EXPECT_EQ(first->state(), State::kDetached);

  table_.SetDetachedBytes(second.get(), 301);
  // The expiry runs on the session's loop, not inside the call.
  EXPECT_EQ(first->state(), State::kDetached);
  Poll();
  EXPECT_EQ(first->state(), State::kClosed);
  EXPECT_EQ(second->state(), State::kDetached);
  EXPECT_EQ(third->state(), State::kDetached);
  EXPECT_EQ(attached->state(), State::kAttached);
  EXPECT_EQ(table_.Find(first->id()), nullptr);
  EXPECT_EQ(table_.detached_bytes(), 901u);
  EXPECT_EQ(table_.detached_sessions(), 2u);
  // Its resume now answers `expired`.
  auto peer = std::make_shared<FakePeer>();
  ChatSession::ResumeResult result;
  first->Resume(peer, 200, {.token = TokenOf(1), .identity = "", .last_seq = 1},
                [&](ChatSession::ResumeResult r) { result = r; });
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.failure, ResumeFailure::kExpired);
}

TEST_F(SessionTableTest, OneSessionOverTheWholeBudgetTakesTheOlderOnesWithIt) {
  auto attached = Open();
  auto older = OpenDetached();
  auto big = OpenDetached();
  auto newer = OpenDetached();
  table_.SetDetachedBytes(older.get(), 10);
  table_.SetDetachedBytes(newer.get(), 10);
  table_.SetDetachedBytes(big.get(), 2 * kBudget);
  Poll();
  // Oldest first until the rest fits: older, then big; newer stays.
  EXPECT_EQ(older->state(), State::kClosed);
  EXPECT_EQ(big->state(), State::kClosed);
  EXPECT_EQ(newer->state(), State::kDetached);
  EXPECT_EQ(attached->state(), State::kAttached);
  EXPECT_EQ(table_.detached_bytes(), 10u);
  EXPECT_EQ(table_.detached_sessions(), 1u);
  EXPECT_EQ(table_.size(), 2u);
}

TEST_F(SessionTableTest, ASessionReportsItsOwnDetachedLog) {
  auto session = Open();
  // Frames that will wait in its log: the client never acknowledged them.
  ClientMessage remove;
  remove.type = ClientMessage::Type::kDeleteConversation;
  remove.conversation_id = "none";  // unknown_conversation: an error that is replayed
  session->HandleMessage(remove);
  Poll();
  session->Detach(peers_.back()->attach_id());
  EXPECT_EQ(table_.detached_sessions(), 1u);
  EXPECT_EQ(table_.detached_bytes(), session->log_bytes());
  EXPECT_GT(session->log_bytes(), 0u);
}

}  // namespace
}  // namespace streamgate::gateway
