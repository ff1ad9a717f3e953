#include "common/mutex_mode.h"

#include "absl/synchronization/mutex.h"

namespace streamgate::common {

void UseReleaseMutexMode() {
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

}  // namespace streamgate::common
