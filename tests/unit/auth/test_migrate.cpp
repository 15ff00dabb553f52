// `keys migrate` on a database made like the Python suite's: two statements, --dry-run, the
// secrets file written once with mode 0600, and the new keys verify.
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "auth_test_util.hpp"
#include "swingpipe/host/auth.hpp"

namespace swingpipe::auth {
namespace {

class Migrate : public ::testing::Test {
 protected:
  void SetUp() override {
    test::create_python_suite_db(db());
    test::add_python_user(db(), 1, "ann@example.org", "free");
    test::add_python_user(db(), 2, "root@example.org", "admin");
    // Old SHA-256 rows (what the Python migration script replaces), one of them inactive.
    for (int i = 1; i <= 4; ++i)
      test::add_python_key(db(), i, i % 2 ? 1 : 2, io_sha("old key " + std::to_string(i)),
                           "key " + std::to_string(i), i != 4);
    // A bcrypt row made by Python's bcrypt: working, kept unless --all.
    python_ = test::python_keys().at(2);
    test::add_python_key(db(), 5, 1, python_.hash, "python bcrypt", true);
  }
  static std::string io_sha(const std::string& s) {
    // A 64-hex-digit value, like the SHA-256 hashes the Python suite stored before bcrypt.
    std::string out;
    for (unsigned char c : s + std::string(64, 'x')) {
      static const char* hex = "0123456789abcdef";
      out += hex[c % 16];
      if (out.size() == 64) break;
    }
    return out;
  }
  std::filesystem::path db() const { return dir_ / "golf_modeling_suite.db"; }
  std::string hashes() const {
    return test::sql_value(db(), "SELECT group_concat(key_hash, '|') FROM api_keys ORDER BY id");
  }
  std::map<int64_t, std::string> read_secrets(const std::filesystem::path& file) const {
    std::ifstream in(file);
    std::map<int64_t, std::string> out;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::stringstream ss(line);
      std::string id, user, name, secret;
      std::getline(ss, id, '\t');
      std::getline(ss, user, '\t');
      std::getline(ss, name, '\t');
      std::getline(ss, secret, '\t');
      out[std::stoll(id)] = secret;
    }
    return out;
  }
  test::TempDir dir_;
  test::PythonKey python_;
};

TEST_F(Migrate, DryRunChangesNothing) {
  const std::string before = hashes();
  KeyStore store(db(), {.must_exist = true, .read_only = true});
  MigrationOptions o;
  o.dry_run = true;
  const auto report = store.migrate(o);
  EXPECT_TRUE(report.dry_run);
  ASSERT_EQ(report.migrated.size(), 3u);
  EXPECT_EQ(report.migrated[0].id, 1);
  EXPECT_EQ(report.skipped_inactive, 1);
  EXPECT_EQ(report.kept_bcrypt, 1);
  EXPECT_EQ(report.statements, 1);  // the one read
  EXPECT_EQ(hashes(), before);
  // Not even the schema changed (no swingpipe columns added).
  EXPECT_EQ(test::sql_value(db(),
                            "SELECT count(*) FROM pragma_table_info('api_keys') WHERE "
                            "name = 'prefix_hash'"),
            "0");
}

TEST_F(Migrate, ReissuesInTwoStatementsAndTheSecretsVerify) {
  KeyStore store(db(), {.must_exist = true});
  MigrationOptions o;
  o.cost = 4;
  o.secrets_file = dir_ / "new_keys.tsv";
  const auto report = store.migrate(o);
  ASSERT_EQ(report.migrated.size(), 3u);
  EXPECT_EQ(report.statements, 2);  // every key with its user at once, then one UPDATE
  struct stat st {};
  ASSERT_EQ(::stat(o.secrets_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto secrets = read_secrets(o.secrets_file);
  ASSERT_EQ(secrets.size(), 3u);
  Verifier::Options vo;
  vo.sync_interval = std::chrono::milliseconds(0);
  Verifier v(store, vo);
  for (const auto& [id, secret] : secrets) {
    ASSERT_TRUE(is_well_formed(secret)) << secret;
    const auto r = v.verify(secret);
    EXPECT_EQ(r.outcome, Outcome::ok) << id;
    EXPECT_EQ(r.principal.key_id, id);
    // Found through the prefix index: exactly one bcrypt for the first verification.
    EXPECT_EQ(r.principal.scopes, id % 2 ? kDefaultScopes : (kDefaultScopes | kAdmin));
  }
  EXPECT_EQ(v.bcrypt_calls(), 3);
  EXPECT_EQ(secrets.count(4), 0u);                        // the inactive row was left alone
  EXPECT_EQ(v.verify(python_.key).outcome, Outcome::ok);  // the bcrypt row still works
  // Written once: a second run refuses to overwrite the file, and changes nothing.
  const std::string after = hashes();
  EXPECT_THROW(store.migrate(o), InputError);
  EXPECT_EQ(hashes(), after);
}

TEST_F(Migrate, AllReissuesBcryptRowsToo) {
  KeyStore store(db(), {.must_exist = true});
  MigrationOptions o;
  o.cost = 4;
  o.all = true;
  o.secrets_file = dir_ / "all.tsv";
  const auto report = store.migrate(o);
  EXPECT_EQ(report.migrated.size(), 4u);
  EXPECT_EQ(report.kept_bcrypt, 0);
  Verifier::Options vo;
  vo.sync_interval = std::chrono::milliseconds(0);
  Verifier v(store, vo);
  EXPECT_EQ(v.verify(python_.key).outcome, Outcome::invalid);  // replaced
  EXPECT_EQ(v.verify(read_secrets(o.secrets_file).at(5)).outcome, Outcome::ok);
}

TEST_F(Migrate, NothingToDoWritesNoFile) {
  test::sql(db(), "DELETE FROM api_keys WHERE key_hash NOT LIKE '$2%'");
  KeyStore store(db(), {.must_exist = true});
  MigrationOptions o;
  o.secrets_file = dir_ / "none.tsv";
  const auto report = store.migrate(o);
  EXPECT_TRUE(report.migrated.empty());
  EXPECT_FALSE(std::filesystem::exists(o.secrets_file));
}

TEST_F(Migrate, RefusesWhatIsNotAKeysDatabase) {
  test::sql(dir_ / "other.db", "CREATE TABLE api_keys (id INTEGER PRIMARY KEY, token TEXT)");
  EXPECT_THROW(KeyStore(dir_ / "other.db", {.must_exist = true}), StorageError);
  EXPECT_THROW(KeyStore(dir_ / "missing.db", {.must_exist = true}), NotFoundError);
}

}  // namespace
}  // namespace swingpipe::auth
