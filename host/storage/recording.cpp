#include "swingpipe/host/recording.hpp"

#include <cmath>
#include <set>

#include "swingpipe/error.hpp"
#include "swingpipe/host/untrusted.hpp"

namespace swingpipe {

void validate(const Recording& rec, const std::string& what) {
  if (!rec.units.empty() && rec.units.size() != rec.channels.size())
    throw InputError(what + ": " + std::to_string(rec.units.size()) + " units for " +
                     std::to_string(rec.channels.size()) +
                     " channels (expected one per channel, or none)");
  const auto channels = static_cast<int64_t>(rec.channels.size());
  if (rec.meta.num_frames < 0)
    throw InputError(what + ": negative frame count " + std::to_string(rec.meta.num_frames));
  // channels x frames == values, without a product that could overflow (a frame count with no
  // channels to hold it is inconsistent too: the library sums frame counts).
  const auto values = static_cast<int64_t>(rec.data.size());
  const bool consistent = channels == 0
                              ? rec.meta.num_frames == 0 && values == 0
                              : values % channels == 0 && values / channels == rec.meta.num_frames;
  if (!consistent)
    throw InputError(what + ": " + std::to_string(channels) + " channels x " +
                     std::to_string(rec.meta.num_frames) + " frames does not match " +
                     std::to_string(rec.data.size()) + " values");
  std::set<std::string> seen;
  for (const auto& name : rec.channels) {
    if (name.empty()) throw InputError(what + ": empty channel name");
    if (!seen.insert(name).second)
      throw InputError(what + ": duplicate channel " + io::quote_input(name));
  }
  const double rate = rec.sample_rate;
  if (!(rate == 0 || (rate >= kMinSampleRate && rate <= kMaxSampleRate)))
    throw InputError(what + ": sample rate must be 0 (unknown) or within [1e-06, 1e+09] Hz, got " +
                     std::to_string(rate));
}

}  // namespace swingpipe
