// bcrypt through libxcrypt (crypt_gensalt_rn + crypt_rn): $2b$ hashes, as Python's `bcrypt` makes.
#include <crypt.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <memory>

#include "swingpipe/host/auth.hpp"

namespace swingpipe::auth {
namespace {

/// struct crypt_data is ~32 KiB: one per thread, reused.
crypt_data& scratch() {
  thread_local std::unique_ptr<crypt_data> data = std::make_unique<crypt_data>();
  return *data;
}

bool bcrypt_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '/';
}

}  // namespace

bool is_bcrypt_hash(std::string_view h) {
  if (h.size() != 60 || h[0] != '$' || h[1] != '2' || h[3] != '$' || h[6] != '$') return false;
  if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') return false;
  if (h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9') return false;
  for (std::size_t i = 7; i < h.size(); ++i)
    if (!bcrypt_char(h[i])) return false;
  return true;
}

std::string bcrypt_hash(std::string_view secret, int cost) {
  if (cost < 4 || cost > 31)
    throw InputError("bcrypt cost must be 4..31, got " + std::to_string(cost));
  if (secret.find('\0') != std::string_view::npos)
    throw InputError("bcrypt: the secret contains a NUL byte");
  std::array<unsigned char, 16> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    throw Error("bcrypt: OpenSSL RAND_bytes failed");
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost),
                        reinterpret_cast<const char*>(salt.data()), static_cast<int>(salt.size()),
                        setting, sizeof setting))
    throw Error(std::string("bcrypt: crypt_gensalt_rn failed: ") + std::strerror(errno));
  const std::string phrase(secret);
  crypt_data& data = scratch();
  std::memset(&data, 0, sizeof data);
  const char* out = crypt_rn(phrase.c_str(), setting, &data, sizeof data);
  if (!out || out[0] == '*')
    throw Error(std::string("bcrypt: crypt_rn failed: ") + std::strerror(errno));
  return out;
}

bool bcrypt_verify(std::string_view secret, std::string_view hash) {
  if (!is_bcrypt_hash(hash) || secret.find('\0') != std::string_view::npos) return false;
  const std::string phrase(secret);
  const std::string setting(hash);
  crypt_data& data = scratch();
  std::memset(&data, 0, sizeof data);
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), &data, sizeof data);
  if (!out || out[0] == '*') return false;
  return constant_time_equal(out, hash);
}

}  // namespace swingpipe::auth
