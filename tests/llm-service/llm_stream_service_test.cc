#include "llm-service/llm_stream_service.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <limits>

#include "common/metrics/registry.h"
#include "gtest/gtest.h"
#include "llm-service/llm_metrics.h"
#include "llm-service/mock_provider.h"
#include "llm-service/mock_reply.h"
#include "llm-service/request_validator.h"
#include "tests/support/prometheus_text.h"

namespace streamgate::llm {
namespace {

// LlmStreamService with the mock provider on a real gRPC server at 127.0.0.1:0.
class LlmStreamServiceTest : public ::testing::Test {
 protected:
  void Start(MockProviderOptions options, size_t max_queued_bytes = 64 * 1024,
             int64_t max_concurrent_calls = std::numeric_limits<int64_t>::max()) {
    provider_ = std::make_unique<MockProvider>(options);
    metrics_ = std::make_unique<LlmMetrics>(registry_, "mock", "mock");
    engine_ = std::make_unique<ReplyEngine>(provider_.get(), max_queued_bytes, max_concurrent_calls,
                                            metrics_.get());
    service_ = std::make_unique<LlmStreamService>(engine_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    // GetServiceInfo and Chat are marked generic (other classes'); gRPC needs a generic service.
    builder.RegisterCallbackGenericService(&unregistered_methods_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::LlmService::NewStub(channel_);
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
    if (provider_) provider_->Shutdown();
  }

  static v1::StreamChatRequest Request(std::vector<std::pair<v1::Role, std::string>> turns) {
    v1::StreamChatRequest request;
    request.set_session_id("s");
    request.set_request_id("r");
    for (auto& [role, text] : turns) {
      auto* message = request.add_messages();
      message->set_role(role);
      message->set_content(text);
    }
    return request;
  }

  // One series as /metrics shows it, once every call has ended on the server (a call is
  // counted when it ends there, which may be after the client saw its end).
  double Metric(const std::string& series) {
    EXPECT_TRUE(service_->calls().WaitForIdle(absl::Now() + absl::Seconds(5)));
    return ::streamgate::testing::SampleValue(registry_.Render(), series).value_or(-1);
  }

  common::metrics::Registry registry_;
  std::unique_ptr<LlmMetrics> metrics_;
  std::unique_ptr<MockProvider> provider_;
  std::unique_ptr<ReplyEngine> engine_;
  std::unique_ptr<LlmStreamService> service_;
  grpc::CallbackGenericService unregistered_methods_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LlmService::Stub> stub_;
};

TEST_F(LlmStreamServiceTest, StreamsStartedDeltasAndCompletedInOrder) {
  Start({.chunk_delay = absl::ZeroDuration(), .extra_words = 50});
  grpc::ClientContext context;
  auto reader = stub_->StreamChat(&context, Request({{v1::ROLE_USER, "hi"},
                                                     {v1::ROLE_ASSISTANT, "Echo: hi"},
                                                     {v1::ROLE_USER, "hello there world"}}));
  v1::StreamChatResponse message;
  ASSERT_TRUE(reader->Read(&message));
  ASSERT_TRUE(message.has_started());
  EXPECT_EQ(message.started().message_id(), "mock-r");
  std::string text;
  bool completed = false;
  int deltas = 0;
  while (reader->Read(&message)) {
    ASSERT_FALSE(completed) << "message after completed";
    if (message.has_delta()) {
      text += message.delta().text();
      // Only the first says how long the provider took to it.
      if (deltas++ == 0) {
        EXPECT_GT(message.delta().first_delta_us(), 0u);
        EXPECT_LT(message.delta().first_delta_us(), 10'000'000u);
      } else {
        EXPECT_EQ(message.delta().first_delta_us(), 0u);
      }
    }
    if (message.has_completed()) {
      completed = true;
      EXPECT_EQ(message.completed().messages_received(), 3u);
      // "Echo:" + 3 words + filler
      EXPECT_EQ(message.completed().usage().output_tokens(), 4u + 50u);
    }
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(completed);
  EXPECT_EQ(text.rfind("Echo: hello there world lorem ipsum", 0), 0u) << text;
  EXPECT_EQ(Metric("streamgate_llm_calls_total{provider=\"mock\",code=\"OK\"}"), 1);
  EXPECT_EQ(Metric("streamgate_llm_first_delta_seconds_count{provider=\"mock\"}"), 1);
  EXPECT_EQ(Metric("streamgate_llm_tokens_total{direction=\"output\",model=\"mock\"}"), 54);
  EXPECT_GT(Metric("streamgate_llm_tokens_total{direction=\"input\",model=\"mock\"}"), 0);
  EXPECT_EQ(Metric("streamgate_llm_tokens_total{direction=\"output\",model=\"other\"}"), 0);
  EXPECT_EQ(Metric("streamgate_llm_calls_in_flight{provider=\"mock\"}"), 0);
}

TEST_F(LlmStreamServiceTest, AModelTheRequestNamesIsCountedAsOtherNeverByItsName) {
  Start({.chunk_delay = absl::ZeroDuration(), .extra_words = 3});
  v1::StreamChatRequest request = Request({{v1::ROLE_USER, "hi"}});
  request.set_model("client-chosen-model");
  grpc::ClientContext context;
  auto reader = stub_->StreamChat(&context, request);
  v1::StreamChatResponse message;
  while (reader->Read(&message)) {
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(Metric("streamgate_llm_tokens_total{direction=\"output\",model=\"other\"}"), 5);
  EXPECT_EQ(registry_.Render().find("client-chosen-model"), std::string::npos);
}

TEST_F(LlmStreamServiceTest, TheMockStopsAtMaxTokensLikeAModel) {
  Start({.chunk_delay = absl::ZeroDuration(), .extra_words = 50});
  v1::StreamChatRequest request = Request({{v1::ROLE_USER, "count to ten"}});
  request.set_max_tokens(5);
  grpc::ClientContext context;
  auto reader = stub_->StreamChat(&context, request);
  v1::StreamChatResponse message;
  std::string text;
  std::string stop_reason;
  uint32_t output_tokens = 0;
  while (reader->Read(&message)) {
    if (message.has_delta()) text += message.delta().text();
    if (message.has_completed()) {
      stop_reason = message.completed().stop_reason();
      output_tokens = message.completed().usage().output_tokens();
    }
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(text, "Echo: count to ten lorem ");
  EXPECT_EQ(stop_reason, "max_tokens");
  EXPECT_EQ(output_tokens, 5u);
}

TEST_F(LlmStreamServiceTest, RejectsMalformedRequestsWithInvalidArgument) {
  Start({.chunk_delay = absl::ZeroDuration()});
  for (auto request : {Request({}), Request({{v1::ROLE_USER, "a"}, {v1::ROLE_ASSISTANT, "b"}}),
                       Request({{v1::ROLE_UNSPECIFIED, "a"}})}) {
    grpc::ClientContext context;
    auto reader = stub_->StreamChat(&context, request);
    v1::StreamChatResponse message;
    EXPECT_FALSE(reader->Read(&message));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(Metric("streamgate_llm_calls_total{provider=\"mock\",code=\"INVALID_ARGUMENT\"}"), 3);
  EXPECT_EQ(Metric("streamgate_llm_first_delta_seconds_count{provider=\"mock\"}"), 0);
}

// What a tool tested against the mock sees is what Claude would answer: each rule of
// ValidateRequest ends the call before the provider, with a message naming the field.
TEST_F(LlmStreamServiceTest, TheMockRefusesWhatClaudeRefusesWithTheFieldNamed) {
  Start({.chunk_delay = absl::ZeroDuration()});
  auto hot = Request({{v1::ROLE_USER, "hi"}});
  hot.set_temperature(5);
  auto no_tokens = Request({{v1::ROLE_USER, "hi"}});
  no_tokens.set_max_tokens(0);
  const std::vector<std::pair<v1::StreamChatRequest, std::string>> cases = {
      {Request({{v1::ROLE_USER, "a"}, {v1::ROLE_USER, "b"}}),
       "messages[1].role: roles must alternate ROLE_USER/ROLE_ASSISTANT"},
      {hot, "temperature: must be within [0, 1]"},
      {Request({{v1::ROLE_USER, "  \n"}}),
       "messages[0].content: must not be empty or only whitespace"},
      {Request({{v1::ROLE_USER, ""}}), "messages[0].content: must not be empty or only whitespace"},
      {no_tokens, "max_tokens: must be at least 1 when set"},
  };
  for (const auto& [request, expected] : cases) {
    grpc::ClientContext context;
    auto reader = stub_->StreamChat(&context, request);
    v1::StreamChatResponse message;
    EXPECT_FALSE(reader->Read(&message)) << expected;
    grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << expected;
    EXPECT_EQ(status.error_message(), expected);
  }
  EXPECT_EQ(service_->calls().total_started(), static_cast<int64_t>(cases.size()));
}

// Hand-made wire bytes (the C++ setters would not write invalid UTF-8 in a proto3 string
// without complaint): field `number` as a length-delimited record.
std::string Field(int number, const std::string& payload) {
  std::string out(1, static_cast<char>((number << 3) | 2));
  out += static_cast<char>(payload.size());  // every payload here is < 128 bytes
  return out + payload;
}
std::string UserMessage(const std::string& content) {
  return Field(3, std::string("\x08\x01", 2) + Field(2, content));  // role = 1, content
}

// One StreamChat call with `bytes` as the request, read to the end through the generic stub.
grpc::Status RawStreamChat(const std::shared_ptr<grpc::Channel>& channel, const std::string& bytes,
                           int* responses) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue queue;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = stub.PrepareCall(&context, "/streamgate.llm.v1.LlmService/StreamChat", &queue);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  queue.Next(&tag, &ok);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  queue.Next(&tag, &ok);
  call->WritesDone(reinterpret_cast<void*>(3));
  queue.Next(&tag, &ok);
  *responses = 0;
  for (;;) {
    grpc::ByteBuffer response;
    call->Read(&response, reinterpret_cast<void*>(4));
    if (!queue.Next(&tag, &ok) || !ok) break;
    ++*responses;
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  return status;
}

TEST_F(LlmStreamServiceTest, InvalidUtf8IsInvalidArgumentNamingTheFieldNotUnimplemented) {
  Start({.chunk_delay = absl::ZeroDuration()});
  struct Case {
    std::string bytes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {UserMessage("ok") + UserMessage("\xff\xfe"), "messages[1].content: not valid UTF-8"},
      {Field(2, "r\xc3") + UserMessage("hi"), "request_id: not valid UTF-8"},
      {UserMessage("hi") + Field(4, "\xed\xa0\x80"), "system: not valid UTF-8"},
      {std::string("\xff\xff\xff"), "request: not a valid serialized StreamChatRequest"},
  };
  for (const Case& c : cases) {
    int responses = -1;
    grpc::Status status = RawStreamChat(channel_, c.bytes, &responses);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.message;
    EXPECT_EQ(status.error_message(), c.message);
    EXPECT_EQ(responses, 0);
  }
  // The same hand-made encoding with valid text is an ordinary reply.
  int responses = 0;
  EXPECT_TRUE(RawStreamChat(channel_, UserMessage("caf\xc3\xa9"), &responses).ok());
  EXPECT_GE(responses, 3);  // started, a delta, completed
}

TEST(ValidateRequest, IdsAreShortPrintableAsciiWithoutSpaces) {
  std::string printable;  // 0x21-0x7e, 94 bytes
  for (char c = 0x21; c <= 0x7e; ++c) printable += c;
  struct Case {
    std::string name;
    std::string session_id;
    std::string request_id;
    bool valid;
  };
  const std::vector<Case> cases = {
      {"both empty (ids are optional)", "", "", true},
      {"uuids", "0b7c2b6e-8a53-4b8e-9d1f-6f0c1e2d3a4b", "c0ffee00-0000-4000-8000-000000000001",
       true},
      {"every printable character", printable, printable, true},
      {"128 bytes", std::string(128, 'a'), std::string(128, 'b'), true},
      {"129-byte session id", std::string(129, 'a'), "r", false},
      {"129-byte request id", "s", std::string(129, 'b'), false},
      {"a megabyte", std::string(1 << 20, 'a'), "r", false},
      {"newline forging a log line", "s\n2026-01-01T00:00:00.000Z info llm call start", "r", false},
      {"carriage return", "s", "r\r", false},
      {"space", "s", "two words", false},
      {"tab", "s\t", "r", false},
      {"NUL", std::string("s\0t", 3), "r", false},
      {"DEL", "s\x7f", "r", false},
      {"UTF-8", "s", "caf\xc3\xa9", false},
  };
  for (const auto& c : cases) {
    v1::StreamChatRequest request;
    request.set_session_id(c.session_id);
    request.set_request_id(c.request_id);
    auto* message = request.add_messages();
    message->set_role(v1::ROLE_USER);
    message->set_content("hi");
    absl::Status status = ValidateRequest(request);
    EXPECT_EQ(status.ok(), c.valid) << c.name << ": " << status;
    if (!c.valid) {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name;
      // The message names the field, never quotes the value.
      EXPECT_LT(status.message().size(), 100u) << c.name;
    }
  }
}

TEST_F(LlmStreamServiceTest, BadIdsEndTheCallWithInvalidArgument) {
  Start({.chunk_delay = absl::ZeroDuration()});
  auto request = Request({{v1::ROLE_USER, "hi"}});
  request.set_request_id("r\nforged");
  grpc::ClientContext context;
  auto reader = stub_->StreamChat(&context, request);
  v1::StreamChatResponse message;
  EXPECT_FALSE(reader->Read(&message));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(LlmStreamServiceTest, CallsBeyondTheCapGetResourceExhaustedUntilOneEnds) {
  // Replies that take 100 s unless cancelled.
  Start({.chunk_delay = absl::Milliseconds(100), .extra_words = 1000}, 64 * 1024,
        /*max_concurrent_calls=*/2);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::StreamChatResponse>>> running;
  v1::StreamChatResponse message;
  for (int i = 0; i < 2; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    running.push_back(stub_->StreamChat(contexts.back().get(), Request({{v1::ROLE_USER, "a"}})));
    ASSERT_TRUE(running.back()->Read(&message));  // started: the call holds a slot
  }
  EXPECT_EQ(service_->calls().active(), 2);
  {
    grpc::ClientContext context;
    auto refused = stub_->StreamChat(&context, Request({{v1::ROLE_USER, "b"}}));
    EXPECT_FALSE(refused->Read(&message));
    EXPECT_EQ(refused->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  EXPECT_EQ(service_->calls().active(), 2);  // the refused call never counted
  EXPECT_EQ(::streamgate::testing::SampleValue(registry_.Render(),
                                               "streamgate_llm_calls_in_flight{provider=\"mock\"}"),
            2);
  contexts[0]->TryCancel();
  while (running[0]->Read(&message)) {
  }
  EXPECT_EQ(running[0]->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The server may see the cancellation after the client does.
  ASSERT_TRUE(service_->calls().WaitForActiveAtMost(1, absl::Now() + absl::Seconds(5)));
  grpc::ClientContext context;
  auto admitted = stub_->StreamChat(&context, Request({{v1::ROLE_USER, "c"}}));
  ASSERT_TRUE(admitted->Read(&message));
  EXPECT_TRUE(message.has_started());
  context.TryCancel();
  contexts[1]->TryCancel();
}

TEST_F(LlmStreamServiceTest, CancelledCallEndsOnTheServerAtOnce) {
  // A reply that would take 100 s if nobody stopped it.
  Start({.chunk_delay = absl::Milliseconds(100), .extra_words = 1000});
  grpc::ClientContext context;
  auto reader = stub_->StreamChat(&context, Request({{v1::ROLE_USER, "long"}}));
  v1::StreamChatResponse message;
  ASSERT_TRUE(reader->Read(&message));
  ASSERT_TRUE(reader->Read(&message));  // a first delta: the reply is under way
  EXPECT_EQ(service_->calls().active(), 1);
  context.TryCancel();
  EXPECT_TRUE(service_->calls().WaitForIdle(absl::Now() + absl::Seconds(5)));
  while (reader->Read(&message)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(LlmStreamServiceTest, SlowReaderPausesTheProviderWithoutLosingText) {
  // A tiny per-call queue forces many pauses; the text must still arrive whole.
  Start({.chunk_delay = absl::ZeroDuration(), .extra_words = 20000}, /*max_queued_bytes=*/1024);
  grpc::ClientContext context;
  auto reader = stub_->StreamChat(&context, Request({{v1::ROLE_USER, "x"}}));
  v1::StreamChatResponse message;
  std::string text;
  while (reader->Read(&message)) {
    if (message.has_delta()) text += message.delta().text();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(text, MockReplyText(Request({{v1::ROLE_USER, "x"}}), 20000));
  EXPECT_GT(Metric("streamgate_llm_provider_pauses_total{provider=\"mock\"}"), 0);
}

}  // namespace
}  // namespace streamgate::llm
