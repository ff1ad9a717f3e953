#pragma once

#include <string>

namespace streamgate::testing {

// A fresh directory under $TMPDIR (or /tmp) for one test's files (key files, certificates),
// removed with everything in it when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Path(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to `name` (replacing it atomically) and returns the file's path.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace streamgate::testing
