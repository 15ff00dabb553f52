// Deterministic demo swings (demo_swing.hpp). Every joint's angular velocity is a sum of compact
// polynomial bumps b(s) = (1 - s^2)^3 on |s| < 1: one negative bump for the backswing and one
// positive bump for the downswing, centred at the joint's peak time. The angle is the closed-form
// integral, so angles and velocities agree exactly up to rounding. Noise is a sum of small bumps
// (1 - s^2)^4 added to the angle, with their exact derivative added to the velocity.
#include "swingpipe/host/demo_swing.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "swingpipe/error.hpp"

namespace swingpipe::demo {
namespace {

constexpr int kJointCount = static_cast<int>(kJoints.size());
constexpr double kBumpArea = 32.0 / 35.0;  // integral of (1 - s^2)^3 over [-1, 1]

/// mt19937_64 (its output is fixed by the standard) with transforms of our own, so the values
/// are the same on every standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Irwin-Hall: the sum of 12 uniforms minus 6, mean 0, variance 1, bounded to (-6, 6).
  double normal() {
    double s = 0;
    for (int i = 0; i < 12; ++i) s += uniform();
    return s - 6;
  }
  /// normal() * sd, clipped to +-limit.
  double jitter(double sd, double limit) { return std::clamp(normal() * sd, -limit, limit); }
  int index(int n) { return std::min(n - 1, static_cast<int>(uniform() * n)); }

