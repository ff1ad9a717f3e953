#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gateway/auth/principal.h"

namespace streamgate::gateway {

// The principals of --auth none: one per client address, "address:<ip>", shared by every
// connection from that address (idle connections are the many, and they would otherwise each
// carry a copy). Entries are weak: a principal lives as long as a connection holds it, and
// expired entries are swept when the table has doubled since the last sweep.
//
// Owned by main; thread-safe (one lock per upgrade).
class AnonymousPrincipals {
 public:
  std::shared_ptr<const Principal> For(const std::string& address);
  size_t tracked() const;

 private:
  mutable absl::Mutex mu_;
  std::unordered_map<std::string, std::weak_ptr<const Principal>> by_address_ ABSL_GUARDED_BY(mu_);
  size_t sweep_at_ ABSL_GUARDED_BY(mu_) = 1024;
};

}  // namespace streamgate::gateway
