#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/credential_file.h"
#include "common/log_throttle.h"

namespace streamgate::llm {

// Decides whether one incoming call may go on, from its method and its `authorization`
// metadata, against the hashed tokens of --auth-tokens-file. Health checks are open (probes
// carry no token); every other method, reflection included, needs
// "authorization: Bearer sg_<id>_<secret>" matching an entry.
//
// Shared (shared_ptr) by the gRPC server's auth metadata processor, which calls Check on
// gRPC threads before a call's request message is read, and by main, which calls Replace on
// SIGHUP. Thread-safe: the token set is swapped whole under mu_, and a check works on the
// snapshot it took.
class CallAuthenticator {
 public:
  // The one message every refused call gets, whatever the reason: the reason itself (and
  // which key was tried) goes to the log only.
  static constexpr char kRefusedMessage[] = "a valid bearer token is required";

  explicit CallAuthenticator(std::shared_ptr<const common::CredentialSet> tokens);

  // OK, or UNAUTHENTICATED with kRefusedMessage. `authorization` holds every value of the
  // call's authorization metadata (normally one). Logs a refusal at warn, throttled per
  // reason; never logs the presented token, only the key id it names.
  absl::Status Check(absl::string_view method, const std::vector<absl::string_view>& authorization);

  // Reload: later checks use `tokens`; checks already running finish with the old set.
  void Replace(std::shared_ptr<const common::CredentialSet> tokens);
  size_t size() const;

  // Methods callers reach without a token.
  static bool IsOpenMethod(absl::string_view method);

 private:
  enum Reason { kMissing, kMalformed, kUnknownKey, kWrongSecret, kReasonCount };

  absl::Status Refuse(Reason reason, absl::string_view key_id, absl::string_view method);

  mutable absl::Mutex mu_;
  std::shared_ptr<const common::CredentialSet> tokens_ ABSL_GUARDED_BY(mu_);
  // One per reason, so a flood of one kind cannot hide the first line of another.
  common::SharedLogThrottle throttles_[kReasonCount];
};

}  // namespace streamgate::llm
