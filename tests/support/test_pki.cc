#include "tests/support/test_pki.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "tests/support/spawn.h"

namespace streamgate::testing {
namespace {

// One config for every openssl call, so that the system's openssl.cnf (whose defaults
// differ between distributions) plays no part.
constexpr char kConfig[] = R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
)";

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

void SetError(std::string* error, const std::string& what) {
  if (error != nullptr) *error = what;
}

}  // namespace

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool WriteTextFile(const std::string& path, const std::string& content) {
  std::string temporary = path + ".writing";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) return false;
  }
  return std::rename(temporary.c_str(), path.c_str()) == 0;
}

TestPki::TestPki(std::string dir) : dir_(std::move(dir)) {}

TestPki::~TestPki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::unique_ptr<TestPki> TestPki::Create(std::string* error) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/streamgate-pki-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    SetError(error, "mkdtemp " + pattern + " failed");
    return nullptr;
  }
  std::unique_ptr<TestPki> pki(new TestPki(pattern));
  pki->openssl_ = FindOnPath("openssl");
  if (pki->openssl_.empty()) {
    SetError(error, "no openssl on PATH (Debian: apt-get install openssl)");
    return nullptr;
  }
  if (!WriteTextFile(pki->dir_ + "/openssl.cnf", kConfig)) {
    SetError(error, "cannot write " + pki->dir_ + "/openssl.cnf");
    return nullptr;
  }
  pki->ca_pem_ = pki->dir_ + "/ca.pem";
  pki->other_ca_pem_ = pki->dir_ + "/other_ca.pem";
  bool made =
      pki->MakeCa("ca", error) && pki->MakeCa("other_ca", error) &&
      pki->IssueInto("server", Signer::kCa, Usage::kServer, &pki->server_, error) &&
      pki->IssueInto("client", Signer::kCa, Usage::kClient, &pki->client_, error) &&
      pki->IssueInto("other_client", Signer::kOtherCa, Usage::kClient, &pki->other_client_, error);
  if (!made) return nullptr;
  return pki;
}

std::unique_ptr<TestPki::Leaf> TestPki::Issue(const std::string& name, Signer signer, Usage usage,
                                              std::string* error) {
  auto leaf = std::make_unique<Leaf>();
  if (!IssueInto(name, signer, usage, leaf.get(), error)) return nullptr;
  return leaf;
}

bool TestPki::MakeCa(const std::string& name, std::string* error) {
  return OpenSsl(
      {"req", "-x509", "-config", dir_ + "/openssl.cnf", "-extensions", "ca_ext", "-newkey", "ec",
       "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", dir_ + "/" + name + ".key",
       "-out", dir_ + "/" + name + ".pem", "-days", "2", "-subj", "/CN=streamgate-test-" + name},
      error);
}

bool TestPki::IssueInto(const std::string& name, Signer signer, Usage usage, Leaf* leaf,
                        std::string* error) {
  const std::string ca = dir_ + (signer == Signer::kCa ? "/ca" : "/other_ca");
  const std::string base = dir_ + "/" + name;
  const std::string common_name = usage == Usage::kServer ? "localhost" : name;
  // Distinct serials, so that no two certificates from one CA look alike to a verifier.
  static std::mt19937_64 random{std::random_device{}()};
  char serial[32];
  std::snprintf(serial, sizeof(serial), "0x%016llx",
                static_cast<unsigned long long>(random() >> 1));
  bool made =
      OpenSsl({"req", "-new", "-config", dir_ + "/openssl.cnf", "-newkey", "ec", "-pkeyopt",
               "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", base + ".key", "-out",
               base + ".csr", "-subj", "/CN=" + common_name},
              error) &&
      OpenSsl(
          {"x509", "-req", "-in", base + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
           "-set_serial", serial, "-days", "2", "-extfile", dir_ + "/openssl.cnf", "-extensions",
           usage == Usage::kServer ? "server_ext" : "client_ext", "-out", base + ".pem"},
          error);
  if (!made) return false;
  leaf->cert = base + ".pem";
  leaf->key = base + ".key";
  return true;
}

bool TestPki::OpenSsl(const std::vector<std::string>& args, std::string* error) const {
  const std::string log = dir_ + "/openssl.log";
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    SetError(error, "cannot write " + log);
    return false;
  }
  std::vector<std::string> argv = {openssl_};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = -1;
  try {
    pid = SpawnProcess(argv, {.env = {},
                              .redirects = {{fd, STDOUT_FILENO}, {fd, STDERR_FILENO}},
                              .default_signals = {}});
  } catch (const std::runtime_error& failure) {
    close(fd);
    SetError(error, failure.what());
    return false;
  }
  close(fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  std::string command;
  for (const auto& arg : argv) command += arg + " ";
  SetError(error, "openssl failed: " + command + "\n" + ReadTextFile(log));
  return false;
}

}  // namespace streamgate::testing
