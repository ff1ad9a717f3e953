// Who may connect, end to end: API keys (header and subprotocol), tickets, revocation and
// rotation on SIGHUP, Origin, and the start-up rules for non-loopback binds.
#include <signal.h>
#include <sys/wait.h>

#include <regex>
#include <thread>

#include "common/credential_file.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/support/temp_dir.h"

namespace streamgate::testing {
namespace {

namespace http = boost::beast::http;

WsTestClient::ConnectOptions WithBearer(const std::string& credential) {
  WsTestClient::ConnectOptions options;
  options.headers = {{"Authorization", "Bearer " + credential}};
  return options;
}

// Reads until the server closes; its close code (0 when the connection just dropped).
int CloseCode(WsTestClient& client, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!client.ReadJson(1s).has_value() && client.last_error() != boost::beast::error::timeout) {
      return client.server_close_reason().code;
    }
  }
  return -1;
}

// No line the process printed contains `secret`.
void ExpectNeverLogged(ChildProcess& process, const std::string& secret) {
  for (const auto& line : process.Lines()) {
    ASSERT_EQ(line.find(secret), std::string::npos) << "logged a secret: " << line;
  }
}

class ApiKeysE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = *common::MakeCredential("alice");
    bob_ = *common::MakeCredential("bob");
    keys_file_ = dir_.Write("keys.txt", "# test keys\n" + alice_.line + "\n" + bob_.line + "\n");
    Start({});
  }

  void Start(std::vector<std::string> extra) {
    std::vector<std::string> args = {"--auth=api-keys", "--api-keys-file=" + keys_file_};
    args.insert(args.end(), extra.begin(), extra.end());
    pair_ = std::make_unique<StreamgatePair>(PairArgs(llm_args_, args));
    ASSERT_TRUE(pair_->ok());
  }

  // Opens a session with `credential` in the Authorization header; "" on failure.
  std::string OpenAs(WsTestClient& client, const std::string& credential) {
    if (!client.Connect(pair_->gateway_port(), WithBearer(credential))) return "";
    auto hello = client.ReadJson();
    return hello.has_value() ? hello->value("sessionId", "") : "";
  }

  void Reload(const std::string& keys) {
    dir_.Write("keys.txt", keys);
    size_t from = pair_->gateway().LineCount();
    pair_->gateway().Signal(SIGHUP);
    ASSERT_TRUE(pair_->gateway().WaitForLine(std::regex("reloaded ok=true"), 5s, from).has_value());
  }

  void ExpectNoSecretLogged() {
    for (const auto* key : {&alice_, &bob_}) {
      ExpectNeverLogged(pair_->gateway(), key->secret);
      // The random part alone, after "sg_<id>_" (base64url has '_' of its own: cutting at
      // the last one could leave a character or two, found in any timestamp).
      ExpectNeverLogged(pair_->gateway(), key->secret.substr(key->id.size() + 4));
    }
  }

  TempDir dir_;
  std::vector<std::string> llm_args_ = {"--mock-chunk-delay-ms=0"};
  common::NewCredential alice_;
  common::NewCredential bob_;
  std::string keys_file_;
  std::unique_ptr<StreamgatePair> pair_;
};

TEST_F(ApiKeysE2e, EveryBadCredentialGetsTheSame401BeforeTheUpgrade) {
  std::string wrong_secret = alice_.secret.substr(0, alice_.secret.size() - 4) + "AAAA";
  std::vector<WsTestClient::ConnectOptions> attempts = {
      WsTestClient::ConnectOptions{},                         // no credential
      WithBearer(wrong_secret),                               // a known id, the wrong secret
      WithBearer("sg_000000000000_" + std::string(43, 'x')),  // an unknown id
      WithBearer("not-a-key"),                                // malformed
  };
  WsTestClient::ConnectOptions basic;
  basic.headers = {{"Authorization", "Basic YWxpY2U6c2VjcmV0"}};
  attempts.push_back(basic);
  WsTestClient::ConnectOptions ticket;
  ticket.path = "/ws?ticket=sgt_madeup";
  attempts.push_back(ticket);
  for (const auto& attempt : attempts) {
    WsTestClient client;
    EXPECT_FALSE(client.Connect(pair_->gateway_port(), attempt));
    EXPECT_EQ(client.handshake_status(), 401);
    EXPECT_EQ(client.response_body(), "{\"error\":\"unauthorized\"}\n");
    EXPECT_EQ(client.response_header("WWW-Authenticate"), "Bearer realm=\"streamgate\"");
  }
  // Each refusal counted once, by why: none sent, a ticket, keys not accepted; the reasons
  // say which kind of credential failed, never which one.
  auto failures = [&](const std::string& reason) {
    return GatewayMetric(pair_->gateway_port(),
                         "streamgate_gateway_auth_failures_total{reason=\"" + reason + "\"}");
  };
  EXPECT_EQ(failures("missing"), 1);
  EXPECT_EQ(failures("ticket"), 1);
  EXPECT_GE(failures("rejected"), 2);
  EXPECT_EQ(failures("missing") + failures("ticket") + failures("rejected") + failures("malformed"),
            6);
  EXPECT_EQ(GatewayMetric(pair_->gateway_port(),
                          "streamgate_gateway_upgrades_total{result=\"unauthenticated\"}"),
            6);
  ExpectNeverLogged(pair_->gateway(), wrong_secret);
  ExpectNoSecretLogged();
}

