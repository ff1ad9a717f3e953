// WsChatBackend against a scripted fake gateway on loopback: each accepted connection runs
// the next script (on the fake's thread, with blocking Beast calls), while the backend runs
// on the test thread's io_context until what the test waits for has happened.
#include "tools/streamgate-cli/ws_chat_backend.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "gtest/gtest.h"

namespace streamgate::cli {
namespace {

namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;
using Json = nlohmann::json;
using namespace std::chrono_literals;

// One connection as the fake gateway sees it.
class Peer {
 public:
  explicit Peer(tcp::socket socket) : ws_(std::move(socket)) {
    timeval timeout{.tv_sec = 5, .tv_usec = 0};  // a script waiting in vain fails, not hangs
    setsockopt(ws_.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout,
               sizeof(timeout));
    boost::beast::error_code ec;
    ws_.accept(ec);
    EXPECT_FALSE(ec) << ec.message();
  }
  Json Read() {
    boost::beast::flat_buffer buffer;
    boost::beast::error_code ec;
    ws_.read(buffer, ec);
    if (ec) return Json();
    return Json::parse(boost::beast::buffers_to_string(buffer.data()), nullptr, false);
  }
  void Send(const Json& frame) {
    boost::beast::error_code ec;
    ws_.text(true);
    ws_.write(net::buffer(frame.dump()), ec);
  }
  // A close the gateway starts, with this code.
  void Close(uint16_t code, const std::string& reason) {
    boost::beast::error_code ec;
    ws_.close(websocket::close_reason(static_cast<websocket::close_code>(code), reason), ec);
  }
  // The network fails: a reset, no close frame.
  void Drop() {
    boost::system::error_code ignored;
    ws_.next_layer().set_option(net::socket_base::linger(true, 0), ignored);
    ws_.next_layer().close(ignored);
  }

 private:
  websocket::stream<tcp::socket> ws_;
};

Json Frame(const std::string& type, const std::string& session, uint64_t seq, Json extra = {}) {
  Json frame = {{"type", type}, {"sessionId", session}, {"seq", seq}};
  if (extra.is_object()) frame.update(extra);
  return frame;
}
Json Chunk(const std::string& session, uint64_t seq, const std::string& text) {
  return Frame("stream_chunk", session, seq, {{"conversationId", "default"}, {"content", text}});
}
Json End(const std::string& session, uint64_t seq) {
  return Frame("stream_end", session, seq, {{"conversationId", "default"}});
}

class ScriptedGateway {
 public:
  using Script = std::function<void(Peer&)>;
  explicit ScriptedGateway(std::vector<Script> scripts)
      : acceptor_(io_, tcp::endpoint(net::ip::address_v4::loopback(), 0)) {
    thread_ = std::thread([this, scripts = std::move(scripts)] {
      for (const Script& script : scripts) {
        boost::system::error_code ec;
        tcp::socket socket = acceptor_.accept(ec);
        if (ec) return;
        Peer peer(std::move(socket));
        script(peer);
      }
    });
  }
  ~ScriptedGateway() {
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes a blocked accept
    thread_.join();
  }
  Endpoint endpoint() const {
    Endpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = acceptor_.local_endpoint().port();
    endpoint.path = "/ws";
    return endpoint;
  }

 private:
  net::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

struct RecordingListener : ChatListener {
  void OnReady(const std::string&) override { ready = true; }
  void OnRawEvent(std::string_view line) override { raw += std::string(line) + "\n"; }
  void OnReplyText(std::string_view piece) override { text += piece; }
  void OnReplyEnd(const ReplyEnd& end) override { ends.push_back(end); }
  void OnNotice(const std::string& text) override { notices += text + "\n"; }
  void OnConnectionLost(const std::string& reason) override { lost = reason; }
  bool ready = false;
  std::string raw, text, notices, lost;
  std::vector<ReplyEnd> ends;
};

class WsChatBackendTest : public ::testing::Test {
 protected:
  void StartBackend(const ScriptedGateway& gateway) {
    WsChatBackend::Options options;
    options.connect_timeout = absl::Seconds(5);
    options.reconnect_timeout = absl::Seconds(10);
    backend_ = std::make_unique<WsChatBackend>(io_, gateway.endpoint(), options, &listener_);
    backend_->Start();
    ASSERT_TRUE(RunUntil([&] { return listener_.ready; }));
  }
  // Runs the backend's handlers until `done` holds or five seconds pass.
  bool RunUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_one_for(100ms);
    }
    return true;
  }
  // Drops the backend's connection, so the fake's last read ends at once (call it before
  // the test's ScriptedGateway goes away).
  void Finish() {
    if (backend_) backend_->Shutdown(false, nullptr);
    io_.poll();
  }
  void TearDown() override { Finish(); }

