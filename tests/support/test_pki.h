#pragma once

#include <memory>
#include <string>
#include <vector>

namespace streamgate::testing {

// A throwaway PKI for TLS tests, made at test time with the `openssl` command line in a
// fresh temporary directory that is deleted with the object:
//
//   ca.pem                          a CA
//   server.pem, server.key          signed by it, for DNS:localhost and IP:127.0.0.1
//   client.pem, client.key          signed by it, a client certificate (CN streamgate-client)
//   other_ca.pem                    an unrelated CA
//   other_client.pem, other_client.key   signed by the other CA (for "wrong CA" tests)
//
// Keys are unencrypted EC P-256 (PKCS#8 PEM), certificates are valid for two days. Issue()
// makes more leaves (certificate rotation, a server certificate from the wrong CA). Not
// thread-safe; paths stay valid for the object's lifetime.
class TestPki {
 public:
  enum class Signer { kCa, kOtherCa };
  enum class Usage { kServer, kClient };
  struct Leaf {
    std::string cert;  // path of the PEM certificate
    std::string key;   // path of its PEM private key
  };

  // Makes the directory and every file above; null when openssl is missing or fails, with
  // the reason (openssl's output included) in *error.
  static std::unique_ptr<TestPki> Create(std::string* error = nullptr);
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& ca_pem() const { return ca_pem_; }
  const std::string& server_pem() const { return server_.cert; }
  const std::string& server_key() const { return server_.key; }
  const std::string& client_pem() const { return client_.cert; }
  const std::string& client_key() const { return client_.key; }
  const std::string& other_ca_pem() const { return other_ca_pem_; }
  const std::string& other_client_pem() const { return other_client_.cert; }
  const std::string& other_client_key() const { return other_client_.key; }

  // A new key and certificate `<name>.pem`/`<name>.key` in dir(): a server certificate has
  // the SANs DNS:localhost and IP:127.0.0.1, a client certificate CN=`name`. Null (and
  // *error) on failure.
  std::unique_ptr<Leaf> Issue(const std::string& name, Signer signer, Usage usage,
                              std::string* error = nullptr);

 private:
  explicit TestPki(std::string dir);
  // Runs openssl with `args` in dir_; false (and *error with its output) unless it exits 0.
  bool OpenSsl(const std::vector<std::string>& args, std::string* error) const;
  bool MakeCa(const std::string& name, std::string* error);
  bool IssueInto(const std::string& name, Signer signer, Usage usage, Leaf* leaf,
                 std::string* error);

  std::string openssl_;
  std::string dir_;
  std::string ca_pem_;
  std::string other_ca_pem_;
  Leaf server_;
  Leaf client_;
  Leaf other_client_;
};

// The whole content of a file ("" when it cannot be read).
std::string ReadTextFile(const std::string& path);
// Replaces a file's content (write to a temporary name, then rename, as rotation tools do).
bool WriteTextFile(const std::string& path, const std::string& content);

}  // namespace streamgate::testing
