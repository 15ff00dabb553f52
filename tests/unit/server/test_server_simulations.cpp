// POST /v1/simulations over HTTP: swings into the library as a task, the same swings as the
// simulator's, bad requests refused before any task exists, cancel at a batch boundary and resume.
#include <cmath>

#include "server_test_util.hpp"
#include "swingpipe/host/engine.hpp"
#include "swingpipe/host/swing_sim.hpp"

namespace swingpipe::server {
namespace {

using test::bearer;
using test::error_code;
using test::json_of;

class Simulations : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = test::test_config(dir_.path());
    config_.models_dir = std::string(SWINGPIPE_SOURCE_DIR) + "/configs/models";
    config_.simulation_threads = 1;
    config_.simulation_max_count = 50;
    runner_ = test::make_key(config_.keys_database, auth::kRead | auth::kRun, std::nullopt, "run");
    reader_ = test::make_key(config_.keys_database, auth::kRead, std::nullopt, "read");
  }
  httplib::Result post(httplib::Client& c, const std::string& body, const std::string& key = "") {
    return c.Post("/v1/simulations", bearer(key.empty() ? runner_.secret : key), body,
                  "application/json");
  }
  std::string submit(httplib::Client& c, const std::string& body) {
    auto r = post(c, body);
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 202) << r->body;
    const std::string id = json_of(r)["task"].value("id", "");
    EXPECT_EQ(r->get_header_value("Location"), "/v1/tasks/" + id);
    EXPECT_EQ(json_of(r)["task"]["kind"], "simulation");
    return id;
  }
  nlohmann::json wait(httplib::Client& c, const std::string& id) {
    auto r = c.Get("/v1/tasks/" + id + "?wait=60", bearer(runner_.secret));
    EXPECT_TRUE(r);
    return r ? json_of(r) : nlohmann::json();
  }
  test::TempDir dir_;
  ServerConfig config_;
  auth::KeyStore::Created runner_, reader_;
};

TEST_F(Simulations, StoresTheSimulatorsSwingsAndARepeatSkipsThem) {
  test::InProcessServer s(config_);
  auto c = s.client();
  const auto task =
      wait(c, submit(c, R"({"model": "golfer_upper", "count": 2, "seed": 7, "batch_size": 1})"));
  ASSERT_EQ(task["state"], "succeeded") << task.dump();
  EXPECT_EQ(task["progress"], 1.0);
  const auto& res = task["result"];
  EXPECT_EQ(res["model"], "golfer_upper");
  EXPECT_EQ(res["seed"], 7);
  EXPECT_EQ(res["count"], 2);
  EXPECT_EQ(res["skipped"], 0);
  EXPECT_FALSE(res["stopped"].get<bool>());
  EXPECT_EQ(res["model_sha256"].get<std::string>().size(), 64u);
  // Driver club-head speeds at impact (the simulator's own range check is 35-55 m/s).
  EXPECT_GT(res["min_impact_speed"].get<double>(), 30.0);
  EXPECT_LT(res["max_impact_speed"].get<double>(), 60.0);

  // The stored swings are the simulator's, value for value.
  RecordingLibrary lib(config_.library);
  ASSERT_EQ(lib.count(), 2);
  engine::LoadOptions lo;
  lo.tolerance = 1e-12;
  const auto model = engine::Model::load(config_.models_dir + "/golfer_upper.xml", lo);
  for (int64_t i = 0; i < 2; ++i) {
    const auto id = lib.find_by_filename("sim/golfer_upper/seed7/swing_00000" + std::to_string(i));
    ASSERT_TRUE(id) << "swing " << i;
    EXPECT_EQ(*id, res["first_id"].get<int64_t>() + i);
    const Recording stored = lib.get(*id);
    const Recording direct = sim::simulate_swing(model, sim::draw_params(7, i), 500);
    ASSERT_EQ(stored.channels, direct.channels);
    ASSERT_EQ(stored.frames(), direct.frames());
    EXPECT_EQ(stored.data, direct.data) << "swing " << i;
  }
  // Listed through the API like any recording.
  auto r = c.Get("/v1/recordings?limit=10", bearer(reader_.secret));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json_of(r)["recordings"].size(), 2u);

  // The same request again: nothing simulated twice.
  const auto again = wait(c, submit(c, R"({"model": "golfer_upper", "count": 2, "seed": 7})"));
  ASSERT_EQ(again["state"], "succeeded") << again.dump();
  EXPECT_EQ(again["result"]["count"], 0);
  EXPECT_EQ(again["result"]["skipped"], 2);
  EXPECT_EQ(again["result"]["first_id"], nullptr);
  EXPECT_EQ(lib.count(), 2);
  // A simulation has no run results.
  r = c.Get("/v1/tasks/" + again["id"].get<std::string>() + "/results", bearer(runner_.secret));
  EXPECT_EQ(r->status, 404);
}

