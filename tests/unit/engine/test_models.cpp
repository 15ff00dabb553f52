// Model loading (engine.hpp) and the golfer models of configs/models: sizes, names, errors that
// name the file and line, anthropometry against de Leva (1996), and the generator being in sync.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <thread>

#include "engine_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"

namespace swingpipe {
namespace {

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(Models, GolfersHaveTheirSizesAndNamedParts) {
  struct Want {
    const char* which;
    int nv, nu;
    bool free;
  };
  for (const Want w :
       {Want{"upper", 16, 16, false}, Want{"full", 27, 21, true}, Want{"advanced", 40, 31, true}}) {
    SCOPED_TRACE(w.which);
    const auto model = engine::Model::load(test::golfer_model(w.which));
    EXPECT_EQ(model->nv(), w.nv);
    EXPECT_EQ(model->nu(), w.nu);
    EXPECT_EQ(model->nq(), w.nv + (w.free ? 1 : 0));
    EXPECT_EQ(model->name(), std::string("golfer_") + w.which);
    EXPECT_GE(model->site("club_head"), 0);
    for (const char* b :
         {"pelvis", "thorax", "lead_upperarm", "lead_forearm", "lead_hand", "club", "trail_hand"})
      EXPECT_GE(model->body(b), 0) << b;
    EXPECT_EQ(model->get()->neq, 1) << "the trail hand holds the club through one constraint";
    EXPECT_EQ(model->dof_names().size(), static_cast<std::size_t>(w.nv));
    if (w.free) {
      EXPECT_EQ(model->qpos_names()[0], "root[0]");
      EXPECT_EQ(model->qpos_names()[6], "root[6]");
      EXPECT_EQ(model->dof_names()[5], "root[5]");
    }
    // Solver settings tight enough for closure.
    EXPECT_LE(model->get()->opt.tolerance, 1e-12);
  }
}

TEST(Models, HashIsTheFilesSha256) {
  const auto path = test::golfer_model("upper");
  std::ifstream in(path, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_EQ(engine::Model::load(path)->sha256(), io::sha256_hex(bytes.data(), bytes.size()));
  EXPECT_NE(engine::Model::load(path)->sha256(),
            engine::Model::load(test::golfer_model("full"))->sha256());
}

TEST(Models, AnthropometryFollowsDeLeva1996) {
  // de Leva (1996) Table 4, males: segment mass / body mass.
  const double body = 73.0;
  const auto model = engine::Model::load(test::golfer_model("full"));
  const mjModel* m = model->get();
  auto mass = [&](const char* b) { return m->body_mass[model->body(b)]; };
  EXPECT_NEAR(mass("lead_thigh"), 0.1416 * body, 1e-3);
  EXPECT_NEAR(mass("trail_shank"), 0.0433 * body, 1e-3);
  EXPECT_NEAR(mass("lead_foot"), 0.0137 * body, 1e-3);
  EXPECT_NEAR(mass("lead_upperarm"), 0.0271 * body, 1e-3);
  EXPECT_NEAR(mass("trail_forearm"), 0.0162 * body, 1e-3);
  EXPECT_NEAR(mass("lead_hand"), 0.0061 * body, 1e-3);
  EXPECT_NEAR(mass("pelvis"), 0.1117 * body, 1e-3);  // lower trunk
  // thorax = upper + middle trunk + head and neck
  EXPECT_NEAR(mass("thorax"), (0.1596 + 0.1633 + 0.0694) * body, 1e-3);
  double total = 0;
  for (int b = 0; b < m->nbody; ++b) total += m->body_mass[b];
  EXPECT_NEAR(total, body + 0.315, 1e-3) << "the body plus a 0.315 kg driver";
  // Thigh: centre of mass 40.95% of the length from the hip; longitudinal radius of gyration
  // 14.9% of 0.4222 m, so the smallest principal moment is m (0.149 L)^2.
  const int thigh = model->body("lead_thigh");
  const double L = 0.4222;
  EXPECT_NEAR(std::sqrt(m->body_ipos[3 * thigh] * m->body_ipos[3 * thigh] +
                        m->body_ipos[3 * thigh + 1] * m->body_ipos[3 * thigh + 1] +
                        m->body_ipos[3 * thigh + 2] * m->body_ipos[3 * thigh + 2]),
              0.4095 * L, 1e-4);
  const double* I = m->body_inertia + 3 * thigh;
  EXPECT_NEAR(std::min({I[0], I[1], I[2]}), mass("lead_thigh") * std::pow(0.149 * L, 2), 1e-5);
}

TEST(Models, GeneratorAndFilesAgree) {
  const auto script =
      std::filesystem::path(SWINGPIPE_SOURCE_DIR) / "configs/models/make_golfers.py";
  std::string out;
  const int rc = test::run_shell("python3 " + script.string() + " --check", &out);
  EXPECT_EQ(rc, 0) << out;
}

TEST(Models, ErrorsNameTheFileAndLine) {
  test::TempDir dir;
  const auto bad_attr = dir / "bad_attr.xml";
  std::ofstream(bad_attr) << "<mujoco>\n  <worldbody>\n    <body>\n"
                             "      <geom type=\"sphere\" size=\"0.1\" mass=\"abc\"/>\n"
                             "    </body>\n  </worldbody>\n</mujoco>\n";
  std::string msg = message_of([&] { engine::Model::load(bad_attr); });
  EXPECT_NE(msg.find(bad_attr.string() + ":4:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mass"), std::string::npos) << msg;
  EXPECT_THROW(engine::Model::load(bad_attr), InputError);

  const auto bad_xml = dir / "bad_xml.xml";
  std::ofstream(bad_xml) << "<mujoco>\n<worldbody>\n<body name=\"a\"\n</worldbody>\n</mujoco>\n";
  msg = message_of([&] { engine::Model::load(bad_xml); });
  EXPECT_NE(msg.find(bad_xml.string() + ":"), std::string::npos) << msg;
  EXPECT_NE(msg.find("XML"), std::string::npos) << msg;

  const auto dup = dir / "dup.xml";
  std::ofstream(dup) << "<mujoco>\n<worldbody>\n<body name=\"a\"><geom size=\"0.1\"/></body>\n"
                        "<body name=\"a\"><geom size=\"0.1\"/></body>\n</worldbody>\n</mujoco>\n";
  msg = message_of([&] { engine::Model::load(dup); });
  EXPECT_NE(msg.find(dup.string() + ":4:"), std::string::npos) << msg;

  EXPECT_THROW(engine::Model::load(dir / "missing.xml"), NotFoundError);
  const auto empty = dir / "empty.xml";
  std::ofstream(empty) << "";
  EXPECT_THROW(engine::Model::load(empty), InputError);
  engine::LoadOptions bad;
  bad.iterations = 0;
  EXPECT_THROW(engine::Model::load(test::golfer_model("upper"), bad), InputError);
}

TEST(Models, LookupsNameWhatIsMissing) {
  const auto model = engine::Model::load(test::golfer_model("upper"));
  const std::string msg = message_of([&] { model->site("clubhead"); });
  EXPECT_NE(msg.find("clubhead"), std::string::npos);
  EXPECT_NE(msg.find("club_head"), std::string::npos) << "lists the known sites";
  EXPECT_NE(msg.find("golfer_upper.xml"), std::string::npos);
  EXPECT_THROW(model->body("leg"), InputError);
  EXPECT_THROW(model->joint("42"), InputError);
}

TEST(Models, LoadOptionsOverrideTheSolver) {
  engine::LoadOptions o;
  o.tolerance = 1e-6;
  o.iterations = 7;
  const auto model = engine::Model::load(test::golfer_model("upper"), o);
  EXPECT_EQ(model->get()->opt.tolerance, 1e-6);
  EXPECT_EQ(model->get()->opt.iterations, 7);
}

TEST(Models, LoadsFromManyThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::vector<std::string> hashes(4);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      hashes[static_cast<std::size_t>(t)] =
          engine::Model::load(test::golfer_model("full"))->sha256();
    });
  for (auto& t : threads) t.join();
  for (const auto& h : hashes) EXPECT_EQ(h, hashes[0]);
}

}  // namespace
}  // namespace swingpipe
