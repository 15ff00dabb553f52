// Induced accelerations of recordings (induced_accel.hpp).
#include "swingpipe/pipeline/induced_accel.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>

#include "swingpipe/error.hpp"
#include "swingpipe/host/engine.hpp"
#include "swingpipe/host/induced_accel_engine.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/recorded_state.hpp"
#include "swingpipe/host/swing_sim.hpp"
#include "swingpipe/kernels/induced_accel.hpp"

namespace swingpipe::pipeline {
namespace {

nlohmann::json number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

std::string file_sha256(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw InputError("induced_accel: cannot read model file " + p.string());
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return io::sha256_hex(bytes.data(), bytes.size());
}

io::ArrayDataset dataset(std::string name, std::vector<int64_t> shape,
                         std::span<const double> values, io::Attrs attrs) {
  io::ArrayDataset d;
  d.name = std::move(name);
  d.dtype = io::DType::f64;
  d.shape = std::move(shape);
  d.bytes.resize(values.size() * sizeof(double));
  std::memcpy(d.bytes.data(), values.data(), d.bytes.size());
  d.attrs = std::move(attrs);
  return d;
}

double norm3(const double* v) {
  return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

}  // namespace

InducedAccelRunner::InducedAccelRunner(InducedAccelOptions options) : options_(std::move(options)) {
  if (options_.models.empty()) throw InputError("induced_accel: no model files or folders given");
  for (const auto& p : options_.models) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::filesystem::path> found;
      for (const auto& e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file() && e.path().extension() == ".xml") found.push_back(e.path());
      if (found.empty()) throw InputError("induced_accel: folder " + p.string() + " has no .xml");
      std::sort(found.begin(), found.end());
      for (const auto& f : found) files_.emplace(file_sha256(f), f);
    } else if (std::filesystem::is_regular_file(p, ec)) {
      files_.emplace(file_sha256(p), p);
    } else {
      throw InputError("induced_accel: model path " + p.string() + " does not exist");
    }
  }
}

InducedAccelRunner::~InducedAccelRunner() = default;

std::shared_ptr<const engine::Model> InducedAccelRunner::model_for(const RecordingMeta& meta) {
  const auto hash = engine::model_sha256_of(meta);
  if (!hash)
    throw InputError("induced_accel: recording " + std::to_string(meta.id) + " ('" + meta.filename +
                     "') has no '" + engine::kModelHashTagPrefix +
                     "' tag: induced accelerations need a recording made by `swingpipe simulate`");
  if (auto it = loaded_.find(*hash); it != loaded_.end()) return it->second;
  auto f = files_.find(*hash);
  if (f == files_.end()) {
    std::string cands;
    for (const auto& [h, p] : files_) cands += (cands.empty() ? "" : ", ") + p.string();
    throw NotFoundError("induced_accel: recording " + std::to_string(meta.id) + " ('" +
                        meta.filename + "') was simulated with model '" + meta.model_name +
                        "' of sha256 " + *hash + "; none of the model files matches (" + cands +
                        ")");
  }
  auto model = engine::Model::load(f->second);
  loaded_.emplace(*hash, model);
  return model;
}

iaa::MassSource parse_mass_source(const std::string& text, const std::string& what) {
  if (text == "tree") return iaa::MassSource::tree;
  if (text == "mujoco") return iaa::MassSource::mujoco;
  throw InputError(what + ": '" + text + "' is not a mass source (tree or mujoco)");
}

std::string to_string(iaa::MassSource source) {
  return source == iaa::MassSource::mujoco ? "mujoco" : "tree";
}