TEST_F(ApiKeysE2e, AKeyInTheHeaderOpensASessionThatStreams) {
  WsTestClient client;
  std::string id = OpenAs(client, alice_.secret);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(client.response_header("Sec-WebSocket-Protocol"), "");  // none offered, none echoed
  ASSERT_TRUE(client.SendJson(UserMessage("hello there")));
  Reply reply = ReadReply(client);
  ASSERT_TRUE(reply.end.has_value());
  EXPECT_EQ(reply.text, "Echo: hello there");
  EXPECT_TRUE(pair_->gateway()
                  .WaitForLine(std::regex("session open session=" + id + " .*identity=alice"), 5s)
                  .has_value());
  ExpectNoSecretLogged();
}

TEST_F(ApiKeysE2e, ABrowserOffersTheKeyAsASubprotocolAndOnlyTheProtocolNameIsEchoed) {
  WsTestClient client;
  WsTestClient::ConnectOptions options;
  options.subprotocols = "streamgate.v1, streamgate.bearer." + alice_.secret;
  ASSERT_TRUE(client.Connect(pair_->gateway_port(), options));
  EXPECT_EQ(client.response_header("Sec-WebSocket-Protocol"), "streamgate.v1");
  ASSERT_TRUE(client.ReadUntilType("connection_established").has_value());
  ASSERT_TRUE(client.SendJson(UserMessage("via subprotocol")));
  EXPECT_TRUE(ReadReply(client).end.has_value());
  ExpectNoSecretLogged();
}

TEST_F(ApiKeysE2e, ATicketWorksOnceAndOnlyWithACredential) {
  int port = pair_->gateway_port();
  EXPECT_EQ(HttpRequest(port, http::verb::post, "/v1/tickets").status, 401);
  EXPECT_EQ(
      HttpRequest(port, http::verb::post, "/v1/tickets", {{"Authorization", "Bearer sg_nope_nope"}})
          .status,
      401);
  EXPECT_EQ(HttpRequest(port, http::verb::get, "/v1/tickets").status, 405);
  auto issued = HttpRequest(port, http::verb::post, "/v1/tickets",
                            {{"Authorization", "Bearer " + alice_.secret}});
  ASSERT_EQ(issued.status, 200) << issued.body;
  EXPECT_EQ(issued.headers["cache-control"], "no-store");
  Json body = Json::parse(issued.body);
  std::string ticket = body["ticket"];
  EXPECT_EQ(body["expiresInMs"], 30000);
  WsTestClient::ConnectOptions with_ticket;
  with_ticket.path = "/ws?ticket=" + ticket;
  WsTestClient first;
  ASSERT_TRUE(first.Connect(port, with_ticket));
  ASSERT_TRUE(first.ReadUntilType("connection_established").has_value());
  ASSERT_TRUE(first.SendJson(UserMessage("ticketed")));
  EXPECT_TRUE(ReadReply(first).end.has_value());
  EXPECT_TRUE(pair_->gateway().WaitForLine(std::regex("session open .*identity=alice"), 5s));
  WsTestClient second;
  EXPECT_FALSE(second.Connect(port, with_ticket));
  EXPECT_EQ(second.handshake_status(), 401);
  EXPECT_EQ(GatewayMetric(port, "streamgate_gateway_auth_failures_total{reason=\"ticket\"}"), 1);
  EXPECT_EQ(GatewayMetric(port, "streamgate_gateway_auth_failures_total{reason=\"missing\"}"),
            1);  // the POST without a credential
  ExpectNeverLogged(pair_->gateway(), ticket);
  ExpectNeverLogged(pair_->gateway(), ticket.substr(4));
  ExpectNoSecretLogged();
}

