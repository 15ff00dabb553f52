#pragma once
// Full-state channels of a recording (host/engine): how an engine::FullState is stored as named
// library channels and read back, so analyses (induced accelerations) work from recordings alone.
//
// Channel names ("<dof>" is a Model::dof_names() entry, "<act>" an actuator name):
//   time, ncon                                   1 each
//   qpos:<coordinate>                            nq (Model::qpos_names())
//   qvel:<dof>  qacc:<dof>                       nv each
//   bias:<dof> gravity:<dof> passive:<dof> constraint:<dof> applied:<dof> actuator:<dof>
//                                                nv each (FullState's qfrc_*)
//   ctrl:<act>  force:<act>                      nu each
//   moment:<act>:<dof>                           only the (actuator, dof) pairs whose moment is
//                                                non-zero in some frame; the others are zero
//   site_pos:<site>[k] site_vel:<site>[k] site_acc:<site>[k]   k = 0, 1, 2 (world x, y, z)
// Recordings made by `swingpipe simulate` carry the tag "model-sha256:<hex>" (model_sha256_tag)
// naming the SHA-256 of the MJCF file they were simulated with.
#include <optional>
#include <string>
#include <vector>

#include "swingpipe/host/engine.hpp"
#include "swingpipe/host/recording.hpp"

namespace swingpipe::engine {

inline constexpr const char* kModelHashTagPrefix = "model-sha256:";

std::string model_sha256_tag(const Model& model);
/// The hash in a "model-sha256:<hex>" tag of `meta`, if any.
std::optional<std::string> model_sha256_of(const RecordingMeta& meta);

/// Appends the channels of `state` (names above) to `rec`, channel-major; rec.meta.num_frames
/// must be 0 or state.frames, and becomes state.frames.
void append_full_state(const Model& model, const FullState& state, Recording& rec);

/// Reads the full state of `model` back from `rec`. Sites: those with site_pos channels (a
/// recording may have none). InputError naming the recording and the first missing channel.
FullState read_full_state(const Model& model, const Recording& rec);

}  // namespace swingpipe::engine
