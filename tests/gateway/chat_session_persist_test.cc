// When a session's frames reach the store: every fifth --store-flush-interval while a
// connection reads them, within one interval once a reply ended or the session detached.
// The bounds asserted are lower bounds (a frame is *not* there before the long wait) and
// arrivals long before the long wait would have written them, so a slow machine can only
// make them pass later, never fail.
#include <optional>
#include <string>

#include "gateway/store/memory_session_store.h"
#include "gateway/store/session_store.h"
#include "gtest/gtest.h"
#include "tests/gateway/chat_session_fixture.h"

namespace streamgate::gateway::testing {
namespace {

// One interval is 1 s, so the attached wait is 5 s.
constexpr absl::Duration kInterval = absl::Seconds(1);

class ChatSessionPersistTest : public ChatSessionTest {
 protected:
  ChatSessionPersistTest() { config_.store_flush_interval = kInterval; }

  // Whether the store holds a frame of `session` containing `text`.
  bool Stored(const ChatSession& session, const std::string& text) {
    std::optional<SessionSnapshot> out;
    store_.Load(session.id(),
                [&](std::optional<SessionSnapshot> snapshot) { out = std::move(snapshot); });
    if (!out) return false;
    for (const StoredFrame& frame : out->replay) {
      if (frame.frame.find(text) != std::string::npos) return true;
    }
    return false;
  }

  // A session with a reply streaming into an attached peer, its first delta delivered.
  void StartReply() {
    session_ = OpenAttached(&peer_);
    UserMessage(*session_, "hi");
    call_ = WaitForCall(0);
    ASSERT_NE(call_, nullptr);
    call_->Started();
    call_->Delta("first-delta");
    ASSERT_TRUE(WaitForFrames(*peer_, 3));
  }

  std::shared_ptr<ChatSession> session_;
  std::shared_ptr<FakePeer> peer_;
  std::shared_ptr<FakeReplyCall> call_;
};

TEST_F(ChatSessionPersistTest, AnAttachedReplysFramesWaitFiveIntervals) {
  StartReply();
  // One interval and a half: an every-interval flush would have written it by now.
  EXPECT_FALSE(RunUntil([&] { return Stored(*session_, "first-delta"); }, kInterval * 1.5));
  EXPECT_TRUE(RunUntil([&] { return Stored(*session_, "first-delta"); }));
}

TEST_F(ChatSessionPersistTest, AReplysEndGoesWithinOneInterval) {
  StartReply();
  call_->Completed("end_turn", 1, 1);
  call_->Finish();
  ASSERT_TRUE(WaitForFrames(*peer_, 4));
  // The attached wait armed at the first delta ends 5 s after it; the reply's end (and the
  // delta before it) must come with the next interval instead.
  EXPECT_TRUE(RunUntil([&] { return Stored(*session_, "stream_end"); }, kInterval * 3));
  EXPECT_TRUE(Stored(*session_, "first-delta"));
}

TEST_F(ChatSessionPersistTest, ADetachWritesTheReplyWithinOneInterval) {
  StartReply();
  session_->Detach(peer_->attach_id());
  // Detached, the store's copy is what a resume after a restart gets: the attached wait
  // armed at the first delta gives way to one interval.
  EXPECT_TRUE(RunUntil([&] { return Stored(*session_, "first-delta"); }, kInterval * 3));
}

}  // namespace
}  // namespace streamgate::gateway::testing