// An identity holds at most 100 live tickets (TicketStore's max_per_identity): the next
// request is refused with 429 and counted, and another identity is not held up by it.
TEST_F(ApiKeysE2e, AnIdentityWithAHundredLiveTicketsIsRefusedTheNext) {
  Start({"--limit-upgrades-per-second=0"});  // the address's rate would refuse first
  int port = pair_->gateway_port();
  auto post = [&](const std::string& secret) {
    return HttpRequest(port, http::verb::post, "/v1/tickets",
                       {{"Authorization", "Bearer " + secret}});
  };
  for (int i = 0; i < 100; ++i) ASSERT_EQ(post(alice_.secret).status, 200) << i;
  EXPECT_EQ(GatewayMetric(port, "streamgate_gateway_rate_limited_total{limit=\"tickets\"}"), 0);
  auto refused = post(alice_.secret);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.body.find("ticket\""), std::string::npos) << refused.body;
  EXPECT_EQ(GatewayMetric(port, "streamgate_gateway_rate_limited_total{limit=\"tickets\"}"), 1);
  EXPECT_EQ(post(bob_.secret).status, 200);
  EXPECT_TRUE(pair_->gateway().WaitForLine(std::regex("refused .*identity=alice"), 5s))
      << pair_->gateway().OutputForDiagnostics();
  ExpectNoSecretLogged();
}

TEST_F(ApiKeysE2e, ATicketDiesAfterItsLifetime) {
  Start({"--ticket-lifetime=300ms"});
  auto issued = HttpRequest(pair_->gateway_port(), http::verb::post, "/v1/tickets",
                            {{"Authorization", "Bearer " + alice_.secret}});
  ASSERT_EQ(issued.status, 200);
  EXPECT_EQ(Json::parse(issued.body)["expiresInMs"], 300);
  // The behaviour under test is the passing of time itself.
  std::this_thread::sleep_for(400ms);
  WsTestClient client;
  WsTestClient::ConnectOptions late;
  late.path = "/ws?ticket=" + Json::parse(issued.body)["ticket"].get<std::string>();
  EXPECT_FALSE(client.Connect(pair_->gateway_port(), late));
  EXPECT_EQ(client.handshake_status(), 401);
}

TEST_F(ApiKeysE2e, SighupEndsTheSessionsOfARemovedKeyAtOnceAndKeepsTheOthers) {
  WsTestClient alice, bob;
  ASSERT_FALSE(OpenAs(alice, alice_.secret).empty());
  ASSERT_FALSE(OpenAs(bob, bob_.secret).empty());
  Reload(bob_.line + "\n");
  EXPECT_EQ(CloseCode(alice), 4001);
  EXPECT_EQ(alice.server_close_reason().reason, "credential revoked");
  ASSERT_TRUE(bob.SendJson(UserMessage("still here")));
  EXPECT_TRUE(ReadReply(bob).end.has_value());
  WsTestClient again;
  EXPECT_FALSE(again.Connect(pair_->gateway_port(), WithBearer(alice_.secret)));
  EXPECT_EQ(again.handshake_status(), 401);
  ExpectNoSecretLogged();
}

TEST_F(ApiKeysE2e, AKeyRotatedUnderTrafficKeepsItsRunningReply) {
  llm_args_ = {"--mock-chunk-delay-ms=10", "--mock-extra-words=150"};
  Start({});
  WsTestClient alice;
  ASSERT_FALSE(OpenAs(alice, alice_.secret).empty());
  ASSERT_TRUE(alice.SendJson(UserMessage("long one")));
  ASSERT_TRUE(alice.ReadUntilType("stream_chunk").has_value());
  common::NewCredential carol = *common::MakeCredential("carol");
  // bob's key is replaced by carol's; alice's stays.
  Reload(alice_.line + "\n" + carol.line + "\n");
  Reply rest = ReadReply(alice, 20s);
  ASSERT_TRUE(rest.end.has_value());
  EXPECT_FALSE(rest.error.has_value());
  WsTestClient fresh;
  ASSERT_FALSE(OpenAs(fresh, carol.secret).empty());
  WsTestClient old;
  EXPECT_FALSE(old.Connect(pair_->gateway_port(), WithBearer(bob_.secret)));
  EXPECT_EQ(old.handshake_status(), 401);
}

