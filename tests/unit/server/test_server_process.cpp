// `swingpipe serve` as a process: kill -9 during a run, restart, the task reads `interrupted`, a
// resubmission with the same run id finishes and no recording is processed twice; SIGTERM shuts
// down gracefully and checkpoints the running task.
#include "server_test_util.hpp"

namespace swingpipe::server {
namespace {

using test::bearer;
using test::json_of;
using namespace std::chrono_literals;

/// created_at of every stored result of a run, by (recording, analysis).
std::map<std::pair<int64_t, std::string>, std::string> result_times(const std::string& library,
                                                                    const std::string& run_id) {
  sqlite3* h = nullptr;
  sqlite3_open(library.c_str(), &h);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(h, "SELECT recording_id, analysis, created_at FROM results WHERE run_id = ?1",
                     -1, &s, nullptr);
  sqlite3_bind_text(s, 1, run_id.c_str(), -1, SQLITE_TRANSIENT);
  std::map<std::pair<int64_t, std::string>, std::string> out;
  while (sqlite3_step(s) == SQLITE_ROW)
    out[{sqlite3_column_int64(s, 0), reinterpret_cast<const char*>(sqlite3_column_text(s, 1))}] =
        reinterpret_cast<const char*>(sqlite3_column_text(s, 2));
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

class Process : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = test::test_config(dir_.path());
    config_.run_batch_size = 3;
    test::seed_library(config_.library, 12);
    key_ = test::make_key(config_.keys_database, auth::kRead | auth::kRun).secret;
  }
  test::TempDir dir_;
  ServerConfig config_;
  std::string key_;
};

TEST_F(Process, KillDashNineThenRestartThenResumeProcessesNothingTwice) {
  const std::string body = R"({"run_id": "resume-me", "analyses": [{"type": "stats"}]})";
  std::string task_id;
  {
    // This server kills itself (SIGKILL: no destructors, no flush) right after its second batch.
    test::ChildServer child(config_, dir_.path(), {"SWINGPIPE_TEST_KILL_AFTER_BATCHES=2"});
    auto c = child.client();
    auto r = c.Post("/v1/runs", bearer(key_), body, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 202) << r->body;
    task_id = json_of(r)["task"]["id"];
    const int status = child.wait_exit(120s);
    ASSERT_NE(status, -1) << "the server did not die; log:\n" << child.log();
    ASSERT_TRUE(WIFSIGNALED(status)) << child.log();
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
  }
  const auto before = result_times(config_.library, "resume-me");
  ASSERT_EQ(before.size(), 6u);  // two committed batches of three

  test::ChildServer child(config_, dir_.path());
  EXPECT_EQ(child.interrupted_at_start(), 1);
  auto c = child.client();
  auto t = json_of(c.Get("/v1/tasks/" + task_id, bearer(key_)));
  EXPECT_EQ(t["state"], "interrupted") << t.dump();
  EXPECT_NE(t["message"].get<std::string>().find("stopped before the task finished"),
            std::string::npos);

  auto r = c.Post("/v1/runs", bearer(key_), body, "application/json");
  ASSERT_EQ(r->status, 202) << r->body;
  const std::string again = json_of(r)["task"]["id"];
  t = json_of(c.Get("/v1/tasks/" + again + "?wait=60", bearer(key_)));
  ASSERT_EQ(t["state"], "succeeded") << t.dump();
  EXPECT_EQ(t["result"]["already_done"], 6);
  EXPECT_EQ(t["result"]["processed"], 6);
  const auto after = result_times(config_.library, "resume-me");
  EXPECT_EQ(after.size(), 12u);
  for (const auto& [k, created] : before)  // untouched: not processed again
    EXPECT_EQ(after.at(k), created) << "recording " << k.first << " was processed twice";

  // SIGTERM: a graceful stop, exit status 0.
  ::kill(child.pid(), SIGTERM);
  const int status = child.wait_exit(60s);
  ASSERT_TRUE(WIFEXITED(status)) << child.log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << child.log();
}

TEST_F(Process, SigtermCheckpointsTheRunningTaskAsInterrupted) {
  config_.shutdown_grace_seconds = 0;
  std::string task_id;
  {
    test::ChildServer child(config_, dir_.path());
    auto c = child.client();
    {
      test::WriteLock lock(config_.library);  // the run waits for the library
      auto r = c.Post("/v1/runs", bearer(key_),
                      R"({"run_id": "stop", "analyses": [{"type": "stats"}]})", "application/json");
      ASSERT_EQ(r->status, 202) << r->body;
      task_id = json_of(r)["task"]["id"];
      ::kill(child.pid(), SIGTERM);
      // The server stops listening at once; the run is asked to stop at its next checkpoint.
    }
    const int status = child.wait_exit(60s);
    ASSERT_TRUE(WIFEXITED(status)) << child.log();
    EXPECT_EQ(WEXITSTATUS(status), 0) << child.log();
  }
  test::ChildServer child(config_, dir_.path());
  EXPECT_EQ(child.interrupted_at_start(), 0);  // the graceful stop recorded it already
  auto c = child.client();
  const auto t = json_of(c.Get("/v1/tasks/" + task_id, bearer(key_)));
  EXPECT_EQ(t["state"], "interrupted") << t.dump();
  const auto r =
      json_of(c.Post("/v1/runs", bearer(key_),
                     R"({"run_id": "stop", "analyses": [{"type": "stats"}]})", "application/json"));
  const auto done =
      json_of(c.Get("/v1/tasks/" + r["task"]["id"].get<std::string>() + "?wait=60", bearer(key_)));
  EXPECT_EQ(done["state"], "succeeded");
  EXPECT_EQ(
      done["result"]["already_done"].get<int64_t>() + done["result"]["processed"].get<int64_t>(),
      12);
}

TEST_F(Process, BadConfigExits2NamingTheKey) {
  std::ofstream(dir_ / "bad.json") << R"({"http": {"threads": 0}, "colour": "red"})";
  std::string out;
  EXPECT_EQ(test::run_cli("serve --config '" + (dir_ / "bad.json").string() + "'", &out), 2) << out;
  EXPECT_NE(out.find("/http/threads"), std::string::npos) << out;
  std::ofstream(dir_ / "bad2.json") << R"({"colour": "red"})";
  EXPECT_EQ(test::run_cli("serve --config '" + (dir_ / "bad2.json").string() + "'", &out), 2);
  EXPECT_NE(out.find("/colour"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("serve --config '" + (dir_ / "absent.json").string() + "'", &out), 3);
  // The shipped config is every default, and parses.
  ASSERT_EQ(test::run_cli("serve --print-config", &out), 0) << out;
  std::ifstream shipped(std::string(SWINGPIPE_SOURCE_DIR) + "/configs/server.json");
  EXPECT_EQ(nlohmann::json::parse(out), nlohmann::json::parse(shipped));
}

TEST_F(Process, KeysCommandLine) {
  const std::string db = "--keys-db '" + (dir_ / "cli-keys.db").string() + "'";
  std::string out;
  ASSERT_EQ(test::run_cli("--json keys " + db + " create --name ci --scopes read --cost 4", &out),
            0)
      << out;
  const auto created = nlohmann::json::parse(out.substr(out.find('{')));
  const std::string secret = created["secret"];
  EXPECT_TRUE(auth::is_well_formed(secret));
  ASSERT_EQ(test::run_cli("--json keys " + db + " list", &out), 0) << out;
  EXPECT_EQ(out.find(secret), std::string::npos) << "list shows a secret";
  EXPECT_EQ(nlohmann::json::parse(out.substr(out.find('[')))[0]["name"], "ci");
  EXPECT_EQ(test::run_cli("keys " + db + " revoke " + created["key"]["id"].dump(), &out), 0) << out;
  EXPECT_EQ(test::run_cli("keys " + db + " revoke 99", &out), 3) << out;
  EXPECT_EQ(test::run_cli("keys " + db + " create --name x --scopes write", &out), 2) << out;
  EXPECT_EQ(test::run_cli("keys --keys-db '" + (dir_ / "none.db").string() + "' list", &out), 3);
  EXPECT_EQ(test::run_cli("keys " + db + " migrate", &out), 2) << out;  // --output required
}

}  // namespace
}  // namespace swingpipe::server
