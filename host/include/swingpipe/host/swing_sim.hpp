#pragma once
// Simulated golf swings (host/engine): a PD controller tracks a parametrized backswing and
// downswing of a golfer model (configs/models/golfer_*.xml) in MuJoCo, and every recorded frame
// keeps the full state (recorded_state.hpp) plus kinematic-sequence channels.
//
// The swing: address, a backswing to the top, a downswing whose joints peak proximal to distal
// (pelvis, thorax, lead arm, wrist release: each joint's downswing is a minimum-jerk move centred
// `lead` seconds before impact that passes an impact posture near address at impact, so the club
// head returns to the ball), follow-through. The controller is PD tracking in computed-torque
// form: tau = M(q) a + bias(q, qd) + noise(t) with a_j = qdd_ref_j + wn^2 (q_ref_j - q_j) +
// 2 wn (qd_ref_j - qd_j) on the actuated joints (critically damped; the full M, so that coupled
// joints such as pelvis and thorax rotation do not fight), plus fixed-gain PD on the legs, whose
// load comes through the feet rather than the tree; every torque is clamped to its actuator's
// range. Swings vary through the drawn parameters (tempo, amplitude, proximal-to-distal leads)
// and smooth torque noise.
//
// Kinematic-sequence channels (the demo swings' names, rad and rad/s, 0 at address, positive
// toward the target in the downswing), each with "<name>_vel":
//   pelvis_rot, thorax_rot  segment rotation about the vertical: rate = the body's angular
//                           velocity . z, angle = its trapezoidal integral over the frames;
//   lead_shoulder, club     the lead upper arm's and the club's rotation about the swing-plane
//                           normal n, rate and angle likewise;
//   lead_elbow, lead_wrist  the lead_elbow and lead_wrist joints (angle from address, velocity).
// The swing plane contains the shaft at address and the target line (+y). The models must have
// bodies pelvis, thorax, lead_upperarm and club, joints lead_elbow and lead_wrist, and a site
// club_head.
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "swingpipe/host/engine.hpp"
#include "swingpipe/host/recording.hpp"

namespace swingpipe {
class RecordingLibrary;
}

namespace swingpipe::sim {

/// Kinematic-sequence channels, proximal to distal (each also as "<name>_vel").
inline constexpr std::array<std::string_view, 6> kSequenceChannels = {
    "pelvis_rot", "thorax_rot", "lead_shoulder", "lead_elbow", "lead_wrist", "club"};

/// One swing's parameters.
struct SwingParams {
  double address_time = 0.15;    ///< s still at address
  double backswing_time = 0.80;  ///< s from takeaway to the lead arm's top
  double tempo = 1.0;            ///< scales every downswing duration and lead (> 1 = slower)
  double amplitude = 1.0;        ///< scales every backswing and follow-through angle
  double follow_time = 0.45;     ///< s recorded after impact
  /// s before impact at which pelvis, thorax, arms and wrists reach peak downswing speed.
  std::array<double, 4> leads = {0.210, 0.130, 0.060, 0.0};
  double noise = 0.01;  ///< torque noise, fraction of each actuator's limit
  uint64_t noise_seed = 0;

  /// Impact time (s): the wrists' downswing centre.
  double impact_time() const;
  /// Recorded duration (s).
  double duration() const { return impact_time() + follow_time; }
};

/// Swing `index` of `seed`: parameters drawn from a generator seeded by (seed, index) alone, so a
/// swing does not depend on the others or on the thread that simulates it.
SwingParams draw_params(uint64_t seed, int64_t index);

/// The sites every simulated swing records (club_head).
const std::vector<std::string>& recorded_sites();

/// Simulates one swing: a recording with the full-state channels of recorded_state.hpp and the
/// kinematic-sequence channels, sampled at `sample_rate` Hz (a divisor of the model's step
/// rate). Metadata: model_name, the model hash tag, duration, num_frames, peak_club_speed (max
/// club-head speed, m/s). Error (not InputError) when MuJoCo diverges.
Recording simulate_swing(const std::shared_ptr<const engine::Model>& model, const SwingParams& p,
                         double sample_rate);

/// Frame of impact: after the top of the backswing (the frame where the "club" angle is lowest;
/// without that channel, where the club head is farthest from its address position), the frame
/// where the club head comes closest to its address position before the club has turned a
/// quarter turn past address. -1 without club_head position channels.
int64_t impact_frame(const Recording& rec);

struct SimulateOptions {
  std::filesystem::path model;
  int64_t count = 8;
  uint64_t seed = 2026;
  int threads = 0;           ///< 0 = all cores
  double sample_rate = 500;  ///< Hz
  int64_t batch_size = 0;    ///< swings per library transaction; 0 = 2 per thread (at least 4)
  std::optional<double> tolerance = 1e-12;  ///< solver tolerance override (closure needs it)
};

struct SimulateSummary {
  int64_t count = 0;    ///< swings simulated and stored now
  int64_t skipped = 0;  ///< swings already in the library (same model name, seed and index)
  int64_t first_id = 0, last_id = 0;
  std::string model, model_sha256;
  double seconds = 0;
  double min_impact_speed = 0, max_impact_speed = 0;  ///< club-head speed at impact, m/s
  bool stopped = false;  ///< stop_requested said so after a batch: fewer than count handled
  int64_t handled = 0;   ///< swings handled (stored now or skipped): count + skipped
};

/// The checks simulate_to_library makes before simulating anything, alone: counts, the model
/// (loaded: NotFoundError when missing, InputError naming the file and line when invalid), its
/// golfer bodies and actuators, and that `sample_rate` divides its step rate. Returns the model.
std::shared_ptr<const engine::Model> check_options(const SimulateOptions& options);

/// Simulates `count` swings into `library`, `batch_size` at a time (a batch is simulated on
/// `threads` threads, then stored in one transaction and dropped, so memory does not grow with
/// count). Deterministic: the same seed gives the same swings for any thread count. Filenames
/// "sim/<model>/seed<S>/swing_<index>"; a swing whose filename is already in the library is
/// skipped (a killed run resumes: the same seed gives the same swing), and counted. The model
/// hash of a skipped swing must match (InputError otherwise). `progress(done)` is called after
/// each stored batch with the number of swings handled so far. When `stop_requested` returns
/// true after a batch, it stops there (every stored swing complete; `stopped` set): the same call
/// again resumes.
SimulateSummary simulate_to_library(RecordingLibrary& library, const SimulateOptions& options,
                                    const std::function<void(int64_t done)>& progress = {},
                                    const std::function<bool()>& stop_requested = {});

}  // namespace swingpipe::sim