 private:
  std::mt19937_64 gen_;
};

/// Per joint (kJoints order): backswing amplitude and follow-through (rad), downswing peak speed
/// range (rad/s), peak time as a fraction of the downswing range, backswing start delay (s),
/// angle at address (rad).
struct JointModel {
  double backswing, follow, peak_lo, peak_hi, frac_lo, frac_hi, delay, address;
};
constexpr std::array<JointModel, kJointCount> kModel = {{
    {0.75, 1.00, 7.5, 9.5, 0.34, 0.42, 0.08, 0.00},    // pelvis_rot
    {1.55, 1.20, 11.5, 14.0, 0.50, 0.58, 0.04, 0.00},  // thorax_rot
    {1.90, 1.70, 16.0, 19.5, 0.65, 0.72, 0.01, 0.35},  // lead_shoulder
    {0.30, 0.10, 4.0, 6.0, 0.60, 0.75, 0.03, 0.15},    // lead_elbow
    {1.45, 0.90, 22.0, 27.0, 0.80, 0.86, 0.02, 0.40},  // lead_wrist
    {4.40, 3.80, 36.0, 42.0, 0.93, 0.99, 0.00, 0.00},  // club
}};

struct Golfer {
  const char* name;
  double backswing_time, ratio, speed, amplitude, skill;
  std::array<double, kJointCount> peak, frac, address;
};

struct Club {
  const char* name;
  const char* family;
  double speed, length;  ///< speed factor on every joint; lever (m) for the club-head speed
};
constexpr std::array<Club, 6> kClubs = {{{"driver", "wood", 1.00, 1.15},
                                         {"3-wood", "wood", 0.97, 1.12},
                                         {"5-iron", "iron", 0.92, 1.08},
                                         {"7-iron", "iron", 0.89, 1.06},
                                         {"9-iron", "iron", 0.85, 1.04},
                                         {"wedge", "wedge", 0.82, 1.02}}};

struct SwingType {
  const char* name;
  double amplitude, speed, tempo;
};
constexpr std::array<SwingType, 4> kSwingTypes = {{{"full", 1.00, 1.00, 1.00},
                                                   {"three-quarter", 0.80, 0.85, 0.95},
                                                   {"half", 0.55, 0.60, 0.90},
                                                   {"chip", 0.25, 0.30, 0.85}}};

constexpr std::array<const char*, 5> kGolferNames = {"Ana Ortiz", "Ben Carter", "Chloe Park",
                                                     "Dev Patel", "Emma Lind"};

Golfer make_golfer(Rng& rng, const char* name) {
  Golfer g{name,
           rng.uniform(0.62, 0.82),
           rng.uniform(2.7, 3.3),
           rng.uniform(0.92, 1.08),
           rng.uniform(0.92, 1.06),
           rng.uniform(0.0, 1.0),
           {},
           {},
           {}};
  for (int k = 0; k < kJointCount; ++k) {
    const JointModel& m = kModel[k];
    g.peak[k] = rng.uniform(m.peak_lo, m.peak_hi);
    g.frac[k] = rng.uniform(m.frac_lo, m.frac_hi);
    g.address[k] = m.address + rng.uniform(-0.05, 0.05);
  }
  return g;
}

/// One velocity bump: amp * (1 - s^2)^3, s = (t - centre) / half_width.
struct Bump {
  double centre, half_width, amp;
  double velocity(double t) const {
    const double s = (t - centre) / half_width;
    if (s <= -1 || s >= 1) return 0;
    const double q = 1 - s * s;
    return amp * q * q * q;
  }
  /// Integral of velocity from -inf to t.
  double angle(double t) const {
    double s = (t - centre) / half_width;
    if (s <= -1) return 0;
    if (s >= 1) return amp * half_width * kBumpArea;
    const double s2 = s * s;
    const double prim = s * (1 - s2 + s2 * s2 * (3.0 / 5.0) - s2 * s2 * s2 * (1.0 / 7.0));
    return amp * half_width * (prim + kBumpArea / 2);
  }
  double end() const { return centre + half_width; }
};

/// Small smooth angle noise: amp * (1 - s^2)^4 and its time derivative.
struct NoiseBump {
  double centre, half_width, amp;
  void add(double t, double& angle, double& velocity) const {
    const double s = (t - centre) / half_width;
    if (s <= -1 || s >= 1) return;
    const double q = 1 - s * s;
    const double q3 = q * q * q;
    angle += amp * q3 * q;
    velocity += amp * (-8 * s * q3) / half_width;
  }
};

struct JointMotion {
  double address = 0;
  Bump back{}, down{};
  std::vector<NoiseBump> noise;
};

std::string format_date(int day_offset) {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{year{2026} / January / 5} + days{day_offset}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

Recording make_swing(Rng& rng, const Golfer& g, int index, const SwingOptions& opt,
                     SwingTruth* truth) {
  const Club& club = kClubs[rng.index(static_cast<int>(kClubs.size()))];
  // Woods are swung full or three-quarter; the rest: 55% full, 15% each other type.
  const double u_type = rng.uniform();
  int type_index = u_type < 0.55 ? 0 : u_type < 0.70 ? 1 : u_type < 0.85 ? 2 : 3;
  if (std::string(club.family) == "wood") type_index = std::min(type_index, 1);
  const SwingType& type = kSwingTypes[type_index];

  const double speed = g.speed * club.speed * type.speed * (1 + rng.jitter(0.02, 0.05));
  const double amplitude = g.amplitude * type.amplitude * (1 + rng.jitter(0.02, 0.05));
  const double t_address = rng.uniform(0.08, 0.15);
  const double backswing = g.backswing_time * type.tempo * (1 + rng.jitter(0.02, 0.05));
  const double downswing = backswing / (g.ratio * (1 + rng.jitter(0.02, 0.05)));
  const double t_top = t_address + backswing;

  std::array<JointMotion, kJointCount> joints;
  double motion_end = t_top;
  for (int k = 0; k < kJointCount; ++k) {
    const JointModel& m = kModel[k];
    JointMotion& j = joints[k];
    j.address = g.address[k];
    const double start = t_address + m.delay * type.tempo;
    const double back_hw = (t_top - start) / 2;
    j.back = {start + back_hw, back_hw, -m.backswing * amplitude / (back_hw * kBumpArea)};
    const double peak = g.peak[k] * speed * (1 + rng.jitter(0.01, 0.02));
    const double frac = g.frac[k] + rng.jitter(0.004, 0.008);
    const double down_hw = (m.backswing + m.follow) * amplitude / (peak * kBumpArea);
    j.down = {t_top + frac * downswing, down_hw, peak};
    if (truth) {
      truth->peak_time[k] = j.down.centre;
      truth->peak_speed[k] = j.down.amp;
    }
    motion_end = std::max(motion_end, j.down.end());
  }
  const double rest = rng.uniform(0.10, 0.25);
  const double duration = std::max(std::clamp(motion_end + rest, 1.2, 1.8), motion_end + 0.02);
  for (auto& j : joints)
    for (int b = 0; b < 8; ++b)
      j.noise.push_back(
          {rng.uniform(0.0, duration), rng.uniform(0.08, 0.20), rng.normal() * 0.0015 * amplitude});

  Recording rec;
  const auto frames = static_cast<int64_t>(std::floor(duration * opt.sample_rate + 0.5)) + 1;
  rec.sample_rate = opt.sample_rate;
  for (auto name : kJoints) rec.channels.emplace_back(name);
  for (auto name : kJoints) rec.channels.push_back(std::string(name) + "_vel");
  rec.data.assign(static_cast<std::size_t>(2 * kJointCount * frames), 0.0);
  double club_peak = 0;
  for (int k = 0; k < kJointCount; ++k) {
    const JointMotion& j = joints[k];
    double* angle = rec.data.data() + k * frames;
    double* vel = rec.data.data() + (kJointCount + k) * frames;
    for (int64_t i = 0; i < frames; ++i) {
      const double t = static_cast<double>(i) / opt.sample_rate;
      double a = j.address + j.back.angle(t) + j.down.angle(t);
      double v = j.back.velocity(t) + j.down.velocity(t);
      for (const auto& n : j.noise) n.add(t, a, v);
      angle[i] = a;
      vel[i] = v;
      if (k == kJointCount - 1) club_peak = std::max(club_peak, std::abs(v));
    }
  }

  RecordingMeta& meta = rec.meta;
  char filename[48];
  std::snprintf(filename, sizeof filename, "demo/swing_%03d.csv", index);
  meta.filename = filename;
  meta.golfer_name = g.name;
  meta.date_recorded = format_date(rng.index(180));
  meta.club_type = club.name;
  meta.swing_type = type.name;
  meta.model_name = "demo-kinematic-chain";
  meta.rating =
      std::clamp(static_cast<int>(std::floor(1.5 + 4 * g.skill + rng.normal() * 0.6)), 1, 5);
  meta.tags = {"demo", type.name, club.family,
               g.backswing_time < 0.7 ? "tempo-quick" : "tempo-smooth"};
  meta.notes = "synthetic kinematic-chain swing (seed " + std::to_string(opt.seed) + ", swing " +
               std::to_string(index) + ")";
  meta.num_frames = frames;
  meta.duration = static_cast<double>(frames - 1) / opt.sample_rate;
  meta.peak_club_speed = club_peak * club.length;
  return rec;
}

void generate(const SwingOptions& opt, std::vector<SwingTruth>* truth,
              const std::function<void(Recording&&)>& sink) {
  if (opt.count < 0)
    throw InputError("demo swings: count must be >= 0, got " + std::to_string(opt.count));
  if (!(opt.sample_rate > 0) || !(opt.sample_rate <= 100000))
    throw InputError("demo swings: sample rate must be in (0, 100000] Hz, got " +
                     std::to_string(opt.sample_rate));
  Rng rng(opt.seed);
  std::vector<Golfer> golfers;
  for (const char* name : kGolferNames) golfers.push_back(make_golfer(rng, name));
  if (truth) truth->assign(static_cast<std::size_t>(opt.count), SwingTruth{});
  for (int i = 0; i < opt.count; ++i) {
    const Golfer& g = golfers[rng.index(static_cast<int>(golfers.size()))];
    sink(make_swing(rng, g, i, opt, truth ? &(*truth)[static_cast<std::size_t>(i)] : nullptr));
  }
}

}  // namespace

void generate_swings(const SwingOptions& opt, const std::function<void(Recording&&)>& sink) {
  generate(opt, nullptr, sink);
}

std::vector<Recording> generate_swings(const SwingOptions& opt, std::vector<SwingTruth>* truth) {
  std::vector<Recording> swings;
  swings.reserve(static_cast<std::size_t>(std::max(0, opt.count)));
  generate(opt, truth, [&](Recording&& r) { swings.push_back(std::move(r)); });
  return swings;
}

std::vector<Recording> generate_swings(const SwingOptions& opt) {
  return generate_swings(opt, static_cast<std::vector<SwingTruth>*>(nullptr));
}

}  // namespace swingpipe::demo