  net::io_context io_;
  RecordingListener listener_;
  std::unique_ptr<WsChatBackend> backend_;
};

TEST_F(WsChatBackendTest, ResumesFirstAndSkipsWhatItHadSeen) {
  Json resume;
  ScriptedGateway gateway(
      {[](Peer& peer) {
         peer.Send(Frame("connection_established", "S", 1, {{"resumeToken", "T1"}}));
         EXPECT_EQ(peer.Read()["type"], "user_message");
         peer.Send(Frame("stream_start", "S", 2, {{"conversationId", "default"}}));
         peer.Send(Chunk("S", 3, "one "));
         peer.Read();  // until the test says: then the connection breaks
         peer.Drop();
       },
       [&](Peer& peer) {
         resume = peer.Read();  // before anything is sent: the resume must come first
         peer.Send(Frame("connection_established", "F", 1, {{"resumeToken", "TF"}}));
         peer.Send(Chunk("S", 3, "one "));  // a replay from too early: skipped
         peer.Send(Chunk("S", 4, "two"));
         peer.Send(Frame("session_resumed", "S", 5, {{"replayed", 2}, {"resumeToken", "T2"}}));
         peer.Send(End("S", 6));
         peer.Read();
       }});
  StartBackend(gateway);
  backend_->Ask("q");
  ASSERT_TRUE(RunUntil([&] { return listener_.text == "one "; }));
  backend_->Cancel();  // any frame will do to move the script on; the cancel is lost
  ASSERT_TRUE(RunUntil([&] { return !listener_.ends.empty(); })) << listener_.notices;
  EXPECT_EQ(resume,
            (Json{{"type", "resume"}, {"sessionId", "S"}, {"resumeToken", "T1"}, {"lastSeq", 3}}));
  EXPECT_EQ(listener_.text, "one two");
  // The cancel was re-sent after the resume; the gateway here ends the reply normally.
  EXPECT_EQ(listener_.ends[0].outcome, ReplyEnd::Outcome::kCompleted);
  EXPECT_NE(listener_.notices.find("resumed session S (2 frames replayed)"), std::string::npos)
      << listener_.notices;
  EXPECT_EQ(listener_.raw.find("T1"), std::string::npos) << listener_.raw;
  EXPECT_EQ(listener_.raw.find("T2"), std::string::npos) << listener_.raw;
  EXPECT_EQ(listener_.raw.find("\"F\""), std::string::npos) << "the fresh session is not shown";
  EXPECT_TRUE(listener_.lost.empty());
  Finish();
}

TEST_F(WsChatBackendTest, AMessageLostInTransitIsSentAgainAndABusyAnswerIsNotAFailure) {
  std::vector<Json> received;
  ScriptedGateway gateway(
      {[](Peer& peer) {
         peer.Send(Frame("connection_established", "S", 1, {{"resumeToken", "T1"}}));
         EXPECT_EQ(peer.Read()["type"], "user_message");
         peer.Drop();  // before any frame of the reply: the client cannot know it arrived
       },
       [&](Peer& peer) {
         peer.Send(Frame("connection_established", "F", 1, {{"resumeToken", "TF"}}));
         received.push_back(peer.Read());
         peer.Send(Frame("session_resumed", "S", 2, {{"replayed", 0}, {"resumeToken", "T2"}}));
         received.push_back(peer.Read());
         // The first one had arrived after all and is running.
         peer.Send(Frame("error", "S", 3, {{"code", "busy"}, {"conversationId", "default"}}));
         peer.Send(Frame("stream_start", "S", 4, {{"conversationId", "default"}}));
         peer.Send(Chunk("S", 5, "answer"));
         peer.Send(End("S", 6));
         peer.Read();
       }});
  StartBackend(gateway);
  backend_->Ask("are you there?");
  ASSERT_TRUE(RunUntil([&] { return !listener_.ends.empty(); })) << listener_.notices;
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0]["type"], "resume");
  EXPECT_EQ(received[1]["type"], "user_message");
  EXPECT_EQ(received[1]["content"], "are you there?");
  EXPECT_EQ(received[1]["conversationId"], "default");
  EXPECT_EQ(listener_.ends[0].outcome, ReplyEnd::Outcome::kCompleted);
  EXPECT_EQ(listener_.text, "answer");
  Finish();
}

TEST_F(WsChatBackendTest, AFailedResumeFailsTheReplyAndGoesOnAsTheFreshSession) {
  Json next;
  ScriptedGateway gateway(
      {[](Peer& peer) {
         peer.Send(Frame("connection_established", "S", 1, {{"resumeToken", "T1"}}));
         peer.Read();
         peer.Send(Frame("stream_start", "S", 2, {{"conversationId", "default"}}));
         peer.Drop();
       },
       [&](Peer& peer) {
         peer.Send(Frame("connection_established", "F", 1, {{"resumeToken", "TF"}}));
         peer.Read();
         peer.Send(Frame("error", "F", 2, {{"code", "resume_failed"}, {"reason", "expired"}}));
         next = peer.Read();
       }});
  StartBackend(gateway);
  backend_->Ask("q");
  ASSERT_TRUE(RunUntil([&] { return !listener_.ends.empty(); })) << listener_.notices;
  EXPECT_EQ(listener_.ends[0].outcome, ReplyEnd::Outcome::kFailed);
  EXPECT_NE(listener_.notices.find("could not resume session S (expired): going on as new "
                                   "session F"),
            std::string::npos)
      << listener_.notices;
  ASSERT_TRUE(backend_->SelectConversation("other").ok());
  backend_->Ask("again");
  ASSERT_TRUE(RunUntil([&] { return next.is_object(); }));
  EXPECT_EQ(next["sessionId"], "F");
  EXPECT_EQ(next["conversationId"], "other");
  EXPECT_EQ(listener_.raw.find("TF"), std::string::npos) << listener_.raw;
  Finish();
}

TEST_F(WsChatBackendTest, ASessionTakenOverElsewhereIsNotTakenBack) {
  ScriptedGateway gateway({[](Peer& peer) {
    peer.Send(Frame("connection_established", "S", 1, {{"resumeToken", "T1"}}));
    peer.Read();
    peer.Close(4000, "session resumed elsewhere");
  }});
  StartBackend(gateway);
  backend_->Ask("q");
  ASSERT_TRUE(RunUntil([&] { return !listener_.lost.empty(); })) << listener_.notices;
  EXPECT_EQ(listener_.lost,
            "the gateway closed the connection: code 4000 (session resumed elsewhere)");
  EXPECT_EQ(listener_.notices, "");
  Finish();
}

}  // namespace
}  // namespace streamgate::cli