InducedAccelOutput InducedAccelRunner::run(const Recording& rec) {
  const auto model = model_for(rec.meta);
  const engine::FullState state = engine::read_full_state(*model, rec);
  for (const auto& s : options_.sites)
    if (std::find(state.sites.begin(), state.sites.end(), s) == state.sites.end())
      throw InputError("induced_accel: recording " + std::to_string(rec.meta.id) +
                       " has no channels of site '" + s + "' (site_pos:" + s + "[0])");
  iaa::Options opt;
  opt.per_actuator = options_.per_actuator;
  opt.sites = options_.sites;
  opt.threads = options_.threads;
  opt.backend = options_.backend;
  opt.mass_source = options_.mass_source;
  iaa::Result r;
  if (options_.backend == Backend::cuda) {
    std::vector<double> moments;
    const iaa::FrameBatch batch = engine::frame_batch(state, moments);
    r = iaa::compute_cuda(engine::export_tree(*model, options_.sites), batch, opt);
  } else {
    r = engine::induced_accelerations(model, state, opt);
  }
  engine::Counterfactuals cf;
  if (options_.counterfactuals)
    cf = engine::counterfactuals(model, state, options_.sites, options_.threads);

  std::vector<std::string> contributors(std::begin(iaa::kContributorNames),
                                        std::end(iaa::kContributorNames));
  if (options_.per_actuator)
    for (const auto& a : model->actuator_names()) contributors.push_back("actuator:" + a);
  const int64_t n = r.frames;
  const int k = r.contributors;
  const auto ns = static_cast<int64_t>(options_.sites.size());
  const int64_t impact = sim::impact_frame(rec);

  nlohmann::json sites = nlohmann::json::object();
  for (int64_t si = 0; si < ns; ++si) {
    const std::string& name = options_.sites[static_cast<std::size_t>(si)];
    const auto site_row = [&](int64_t f, int c) {
      return r.site.data() + ((f * ns + si) * k + c) * 3;
    };
    nlohmann::json per = nlohmann::json::object();
    double total[3] = {0, 0, 0};
    if (impact >= 0)
      for (int c = 0; c < iaa::kBaseContributors; ++c)
        for (int e = 0; e < 3; ++e) total[e] += site_row(impact, c)[e];
    const double total2 = total[0] * total[0] + total[1] * total[1] + total[2] * total[2];
    for (int c = 0; c < k; ++c) {
      double peak = -1;
      int64_t at = 0;
      for (int64_t f = 0; f < n; ++f) {
        const double a = norm3(site_row(f, c));
        if (a > peak) {
          peak = a;
          at = f;
        }
      }
      nlohmann::json entry{
          {"peak", n ? number(peak) : nlohmann::json()},
          {"peak_time", n ? number(state.time[static_cast<std::size_t>(at)]) : nlohmann::json()}};
      if (impact >= 0 && total2 > 0) {
        const double* a = site_row(impact, c);
        entry["impact_share"] =
            number((a[0] * total[0] + a[1] * total[1] + a[2] * total[2]) / total2);
      } else {
        entry["impact_share"] = nullptr;
      }
      per[contributors[static_cast<std::size_t>(c)]] = entry;
    }
    nlohmann::json s{{"contributors", per}};
    if (impact >= 0) {
      const auto sidx = static_cast<std::size_t>(
          std::find(state.sites.begin(), state.sites.end(), name) - state.sites.begin());
      const double* v = state.site_vel.data() +
                        (static_cast<std::size_t>(impact) * state.sites.size() + sidx) * 3;
      s["speed_at_impact"] = number(norm3(v));
      s["acceleration_at_impact"] = number(std::sqrt(total2));
      if (options_.counterfactuals) {
        const std::size_t off = (static_cast<std::size_t>(impact) * ns + si) * 3;
        s["ztcf_acceleration_at_impact"] = number(norm3(cf.ztcf_site.data() + off));
        s["zvcf_acceleration_at_impact"] = number(norm3(cf.zvcf_site.data() + off));
      }
    }
    sites[name] = s;
  }

  InducedAccelOutput out;
  out.payload = {
      {"model", model->name()},
      {"model_sha256", model->sha256()},
      {"frames", n},
      {"nv", r.nv},
      {"backend", std::string(to_string(options_.backend))},
      {"mass_source",
       options_.backend == Backend::cuda ? std::string("tree") : to_string(options_.mass_source)},
      {"contributors", contributors},
      {"closure_max", number(r.max_closure())},
      {"impact_frame", impact >= 0 ? nlohmann::json(impact) : nlohmann::json()},
      {"impact_time",
       impact >= 0 ? number(state.time[static_cast<std::size_t>(impact)]) : nlohmann::json()},
      {"counterfactuals", options_.counterfactuals},
      {"sites", sites}};
  if (!options_.arrays) return out;
  io::ArrayFile& a = out.arrays;
  // The runner adds run_id, analysis, recording_id and swingpipe_version.
  a.attrs = {{"model", model->name()},
             {"model_sha256", model->sha256()},
             {"contributors", contributors},
             {"dofs", model->dof_names()},
             {"sites", options_.sites}};
  const auto units = [](const char* u, const char* axes) {
    return io::Attrs{{"units", std::string(u)}, {"axes", std::string(axes)}};
  };
  a.datasets.push_back(dataset("time", {n}, state.time, units("s", "frame")));
  a.datasets.push_back(
      dataset("joint_contributions", {n, k, r.nv}, r.joint,
              units("rad/s^2 (hinge dofs) or m/s^2 (slide dofs)", "frame,contributor,dof")));
  a.datasets.push_back(dataset("closure", {n}, r.closure, units("1", "frame")));
  for (int64_t si = 0; si < ns; ++si) {
    std::vector<double> v(static_cast<std::size_t>(n * k * 3));
    for (int64_t f = 0; f < n; ++f)
      std::copy_n(r.site.data() + (f * ns + si) * k * 3, k * 3, v.begin() + f * k * 3);
    a.datasets.push_back(dataset("sites/" + options_.sites[static_cast<std::size_t>(si)], {n, k, 3},
                                 v, units("m/s^2", "frame,contributor,xyz")));
  }
  if (options_.counterfactuals) {
    a.datasets.push_back(dataset("counterfactuals/ztcf", {n, r.nv}, cf.ztcf,
                                 units("rad/s^2 or m/s^2", "frame,dof")));
    a.datasets.push_back(dataset("counterfactuals/zvcf", {n, r.nv}, cf.zvcf,
                                 units("rad/s^2 or m/s^2", "frame,dof")));
    for (int64_t si = 0; si < ns; ++si) {
      std::vector<double> zt(static_cast<std::size_t>(n * 3)), zv(static_cast<std::size_t>(n * 3));
      for (int64_t f = 0; f < n; ++f)
        for (int e = 0; e < 3; ++e) {
          zt[static_cast<std::size_t>(f * 3 + e)] =
              cf.ztcf_site[static_cast<std::size_t>((f * ns + si) * 3 + e)];
          zv[static_cast<std::size_t>(f * 3 + e)] =
              cf.zvcf_site[static_cast<std::size_t>((f * ns + si) * 3 + e)];
        }
      const std::string& s = options_.sites[static_cast<std::size_t>(si)];
      a.datasets.push_back(
          dataset("counterfactuals/" + s + "_ztcf", {n, 3}, zt, units("m/s^2", "frame,xyz")));
      a.datasets.push_back(
          dataset("counterfactuals/" + s + "_zvcf", {n, 3}, zv, units("m/s^2", "frame,xyz")));
    }
  }
  return out;
}

}  // namespace swingpipe::pipeline
