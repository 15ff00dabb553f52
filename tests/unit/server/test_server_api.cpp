// The endpoints over HTTP: the OpenAPI document against the route table, the library, runs
// through the pipeline, task state and results, cancellation, the registry's limits and restart.
#include <cmath>
#include <fstream>
#include <set>

#include "../io/c3d_writer.hpp"
#include "api_error.hpp"
#include "server_test_util.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/kernels/stats.hpp"

namespace swingpipe::server {
namespace {

using test::bearer;
using test::error_code;
using test::json_of;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string scope_name(auth::Scopes s) {
  return s == 0 ? "none" : auth::scopes_to_string(s);
}

/// Every "$ref" in `j` names something that exists in `doc`.
void check_refs(const nlohmann::json& doc, const nlohmann::json& j, const std::string& where) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (k == "$ref") {
        const std::string ref = v.get<std::string>();
        ASSERT_EQ(ref.rfind("#/", 0), 0u) << where;
        EXPECT_TRUE(doc.contains(nlohmann::json::json_pointer(ref.substr(1))))
            << where << ": dangling " << ref;
      } else {
        check_refs(doc, v, where + "/" + k);
      }
    }
  } else if (j.is_array()) {
    for (const auto& v : j) check_refs(doc, v, where);
  }
}

class Http : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = test::test_config(dir_.path());
    test::seed_library(config_.library, 5);
    runner_ = test::make_key(config_.keys_database, auth::kRead | auth::kRun, std::nullopt, "run");
  }
  /// Submits a run; returns the task id (the response must be 202 with a Location).
  std::string submit(httplib::Client& c, const std::string& body, const std::string& key = "") {
    auto r =
        c.Post("/v1/runs", bearer(key.empty() ? runner_.secret : key), body, "application/json");
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 202) << r->body;
    const std::string id = json_of(r)["task"].value("id", "");
    EXPECT_EQ(r->get_header_value("Location"), "/v1/tasks/" + id);
    return id;
  }
  nlohmann::json wait(httplib::Client& c, const std::string& id, const std::string& key = "") {
    auto r = c.Get("/v1/tasks/" + id + "?wait=60", bearer(key.empty() ? runner_.secret : key));
    EXPECT_TRUE(r);
    return r ? json_of(r) : nlohmann::json();
  }
  test::TempDir dir_;
  ServerConfig config_;
  auth::KeyStore::Created runner_;
};

