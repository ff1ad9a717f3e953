#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/store/session_store.h"

namespace streamgate::gateway {

// How the SQLite store keeps frames: a run of consecutive seqs, first_seq..last_seq, in one
// row, its frames one after another in `blob`, each as its length (LEB128 varint) and its
// bytes (an ephemeral frame is length 0). One row per session per flush instead of one per
// frame: a live reply's deltas of one flush interval cost one B-tree insert. Plain
// functions; the blob's format is part of the store's schema (version 2).
struct FrameRun {
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  std::string blob;
};

// `frames` (ascending seq) as runs: a new run starts wherever a seq is not the one after
// the previous frame's.
std::vector<FrameRun> EncodeFrameRuns(const std::vector<StoredFrame>& frames);

// Appends the frames of one row to `out`, or returns false (leaving `out` as it was) when
// the blob does not hold exactly last_seq - first_seq + 1 well-formed frames: a damaged row
// is never half read.
bool DecodeFrameRun(uint64_t first_seq, uint64_t last_seq, std::string_view blob,
                    std::vector<StoredFrame>* out);

}  // namespace streamgate::gateway
