#include "swingpipe/host/recording.hpp"

#include <cmath>
#include <set>

#include "swingpipe/error.hpp"

namespace swingpipe {

void validate(const Recording& rec, const std::string& what) {
  if (!rec.units.empty() && rec.units.size() != rec.channels.size())
    throw InputError(what + ": " + std::to_string(rec.units.size()) + " units for " +
                     std::to_string(rec.channels.size()) +
                     " channels (expected one per channel, or none)");
  const auto channels = static_cast<int64_t>(rec.channels.size());
  if (rec.meta.num_frames < 0)
    throw InputError(what + ": negative frame count " + std::to_string(rec.meta.num_frames));
  if (channels * rec.meta.num_frames != static_cast<int64_t>(rec.data.size()))
    throw InputError(what + ": " + std::to_string(channels) + " channels x " +
                     std::to_string(rec.meta.num_frames) + " frames does not match " +
                     std::to_string(rec.data.size()) + " values");
  std::set<std::string> seen;
  for (const auto& name : rec.channels) {
    if (name.empty()) throw InputError(what + ": empty channel name");
    if (!seen.insert(name).second) throw InputError(what + ": duplicate channel '" + name + "'");
  }
  if (std::isnan(rec.sample_rate) || rec.sample_rate < 0)
    throw InputError(what + ": sample rate must be >= 0, got " + std::to_string(rec.sample_rate));
}

}  // namespace swingpipe