TEST_F(Http, OpenApiDocumentMatchesTheRouteTable) {
  const auto doc = nlohmann::json::parse(Server::openapi_document());
  EXPECT_EQ(doc["openapi"], "3.1.0");
  check_refs(doc, doc, "");
  // The embedded document is the one in the repository.
  std::ifstream in(std::string(SWINGPIPE_SOURCE_DIR) + "/tools/server/openapi.json");
  EXPECT_EQ(nlohmann::json::parse(in), doc) << "rebuild: the embedded openapi.json is stale";

  test::InProcessServer s(config_);
  std::set<std::string> routes, documented;
  for (const auto& r : s.server().routes()) {
    const std::string name = r.method + " " + r.path;
    routes.insert(name);
    const auto path = doc["paths"].find(r.path);
    ASSERT_NE(path, doc["paths"].end()) << name << " is not documented";
    const auto op = path->find(lower(r.method));
    ASSERT_NE(op, path->end()) << name << " is not documented";
    EXPECT_EQ((*op)["x-swingpipe-scope"], scope_name(r.scope)) << name;
    std::set<std::string> query, documented_query, path_params, documented_path;
    query.insert(r.query.begin(), r.query.end());
    for (const auto& p : op->value("parameters", nlohmann::json::array()))
      (p["in"] == "query" ? documented_query : documented_path)
          .insert(p["name"].get<std::string>());
    EXPECT_EQ(query, documented_query) << name;
    for (std::size_t at = r.path.find('{'); at != std::string::npos; at = r.path.find('{', at + 1))
      path_params.insert(r.path.substr(at + 1, r.path.find('}', at) - at - 1));
    EXPECT_EQ(path_params, documented_path) << name;
    EXPECT_EQ(op->contains("requestBody"), r.body) << name;
    if (r.scope) {
      EXPECT_TRUE((*op)["responses"].contains("401")) << name;
      EXPECT_TRUE((*op)["responses"].contains("403")) << name;
      EXPECT_FALSE((*op)["security"].empty()) << name;
    }
  }
  for (const auto& [path, ops] : doc["paths"].items())
    for (const auto& [method, op] : ops.items()) {
      std::string m = method;
      for (auto& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.insert(m + " " + path);
    }
  EXPECT_EQ(routes, documented);
  // The error codes: exactly the server's.
  std::set<std::string> doc_codes, server_codes;
  for (const auto& c :
       doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"])
    doc_codes.insert(c.get<std::string>());
  for (auto c : kErrorCodes) server_codes.emplace(c);
  EXPECT_EQ(doc_codes, server_codes);
  // Served as is.
  auto c = s.client();
  auto r = c.Get("/openapi.json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->body, Server::openapi_document());
}

TEST_F(Http, HealthAndLibrary) {
  test::InProcessServer s(config_);
  auto c = s.client();
  auto r = c.Get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json_of(r)["status"], "ok");
  EXPECT_EQ(json_of(r)["tasks"]["in_memory"], 0);

  const auto h = bearer(runner_.secret);
  r = c.Get("/v1/library/stats", h);
  EXPECT_EQ(json_of(r)["count"], 5);
  RecordingLibrary lib(config_.library);
  EXPECT_EQ(json_of(r)["total_frames"], lib.stats().total_frames);

  r = c.Get("/v1/recordings?limit=2&order_by=id", h);
  ASSERT_EQ(r->status, 200) << r->body;
  auto page = json_of(r);
  ASSERT_EQ(page["recordings"].size(), 2u);
  EXPECT_EQ(page["recordings"][0]["id"], 1);
  EXPECT_EQ(page["next_offset"], 2);
  r = c.Get("/v1/recordings?limit=2&offset=4", h);
  page = json_of(r);
  EXPECT_EQ(page["recordings"].size(), 1u);
  EXPECT_TRUE(page["next_offset"].is_null());
  const std::string club = lib.get_meta(3).club_type;
  r = c.Get("/v1/recordings?club_type=" + club + "&descending=true&order_by=id", h);
  const auto listed = json_of(r);  // the loop must not iterate into a destroyed temporary
  for (const auto& m : listed["recordings"]) EXPECT_EQ(m["club_type"], club);
  EXPECT_EQ(json_of(r)["recordings"][0]["id"].get<int64_t>(), lib.search([&] {
                                                                   SearchQuery q;
                                                                   q.club_type = club;
                                                                   q.descending = true;
                                                                   return q;
                                                                 }())
                                                                  .front()
                                                                  .id);

  r = c.Get("/v1/recordings/2?data=1", h);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto rec = json_of(r);
  const Recording stored = lib.get(2);
  EXPECT_EQ(rec["channels"], nlohmann::json(stored.channels));
  ASSERT_EQ(rec["data"][stored.channels[0]].size(), static_cast<std::size_t>(stored.frames()));
  EXPECT_DOUBLE_EQ(rec["data"][stored.channels[0]][10].get<double>(), stored.channel(0)[10]);
  r = c.Get("/v1/recordings/2", h);
  EXPECT_FALSE(json_of(r).contains("data"));
  EXPECT_EQ(error_code(c.Get("/v1/recordings/99", h)), "recording_not_found");
  EXPECT_EQ(error_code(c.Get("/v1/recordings/abc", h)), "invalid_parameter");
  EXPECT_EQ(error_code(c.Get("/v1/recordings?limit=0", h)), "invalid_parameter");
  EXPECT_EQ(error_code(c.Get("/v1/recordings?limit=1&limit=2", h)), "invalid_parameter");
  EXPECT_EQ(error_code(c.Get("/v1/recordings?order_by=password", h)), "invalid_parameter");
  EXPECT_EQ(error_code(c.Get("/v1/recordings?colour=red", h)), "unknown_parameter");
}

TEST_F(Http, EdgesEmptyLibraryOneFrameMissingValuesAndOutOfRangeParameters) {
  {
    // An empty library: counts are 0, averages null (unknown, not 0), an empty first page.
    test::TempDir empty_dir;
    const ServerConfig empty = test::test_config(empty_dir.path());
    const auto key = test::make_key(empty.keys_database, auth::kRead, std::nullopt, "empty");
    test::InProcessServer s(empty);
    auto c = s.client();
    auto r = c.Get("/v1/library/stats", bearer(key.secret));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const auto st = json_of(r);
    EXPECT_EQ(st["count"], 0);
    EXPECT_EQ(st["total_frames"], 0);
    EXPECT_TRUE(st["avg_rating"].is_null()) << st;
    EXPECT_TRUE(st["by_club_type"].empty()) << st;
    r = c.Get("/v1/recordings", bearer(key.secret));
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_TRUE(json_of(r)["recordings"].empty());
    EXPECT_TRUE(json_of(r)["next_offset"].is_null());
  }
  test::InProcessServer s(config_);
  auto c = s.client();
  const auto h = bearer(runner_.secret);
  RecordingLibrary lib(config_.library);
  // One frame with a missing value: stored as NaN, served as null, never as 0.
  auto r =
      c.Post("/v1/recordings?filename=one.csv&sample_rate=100", h, "x,y\n1.5,nan\n", "text/csv");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const int64_t id = json_of(r)["ids"][0];
  const Recording one = lib.get(id);
  ASSERT_EQ(one.frames(), 1);
  EXPECT_EQ(one.channel(0)[0], 1.5);
  EXPECT_TRUE(std::isnan(one.channel(1)[0]));
  r = c.Get("/v1/recordings/" + std::to_string(id) + "?data=1", h);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto rec = json_of(r);
  EXPECT_EQ(rec["data"][one.channels[0]][0].get<double>(), 1.5) << rec["data"];
  EXPECT_TRUE(rec["data"][one.channels[1]][0].is_null()) << rec["data"];
  // Out-of-range, wrong-type and overflowing parameters are refused by name; nothing is clamped.
  const int64_t before = lib.count();
  for (const std::string& q : std::vector<std::string>{
           "limit=" + std::to_string(config_.page_max + 1), "limit=99999999999999999999999",
           "limit=1.5", "limit=abc", "limit=", "offset=-1", "offset=1e3"}) {
    r = c.Get("/v1/recordings?" + q, h);
    ASSERT_TRUE(r) << q;
    EXPECT_EQ(r->status, 400) << q;
    EXPECT_EQ(error_code(r), "invalid_parameter") << q << ": " << r->body;
    const std::string name = q.substr(0, q.find('='));
    EXPECT_NE(json_of(r)["error"]["message"].get<std::string>().find(name), std::string::npos)
        << q << ": " << r->body;
  }
  r = c.Get("/v1/recordings?offset=1000000000", h);  // past the end: an empty last page
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(json_of(r)["recordings"].empty());
  EXPECT_TRUE(json_of(r)["next_offset"].is_null());
  for (const std::string path :
       {"/v1/recordings/0", "/v1/recordings/-1", "/v1/recordings/99999999999999999999999"}) {
    EXPECT_EQ(error_code(c.Get(path, h)), "invalid_parameter") << path;
  }
  EXPECT_EQ(lib.count(), before);
}

TEST_F(Http, UploadsEveryFormatTheCliImports) {
  test::InProcessServer s(config_);
  auto c = s.client();
  const auto h = bearer(runner_.secret);
  auto r = c.Post("/v1/recordings?filename=swing.csv&golfer=Ann&club_type=driver&rating=4&tags=a,b",
                  h, "time,x,y\n0,1,2\n0.01,3,4\n0.02,5,6\n", "text/csv");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const int64_t id = json_of(r)["ids"][0];
  EXPECT_EQ(r->get_header_value("Location"), "/v1/recordings/" + std::to_string(id));
  RecordingLibrary lib(config_.library);
  const Recording got = lib.get(id);
  EXPECT_EQ(got.meta.filename, "swing.csv");
  EXPECT_EQ(got.meta.golfer_name, "Ann");
  EXPECT_EQ(got.meta.rating, 4);
  EXPECT_EQ(got.meta.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_DOUBLE_EQ(got.sample_rate, 100);
  EXPECT_EQ(got.data, (std::vector<double>{1, 3, 5, 2, 4, 6}));
  // A UCR file: one recording per row, all or nothing.
  r = c.Post("/v1/recordings?filename=ucr.tsv", h, "1\t0.1\t0.2\t0.3\n2\t0.4\t0.5\t0.6\n",
             "text/tab-separated-values");
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(json_of(r)["imported"], 2);
  EXPECT_EQ(json_of(r)["filenames"][1], "ucr#1");
  // NPY, written by the library's own writer.
  test::TempDir tmp;
  io::write_npy(tmp / "x.npy", got);
  std::ifstream npy(tmp / "x.npy", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(npy)), {});
  r = c.Post("/v1/recordings?filename=again.npy&sample_rate=100", h, bytes,
             "application/octet-stream");
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(lib.get(json_of(r)["ids"][0]).data, got.data);
  // Motion capture: an OpenSim .mot (degrees, a NaN), a .trc with a missing marker, a C3D.
  r = c.Post("/v1/recordings?filename=ik.mot", h,
             "Coordinates\nversion=1\nnRows=2\nnColumns=3\ninDegrees=yes\nendheader\n"
             "time\tknee\thip\n0\t15\tNaN\n0.01\t-2.25\t7\n",
             "text/plain");
  ASSERT_EQ(r->status, 201) << r->body;
  const Recording mot = lib.get(json_of(r)["ids"][0]);
  EXPECT_EQ(mot.channels, (std::vector<std::string>{"knee", "hip"}));
  EXPECT_DOUBLE_EQ(mot.sample_rate, 100);
  EXPECT_EQ(mot.data[0], 15);
  EXPECT_EQ(mot.data[1], -2.25);
  EXPECT_TRUE(std::isnan(mot.data[2]));
  EXPECT_EQ(mot.data[3], 7);
  r = c.Post("/v1/recordings?filename=m.trc", h,
             "PathFileType\t4\t(X/Y/Z)\tm.trc\nDataRate\tCameraRate\tNumFrames\tNumMarkers\t"
             "Units\n100\t100\t2\t2\tmm\nFrame#\tTime\tA\t\t\tB\t\t\n\t\tX1\tY1\tZ1\tX2\tY2\tZ2\n"
             "1\t0\t1\t2\t3\t4\t5\t6\n2\t0.01\t1.5\t2\t3\t\t\t\n",
             "text/plain");
  ASSERT_EQ(r->status, 201) << r->body;
  const Recording trc = lib.get(json_of(r)["ids"][0]);
  ASSERT_EQ(trc.channel_count(), 6);
  EXPECT_EQ(trc.data[1], 1.5);           // A x, frame 2
  EXPECT_TRUE(std::isnan(trc.data[7]));  // B x, frame 2: the marker is missing
  // A C3D (2 markers, 3 frames at 200 Hz, float storage), value for value.
  test::SynthC3d f;
  f.point_rate = 200;
  f.frames = 3;
  f.point_labels = {"LASI", "club head"};
  for (int t = 0; t < 3; ++t)
    for (int k = 0; k < 2; ++k) f.points.push_back({t + 0.5 * k, 2.0 * t, -1.0 - k, 0});
  r = c.Post("/v1/recordings?filename=trial.c3d", h, f.bytes(), "application/octet-stream");
  ASSERT_EQ(r->status, 201) << r->body;
  const Recording c3d = lib.get(json_of(r)["ids"][0]);
  EXPECT_DOUBLE_EQ(c3d.sample_rate, 200);
  ASSERT_EQ(c3d.frames(), 3);
  ASSERT_EQ(c3d.channel_count(), 6);
  for (int t = 0; t < 3; ++t) {
    EXPECT_EQ(c3d.channel(0)[t], t);        // LASI x
    EXPECT_EQ(c3d.channel(3)[t], t + 0.5);  // club head x
    EXPECT_EQ(c3d.channel(5)[t], -2.0);     // club head z
  }
  // A C3D whose bytes are not a C3D file: refused whole, naming the client's file name.
  r = c.Post("/v1/recordings?filename=bad.c3d", h, std::string(600, 'x'),
             "application/octet-stream");
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_EQ(error_code(r), "invalid_upload");
  EXPECT_NE(json_of(r)["error"]["message"].get<std::string>().find("bad.c3d"), std::string::npos)
      << r->body;
  EXPECT_EQ(lib.count(), 5 + 1 + 2 + 1 + 3);
}

TEST_F(Http, RunGoesThroughThePipelineAndResultsMatchTheKernel) {
  test::InProcessServer s(config_);
  auto c = s.client();
  const std::string id = submit(c, R"({
    "run_id": "web-1",
    "select": {"order_by": "id"},
    "analyses": [{"type": "stats", "channels": ["club", "club_vel"]},
                 {"type": "dtw", "name": "dtw", "channels": ["club"], "mode": "to_reference"}]})");
  const auto task = wait(c, id);
  ASSERT_EQ(task["state"], "succeeded") << task.dump();
  EXPECT_EQ(task["run_id"], "web-1");
  EXPECT_DOUBLE_EQ(task["progress"].get<double>(), 1.0);
  EXPECT_EQ(task["result"]["processed"], 5);
  EXPECT_EQ(task["result"]["selected"], 5);
  EXPECT_FALSE(task["finished_at"].is_null());

  auto r = c.Get("/v1/tasks/" + id + "/results", bearer(runner_.secret));
  ASSERT_EQ(r->status, 200) << r->body;
  const auto res = json_of(r);
  EXPECT_TRUE(res["complete"].get<bool>());
  ASSERT_EQ(res["results"].size(), 10u);
  // Against the kernel on the stored recording.
  RecordingLibrary lib(config_.library);
  const Recording rec = lib.get(3);
  int club = -1;
  for (int ch = 0; ch < rec.channel_count(); ++ch)
    if (rec.channels[ch] == "club") club = ch;
  ASSERT_GE(club, 0);
  const auto expected = stats::describe({rec.channel(club), rec.frames(), 1}, rec.sample_rate);
  bool checked = false;
  for (const auto& row : res["results"])
    if (row["recording_id"] == 3 && row["analysis"] == "stats") {
      EXPECT_DOUBLE_EQ(row["payload"]["channels"]["club"]["mean"].get<double>(), expected[0].mean);
      EXPECT_DOUBLE_EQ(row["payload"]["channels"]["club"]["rms_jerk"].get<double>(),
                       expected[0].rms_jerk);
      checked = true;
    }
  EXPECT_TRUE(checked);

  // CSV: two analyses have one, so the client chooses; it equals the run's own export.
  EXPECT_EQ(error_code(c.Get("/v1/tasks/" + id + "/results?format=csv", bearer(runner_.secret))),
            "analysis_required");
  r = c.Get("/v1/tasks/" + id + "/results?format=csv&analysis=stats", bearer(runner_.secret));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  std::ifstream exported(std::filesystem::path(config_.output_dir) / "web-1" / "stats.csv");
  const std::string file((std::istreambuf_iterator<char>(exported)), {});
  EXPECT_EQ(r->body, file);
  EXPECT_EQ(std::count(r->body.begin(), r->body.end(), '\n'), 1 + 5 * 2);
  r = c.Get("/v1/tasks/" + id + "/results?analysis=dtw", bearer(runner_.secret));
  EXPECT_EQ(json_of(r)["results"].size(), 5u);
  EXPECT_EQ(error_code(c.Get("/v1/tasks/" + id + "/results?analysis=nope", bearer(runner_.secret))),
            "analysis_not_found");
  EXPECT_EQ(error_code(c.Get("/v1/tasks/" + id + "/results?format=xml", bearer(runner_.secret))),
            "invalid_parameter");

  // Another key does not see the task; an admin does.
  const auto other = test::make_key(config_.keys_database, auth::kRead, std::nullopt, "other");
  EXPECT_EQ(error_code(c.Get("/v1/tasks/" + id, bearer(other.secret))), "task_not_found");
  const auto admin = test::make_key(config_.keys_database, auth::kAdmin, std::nullopt, "admin");
  EXPECT_EQ(c.Get("/v1/tasks/" + id, bearer(admin.secret))->status, 200);
  EXPECT_EQ(error_code(c.Get("/v1/tasks/ffffffffffffffffffffffffffffffff", bearer(admin.secret))),
            "task_not_found");
  // Cancelling a finished task: nothing to do.
  EXPECT_EQ(error_code(c.Delete("/v1/tasks/" + id, bearer(runner_.secret))), "task_finished");
}

TEST_F(Http, RunByIdsAndBadRunRequests) {
  test::InProcessServer s(config_);
  auto c = s.client();
  const std::string id = submit(c, R"({"ids": [2, 4], "analyses": [{"type": "stats"}]})");
  const auto task = wait(c, id);
  ASSERT_EQ(task["state"], "succeeded") << task.dump();
  EXPECT_EQ(task["result"]["processed"], 2);
  EXPECT_EQ(task["run_id"].get<std::string>().rfind("api-", 0), 0u);

  auto post = [&](const std::string& body) {
    return c.Post("/v1/runs", bearer(runner_.secret), body, "application/json");
  };
  EXPECT_EQ(error_code(post("{not json")), "invalid_json");
  EXPECT_EQ(error_code(post("[1, 2]")), "invalid_request");
  EXPECT_EQ(error_code(post(R"({"select": {}})")), "invalid_request");  // no analyses
  auto r = post(R"({"analyses": [{"type": "stats"}], "libary": "x.db"})");
  EXPECT_EQ(error_code(r), "invalid_request");
  EXPECT_NE(r->body.find("/libary"), std::string::npos) << r->body;
  r = post(R"({"analyses": [{"type": "stats", "windw": 5}]})");
  EXPECT_EQ(error_code(r), "invalid_request");
  EXPECT_NE(r->body.find("/analyses/0/windw"), std::string::npos) << r->body;
  EXPECT_EQ(error_code(post(R"({"analyses": [{"type": "stats"}], "library": "/tmp/x.db"})")),
            "invalid_request");  // clients cannot point the server at other files
  EXPECT_EQ(error_code(post(R"({"analyses": [{"type": "stats"}], "ids": [99]})")),
            "invalid_request");
  EXPECT_EQ(error_code(post(R"({"analyses": [{"type": "stats"}], "run_id": "a/b"})")),
            "invalid_request");
  EXPECT_EQ(error_code(post(R"({"analyses": [{"type": "stats"}], "ids": [1], "select": {}})")),
            "invalid_request");
}

TEST_F(Http, CancelStopsARunAtTheNextBatchAndTheRunIdIsBusyMeanwhile) {
  config_.run_batch_size = 1;
  test::InProcessServer s(config_);
  auto c = s.client();
  std::string id;
  {
    // Hold the library's write lock: the run starts and waits for it (its first write).
    test::WriteLock lock(config_.library);
    id = submit(c, R"({"run_id": "long", "analyses": [{"type": "stats"}]})");
    // The same run id again: refused while the first is queued or running.
    auto again =
        c.Post("/v1/runs", bearer(runner_.secret),
               R"({"run_id": "long", "analyses": [{"type": "stats"}]})", "application/json");
    EXPECT_EQ(again->status, 409);
    EXPECT_EQ(error_code(again), "run_in_progress");
    auto r = c.Delete("/v1/tasks/" + id, bearer(runner_.secret));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 200 || r->status == 202) << r->body;
    EXPECT_TRUE(json_of(r)["task"]["cancel_requested"].get<bool>());
  }
  const auto task = wait(c, id);
  EXPECT_EQ(task["state"], "cancelled") << task.dump();
  // Stopped at a batch boundary: fewer than all recordings processed, none half-done.
  RecordingLibrary lib(config_.library);
  EXPECT_LT(lib.results("long").size(), 5u);
  if (task["result"].is_object()) {
    EXPECT_TRUE(task["result"]["stopped"].get<bool>());
  }
  auto r = c.Get("/v1/tasks/" + id + "/results", bearer(runner_.secret));
  EXPECT_FALSE(json_of(r)["complete"].get<bool>());
  // Cancelled runs resume by their run id.
  const auto resumed = wait(c, submit(c, R"({"run_id": "long", "analyses": [{"type": "stats"}]})"));
  EXPECT_EQ(resumed["state"], "succeeded");
  EXPECT_EQ(resumed["result"]["already_done"].get<int64_t>() +
                resumed["result"]["processed"].get<int64_t>(),
            5);
  EXPECT_EQ(lib.results("long").size(), 5u);
}

