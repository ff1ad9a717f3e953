#pragma once

#include <string>
#include <string_view>

namespace streamgate::common {

// The project's version, from CMake's project(VERSION ...).
std::string_view Version();
// The git commit the binary was built from ("4607c5d1a2b3", with "-dirty" when the work tree
// had uncommitted changes), or empty when it was not built from a git checkout. Set at build
// time (common/write_revision.cmake), or by -DSTREAMGATE_REVISION for builds without .git.
std::string_view Revision();
// What --version prints: "gateway 0.2.0 (git 4607c5d1a2b3)\n", or without the parenthesis.
std::string VersionText(std::string_view program);

}  // namespace streamgate::common
