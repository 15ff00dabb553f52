#include <fstream>

#include "swingpipe/error.hpp"
#include "swingpipe/pipeline/analysis.hpp"
#include "swingpipe/pipeline/config.hpp"
#include "test_support.hpp"

namespace swingpipe::pipeline {
namespace {

nlohmann::json minimal() {
  return nlohmann::json::parse(R"({"analyses": [{"type": "stats"}]})");
}

std::string error_of(const nlohmann::json& j) {
  try {
    parse_run_config(j, "cfg.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(RunConfig, DefaultsFromMinimalConfig) {
  const RunConfig c = parse_run_config(minimal(), "configs/my-run.json");
  EXPECT_EQ(c.run_id, "my-run");  // the file's stem
  EXPECT_EQ(c.library, "swingpipe.db");
  EXPECT_EQ(c.backend, Backend::automatic);
  EXPECT_EQ(c.batch_size, 64);
  ASSERT_EQ(c.analyses.size(), 1u);
  EXPECT_EQ(c.analyses[0].name, "stats");
  EXPECT_EQ(c.analyses[0].options.at("window"), 11);
  EXPECT_EQ(c.analyses[0].options.at("order"), 3);
}

TEST(RunConfig, DemoConfigWritesOutEveryDefault) {
  const auto path = std::filesystem::path(SWINGPIPE_SOURCE_DIR) / "configs" / "demo.json";
  std::ifstream in(path);
  const auto raw = nlohmann::json::parse(in);
  const RunConfig c = load_run_config(path);
  // Every key the effective config has is in the file, with the same value.
  EXPECT_EQ(to_json(c), raw);
}

TEST(RunConfig, RoundTripsThroughJson) {
  auto j = minimal();
  j["select"] = {{"golfer", "Ann"}, {"tags", {"range", "driver"}}, {"limit", 5}};
  j["backend"] = "cpu";
  const RunConfig a = parse_run_config(j, "x.json");
  const RunConfig b = parse_run_config(to_json(a), "x.json");
  EXPECT_EQ(to_json(a), to_json(b));
  EXPECT_EQ(*b.select.query.golfer, "Ann");
  EXPECT_EQ(b.select.query.tags, (std::vector<std::string>{"range", "driver"}));
  EXPECT_EQ(b.backend, Backend::cpu);
}

TEST(RunConfig, UnknownKeysAreRejectedWithTheirPath) {
  auto j = minimal();
  j["batchsize"] = 3;
  EXPECT_NE(error_of(j).find("/batchsize"), std::string::npos) << error_of(j);
  j = minimal();
  j["analyses"][0]["windw"] = 9;
  EXPECT_NE(error_of(j).find("/analyses/0/windw"), std::string::npos) << error_of(j);
  j = minimal();
  j["select"]["golfr"] = "x";
  EXPECT_NE(error_of(j).find("/select/golfr"), std::string::npos) << error_of(j);
}

TEST(RunConfig, TypesAreCheckedNamingThePath) {
  auto j = minimal();
  j["batch_size"] = "8";
  const auto msg = error_of(j);
  EXPECT_NE(msg.find("cfg.json: /batch_size: expected an integer"), std::string::npos) << msg;
  j = minimal();
  j["select"]["tags"] = {"a", 3};
  EXPECT_NE(error_of(j).find("/select/tags/1"), std::string::npos) << error_of(j);
  j = minimal();
  j["analyses"][0]["window"] = 2.5;
  EXPECT_NE(error_of(j).find("/analyses/0/window"), std::string::npos) << error_of(j);
  j = minimal();
  j["analyses"] = {{{"type", "nope"}}};
  EXPECT_NE(error_of(j).find("unknown analysis 'nope'"), std::string::npos) << error_of(j);
  j = minimal();
  j["backend"] = "gpu";
  EXPECT_NE(error_of(j).find("/backend"), std::string::npos) << error_of(j);
  EXPECT_THROW(parse_run_config(nlohmann::json::array(), "cfg.json"), ConfigError);
}

TEST(RunConfig, BadValuesAreRejected) {
  for (const char* patch :
       {R"({"batch_size": 0})", R"({"threads": -1})", R"({"run_id": "a/b"})", R"({"analyses": []})",
        R"({"progress": "sometimes"})", R"({"output": {"formats": ["xml"]}})",
        R"({"select": {"ids": [0]}})", R"({"demo_data": {"count": -1}})",
        R"({"analyses": [{"type": "stats", "window": 10}]})",
        R"({"analyses": [{"type": "stats"}, {"type": "stats"}]})"}) {
    auto j = minimal();
    j.merge_patch(nlohmann::json::parse(patch));
    EXPECT_FALSE(error_of(j).empty()) << patch;
  }
}

TEST(RunConfig, MissingFileAndBadJsonNameTheFile) {
  test::TempDir dir;
  EXPECT_THROW(load_run_config(dir / "absent.json"), InputError);
  std::ofstream(dir / "bad.json") << "{\"analyses\": [";
  try {
    load_run_config(dir / "bad.json");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos);
  }
}

TEST(AnalysisRegistry, ListsStats) {
  bool found = false;
  for (const auto& a : analysis_registry()) found |= a.type == "stats";
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace swingpipe::pipeline
