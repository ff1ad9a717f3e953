#include "common/secure_random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/base64url.h"

namespace streamgate::common {

void FillSecureRandom(void* out, size_t size) {
  auto* bytes = static_cast<uint8_t*>(out);
  size_t filled = 0;
  while (filled < size) {
    ssize_t n = getrandom(bytes + filled, size - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("getrandom");
      std::abort();
    }
    filled += static_cast<size_t>(n);
  }
}

std::string NewSecretToken(size_t bytes) {
  std::string raw(bytes, '\0');
  FillSecureRandom(raw.data(), raw.size());
  return Base64UrlEncode(raw);
}

}  // namespace streamgate::common