TEST_F(Simulations, BadRequestsAreRefusedBeforeAnyTaskAndChangeNothing) {
  test::InProcessServer s(config_);
  auto c = s.client();
  struct Case {
    std::string body, code, says;
    int status = 400;
  };
  const std::vector<Case> cases = {
      {R"({})", "invalid_request", "/model"},
      {R"({"model": 3})", "invalid_request", "/model"},
      {R"({"model": "../../etc/passwd"})", "invalid_request", "is not a model name"},
      {R"({"model": "/etc/passwd"})", "invalid_request", "is not a model name"},
      {R"({"model": ""})", "invalid_request", "is not a model name"},
      {R"({"model": "golfer_nothing"})", "invalid_request", "golfer_advanced, golfer_full"},
      {R"({"model": "golfer_upper", "count": 0})", "invalid_request", "/count: must be 1..50"},
      {R"({"model": "golfer_upper", "count": 51})", "invalid_request", "got 51"},
      {R"({"model": "golfer_upper", "count": "2"})", "invalid_request", "/count"},
      {R"({"model": "golfer_upper", "count": 2.5})", "invalid_request", "/count"},
      {R"({"model": "golfer_upper", "seed": -1})", "invalid_request", "/seed"},
      {R"({"model": "golfer_upper", "sample_rate": 333})", "invalid_request",
       "does not divide the model's step rate"},
      {R"({"model": "golfer_upper", "sample_rate": 0})", "invalid_request", "sample rate"},
      {R"({"model": "golfer_upper", "batch_size": -1})", "invalid_request", "/batch_size"},
      {R"({"model": "golfer_upper", "tolerance": 2})", "invalid_request", "/tolerance"},
      {R"({"model": "golfer_upper", "speed": 40})", "invalid_request", "speed"},
      {R"([1, 2])", "invalid_request", ""},
      {R"({"model": "golfer_upper",)", "invalid_json", ""},
  };
  for (const auto& k : cases) {
    auto r = post(c, k.body);
    ASSERT_TRUE(r) << k.body;
    EXPECT_EQ(r->status, k.status) << k.body << " -> " << r->body;
    EXPECT_EQ(error_code(r), k.code) << k.body << " -> " << r->body;
    EXPECT_NE(json_of(r)["error"]["message"].get<std::string>().find(k.says), std::string::npos)
        << k.body << " -> " << r->body;
  }
  // A read-only key may not simulate; no key at all is 401.
  auto r = post(c, R"({"model": "golfer_upper"})", reader_.secret);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(error_code(r), "insufficient_scope");
  r = c.Post("/v1/simulations", R"({"model": "golfer_upper"})", "application/json");
  EXPECT_EQ(r->status, 401);
  // Nothing was queued and nothing stored.
  r = c.Get("/health");
  EXPECT_EQ(json_of(r)["tasks"]["in_memory"], 0);
  EXPECT_EQ(RecordingLibrary(config_.library).count(), 0);
}

TEST_F(Simulations, CancelStopsAfterABatchAndTheSameRequestResumes) {
  test::InProcessServer s(config_);
  auto c = s.client();
  const std::string body = R"({"model": "golfer_upper", "count": 3, "batch_size": 1})";
  std::string id;
  {
    // Hold the library's write lock: the task simulates its first swing and waits to store it.
    test::WriteLock lock(config_.library);
    id = submit(c, body);
    // The same model and seed again: refused while the first is queued or running.
    auto again = post(c, body);
    EXPECT_EQ(again->status, 409) << again->body;
    EXPECT_EQ(error_code(again), "simulation_in_progress");
    auto r = c.Delete("/v1/tasks/" + id, bearer(runner_.secret));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 200 || r->status == 202) << r->body;
  }
  const auto task = wait(c, id);
  EXPECT_EQ(task["state"], "cancelled") << task.dump();
  RecordingLibrary lib(config_.library);
  const int64_t stored = lib.count();
  EXPECT_GE(stored, 0);
  EXPECT_LT(stored, 3);  // stopped at a batch boundary, every stored swing whole
  if (task["result"].is_object()) {
    EXPECT_TRUE(task["result"]["stopped"].get<bool>());
    EXPECT_EQ(task["result"]["count"].get<int64_t>(), stored);
  }
  const auto resumed = wait(c, submit(c, body));
  ASSERT_EQ(resumed["state"], "succeeded") << resumed.dump();
  EXPECT_EQ(resumed["result"]["skipped"].get<int64_t>(), stored);
  EXPECT_EQ(resumed["result"]["count"].get<int64_t>(), 3 - stored);
  EXPECT_EQ(lib.count(), 3);
}

TEST_F(Simulations, AMissingModelsDirectoryListsNoModels) {
  config_.models_dir = (dir_.path() / "no-models").string();
  test::InProcessServer s(config_);
  auto c = s.client();
  auto r = post(c, R"({"model": "golfer_upper"})");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(json_of(r)["error"]["message"].get<std::string>().find("(models: none)"),
            std::string::npos)
      << r->body;
}

}  // namespace
}  // namespace swingpipe::server
