#include "llm-service/llm_stream_service.h"

#include <grpcpp/grpcpp.h>

#include "gtest/gtest.h"
#include "llm-service/mock_provider.h"
#include "llm-service/mock_reply.h"

namespace streamgate::llm {
namespace {

// LlmStreamService with the mock provider on a real gRPC server at 127.0.0.1:0.
class LlmStreamServiceTest : public ::testing::Test {
 protected:
  void Start(MockProviderOptions options, size_t max_queued_bytes = 64 * 1024) {
    provider_ = std::make_unique<MockProvider>(options);
    service_ = std::make_unique<LlmStreamService>(provider_.get(), max_queued_bytes);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    stub_ = v1::LlmService::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                        grpc::InsecureChannelCredentials()));
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

  std::unique_ptr<MockProvider> provider_;
  std::unique_ptr<LlmStreamService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::LlmService::Stub> stub_;
};

TEST_F(LlmStreamServiceTest, StreamsStartedDeltasAndCompletedInOrder) {
  Start({.chunk_delay = absl::ZeroDuration(), .extra_words = 50});
  grpc::ClientContext context;
  auto reader = stub_->StreamChat(
      &context, Request({{v1::ROLE_USER, "hi"}, {v1::ROLE_ASSISTANT, "Echo: hi"},
                         {v1::ROLE_USER, "hello there world"}}));
  v1::StreamChatResponse message;
  ASSERT_TRUE(reader->Read(&message));
  ASSERT_TRUE(message.has_started());
  EXPECT_EQ(message.started().message_id(), "mock-r");
  std::string text;
  bool completed = false;
  while (reader->Read(&message)) {
    ASSERT_FALSE(completed) << "message after completed";
    if (message.has_delta()) text += message.delta().text();
    if (message.has_completed()) {
      completed = true;
      EXPECT_EQ(message.completed().messages_received(), 3u);
      EXPECT_EQ(message.completed().usage().output_tokens(), 4u + 50u);  // "Echo:" + 3 words + filler
    }
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(completed);
  EXPECT_EQ(text.rfind("Echo: hello there world lorem ipsum", 0), 0u) << text;
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
}

}  // namespace
}  // namespace streamgate::llm
