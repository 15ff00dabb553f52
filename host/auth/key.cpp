// Key format, generation, prefix hash, digests, constant-time comparison, scopes, time stamps.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
#include <chrono>
#include <ctime>

#include "swingpipe/host/auth.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/untrusted.hpp"

namespace swingpipe::auth {
namespace {

bool url_safe(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

bool is_well_formed(std::string_view key) {
  if (key.size() != kKeyPrefix.size() + kKeyBodyLength) return false;
  if (key.substr(0, kKeyPrefix.size()) != kKeyPrefix) return false;
  for (char c : key.substr(kKeyPrefix.size()))
    if (!url_safe(c)) return false;
  return true;
}

std::string generate_key() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw Error("generating an API key: OpenSSL RAND_bytes failed");
  // base64url without padding, as Python's secrets.token_urlsafe(32): 256 bits -> 43 characters.
  std::string body;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      body += kAlphabet[(acc >> bits) & 0x3f];
    }
  }
  if (bits > 0) body += kAlphabet[(acc << (6 - bits)) & 0x3f];
  return std::string(kKeyPrefix) + body;
}

std::string prefix_hash(std::string_view key) {
  if (!is_well_formed(key)) throw InputError("not an API key (gms_ + 43 URL-safe characters)");
  const std::string_view prefix = key.substr(kKeyPrefix.size(), kPrefixLength);
  return io::sha256_hex(prefix.data(), prefix.size());
}

Digest key_digest(std::string_view key) {
  Digest d{};
  unsigned int len = 0;
  if (EVP_Digest(key.data(), key.size(), d.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != d.size())
    throw Error("SHA-256: OpenSSL EVP_Digest failed");
  return d;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// ---- scopes -------------------------------------------------------------------------------------

Scopes parse_scopes(std::string_view text) {
  Scopes out = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(start, end - start);
    while (!word.empty() && std::isspace(static_cast<unsigned char>(word.front())))
      word.remove_prefix(1);
    while (!word.empty() && std::isspace(static_cast<unsigned char>(word.back())))
      word.remove_suffix(1);
    if (word == "read")
      out |= kRead;
    else if (word == "run")
      out |= kRun;
    else if (word == "admin")
      out |= kAdmin;
    else if (!word.empty() || end < text.size())
      throw InputError("unknown scope " + io::quote_input(word) + " (known: read, run, admin)");
    start = end + 1;
  }
  return out;
}

std::string scopes_to_string(Scopes s) {
  std::string out;
  if (s & kRead) out += "read";
  if (s & kRun) out += out.empty() ? "run" : ",run";
  if (s & kAdmin) out += out.empty() ? "admin" : ",admin";
  return out;
}

// ---- time stamps --------------------------------------------------------------------------------

namespace {

/// Reads exactly `n` digits at `pos`; advances pos.
bool digits(std::string_view t, std::size_t& pos, int n, int& out) {
  if (pos + n > t.size()) return false;
  out = 0;
  for (int i = 0; i < n; ++i) {
    const char c = t[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view t, std::size_t& pos, char c) {
  if (pos >= t.size() || t[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<int64_t> parse_utc(std::string_view t) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(t, pos, 4, year) || !expect(t, pos, '-') || !digits(t, pos, 2, month) ||
      !expect(t, pos, '-') || !digits(t, pos, 2, day))
    return std::nullopt;
  if (pos < t.size() && (t[pos] == ' ' || t[pos] == 'T')) {
    ++pos;
    if (!digits(t, pos, 2, hour) || !expect(t, pos, ':') || !digits(t, pos, 2, minute))
      return std::nullopt;
    if (pos < t.size() && t[pos] == ':') {
      ++pos;
      if (!digits(t, pos, 2, second)) return std::nullopt;
      if (pos < t.size() && t[pos] == '.') {
        ++pos;
        const std::size_t start = pos;
        while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') ++pos;
        if (pos == start) return std::nullopt;
      }
    }
  }
  int64_t offset = 0;
  if (pos < t.size() && t[pos] == 'Z') {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    const int sign = t[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!digits(t, pos, 2, oh)) return std::nullopt;
    expect(t, pos, ':');
    if (!digits(t, pos, 2, om)) return std::nullopt;
    offset = sign * (oh * 3600 + om * 60);
  }
  if (pos != t.size()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const int64_t secs = static_cast<int64_t>(timegm(&tm));
  if (tm.tm_mday != day) return std::nullopt;  // timegm normalised an impossible date (Feb 30)
  return secs - offset;
}

std::string format_utc(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S.000000", &tm);
  return buf;
}

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace swingpipe::auth
