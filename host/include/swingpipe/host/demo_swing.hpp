#pragma once
// Deterministic golf-like swings for the demo library, until MuJoCo simulation replaces them.
// Each swing is a kinematic chain of six joint angles (rad) and their angular velocities (rad/s):
// address, backswing, transition, a downswing with a proximal-to-distal sequence (the peak
// angular speeds of pelvis, thorax, lead arm, lead wrist and club come each later and larger),
// follow-through and finish. Positive velocity points toward the target (downswing direction).
//
// Velocities are the analytic derivatives of the angles (the motion is a sum of polynomial bumps
// integrated in closed form; the "noise" is a sum of small smooth bumps, also differentiated
// exactly), so a numerical derivative of an angle channel matches its velocity channel to within
// the discretization error.
#include <array>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "swingpipe/host/recording.hpp"

namespace swingpipe::demo {

struct SwingOptions {
  int count = 24;            ///< number of swings, >= 0
  double sample_rate = 240;  ///< Hz, > 0
  uint64_t seed = 2026;
};

/// The joints, proximal to distal. Channels are these angles, then "<joint>_vel" in this order.
inline constexpr std::array<std::string_view, 6> kJoints = {
    "pelvis_rot", "thorax_rot", "lead_shoulder", "lead_elbow", "lead_wrist", "club"};

/// The joints whose peak angular speeds form the kinematic sequence (each later and larger).
inline constexpr std::array<std::string_view, 5> kSequence = {
    "pelvis_rot", "thorax_rot", "lead_shoulder", "lead_wrist", "club"};

/// `count` swings, 1.2-1.8 s each. Deterministic: the same options give bit-identical output on
/// every machine (std::mt19937_64 with our own uniform/normal transforms, arithmetic only: no
/// std::*_distribution, no libm transcendental functions; assumes IEEE double without FMA
/// contraction, the default on x86-64). Metadata: filename "demo/swing_NNN.csv" (NNN = index),
/// golfer_name, date_recorded, club_type, swing_type, rating 1-5, tags, notes, duration
/// ((frames - 1) / sample_rate), num_frames, peak_club_speed (max |club_vel| x club length),
/// model_name "demo-kinematic-chain". Throws InputError for count < 0 or a sample rate that is
/// not a finite number > 0.
std::vector<Recording> generate_swings(const SwingOptions& opt);

/// The same swings, handed to `sink` one at a time as they are made (memory: one swing), so that
/// a caller can store tens of thousands without holding them all.
void generate_swings(const SwingOptions& opt, const std::function<void(Recording&&)>& sink);

/// What the generator built into one swing (for tests of the kinematic sequence): per joint, in
/// kJoints order, the time (s) and angular velocity (rad/s) at the centre of its downswing bump,
/// the peak before the small smooth noise is added. Taking it draws nothing more from the
/// generator: the swings are the same with or without it.
struct SwingTruth {
  std::array<double, kJoints.size()> peak_time{};
  std::array<double, kJoints.size()> peak_speed{};
};

/// generate_swings, also filling `truth` (one entry per swing) when it is not null.
std::vector<Recording> generate_swings(const SwingOptions& opt, std::vector<SwingTruth>* truth);

}  // namespace swingpipe::demo
