// Induced-acceleration benchmarks (`swingpipe bench iaa`). Counter frames_per_second = recorded
// frames turned into contributions per second. Input: one simulated swing of each golfer model
// (configs/models/golfer_{upper,full,advanced}.xml: nv = 16, 27, 40; seed 2026, 500 Hz), its frames
// repeated to 20 000; per-actuator contributors on (6 + nu right-hand sides per frame) and the
// club_head task-space rows. Models are looked up in $SWINGPIPE_MODELS_DIR, ./configs/models, then
// the source tree's configs/models. Counter cpu_us_per_frame (whole-path cases): the process's CPU
// time, all threads, per frame: what the path costs whatever else the machine is running.
//
//   iaa/cpu/nv:<n>            the production CPU path (engine::induced_accelerations, M(q) from the
//                             tree math, tree-sparse solve), all threads
//   iaa/cpu/threads:1/nv:<n>  the same on one thread
//   iaa/cpu_mujoco[/threads:1]/nv:<n>  the same with M(q) from MuJoCo's position stages
//   iaa/cpu_recording/nv:<n>  plus reading the full state from the recording's channels
//   iaa/tree_cpu/nv:<n>       the CUDA path's tree math on the CPU (its reference)
//   iaa/solve/nv:<n>          factorization and solves alone, one thread (given M): contributor
//                             forces, the tree-sparse L^T D L factor, multi-right-hand-side solve
//   iaa/solve_dense/nv:<n>    the same with the dense Cholesky of iaa::solve_frame
//   iaa/mass_mujoco/nv:<n>    M(q) alone, one thread: mj_kinematics, mj_comPos, mj_crb
//   iaa/mass_tree/nv:<n>      M(q) and G(q) alone, one thread, with the tree math
//   iaa/cuda/nv:<n>           the CUDA path, transfers included (skipped without a device)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <mujoco/mujoco.h>

#include "common/rigid_tree_math.hpp"
#include "swingpipe/host/engine.hpp"
#include "swingpipe/host/induced_accel_engine.hpp"
#include "swingpipe/host/recorded_state.hpp"
#include "swingpipe/host/swing_sim.hpp"
#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/induced_accel.hpp"

