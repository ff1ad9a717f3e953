#include "common/version.h"

#include "common/build_revision.h"  // generated: kBuildRevision

namespace streamgate::common {

std::string_view Version() { return STREAMGATE_VERSION; }

std::string_view Revision() { return kBuildRevision; }

std::string VersionText(std::string_view program) {
  std::string text(program);
  text.append(" ").append(Version());
  if (!Revision().empty()) text.append(" (git ").append(Revision()).append(")");
  return text.append("\n");
}

}  // namespace streamgate::common
