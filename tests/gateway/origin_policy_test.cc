#include "gateway/auth/origin_policy.h"

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

OriginPolicy Policy(std::string_view list, bool guard = false) {
  auto policy = OriginPolicy::Parse(list, guard);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *policy;
}

TEST(OriginPolicy, RequestsWithoutOriginAreAllowed) {
  EXPECT_TRUE(Policy("self").Allows(std::nullopt, "gw.example:3000", false));
}

TEST(OriginPolicy, SelfIsTheHostTheRequestWasSentToWithTheListenersScheme) {
  OriginPolicy self = Policy("self");
  EXPECT_TRUE(self.Allows("http://gw.example:3000", "gw.example:3000", false));
  EXPECT_TRUE(self.Allows("HTTP://GW.Example:3000", "gw.example:3000", false));
  EXPECT_TRUE(self.Allows("https://gw.example", "gw.example", true));
  EXPECT_TRUE(self.Allows("https://gw.example:443", "gw.example", true));
  EXPECT_TRUE(self.Allows("http://[::1]:3000", "[::1]:3000", false));
  // A page elsewhere (cross-site WebSocket hijacking).
  EXPECT_FALSE(self.Allows("http://evil.example", "gw.example:3000", false));
  EXPECT_FALSE(self.Allows("http://gw.example:3001", "gw.example:3000", false));
  EXPECT_FALSE(self.Allows("http://gw.example.evil:3000", "gw.example:3000", false));
  // An http page may not reach the TLS listener, nor the other way round.
  EXPECT_FALSE(self.Allows("http://gw.example:443", "gw.example:443", true));
  EXPECT_FALSE(self.Allows("https://gw.example:3000", "gw.example:3000", false));
}

TEST(OriginPolicy, MalformedAndNullOriginsAreRefused) {
  OriginPolicy any = Policy("*");
  for (std::string_view bad :
       {"null", "", "gw.example", "ftp://gw.example", "http://", "http://gw.example/path",
        "http://gw.example:0", "http://gw.example:99999", "http://gw example"}) {
    EXPECT_FALSE(any.Allows(bad, "gw.example", false)) << bad;
  }
  EXPECT_TRUE(any.Allows("https://anything.example", "gw.example", false));
}

TEST(OriginPolicy, ListedOriginsMatchExactlyAndWildcardsOnlySubdomains) {
  OriginPolicy policy = Policy("https://app.example.com, https://*.corp.example");
  EXPECT_TRUE(policy.Allows("https://app.example.com", "gw:3000", false));
  EXPECT_FALSE(policy.Allows("http://app.example.com", "gw:3000", false));
  EXPECT_FALSE(policy.Allows("https://app.example.com:8443", "gw:3000", false));
  EXPECT_FALSE(policy.Allows("https://xapp.example.com", "gw:3000", false));
  EXPECT_TRUE(policy.Allows("https://a.corp.example", "gw:3000", false));
  EXPECT_TRUE(policy.Allows("https://a.b.corp.example", "gw:3000", false));
  EXPECT_FALSE(policy.Allows("https://corp.example", "gw:3000", false));
  EXPECT_FALSE(policy.Allows("https://evilcorp.example", "gw:3000", false));
  // self is not implied by a list.
  EXPECT_FALSE(policy.Allows("http://gw:3000", "gw:3000", false));
}

TEST(OriginPolicy, RebindingGuardKeepsSelfToIpLiteralsAndLocalhost) {
  OriginPolicy guarded = Policy("self", /*guard=*/true);
  EXPECT_TRUE(guarded.Allows("http://127.0.0.1:3000", "127.0.0.1:3000", false));
  EXPECT_TRUE(guarded.Allows("http://localhost:3000", "localhost:3000", false));
  EXPECT_TRUE(guarded.Allows("http://[::1]:3000", "[::1]:3000", false));
  // evil.example resolving to 127.0.0.1: Origin and Host agree, and still it is refused.
  EXPECT_FALSE(guarded.Allows("http://evil.example:3000", "evil.example:3000", false));
  // Listing the name explicitly allows it.
  OriginPolicy listed = Policy("self,http://chat.internal:3000", true);
  EXPECT_TRUE(listed.Allows("http://chat.internal:3000", "chat.internal:3000", false));
}

TEST(OriginPolicy, ParseRejectsWhatIsNotAnOrigin) {
  for (std::string_view bad : {"", " , ", "example.com", "https://", "https://a.com/path",
                               "ws://a.com", "https://*.", "https://a.com:x"}) {
    EXPECT_FALSE(OriginPolicy::Parse(bad, false).ok()) << bad;
  }
}

}  // namespace
}  // namespace streamgate::gateway
