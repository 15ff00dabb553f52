#include "swingpipe/host/recorder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "swingpipe/error.hpp"

namespace swingpipe {
namespace {

int total_width(const std::vector<FieldSpec>& fields) {
  int n = 0;
  for (const auto& f : fields) n += f.width;
  return n;
}

void check_args(const std::vector<FieldSpec>& fields, const Recorder::Options& o) {
  if (fields.empty()) throw InputError("recorder: no fields to record");
  std::set<std::string> seen;
  for (const auto& f : fields) {
    if (f.name.empty()) throw InputError("recorder: a field has an empty name");
    if (!seen.insert(f.name).second) throw InputError("recorder: duplicate field '" + f.name + "'");
    if (f.width < 1)
      throw InputError("recorder: field '" + f.name + "' has width " + std::to_string(f.width) +
                       " (must be >= 1)");
  }
  if (o.initial_capacity < 1)
    throw InputError("recorder: initial_capacity must be >= 1, got " +
                     std::to_string(o.initial_capacity));
  if (!(o.growth > 1))
    throw InputError("recorder: growth must be > 1, got " + std::to_string(o.growth));
  if (o.max_samples < 1)
    throw InputError("recorder: max_samples must be >= 1, got " + std::to_string(o.max_samples));
}

}  // namespace

Recorder::Recorder(std::vector<FieldSpec> fields) : Recorder(std::move(fields), Options{}) {}

Recorder::Recorder(std::vector<FieldSpec> fields, Options options)
    : fields_(std::move(fields)), options_(options) {
  check_args(fields_, options_);
  capacity_ = std::min(options_.initial_capacity, options_.max_samples);
  columns_.assign(static_cast<std::size_t>(total_width(fields_)),
                  std::vector<double>(static_cast<std::size_t>(capacity_)));
}

void Recorder::grow() {
  // Geometric, at least one more, never past the cap; every column together.
  const double scaled = std::ceil(static_cast<double>(capacity_) * options_.growth);
  const int64_t wanted = scaled >= static_cast<double>(options_.max_samples)
                             ? options_.max_samples
                             : std::max(capacity_ + 1, static_cast<int64_t>(scaled));
  capacity_ = std::min(wanted, options_.max_samples);
  for (auto& c : columns_) c.resize(static_cast<std::size_t>(capacity_));
}

bool Recorder::record(std::span<const double> values) {
  if (values.size() != columns_.size())
    throw InputError("recorder: a sample has " + std::to_string(values.size()) +
                     " values, the fields need " + std::to_string(columns_.size()));
  if (full()) {
    if (!warned_)
      spdlog::warn("recorder: reached max_samples ({}); later samples are dropped",
                   options_.max_samples);
    warned_ = true;
    return false;
  }
  if (size_ == capacity_) grow();
  for (std::size_t c = 0; c < columns_.size(); ++c)
    columns_[c][static_cast<std::size_t>(size_)] = values[c];
  ++size_;
  return true;
}

std::span<const double> Recorder::column(int field, int component) const {
  if (field < 0 || field >= static_cast<int>(fields_.size()))
    throw InputError("recorder: no field " + std::to_string(field) + " (have " +
                     std::to_string(fields_.size()) + ")");
  const auto& spec = fields_[static_cast<std::size_t>(field)];
  if (component < 0 || component >= spec.width)
    throw InputError("recorder: field '" + spec.name + "' has no component " +
                     std::to_string(component) + " (width " + std::to_string(spec.width) + ")");
  int first = 0;
  for (int f = 0; f < field; ++f) first += fields_[static_cast<std::size_t>(f)].width;
  return {columns_[static_cast<std::size_t>(first + component)].data(),
          static_cast<std::size_t>(size_)};
}

Recording Recorder::to_recording(RecordingMeta meta, double sample_rate) const {
  Recording rec;
  rec.meta = std::move(meta);
  rec.meta.num_frames = size_;
  rec.sample_rate = sample_rate;
  rec.data.reserve(columns_.size() * static_cast<std::size_t>(size_));
  for (const auto& f : fields_)
    for (int k = 0; k < f.width; ++k)
      rec.channels.push_back(f.width == 1 ? f.name : f.name + "[" + std::to_string(k) + "]");
  for (const auto& c : columns_) rec.data.insert(rec.data.end(), c.begin(), c.begin() + size_);
  validate(rec, "recorder output '" + rec.meta.filename + "'");
  return rec;
}

}  // namespace swingpipe
