// Keys, prefix hashes, bcrypt (against Python's `bcrypt`), scopes, time stamps.
#include <openssl/evp.h>

#include <ctime>
#include <set>

#include "auth_test_util.hpp"
#include "swingpipe/host/auth.hpp"

namespace swingpipe::auth {
namespace {

TEST(Keys, GeneratedKeysAreWellFormedAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string k = generate_key();
    ASSERT_EQ(k.size(), 47u) << k;
    ASSERT_EQ(k.substr(0, 4), "gms_");
    ASSERT_TRUE(is_well_formed(k)) << k;
    ASSERT_TRUE(seen.insert(k).second) << "duplicate key " << k;
  }
  // Every base64url character shows up somewhere in 2000 x 43 random characters.
  std::set<char> chars;
  for (const auto& k : seen) chars.insert(k.begin() + 4, k.end());
  EXPECT_EQ(chars.size(), 64u);
}

TEST(Keys, MalformedKeysAreRecognised) {
  const std::string good = generate_key();
  EXPECT_TRUE(is_well_formed(good));
  EXPECT_FALSE(is_well_formed(""));
  EXPECT_FALSE(is_well_formed("gms_"));
  EXPECT_FALSE(is_well_formed(good.substr(0, 46)));  // 42 characters after gms_
  EXPECT_FALSE(is_well_formed(good + "A"));          // 44
  EXPECT_FALSE(is_well_formed("gmx_" + good.substr(4)));
  EXPECT_FALSE(is_well_formed("GMS_" + good.substr(4)));
  for (char bad : {'+', '/', '=', ' ', '.', '\0', '\xc3'}) {
    std::string k = good;
    k[20] = bad;
    EXPECT_FALSE(is_well_formed(k)) << "character " << static_cast<int>(bad);
  }
  EXPECT_THROW(prefix_hash("not a key"), InputError);
}

TEST(Keys, PrefixHashIsSha256OfTheEightCharactersAfterGms) {
  // The fixture's prefix hashes were computed by Python's hashlib.
  for (const auto& k : test::python_keys()) EXPECT_EQ(prefix_hash(k.key), k.prefix_hash) << k.key;
  // Keys that differ only after the 12th character share the prefix hash.
  const std::string a = generate_key();
  std::string b = a;
  b[30] = b[30] == 'A' ? 'B' : 'A';
  EXPECT_EQ(prefix_hash(a), prefix_hash(b));
  b[11] = b[11] == 'A' ? 'B' : 'A';
  EXPECT_NE(prefix_hash(a), prefix_hash(b));
}

TEST(Keys, DigestIsSha256OfTheWholeKey) {
  const std::string k = generate_key();
  unsigned char ref[32];
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(k.data(), k.size(), ref, &len, EVP_sha256(), nullptr), 1);
  const Digest d = key_digest(k);
  EXPECT_TRUE(std::equal(d.begin(), d.end(), ref));
}

