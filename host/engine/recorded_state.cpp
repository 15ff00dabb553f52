// Full-state channels of recordings (recorded_state.hpp).
#include "swingpipe/host/recorded_state.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "swingpipe/error.hpp"

namespace swingpipe::engine {
namespace {

/// A frame-major block of `width` values per frame, stored as channels "<prefix><name>".
struct Block {
  std::string prefix;
  const std::vector<std::string>* names;
  std::vector<double> FullState::*values;
};

std::vector<Block> blocks(const Model& model) {
  const auto& dofs = model.dof_names();
  const auto& acts = model.actuator_names();
  return {{"qpos:", &model.qpos_names(), &FullState::qpos},
          {"qvel:", &dofs, &FullState::qvel},
          {"qacc:", &dofs, &FullState::qacc},
          {"bias:", &dofs, &FullState::qfrc_bias},
          {"gravity:", &dofs, &FullState::qfrc_gravity},
          {"passive:", &dofs, &FullState::qfrc_passive},
          {"constraint:", &dofs, &FullState::qfrc_constraint},
          {"applied:", &dofs, &FullState::qfrc_applied},
          {"actuator:", &dofs, &FullState::qfrc_actuator},
          {"ctrl:", &acts, &FullState::ctrl},
          {"force:", &acts, &FullState::actuator_force}};
}

const char* kSiteFields[3] = {"site_pos:", "site_vel:", "site_acc:"};
std::vector<double> FullState::*const kSiteMembers[3] = {&FullState::site_pos, &FullState::site_vel,
                                                         &FullState::site_acc};

void append_column(Recording& rec, const std::string& name, const std::vector<double>& values,
                   int64_t frames, std::size_t width, std::size_t column) {
  rec.channels.push_back(name);
  for (int64_t f = 0; f < frames; ++f)
    rec.data.push_back(values[static_cast<std::size_t>(f) * width + column]);
}

}  // namespace

std::string model_sha256_tag(const Model& model) {
  return kModelHashTagPrefix + model.sha256();
}

std::optional<std::string> model_sha256_of(const RecordingMeta& meta) {
  const std::string prefix = kModelHashTagPrefix;
  for (const auto& tag : meta.tags)
    if (tag.rfind(prefix, 0) == 0) return tag.substr(prefix.size());
  return std::nullopt;
}

void append_full_state(const Model& model, const FullState& state, Recording& rec) {
  const int64_t n = state.frames;
  if (rec.meta.num_frames != 0 && rec.meta.num_frames != n)
    throw InputError("append_full_state: the recording has " + std::to_string(rec.meta.num_frames) +
                     " frames, the state " + std::to_string(n));
  if (state.nq != model.nq() || state.nv != model.nv() || state.nu != model.nu())
    throw InputError("append_full_state: the state was not made for model " +
                     model.path().string());
  rec.meta.num_frames = n;
  const FullState& s = state;
  append_column(rec, "time", s.time, n, 1, 0);
  for (const auto& b : blocks(model))
    for (std::size_t k = 0; k < b.names->size(); ++k)
      append_column(rec, b.prefix + (*b.names)[k], s.*b.values, n, b.names->size(), k);
  const auto nu = static_cast<std::size_t>(state.nu), nv = static_cast<std::size_t>(state.nv);
  for (std::size_t a = 0; a < nu; ++a)
    for (std::size_t v = 0; v < nv; ++v) {
      bool used = false;
      for (int64_t f = 0; f < n && !used; ++f)
        used = s.actuator_moment[(static_cast<std::size_t>(f) * nu + a) * nv + v] != 0;
      if (used)
        append_column(rec, "moment:" + model.actuator_names()[a] + ":" + model.dof_names()[v],
                      s.actuator_moment, n, nu * nv, a * nv + v);
    }
  append_column(rec, "ncon", s.ncon, n, 1, 0);
  const std::size_t ns = state.sites.size();
  for (int field = 0; field < 3; ++field)
    for (std::size_t i = 0; i < ns; ++i)
      for (std::size_t k = 0; k < 3; ++k)
        append_column(rec, kSiteFields[field] + state.sites[i] + "[" + std::to_string(k) + "]",
                      s.*kSiteMembers[field], n, 3 * ns, 3 * i + k);
}

FullState read_full_state(const Model& model, const Recording& rec) {
  const std::string what =
      "recording " + std::to_string(rec.meta.id) + " ('" + rec.meta.filename + "')";
  std::map<std::string, int, std::less<>> index;
  for (int c = 0; c < rec.channel_count(); ++c) index.emplace(rec.channels[c], c);
  const int64_t n = rec.frames();
  // Sites: every "site_pos:<name>[0]" channel, in channel order.
  std::vector<std::string> sites;
  const std::string sp = kSiteFields[0];
  for (const auto& ch : rec.channels)
    if (ch.rfind(sp, 0) == 0 && ch.size() > sp.size() + 3 && ch.ends_with("[0]"))
      sites.push_back(ch.substr(sp.size(), ch.size() - sp.size() - 3));
  FullState s;
  s.resize(model, sites, n);
  // Every channel's column of its frame-major array, resolved first (the first missing channel is
  // the error), then copied a block of frames at a time, blocks across threads: a block's rows of
  // every array stay in cache while their columns are filled (a channel at a time over all frames
  // would stride through the whole state once per channel).
  struct Column {
    const double* src;
    double* dst;
    std::size_t width, column;
  };
  std::vector<Column> columns;
  auto read = [&](const std::string& name, std::vector<double>& dst, std::size_t width,
                  std::size_t column) {
    auto it = index.find(name);
    if (it == index.end())
      throw InputError(what + " has no channel '" + name + "' (model " + model.path().string() +
                       " needs it)");
    columns.push_back({rec.channel(it->second), dst.data(), width, column});
  };
  read("time", s.time, 1, 0);
  read("ncon", s.ncon, 1, 0);
  for (const auto& b : blocks(model))
    for (std::size_t k = 0; k < b.names->size(); ++k)
      read(b.prefix + (*b.names)[k], s.*b.values, b.names->size(), k);
  const auto nu = static_cast<std::size_t>(s.nu), nv = static_cast<std::size_t>(s.nv);
  for (std::size_t a = 0; a < nu; ++a)
    for (std::size_t v = 0; v < nv; ++v) {
      const std::string name = "moment:" + model.actuator_names()[a] + ":" + model.dof_names()[v];
      if (index.count(name)) read(name, s.actuator_moment, nu * nv, a * nv + v);
    }
  for (int field = 0; field < 3; ++field)
    for (std::size_t i = 0; i < sites.size(); ++i)
      for (std::size_t k = 0; k < 3; ++k)
        read(kSiteFields[field] + sites[i] + "[" + std::to_string(k) + "]", s.*kSiteMembers[field],
             3 * sites.size(), 3 * i + k);
  constexpr int64_t kBlock = 64;
  const int64_t nblocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (nblocks > 1)
  for (int64_t bi = 0; bi < nblocks; ++bi) {
    const int64_t f0 = bi * kBlock, f1 = std::min(n, f0 + kBlock);
    for (const Column& c : columns)
      for (int64_t f = f0; f < f1; ++f)
        c.dst[static_cast<std::size_t>(f) * c.width + c.column] = c.src[f];
  }
  return s;
}

}  // namespace swingpipe::engine
