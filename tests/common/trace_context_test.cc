#include "common/trace_context.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace streamgate::common {
namespace {

constexpr char kValid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContextTest, ParsesTheSpecsExampleAndWritesItBack) {
  auto context = ParseTraceparent(kValid);
  ASSERT_TRUE(context.has_value());
  EXPECT_EQ(context->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(context->parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(context->flags, "01");
  EXPECT_EQ(context->Traceparent(), kValid);
}

TEST(TraceContextTest, IgnoresWhatTheSpecSaysToIgnore) {
  for (std::string junk : {
           std::string(""),
           std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"),  // no flags
           std::string(kValid) + "x",                                        // 00 is exact
           std::string(kValid) + "-extra",                                   // 00 is exact
           std::string("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),  // case
           std::string("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),  // zero
           std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"),  // zero
           std::string("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),  // ff
           std::string("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
           std::string("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"),
           std::string("0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
           std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z"),
           std::string("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"),  // no '-'
           std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n"),
       }) {
    EXPECT_FALSE(ParseTraceparent(junk).has_value()) << junk;
  }
}

TEST(TraceContextTest, ALaterVersionIsReadByItsFirstFields) {
  auto context =
      ParseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-something");
  ASSERT_TRUE(context.has_value());
  EXPECT_EQ(context->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  // We speak version 00 onwards.
  EXPECT_EQ(context->Traceparent().substr(0, 3), "00-");
}

TEST(TraceContextTest, NewTracesAndSpansAreFreshValidIds) {
  std::set<std::string> traces;
  for (int i = 0; i < 100; ++i) {
    TraceContext trace = NewTrace();
    auto parsed = ParseTraceparent(trace.Traceparent());
    ASSERT_TRUE(parsed.has_value()) << trace.Traceparent();
    traces.insert(trace.trace_id);
    TraceContext child = ChildSpan(trace);
    EXPECT_EQ(child.trace_id, trace.trace_id);
    EXPECT_NE(child.parent_id, trace.parent_id);
    EXPECT_TRUE(ParseTraceparent(child.Traceparent()).has_value());
  }
  EXPECT_EQ(traces.size(), 100u);
}

}  // namespace
}  // namespace streamgate::common