TEST(Keys, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(Bcrypt, HashesVerifyAndWrongSecretsDoNot) {
  const std::string key = generate_key();
  const std::string h = bcrypt_hash(key, 4);
  EXPECT_EQ(h.substr(0, 7), "$2b$04$");
  EXPECT_TRUE(is_bcrypt_hash(h)) << h;
  EXPECT_TRUE(bcrypt_verify(key, h));
  EXPECT_FALSE(bcrypt_verify(generate_key(), h));
  EXPECT_FALSE(bcrypt_verify(key.substr(0, 46), h));
  // A fresh salt each time.
  EXPECT_NE(bcrypt_hash(key, 4), h);
  // A changed hash character no longer matches.
  std::string broken = h;
  broken[40] = broken[40] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(bcrypt_verify(key, broken));
}

TEST(Bcrypt, RejectsWhatIsNotABcryptHash) {
  const std::string key = generate_key();
  for (const std::string& h :
       {std::string(), std::string("plain"), std::string(64, 'a'), std::string("$1$abc$def"),
        std::string("$2b$04$short"), std::string("$2x$04$") + std::string(53, 'a')}) {
    EXPECT_FALSE(is_bcrypt_hash(h)) << h;
    EXPECT_FALSE(bcrypt_verify(key, h)) << h;
  }
  EXPECT_THROW(bcrypt_hash(key, 3), InputError);
  EXPECT_THROW(bcrypt_hash(key, 32), InputError);
}

TEST(Bcrypt, HashesMadeByPythonBcryptVerifyUnchanged) {
  const auto keys = test::python_keys();
  ASSERT_GE(keys.size(), 4u);
  bool saw_cost12 = false, saw_2a = false;
  for (const auto& k : keys) {
    saw_cost12 |= k.hash.rfind("$2b$12$", 0) == 0;
    saw_2a |= k.hash.rfind("$2a$", 0) == 0;
    EXPECT_TRUE(is_bcrypt_hash(k.hash)) << k.hash;
    EXPECT_TRUE(bcrypt_verify(k.key, k.hash)) << k.hash;
    std::string other = k.key;
    other[46] = other[46] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(bcrypt_verify(other, k.hash)) << k.hash;
  }
  EXPECT_TRUE(saw_cost12);
  EXPECT_TRUE(saw_2a);
}

TEST(Bcrypt, LivePythonAgreesBothWays) {
  SWINGPIPE_REQUIRE_TEST_PYTHON(py);
  const std::string ours_key = generate_key();
  const std::string ours = bcrypt_hash(ours_key, 5);
  const std::string python_key = generate_key();
  const std::string script =
      "import bcrypt,sys\n"
      "ok = bcrypt.checkpw(sys.argv[1].encode(), sys.argv[2].encode())\n"
      "bad = bcrypt.checkpw(sys.argv[1].encode()[:-1] + b'?', sys.argv[2].encode())\n"
      "print('checkpw', ok, bad)\n"
      "print('hash', bcrypt.hashpw(sys.argv[3].encode(), bcrypt.gensalt(rounds=5)).decode())\n";
  test::TempDir dir;
  std::ofstream(dir / "x.py") << script;
  std::string out;
  ASSERT_EQ(test::run_shell(py.string() + " '" + (dir / "x.py").string() + "' '" + ours_key +
                                "' '" + ours + "' '" + python_key + "'",
                            &out),
            0)
      << out;
  EXPECT_NE(out.find("checkpw True False"), std::string::npos) << out;
  const auto at = out.find("hash ");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string theirs = out.substr(at + 5, 60);
  EXPECT_TRUE(bcrypt_verify(python_key, theirs)) << theirs;
  EXPECT_FALSE(bcrypt_verify(ours_key, theirs));
}

TEST(Scopes, ParseAndPrint) {
  EXPECT_EQ(parse_scopes("read"), kRead);
  EXPECT_EQ(parse_scopes("read,run"), kRead | kRun);
  EXPECT_EQ(parse_scopes(" admin , read "), kRead | kAdmin);
  EXPECT_EQ(parse_scopes(""), 0u);
  EXPECT_THROW(parse_scopes("read,write"), InputError);
  EXPECT_THROW(parse_scopes("read,,run"), InputError);
  EXPECT_THROW(parse_scopes("READ"), InputError);
  EXPECT_EQ(scopes_to_string(kRun | kRead | kAdmin), "read,run,admin");
  EXPECT_EQ(scopes_to_string(0), "");
  EXPECT_TRUE(allows(kRead | kRun, kRun));
  EXPECT_FALSE(allows(kRead, kRun));
  EXPECT_TRUE(allows(kAdmin, kRun));
  EXPECT_TRUE(allows(kAdmin, kRead | kRun));
}

TEST(Time, ParsesThePythonSuitesFormatsAsUtc) {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 0;
  tm.tm_mday = 2;
  tm.tm_hour = 3;
  tm.tm_min = 4;
  tm.tm_sec = 5;
  const int64_t t = timegm(&tm);
  EXPECT_EQ(parse_utc("2026-01-02 03:04:05.123456"), t);
  EXPECT_EQ(parse_utc("2026-01-02 03:04:05"), t);
  EXPECT_EQ(parse_utc("2026-01-02T03:04:05Z"), t);
  EXPECT_EQ(parse_utc("2026-01-02T05:04:05+02:00"), t);
  EXPECT_EQ(parse_utc("2026-01-02T01:04:05-0200"), t);
  EXPECT_EQ(parse_utc("2026-01-02 03:04"), t - 5);
  EXPECT_EQ(parse_utc("2026-01-02"), t - 3 * 3600 - 4 * 60 - 5);
  for (const char* bad : {"", "2026", "2026-13-01", "2026-02-30", "2026-01-02 25:00", "yesterday",
                          "2026-01-02 03:04:05 junk", "2026-01-02T03:04:05.Z"})
    EXPECT_FALSE(parse_utc(bad)) << bad;
  EXPECT_EQ(parse_utc(format_utc(t)), t);
  EXPECT_EQ(format_utc(t), "2026-01-02 03:04:05.000000");
}

}  // namespace
}  // namespace swingpipe::auth
