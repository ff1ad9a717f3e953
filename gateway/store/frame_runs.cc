#include "gateway/store/frame_runs.h"

namespace streamgate::gateway {
namespace {

void AppendVarint(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Reads a varint at `*pos`; false if the blob ends inside it or it is longer than 64 bits.
bool ReadVarint(std::string_view blob, size_t* pos, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= blob.size()) return false;
    auto byte = static_cast<uint8_t>(blob[(*pos)++]);
    if (shift == 63 && byte > 1) return false;
    result |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<FrameRun> EncodeFrameRuns(const std::vector<StoredFrame>& frames) {
  std::vector<FrameRun> runs;
  for (const StoredFrame& frame : frames) {
    if (runs.empty() || frame.seq != runs.back().last_seq + 1) {
      runs.push_back(FrameRun{.first_seq = frame.seq, .last_seq = frame.seq, .blob = {}});
    } else {
      runs.back().last_seq = frame.seq;
    }
    AppendVarint(&runs.back().blob, frame.frame.size());
    runs.back().blob.append(frame.frame);
  }
  return runs;
}

bool DecodeFrameRun(uint64_t first_seq, uint64_t last_seq, std::string_view blob,
                    std::vector<StoredFrame>* out) {
  if (first_seq == 0 || last_seq < first_seq) return false;
  size_t before = out->size();
  size_t pos = 0;
  uint64_t seq = first_seq;
  while (pos < blob.size()) {
    uint64_t length = 0;
    if (seq > last_seq || !ReadVarint(blob, &pos, &length) || length > blob.size() - pos) {
      out->resize(before);
      return false;
    }
    out->push_back(StoredFrame{.seq = seq++, .frame = std::string(blob.substr(pos, length))});
    pos += length;
  }
  if (seq != last_seq + 1) {
    out->resize(before);
    return false;
  }
  return true;
}

}  // namespace streamgate::gateway
