// The kinematic sequence (lag.hpp): peak angular speed per segment, its time, order and gaps.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "swingpipe/error.hpp"
#include "swingpipe/kernels/lag.hpp"

namespace swingpipe::lag {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Speed of the segment whose components are channels [first, first + count) at sample t.
template <class T>
double speed_at(SeriesRef<T> s, int first, int count, int64_t t) {
  if (count == 1) return std::fabs(static_cast<double>(s.at(first, t)));
  double sum = 0;
  for (int c = first; c < first + count; ++c) {
    const double v = static_cast<double>(s.at(c, t));
    sum += v * v;
  }
  return std::sqrt(sum);
}

/// The segment's peak; NaN fields (sample -1) for NaN/inf or no samples.
template <class T>
SegmentPeak peak_of(SeriesRef<T> s, int first, int count, double fs, bool refine) {
  SegmentPeak p{-1, kNaN, kNaN, kNaN};
  if (s.length == 0) return p;
  double best = -1;
  int64_t at = 0;
  for (int64_t t = 0; t < s.length; ++t) {
    for (int c = first; c < first + count; ++c)
      if (!std::isfinite(static_cast<double>(s.at(c, t)))) return p;
    const double v = speed_at(s, first, count, t);
    if (v > best) {
      best = v;
      at = t;
    }
  }
  p.sample = at;
  p.frame = static_cast<double>(at);
  p.speed = best;
  if (refine && at > 0 && at + 1 < s.length) {
    // Parabola through (at-1, y0), (at, y1), (at+1, y2): vertex offset d in [-0.5, 0.5].
    const double y0 = speed_at(s, first, count, at - 1), y1 = best;
    const double y2 = speed_at(s, first, count, at + 1);
    const double curvature = y0 - 2 * y1 + y2;
    if (curvature < 0) {
      const double d = std::clamp(0.5 * (y0 - y2) / curvature, -0.5, 0.5);
      p.frame += d;
      p.speed = y1 - 0.25 * (y0 - y2) * d;
    }
  }
  p.time = fs > 0 ? p.frame / fs : kNaN;
  return p;
}

}  // namespace

template <class T>
Sequence kinematic_sequence(SeriesRef<T> series, std::span<const int> components, double fs,
                            const SequenceOptions& opt) {
  if (!(fs >= 0) || !std::isfinite(fs))
    throw InputError("kinematic sequence: sample rate " + std::to_string(fs) +
                     " (must be a finite number >= 0; 0 = unknown)");
  int total = 0;
  for (std::size_t s = 0; s < components.size(); ++s) {
    if (components[s] < 1)
      throw InputError("kinematic sequence: segment " + std::to_string(s) + " has " +
                       std::to_string(components[s]) + " components (must be >= 1)");
    total += components[s];
  }
  if (total != series.channels)
    throw InputError("kinematic sequence: the segments' components add up to " +
                     std::to_string(total) + " channels, the series has " +
                     std::to_string(series.channels));
  if (series.length < 0)
    throw InputError("kinematic sequence: negative length " + std::to_string(series.length));

  Sequence seq;
  int first = 0;
  for (const int count : components) {
    seq.peaks.push_back(peak_of(series, first, count, fs, opt.refine));
    first += count;
  }
  const int n = static_cast<int>(seq.peaks.size());
  seq.complete = std::all_of(seq.peaks.begin(), seq.peaks.end(),
                             [](const SegmentPeak& p) { return p.sample >= 0; });
  seq.order.resize(static_cast<std::size_t>(n));
  std::iota(seq.order.begin(), seq.order.end(), 0);
  std::stable_sort(seq.order.begin(), seq.order.end(), [&](int a, int b) {
    const SegmentPeak &pa = seq.peaks[a], &pb = seq.peaks[b];
    if ((pa.sample < 0) != (pb.sample < 0)) return pb.sample < 0;  // missing peaks last
    return pa.sample >= 0 && pa.frame < pb.frame;
  });
  seq.proximal_to_distal = seq.complete;
  seq.speeds_increase = seq.complete;
  for (int s = 0; s + 1 < n; ++s) {
    const SegmentPeak &a = seq.peaks[s], &b = seq.peaks[s + 1];
    seq.gap_frames.push_back(b.frame - a.frame);  // NaN when either is missing
    seq.gaps.push_back(b.time - a.time);
    if (!(b.frame > a.frame)) seq.proximal_to_distal = false;
    if (!(b.speed > a.speed)) seq.speeds_increase = false;
  }
  return seq;
}

template Sequence kinematic_sequence<float>(SeriesRef<float>, std::span<const int>, double,
                                            const SequenceOptions&);
template Sequence kinematic_sequence<double>(SeriesRef<double>, std::span<const int>, double,
                                             const SequenceOptions&);

}  // namespace swingpipe::lag
