#pragma once
// The MuJoCo 2.2 adapter (host/engine). A Model is loaded once and shared read-only by every
// thread; each thread owns a Data (MuJoCo's mjModel / mjData split). The full state of a batch of
// frames is filled by one call (get_full_state), and every what-if computation that needs to
// change mjData (gravity at zero velocity, body accelerations) restores each field it touched
// bit for bit, so recording a simulation never perturbs it.
//
// MuJoCo's own errors (mju_error) become swingpipe::Error exceptions naming the MuJoCo message;
// the Data they came from must then be reset or dropped. MuJoCo's warnings go to the log.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct mjModel_;
struct mjData_;

namespace swingpipe::engine {

struct LoadOptions {
  /// Overrides of the model file's solver settings (the file's values when unset).
  std::optional<double> tolerance;
  std::optional<int> iterations;
};

/// An MJCF model, immutable after loading.
class Model {
 public:
  /// NotFoundError when the file does not exist; InputError "<file>:<line>: <what MuJoCo says>"
  /// for a file MuJoCo cannot compile (the line is omitted when MuJoCo gives none).
  static std::shared_ptr<const Model> load(const std::filesystem::path& mjcf,
                                           const LoadOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const mjModel_* get() const { return model_; }
  const std::filesystem::path& path() const { return path_; }
  /// <mujoco model="..."> when set, else the file's stem.
  const std::string& name() const { return name_; }
  /// Hex SHA-256 of the file's bytes (what recordings keep to find their model again).
  const std::string& sha256() const { return sha256_; }

  int nq() const;
  int nv() const;
  int nu() const;
  int nbody() const;
  double timestep() const;

  /// Names of the generalized coordinates: a hinge or slide joint's name, "<joint>[k]" for the
  /// coordinates of a ball (4) or free (7) joint.
  const std::vector<std::string>& qpos_names() const { return qpos_names_; }
  /// Names of the degrees of freedom: the joint's name, "<joint>[k]" for ball (3) and free (6).
  const std::vector<std::string>& dof_names() const { return dof_names_; }
  const std::vector<std::string>& actuator_names() const { return actuator_names_; }

  /// Ids by name; InputError naming the name, the model file and the known names when absent.
  int body(std::string_view name) const;
  int site(std::string_view name) const;
  int joint(std::string_view name) const;

 private:
  Model() = default;
  mjModel_* model_ = nullptr;
  std::filesystem::path path_;
  std::string name_, sha256_;
  std::vector<std::string> qpos_names_, dof_names_, actuator_names_;
};

/// Per-thread state of a Model.
class Data {
 public:
  explicit Data(std::shared_ptr<const Model> model);
  ~Data();
  Data(const Data&) = delete;
  Data& operator=(const Data&) = delete;

  mjData_* get() { return data_; }
  const mjData_* get() const { return data_; }
  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& model_ptr() const { return model_; }
  /// mj_resetData: qpos0, zero velocity, time 0.
  void reset();

 private:
  std::shared_ptr<const Model> model_;
  mjData_* data_ = nullptr;
};

/// What determines a frame: MuJoCo's state and inputs, frame-major (row f of qpos is
/// qpos[f * nq .. f * nq + nq)). act is empty when the model has no activations; qfrc_applied
/// empty means zero.
struct StateBatch {
  int64_t frames = 0;
  std::vector<double> time, qpos, qvel, act, ctrl, qfrc_applied;
};

/// Everything a frame of a simulation holds, frame-major. Sizes per frame: time, ncon 1; qpos nq;
/// qvel, qacc and the qfrc_* nv; ctrl, actuator_force nu; actuator_moment nu * nv (row i: the
/// generalized force of actuator i per unit force); site_pos, site_vel, site_acc 3 per site.
///
/// qfrc_gravity is G(q) = mj_rne at zero velocity and acceleration, so qfrc_bias - qfrc_gravity
/// is the velocity-product term. qfrc_applied is qfrc_applied plus xfrc_applied mapped through
/// the body Jacobians. M(q) qacc = -qfrc_bias + qfrc_passive + qfrc_applied + qfrc_actuator +
/// qfrc_constraint, up to the constraint solver's tolerance. site_vel and site_acc are the
/// classical (not spatial) linear velocity and acceleration of each site's origin, in world
/// coordinates (m/s, m/s^2).
struct FullState {
  int64_t frames = 0;
  int nq = 0, nv = 0, nu = 0;
  std::vector<std::string> sites;
  std::vector<int> site_ids;  ///< MuJoCo ids of `sites`
  std::vector<double> time, qpos, qvel, qacc, ctrl, actuator_force, actuator_moment;
  std::vector<double> qfrc_bias, qfrc_gravity, qfrc_passive, qfrc_constraint, qfrc_applied,
      qfrc_actuator;
  std::vector<double> ncon;
  std::vector<double> site_pos, site_vel, site_acc;

  /// Sizes every array for `frames` frames of `model` with these sites (InputError naming an
  /// unknown site).
  void resize(const Model& model, std::vector<std::string> site_names, int64_t frames);
};

/// Writes row `frame` of `out` from `data` as mj_forward left it. Computes G(q) and the site
/// accelerations as what-ifs; afterwards every field of mjData is as it was before the call.
void capture(Data& data, FullState& out, int64_t frame);

/// One call for a batch of frames: for each frame sets time, qpos, qvel, act, ctrl and
/// qfrc_applied, runs mj_forward and captures. InputError when an array of `states` has the
/// wrong size.
FullState get_full_state(Data& data, const StateBatch& states,
                         const std::vector<std::string>& sites);

/// G(q) into `out` (nv values): mj_rne at zero velocity for the current qpos, after the position
/// stage. A what-if: qvel, cvel, cdof_dot and the stack bookkeeping are restored.
void gravity_force(Data& data, std::span<double> out);

/// Classical linear accelerations of `sites` (world frame, 3 values each into `out`) after
/// mj_forward: a what-if mj_rnePostConstraint (cacc, cfrc_int, cfrc_ext and the stack
/// bookkeeping restored) and mj_objectAcceleration, with gravity added back (MuJoCo's cacc is the
/// acceleration minus gravity, as an accelerometer reads it).
void site_accelerations(Data& data, std::span<const int> sites, std::span<double> out);

/// M(q) (nv x nv, row-major) for `qpos` by MuJoCo's position stages only (mj_kinematics,
/// mj_comPos, mj_crb, mj_fullM): no collision, no constraint solve.
void mass_matrix(Data& data, const double* qpos, double* M);

/// Installs MuJoCo's error and warning handlers (idempotent; every entry point calls it).
void install_handlers();

}  // namespace swingpipe::engine