TEST_F(ApiKeysE2e, ABrokenKeysFileOnReloadKeepsTheKeysInForce) {
  WsTestClient alice;
  ASSERT_FALSE(OpenAs(alice, alice_.secret).empty());
  dir_.Write("keys.txt", "this is not a keys file\n");
  size_t from = pair_->gateway().LineCount();
  pair_->gateway().Signal(SIGHUP);
  ASSERT_TRUE(pair_->gateway().WaitForLine(std::regex("reloaded ok=false"), 5s, from));
  ASSERT_TRUE(alice.SendJson(UserMessage("unaffected")));
  EXPECT_TRUE(ReadReply(alice).end.has_value());
  WsTestClient bob;
  EXPECT_FALSE(OpenAs(bob, bob_.secret).empty());
}

// --- Origin (the default --auth none on loopback) ---

WsTestClient::ConnectOptions FromPage(std::string origin, std::string host = "") {
  WsTestClient::ConnectOptions options;
  options.headers = {{"Origin", std::move(origin)}};
  options.host = std::move(host);
  return options;
}

TEST(OriginE2e, APageOnAnotherSiteIsRefusedWith403) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  int port = pair.gateway_port();
  std::string self = "127.0.0.1:" + std::to_string(port);
  WsTestClient foreign;
  EXPECT_FALSE(foreign.Connect(port, FromPage("http://evil.example")));
  EXPECT_EQ(foreign.handshake_status(), 403);
  // The gateway's own page (the Origin names the Host) and programs without an Origin.
  WsTestClient own, program, localhost;
  EXPECT_TRUE(own.Connect(port, FromPage("http://" + self)));
  EXPECT_TRUE(program.Connect(port));
  EXPECT_TRUE(localhost.Connect(port, FromPage("http://localhost:" + std::to_string(port),
                                               "localhost:" + std::to_string(port))));
  // DNS rebinding: evil.example resolving to 127.0.0.1 sends a matching Origin and Host.
  WsTestClient rebound;
  std::string evil = "evil.example:" + std::to_string(port);
  EXPECT_FALSE(rebound.Connect(port, FromPage("http://" + evil, evil)));
  EXPECT_EQ(rebound.handshake_status(), 403);
}

TEST(OriginE2e, AllowedOriginsNameTheAppsThatMayConnect) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=0"},
                               {"--allowed-origins=https://app.example.com,https://*.corp.test"}));
  ASSERT_TRUE(pair.ok());
  int port = pair.gateway_port();
  WsTestClient app, sub, self;
  EXPECT_TRUE(app.Connect(port, FromPage("https://app.example.com")));
  EXPECT_TRUE(sub.Connect(port, FromPage("https://chat.corp.test")));
  EXPECT_FALSE(self.Connect(port, FromPage("http://127.0.0.1:" + std::to_string(port))));
  EXPECT_EQ(self.handshake_status(), 403);
}

// --- start-up rules ---

std::optional<int> ExitCodeOf(std::vector<std::string> args, std::string* output) {
  args.insert(args.begin(), GatewayBinary());
  ChildProcess gateway(args);
  auto status = gateway.WaitForExit(10s);
  *output = gateway.OutputForDiagnostics();
  if (!status.has_value() || !WIFEXITED(*status)) return std::nullopt;
  return WEXITSTATUS(*status);
}

TEST(StartupE2e, APublicBindWithoutAuthRefusesToStart) {
  std::string output;
  EXPECT_EQ(ExitCodeOf({"--bind=0.0.0.0", "--port=0", "--allow-plaintext"}, &output), 2);
  EXPECT_NE(output.find("--allow-unauthenticated"), std::string::npos) << output;
  EXPECT_EQ(ExitCodeOf({"--bind=0.0.0.0", "--port=0", "--auth=none", "--allow-plaintext"}, &output),
            2);
}

TEST(StartupE2e, APublicBindInClearTextRefusesToStart) {
  std::string output;
  EXPECT_EQ(
      ExitCodeOf({"--bind=0.0.0.0", "--port=0", "--auth=none", "--allow-unauthenticated"}, &output),
      2);
  EXPECT_NE(output.find("--allow-plaintext"), std::string::npos) << output;
}

TEST(StartupE2e, BothOptOutsStartWithLoudWarnings) {
  ChildProcess gateway({GatewayBinary(), "--bind=0.0.0.0", "--port=0", "--auth=none",
                        "--allow-unauthenticated", "--allow-plaintext",
                        "--llm-service=127.0.0.1:" + std::to_string(UnusedPort())});
  EXPECT_GT(WaitForListeningPort(gateway, 10s), 0);
  EXPECT_TRUE(gateway.WaitForLine(std::regex("warning gateway UNAUTHENTICATED"), 5s));
  EXPECT_TRUE(gateway.WaitForLine(std::regex("warning gateway CLEAR TEXT"), 5s));
}

}  // namespace
}  // namespace streamgate::testing