TEST_F(Http, FullRegistryAnswers429AndEvictedResultsAnswerFromTheDatabaseAfterRestart) {
  config_.task_capacity = 1;
  config_.task_retry_after_seconds = 3;
  std::string first, second;
  {
    test::InProcessServer s(config_);
    auto c = s.client();
    {
      test::WriteLock lock(config_.library);  // the first run cannot finish yet
      first = submit(c, R"({"analyses": [{"type": "stats"}]})");
      auto full = c.Post("/v1/runs", bearer(runner_.secret), R"({"analyses": [{"type": "stats"}]})",
                         "application/json");
      ASSERT_TRUE(full);
      EXPECT_EQ(full->status, 429) << full->body;
      EXPECT_EQ(error_code(full), "registry_full");
      EXPECT_EQ(full->get_header_value("Retry-After"), "3");
    }
    EXPECT_EQ(wait(c, first)["state"], "succeeded");
    second = submit(c, R"({"ids": [1], "analyses": [{"type": "stats"}]})");  // evicts the first
    EXPECT_EQ(wait(c, second)["state"], "succeeded");
    auto h = json_of(c.Get("/health"));
    EXPECT_EQ(h["tasks"]["in_memory"], 1);
    const auto evicted = json_of(c.Get("/v1/tasks/" + first, bearer(runner_.secret)));
    EXPECT_EQ(evicted["state"], "succeeded");
    EXPECT_EQ(evicted["result"]["processed"], 5);
    EXPECT_EQ(c.Get("/v1/tasks/" + first + "/results", bearer(runner_.secret))->status, 200);
  }
  test::InProcessServer again(config_);  // a restart
  auto c = again.client();
  for (const auto& id : {first, second}) {
    const auto t = json_of(c.Get("/v1/tasks/" + id, bearer(runner_.secret)));
    EXPECT_EQ(t["state"], "succeeded") << id;
  }
  EXPECT_EQ(
      json_of(c.Get("/v1/tasks/" + second + "/results", bearer(runner_.secret)))["results"].size(),
      1u);
}

}  // namespace
}  // namespace swingpipe::server
