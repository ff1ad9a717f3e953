#include "gateway/llm_client.h"

#include <google/protobuf/descriptor.h>

#include <string>

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

// The gateway names StreamChat by hand (it calls it through a generic stub); the name and
// shape must stay those of the contract, or every reply fails with UNIMPLEMENTED.
TEST(LlmClient, StreamChatMethodIsTheContractsServerStreamingCall) {
  const auto* request = llm::v1::StreamChatRequest::descriptor();
  const auto* method =
      request->file()->pool()->FindMethodByName("streamgate.llm.v1.LlmService.StreamChat");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ("/" + method->service()->full_name() + "/" + method->name(),
            LlmClient::kStreamChatMethod);
  EXPECT_FALSE(method->client_streaming());
  EXPECT_TRUE(method->server_streaming());
  EXPECT_EQ(method->input_type(), request);
  EXPECT_EQ(method->output_type(), llm::v1::StreamChatResponse::descriptor());
}

}  // namespace
}  // namespace streamgate::gateway
