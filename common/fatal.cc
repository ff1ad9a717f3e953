#include "common/fatal.h"

#include <cstdio>
#include <cstdlib>

namespace streamgate::common {

void Fatal(const char* component, const char* what) {
  std::fprintf(stderr, "%s: %s\n", component, what);
  std::abort();
}

}  // namespace streamgate::common
