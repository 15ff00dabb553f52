#pragma once
// Induced accelerations of recordings (the analysis `induced_accel` and `swingpipe
// induced-accel`): finds each recording's model by the SHA-256 in its "model-sha256:" tag among
// the given model files, reads the full-state channels, computes the contributions on the chosen
// backend and summarizes them.
//
// Summary payload: model, model_sha256, frames, nv, backend, contributors, closure_max (see
// iaa::Result::closure), impact_frame and impact_time (the club head's closest return to its
// address position after the top; null without a club_head site), and per site: speed and
// acceleration magnitude at impact, and per contributor its peak acceleration magnitude (m/s^2)
// with its time, and impact_share = (a_c . a) / |a|^2 at impact, where a is the site's total
// acceleration (the six base shares sum to 1). With counterfactuals: the site acceleration at
// impact under ZTCF and ZVCF.
//
// Arrays (for the array sink; README "Array outputs"): time (frames, s); joint_contributions
// (frames, contributors, nv); sites/<site> (frames, contributors, 3, m/s^2); closure (frames);
// with counterfactuals: counterfactuals/ztcf and counterfactuals/zvcf (frames, nv) and
// counterfactuals/<site>_ztcf, counterfactuals/<site>_zvcf (frames, 3). File attributes name the
// contributors, the dofs and the model.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "swingpipe/host/arrays.hpp"
#include "swingpipe/host/recording.hpp"
#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/induced_accel.hpp"

namespace swingpipe::engine {
class Model;
}

namespace swingpipe::pipeline {

struct InducedAccelOptions {
  /// MJCF files, or folders whose *.xml files are candidates.
  std::vector<std::filesystem::path> models{"configs/models"};
  std::vector<std::string> sites{"club_head"};
  bool per_actuator = false;
  bool counterfactuals = false;  ///< ZTCF / ZVCF (MuJoCo forward dynamics on the CPU)
  bool arrays = true;            ///< fill the arrays (contributions per frame)
  Backend backend = Backend::cpu;
  int threads = 0;
  /// CPU path: M(q) from the tree math (default, faster) or from MuJoCo's position stages.
  iaa::MassSource mass_source = iaa::MassSource::tree;
};

/// "tree" or "mujoco"; InputError naming `what` for anything else.
iaa::MassSource parse_mass_source(const std::string& text, const std::string& what);
std::string to_string(iaa::MassSource source);

struct InducedAccelOutput {
  nlohmann::json payload;
  io::ArrayFile arrays;
};

class InducedAccelRunner {
 public:
  /// Hashes the candidate model files (InputError when a path does not exist or holds none).
  explicit InducedAccelRunner(InducedAccelOptions options);
  ~InducedAccelRunner();

  /// The model file of a recording: NotFoundError naming the hash and the candidates when none
  /// matches; InputError when the recording has no model-sha256 tag.
  std::shared_ptr<const engine::Model> model_for(const RecordingMeta& meta);
  InducedAccelOutput run(const Recording& rec);
  const InducedAccelOptions& options() const { return options_; }

 private:
  InducedAccelOptions options_;
  std::map<std::string, std::filesystem::path> files_;  ///< sha256 -> file
  std::map<std::string, std::shared_ptr<const engine::Model>> loaded_;
};

}  // namespace swingpipe::pipeline
