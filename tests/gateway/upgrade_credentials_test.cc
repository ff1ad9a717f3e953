#include "gateway/auth/upgrade_credentials.h"

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

namespace http = boost::beast::http;
using Source = UpgradeCredentials::Source;

HttpRequest Request(std::string target = "/ws") {
  HttpRequest request(http::verb::get, target, 11);
  request.set(http::field::host, "gw:3000");
  return request;
}

TEST(UpgradeCredentials, NoneWhenNothingIsPresented) {
  auto found = ExtractUpgradeCredentials(Request());
  EXPECT_EQ(found.source, Source::kNone);
  EXPECT_FALSE(found.malformed);
  EXPECT_FALSE(found.offers_subprotocol);
}

TEST(UpgradeCredentials, BearerHeaderWithAnyCaseScheme) {
  for (std::string_view value : {"Bearer sg_k1_abc", "bearer sg_k1_abc", "BEARER  sg_k1_abc "}) {
    auto request = Request();
    request.set(http::field::authorization, value);
    auto found = ExtractUpgradeCredentials(request);
    EXPECT_EQ(found.source, Source::kAuthorization) << value;
    EXPECT_EQ(found.value, "sg_k1_abc") << value;
  }
}

TEST(UpgradeCredentials, OtherSchemesAndEmptyTokensAreMalformed) {
  for (std::string_view value :
       {"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "Bearer a b", "Bearer a\"b"}) {
    auto request = Request();
    request.set(http::field::authorization, value);
    auto found = ExtractUpgradeCredentials(request);
    EXPECT_TRUE(found.malformed) << value;
    EXPECT_TRUE(found.value.empty());
  }
}

TEST(UpgradeCredentials, BearerSubprotocolNextToTheProtocolName) {
  auto request = Request();
  request.set(http::field::sec_websocket_protocol, "streamgate.v1, streamgate.bearer.eyJ.a.b");
  auto found = ExtractUpgradeCredentials(request);
  EXPECT_EQ(found.source, Source::kSubprotocol);
  EXPECT_EQ(found.value, "eyJ.a.b");
  EXPECT_TRUE(found.offers_subprotocol);
}

TEST(UpgradeCredentials, SubprotocolEntriesMaySpanSeveralHeaders) {
  auto request = Request();
  request.insert(http::field::sec_websocket_protocol, "streamgate.bearer.tok");
  request.insert(http::field::sec_websocket_protocol, "chat, streamgate.v1");
  auto found = ExtractUpgradeCredentials(request);
  EXPECT_EQ(found.value, "tok");
  EXPECT_TRUE(found.offers_subprotocol);
}

TEST(UpgradeCredentials, TicketInTheQueryOnly) {
  auto found = ExtractUpgradeCredentials(Request("/ws?x=1&ticket=sgt_abc#frag"));
  EXPECT_EQ(found.source, Source::kTicket);
  EXPECT_EQ(found.value, "sgt_abc");
  EXPECT_TRUE(ExtractUpgradeCredentials(Request("/ws?ticket=a&ticket=b")).malformed);
  EXPECT_TRUE(ExtractUpgradeCredentials(Request("/ws?ticket=")).malformed);
  EXPECT_TRUE(ExtractUpgradeCredentials(Request("/ws?ticket")).malformed);
  EXPECT_EQ(ExtractUpgradeCredentials(Request("/ws?tickets=a")).source, Source::kNone);
}

TEST(UpgradeCredentials, TwoCredentialsAreMalformed) {
  auto request = Request("/ws?ticket=sgt_abc");
  request.set(http::field::authorization, "Bearer sg_k1_abc");
  auto found = ExtractUpgradeCredentials(request);
  EXPECT_TRUE(found.malformed);
  EXPECT_TRUE(found.value.empty());
  auto two_headers = Request();
  two_headers.insert(http::field::authorization, "Bearer a");
  two_headers.insert(http::field::authorization, "Bearer b");
  EXPECT_TRUE(ExtractUpgradeCredentials(two_headers).malformed);
}

TEST(UpgradeCredentials, TicketsRequestTakesOnlyTheHeader) {
  auto request = Request("/v1/tickets?ticket=sgt_abc");
  auto found = ExtractBearer(request);
  EXPECT_EQ(found.source, Source::kNone);
  request.set(http::field::authorization, "Bearer sg_k1_abc");
  EXPECT_EQ(ExtractBearer(request).value, "sg_k1_abc");
}

}  // namespace
}  // namespace streamgate::gateway
