#include "gateway/web/web_assets.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <string>

namespace streamgate::gateway {
namespace {

TEST(WebAssets, RootIsTheHtmlPage) {
  const WebAsset* page = FindWebAsset("/");
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<!doctype html>"), std::string_view::npos);
  EXPECT_EQ(FindWebAsset("/index.html"), page);
}

TEST(WebAssets, ServesScriptsAndStylesWithTheirTypes) {
  const WebAsset* script = FindWebAsset("/app.js");
  ASSERT_NE(script, nullptr);
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  const WebAsset* style = FindWebAsset("/style.css");
  ASSERT_NE(style, nullptr);
  EXPECT_EQ(style->content_type, "text/css; charset=utf-8");
}

TEST(WebAssets, UnknownPathsAreNotFound) {
  EXPECT_EQ(FindWebAsset(""), nullptr);
  EXPECT_EQ(FindWebAsset("/nope.js"), nullptr);
  EXPECT_EQ(FindWebAsset("app.js"), nullptr);
  EXPECT_EQ(FindWebAsset("/app.js/"), nullptr);
  EXPECT_EQ(FindWebAsset("/../CMakeLists.txt"), nullptr);
  EXPECT_EQ(FindWebAsset("/CMakeLists.txt"), nullptr);
  EXPECT_EQ(FindWebAsset("/package.json"), nullptr);
}

// The build embeds each file byte for byte (no added NUL, no changed line endings).
TEST(WebAssets, EmbeddedBytesMatchTheSourceFiles) {
  ASSERT_GE(AllWebAssets().size(), 3u);
  for (const WebAsset& asset : AllWebAssets()) {
    std::ifstream file(std::string(STREAMGATE_WEB_SOURCE_DIR) + std::string(asset.path),
                       std::ios::binary);
    ASSERT_TRUE(file.good()) << asset.path;
    std::string expected((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    EXPECT_EQ(asset.body, expected) << asset.path;
  }
}

// Every file the page or a module refers to must be embedded, or the page breaks
// silently: this catches a file added to gateway/web/ but not to its CMakeLists.txt.
TEST(WebAssets, EveryReferencedFileIsEmbedded) {
  const std::regex html_ref(R"re((?:src|href)="([^"/:][^"]*)")re");
  const std::regex module_ref(R"re(from '\./([^']+)')re");
  int checked = 0;
  for (const WebAsset& asset : AllWebAssets()) {
    std::string body(asset.body);
    for (std::sregex_iterator it(body.begin(), body.end(), html_ref), end; it != end; ++it) {
      EXPECT_NE(FindWebAsset("/" + (*it)[1].str()), nullptr) << asset.path << " -> " << (*it)[1];
      ++checked;
    }
    for (std::sregex_iterator it(body.begin(), body.end(), module_ref), end; it != end; ++it) {
      std::string path = "/";
      path += (*it)[1].str();
      EXPECT_NE(FindWebAsset(path), nullptr) << asset.path << " -> " << path;
      ++checked;
    }
  }
  EXPECT_GE(checked, 5);
}

// Behind a reverse proxy the page lives under a path prefix (/chat/): a reference that
// starts with "/" would leave it.
TEST(WebAssets, PageRefersToItsFilesRelatively) {
  const std::regex absolute_ref(R"re((?:src|href)="/)re");
  for (const WebAsset& asset : AllWebAssets()) {
    std::string body(asset.body);
    EXPECT_FALSE(std::regex_search(body, absolute_ref)) << asset.path;
  }
}

TEST(WebAssets, PolicyForbidsInlineScriptAndForeignOrigins) {
  EXPECT_NE(kWebContentSecurityPolicy.find("default-src 'self'"), std::string_view::npos);
  EXPECT_NE(kWebContentSecurityPolicy.find("connect-src 'self' ws: wss:"), std::string_view::npos);
  EXPECT_EQ(kWebContentSecurityPolicy.find("unsafe-inline"), std::string_view::npos);
  EXPECT_EQ(kWebContentSecurityPolicy.find("unsafe-eval"), std::string_view::npos);
}

}  // namespace
}  // namespace streamgate::gateway
