// Issue 13 through the CLI: malformed input exits 2 and names the file with the line or byte;
// hostile input never crashes the process or breaks the library for later commands.
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "swingpipe/host/library.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

using test::run_cli;

std::string q(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

std::string nested(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

class CliHardening : public ::testing::Test {
 protected:
  std::string lib() const { return "--library " + q(dir_ / "lib.db") + " "; }
  /// Runs the CLI, expects `code`, and returns stdout + stderr.
  std::string run(const std::string& args, int code) {
    std::string out;
    EXPECT_EQ(run_cli(args, &out), code) << args << "\n" << out;
    return out;
  }
  test::TempDir dir_;
};

TEST_F(CliHardening, DeepJsonImportAndDtwExitTwoWithTheByte) {
  const auto p = dir_ / "deep.json";
  write(p, "{\"a\":" + nested(100000) + ",\"b\":1}");
  auto out = run(lib() + "library import " + q(p), 2);
  EXPECT_NE(out.find(p.string() + ": byte 68: nesting deeper than 64"), std::string::npos) << out;
  out = run("dtw " + q(p) + " " + q(p), 2);
  EXPECT_NE(out.find("byte 68"), std::string::npos) << out;
}

TEST_F(CliHardening, DeepRunConfigExitsTwoWithoutDumpingIt) {
  const auto p = dir_ / "cfg.json";
  write(p, "{\"batch_size\":" + nested(60000) + "}");
  auto out = run("run --print-config " + q(p), 2);
  EXPECT_NE(out.find(p.string() + ": byte 77: nesting deeper"), std::string::npos) << out;
  // Within the limit, the wrong-type message describes the value instead of printing it.
  write(p, "{\"batch_size\":" + nested(40) + ", \"analyses\": [{\"type\": \"stats\"}]}");
  out = run("run --print-config " + q(p), 2);
  EXPECT_NE(out.find("/batch_size: expected an integer, got array of 1 element(s)"),
            std::string::npos)
      << out;
  EXPECT_LT(out.size(), 400u) << out;
}

TEST_F(CliHardening, NumberOverflowInAnyJsonExitsTwoNamingFileAndByte) {
  const auto rec = dir_ / "big.json";
  write(rec, R"({"channels": ["x"], "data": [[1, 1e309]]})");
  auto out = run(lib() + "library import " + q(rec), 2);
  EXPECT_NE(out.find(rec.string() + ": byte 33: number outside the float64 range"),
            std::string::npos)
      << out;
  const auto cfg = dir_ / "cfg.json";
  write(cfg, R"({"batch_size": 1e309})");
  out = run("run " + q(cfg), 2);
  EXPECT_NE(out.find(cfg.string() + ": byte 15: number outside"), std::string::npos) << out;
}

TEST_F(CliHardening, NonObjectRunConfigWithOverridesExitsTwoNamingTheFile) {
  const auto cfg = dir_ / "list.json";
  write(cfg, "[1, 2]");
  for (const char* flags :
       {"-q run", "run --backend cpu", "run --run-id x", "run --progress never", "run"}) {
    const auto out = run(std::string(flags) + " " + q(cfg), 2);
    EXPECT_NE(out.find(cfg.string() + ": expected a JSON object"), std::string::npos)
        << flags << "\n"
        << out;
  }
  write(cfg, "null");
  const auto out = run("run --backend cpu " + q(cfg), 2);
  EXPECT_NE(out.find("got null"), std::string::npos) << out;
}

TEST_F(CliHardening, InvalidUtf8InACsvHeaderExitsTwoWithTheLine) {
  const auto p = dir_ / "bad.csv";
  write(p, "time,caf\xe9\n0,1\n0.01,2\n");
  const auto out = run(lib() + "library import " + q(p), 2);
  EXPECT_NE(out.find(p.string() + ":1: column name 'caf\\xe9' is not valid UTF-8"),
            std::string::npos)
      << out;
}

TEST_F(CliHardening, DtwChannelMismatchNamesBothFiles) {
  write(dir_ / "two.csv", "a,b\n1,2\n3,4\n");
  write(dir_ / "one.csv", "a\n1\n3\n");
  const auto out = run("dtw " + q(dir_ / "two.csv") + " " + q(dir_ / "one.csv"), 2);
  EXPECT_NE(out.find(q(dir_ / "two.csv") + " has 2 channel(s), " + q(dir_ / "one.csv") + " has 1"),
            std::string::npos)
      << out;
}

TEST_F(CliHardening, HostileNpyShapesLeaveTheLibraryWorking) {
  auto npy = [](const std::string& shape) {
    std::string h = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
    h.append((64 - (10 + h.size() + 1) % 64) % 64, ' ');
    h += '\n';
    std::string out = "\x93NUMPY\x01";
    out += '\0';
    out += static_cast<char>(h.size());
    out += '\0';
    return out + h;
  };
  write(dir_ / "a.npy", npy("(0, 1000000000000)"));
  write(dir_ / "b.npy", npy("(4611686018427387904, 0)"));
  write(dir_ / "c.npy", npy("(4611686018427387904, 0)"));
  run("-q " + lib() + "library init", 0);
  for (const char* f : {"a.npy", "b.npy", "c.npy"}) {
    const auto out = run(lib() + "library import " + q(dir_ / f), 2);
    EXPECT_NE(out.find("holds no values"), std::string::npos) << out;
  }
  const auto out = run("--json " + lib() + "library stats", 0);
  const auto j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["count"], 0);
  EXPECT_EQ(j["total_frames"], 0);
}

TEST_F(CliHardening, InfinityRoundTripsThroughExportAndImportWhenAllowed) {
  write(dir_ / "inf.csv", "x,y\n1,inf\n-inf,nan\n");
  auto out = run(lib() + "library import " + q(dir_ / "inf.csv"), 2);
  EXPECT_NE(out.find(":2: column 'y': infinite value 'inf'"), std::string::npos) << out;
  run("-q " + lib() + "library import --allow-inf " + q(dir_ / "inf.csv"), 0);
  for (const char* ext : {".json", ".csv", ".npy"}) {
    const auto file = dir_ / (std::string("out") + ext);
    run("-q " + lib() + "library export 1 " + q(file), 0);
    out = run(lib() + "library import " + q(file), 2);
    EXPECT_NE(out.find("infinite value"), std::string::npos) << ext << "\n" << out;
  }
  // JSON export carries the file name, so re-import it into a second library.
  const std::string lib2 = "--library " + q(dir_ / "lib2.db") + " ";
  run("-q " + lib2 + "library import --allow-inf " + q(dir_ / "out.json"), 0);
  out = run("--json " + lib2 + "library show 1 --data", 0);
  const auto j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["data"]["x"], (nlohmann::json{1.0, "-inf"}));
  EXPECT_EQ(j["data"]["y"], (nlohmann::json{"inf", nullptr}));
}

TEST_F(CliHardening, EmptyCsvFieldNeedsTheFlag) {
  write(dir_ / "gap.csv", "a,b\n1,\n2,3\n");
  const auto out = run(lib() + "library import " + q(dir_ / "gap.csv"), 2);
  EXPECT_NE(out.find(":2: column 'b': empty field"), std::string::npos) << out;
  run("-q " + lib() + "library import --empty-as-nan " + q(dir_ / "gap.csv"), 0);
  RecordingLibrary l(dir_ / "lib.db");
  const auto rec = l.get(1);
  EXPECT_TRUE(std::isnan(rec.channel(1)[0]));
  EXPECT_EQ(rec.channel(1)[1], 3);
}

}  // namespace
}  // namespace swingpipe