namespace swingpipe::bench {
namespace {

constexpr int64_t kFrames = 20000;

std::filesystem::path models_dir() {
  if (const char* env = std::getenv("SWINGPIPE_MODELS_DIR")) return env;
  if (std::filesystem::exists("configs/models/golfer_full.xml")) return "configs/models";
  return std::filesystem::path(SWINGPIPE_SOURCE_DIR) / "configs" / "models";
}

struct Input {
  std::shared_ptr<const engine::Model> model;
  Recording rec;            ///< the frames repeated, as channels
  engine::FullState state;  ///< the same, read back
  std::vector<double> moments;
  iaa::FrameBatch batch;
  iaa::KinematicTree tree;
};

/// The swing of the golfer model with `nv` dofs, repeated to kFrames frames (made once).
const Input& input(int nv) {
  static std::map<int, std::unique_ptr<Input>> cache;
  auto& slot = cache[nv];
  if (slot) return *slot;
  const char* which = nv == 16 ? "upper" : nv == 27 ? "full" : "advanced";
  auto in = std::make_unique<Input>();
  in->model = engine::Model::load(models_dir() / (std::string("golfer_") + which + ".xml"));
  const Recording one = sim::simulate_swing(in->model, sim::draw_params(2026, 0), 500);
  in->rec.meta = one.meta;
  in->rec.sample_rate = one.sample_rate;
  in->rec.channels = one.channels;
  in->rec.meta.num_frames = kFrames;
  for (int c = 0; c < one.channel_count(); ++c)
    for (int64_t f = 0; f < kFrames; ++f) in->rec.data.push_back(one.channel(c)[f % one.frames()]);
  in->state = engine::read_full_state(*in->model, in->rec);
  in->batch = engine::frame_batch(in->state, in->moments);
  in->tree = engine::export_tree(*in->model, {"club_head"});
  slot = std::move(in);
  return *slot;
}

iaa::Options options(int threads = 0, iaa::MassSource source = iaa::MassSource::tree) {
  iaa::Options o;
  o.mass_source = source;
  o.per_actuator = true;
  o.sites = {"club_head"};
  o.threads = threads;
  return o;
}

/// CPU time of the whole process (all threads), seconds.
double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// Adds cpu_us_per_frame: the process's CPU time (every thread) per frame over the timed loop, the
/// figure that does not depend on how busy the machine's other cores are.
void cpu_per_frame(benchmark::State& state, double cpu0, int64_t frames) {
  state.counters["cpu_us_per_frame"] =
      1e6 * (process_cpu_seconds() - cpu0) /
      (static_cast<double>(frames) * static_cast<double>(state.iterations()));
}

void finish(benchmark::State& state, const Input& in, int64_t frames) {
  state.counters["frames_per_second"] =
      benchmark::Counter(static_cast<double>(frames) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  state.counters["rhs"] = iaa::kBaseContributors + in.model->nu();
  state.counters["nv"] = in.model->nv();
}

void cpu_case(benchmark::State& state, int nv, int threads, bool from_recording,
              iaa::MassSource source) {
  const Input& in = input(nv);
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    if (from_recording) {
      const auto st = engine::read_full_state(*in.model, in.rec);
      auto r = engine::induced_accelerations(in.model, st, options(threads, source));
      benchmark::DoNotOptimize(r.joint.data());
    } else {
      auto r = engine::induced_accelerations(in.model, in.state, options(threads, source));
      benchmark::DoNotOptimize(r.joint.data());
    }
  }
  cpu_per_frame(state, cpu0, kFrames);
  finish(state, in, kFrames);
}

void tree_cpu_case(benchmark::State& state, int nv) {
  const Input& in = input(nv);
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    auto r = iaa::compute_tree_cpu(in.tree, in.batch, options());
    benchmark::DoNotOptimize(r.joint.data());
  }
  cpu_per_frame(state, cpu0, kFrames);
  finish(state, in, kFrames);
}

/// M of frame 0 (from MuJoCo), reused: the per-frame solve without the position stages.
void solve_case(benchmark::State& state, int nv) {
  const Input& in = input(nv);
  engine::Data data(in.model);
  const int k = iaa::kBaseContributors + in.model->nu();
  const iaa::TreeSolver solver(in.tree.dof_parent);
  std::vector<double> dense(static_cast<std::size_t>(nv) * nv),
      M0(static_cast<std::size_t>(solver.nnz())), M, X(static_cast<std::size_t>(k) * nv);
  engine::mass_matrix(data, in.state.qpos.data(), dense.data());
  solver.gather(dense.data(), M0.data());
  const int stride = iaa::TreeSolver::stride_for(k);
  iaa::LaneBuffer lanes;
  double* T = lanes.get(static_cast<std::size_t>(nv) * static_cast<std::size_t>(stride));
  int64_t f = 0;
  for (auto _ : state) {
    M = M0;
    iaa::forces_to_lanes(in.batch, f, true, in.batch.gravity.data() + f * nv, stride, T);
    benchmark::DoNotOptimize(solver.factor(M.data()));
    solver.solve_lanes(M.data(), stride, T);
    benchmark::DoNotOptimize(
        iaa::lanes_to_rows(nv, k, stride, T, in.batch.qacc.data() + f * nv, X.data()));
    f = (f + 1) % kFrames;
  }
  finish(state, in, 1);
}

/// The same with the dense Cholesky of iaa::solve_frame (the solve before the tree solver).
void solve_dense_case(benchmark::State& state, int nv) {
  const Input& in = input(nv);
  engine::Data data(in.model);
  const int k = iaa::kBaseContributors + in.model->nu();
  std::vector<double> M0(static_cast<std::size_t>(nv) * nv), M, X(static_cast<std::size_t>(k) * nv);
  engine::mass_matrix(data, in.state.qpos.data(), M0.data());
  int64_t f = 0;
  for (auto _ : state) {
    M = M0;
    iaa::frame_forces(in.batch, f, true, X);
    benchmark::DoNotOptimize(iaa::solve_frame(nv, k, M.data(), X.data()));
    f = (f + 1) % kFrames;
  }
  finish(state, in, 1);
}

/// M(q) alone, one thread: MuJoCo's position stages (mj_kinematics, mj_comPos, mj_crb) or the
/// tree math (kinematics, com_inertia, mass_matrix_sparse, gravity_force).
void mass_case(benchmark::State& state, int nv, bool tree) {
  const Input& in = input(nv);
  engine::Data data(in.model);
  const mjModel* m = in.model->get();
  mjData* d = data.get();
  const iaa::tree::TreeView tv = iaa::tree::view_of(in.tree);
  std::vector<double> s(static_cast<std::size_t>(iaa::tree::scratch_size(tv))),
      M(static_cast<std::size_t>(nv) * nv), G(static_cast<std::size_t>(nv));
  const iaa::TreeSolver solver(in.tree.dof_parent);
  const iaa::tree::Frame fr = iaa::tree::carve(tv, s.data());
  int64_t f = 0;
  for (auto _ : state) {
    const double* q = in.batch.qpos.data() + f * in.batch.nq;
    if (tree) {
      iaa::tree::kinematics(tv, q, fr.xpos, fr.xquat, fr.xmat, fr.xanchor, fr.xaxis);
      iaa::tree::com_inertia(tv, fr.xpos, fr.xquat, fr.xmat, fr.xanchor, fr.xaxis, fr.cinert,
                             fr.cdof);
      iaa::tree::mass_matrix_sparse(tv, fr.cinert, fr.cdof, fr.crb, solver.row_start().data(),
                                    M.data());
      iaa::tree::gravity_force(tv, fr.cinert, fr.cdof, fr.cvel, G.data());
    } else {
      mju_copy(d->qpos, q, m->nq);
      mj_kinematics(m, d);
      mj_comPos(m, d);
      mj_crb(m, d);
      M[0] = d->qM[0];
    }
    benchmark::DoNotOptimize(M.data());
    f = (f + 1) % kFrames;
  }
  finish(state, in, 1);
}

void cuda_case(benchmark::State& state, int nv) {
  if (!cuda_device_info().available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const Input& in = input(nv);
  for (auto _ : state) {
    auto r = iaa::compute_cuda(in.tree, in.batch, options());
    benchmark::DoNotOptimize(r.joint.data());
  }
  finish(state, in, kFrames);
}

bool register_iaa() {
  for (int nv : {16, 27, 40}) {
    const std::string n = "/nv:" + std::to_string(nv);
    for (auto [name, source] : {std::pair{"cpu", iaa::MassSource::tree},
                                std::pair{"cpu_mujoco", iaa::MassSource::mujoco}}) {
      const std::string b = std::string("iaa/") + name;
      benchmark::RegisterBenchmark(
          (b + n).c_str(), [=, m = source](benchmark::State& s) { cpu_case(s, nv, 0, false, m); })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(
          (b + "/threads:1" + n).c_str(),
          [=, m = source](benchmark::State& s) { cpu_case(s, nv, 1, false, m); })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark(
        ("iaa/cpu_recording" + n).c_str(),
        [=](benchmark::State& s) { cpu_case(s, nv, 0, true, iaa::MassSource::tree); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("iaa/tree_cpu" + n).c_str(),
                                 [=](benchmark::State& s) { tree_cpu_case(s, nv); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("iaa/solve" + n).c_str(), [=](benchmark::State& s) {
      solve_case(s, nv);
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("iaa/solve_dense" + n).c_str(), [=](benchmark::State& s) {
      solve_dense_case(s, nv);
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("iaa/mass_mujoco" + n).c_str(), [=](benchmark::State& s) {
      mass_case(s, nv, false);
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("iaa/mass_tree" + n).c_str(), [=](benchmark::State& s) {
      mass_case(s, nv, true);
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("iaa/cuda" + n).c_str(),
                                 [=](benchmark::State& s) { cuda_case(s, nv); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}

const bool registered = register_iaa();

}  // namespace
}  // namespace swingpipe::bench
