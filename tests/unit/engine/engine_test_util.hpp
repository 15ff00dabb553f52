#pragma once
// Shared by the engine tests: the golfer models, random states, mjData comparisons.
#include <mujoco/mjxmacro.h>
#include <mujoco/mujoco.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "swingpipe/host/engine.hpp"
#include "test_support.hpp"

namespace swingpipe::test {

inline std::filesystem::path golfer_model(const std::string& which) {
  return std::filesystem::path(SWINGPIPE_SOURCE_DIR) / "configs" / "models" /
         ("golfer_" + which + ".xml");
}

inline const std::vector<std::string>& golfer_models() {
  static const std::vector<std::string> m{"upper", "full", "advanced"};
  return m;
}

/// Debian's libmujoco-samples humanoid; empty when not installed.
inline std::filesystem::path humanoid_model() {
  const std::filesystem::path p = "/usr/share/mujoco/model/humanoid/humanoid.xml";
  return std::filesystem::exists(p) ? p : std::filesystem::path{};
}

/// A random but plausible state: every hinge within its range (or +-0.5 rad), free joints near
/// qpos0 with a random unit quaternion, random velocities and controls within their ranges.
inline void random_state(const mjModel* m, mjData* d, std::mt19937_64& rng, double vel = 2.0) {
  std::uniform_real_distribution<double> u(-1, 1);
  for (int j = 0; j < m->njnt; ++j) {
    const int a = m->jnt_qposadr[j];
    switch (m->jnt_type[j]) {
      case mjJNT_FREE: {
        for (int k = 0; k < 3; ++k) d->qpos[a + k] = m->qpos0[a + k] + 0.1 * u(rng);
        double q[4] = {1 + 0.3 * u(rng), 0.3 * u(rng), 0.3 * u(rng), 0.3 * u(rng)};
        mju_normalize4(q);
        for (int k = 0; k < 4; ++k) d->qpos[a + 3 + k] = q[k];
        break;
      }
      case mjJNT_BALL: {
        double q[4] = {u(rng), u(rng), u(rng), u(rng)};
        mju_normalize4(q);
        for (int k = 0; k < 4; ++k) d->qpos[a + k] = q[k];
        break;
      }
      default: {
        double lo = -0.5, hi = 0.5;
        if (m->jnt_limited[j]) {
          lo = m->jnt_range[2 * j];
          hi = m->jnt_range[2 * j + 1];
        }
        d->qpos[a] = lo + (hi - lo) * (0.5 + 0.45 * u(rng));
      }
    }
  }
  for (int i = 0; i < m->nv; ++i) d->qvel[i] = vel * u(rng);
  for (int i = 0; i < m->nu; ++i) {
    double lo = -1, hi = 1;
    if (m->actuator_ctrllimited[i]) {
      lo = m->actuator_ctrlrange[2 * i];
      hi = m->actuator_ctrlrange[2 * i + 1];
    }
    d->ctrl[i] = lo + (hi - lo) * (0.5 + 0.3 * u(rng));
  }
}

/// Names of the mjData fields whose bytes differ between a and b (every array field of
/// MJDATA_POINTERS and every scalar, except the timers and the stack's scratch contents).
inline std::vector<std::string> differing_fields(const mjModel* m, const mjData* a,
                                                 const mjData* b) {
  std::vector<std::string> out;
  MJDATA_POINTERS_PREAMBLE(m)
#define X(type, name, nr, nc)                                                                    \
  if (std::memcmp(a->name, b->name, sizeof(type) * static_cast<std::size_t>(m->nr) * (nc)) != 0) \
    out.push_back(#name);
  MJDATA_POINTERS
#undef X
#define X(type, name) \
  if (a->name != b->name) out.push_back(#name);
  MJDATA_SCALAR
#undef X
  if (std::memcmp(a->warning, b->warning, sizeof a->warning) != 0) out.push_back("warning");
  if (std::memcmp(a->solver, b->solver, sizeof a->solver) != 0) out.push_back("solver");
  if (std::memcmp(a->energy, b->energy, sizeof a->energy) != 0) out.push_back("energy");
  return out;
}

/// Max |a - b| / max(max |b|, floor).
inline double rel_diff(const double* a, const double* b, std::size_t n, double floor = 1e-300) {
  double err = 0, scale = floor;
  for (std::size_t i = 0; i < n; ++i) {
    err = std::max(err, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return err / scale;
}

}  // namespace swingpipe::test
