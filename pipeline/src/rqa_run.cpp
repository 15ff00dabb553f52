// RQA of recordings (rqa_run.hpp): what the `rqa` analysis and `swingpipe rqa` share.
#include "swingpipe/pipeline/rqa_run.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "swingpipe/error.hpp"
#include "swingpipe/pipeline/packing.hpp"

namespace swingpipe::pipeline {
namespace {

nlohmann::json number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

/// InputError naming the recording and channel at the first non-finite value of `channels`.
void check_finite(const Recording& rec, const std::vector<int>& channels) {
  for (int c : channels) {
    const double* v = rec.channel(c);
    for (int64_t t = 0; t < rec.frames(); ++t)
      if (!std::isfinite(v[t]))
        throw InputError("rqa: recording " + std::to_string(rec.meta.id) + " ('" +
                         rec.meta.filename + "') channel '" +
                         rec.channels[static_cast<std::size_t>(c)] + "' frame " +
                         std::to_string(t) + " is " + (std::isnan(v[t]) ? "NaN" : "infinite") +
                         " (RQA needs finite values: fill or cut the gap first)");
  }
}

template <class T>
rqa::Points<T> embed_recording(const RqaRequest& q, const Recording& rec,
                               const std::vector<std::string>& channels) {
  const SeriesRef<double> series{rec.data.data(), rec.frames(), rec.channel_count()};
  if (q.embedding == "delay") {
    const auto idx = channel_indices(rec, {q.delay_channel});
    check_finite(rec, idx);
    return rqa::embed<T>(series,
                         rqa::Embedding::time_delay(idx[0], q.dimension, q.delay, q.zscore));
  }
  const auto idx = channel_indices(rec, channels);
  check_finite(rec, idx);
  if (rec.frames() < 1)
    throw InputError("rqa: recording " + std::to_string(rec.meta.id) + " ('" + rec.meta.filename +
                     "') has no frames");
  return rqa::embed<T>(series, rqa::Embedding::of_channels(idx, q.zscore));
}

template <class T>
RqaOutcome run_as(const RqaRequest& q, const Recording& rec, const Recording* other) {
  RqaOutcome out;
  const rqa::Points<T> x = embed_recording<T>(q, rec, q.channels);
  out.points = x.count;
  out.dims = x.dims;
  const auto t0 = std::chrono::steady_clock::now();
  if (q.mode == "cross") {
    if (!other) throw InputError("rqa: mode cross needs a second recording");
    const rqa::Points<T> y = embed_recording<T>(q, *other, q.channels);
    out.result = rqa::cross_recurrence(x, y, q.options);
  } else if (q.mode == "joint") {
    const rqa::Points<T> b = embed_recording<T>(q, rec, q.joint_channels);
    out.result = rqa::joint_recurrence(x, b, q.options);
  } else {
    out.result = rqa::recurrence(x, q.options);
  }
  if (q.window > 0) {
    if (q.mode != "auto") throw InputError("rqa: windowed RQA is for mode auto");
    if (q.window > x.count)
      throw InputError("rqa: recording " + std::to_string(rec.meta.id) + " ('" + rec.meta.filename +
                       "') has " + std::to_string(x.count) + " points, fewer than the window of " +
                       std::to_string(q.window));
    out.windowed = rqa::windowed(x, q.window, q.step, q.options);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

template <class T>
io::ArrayDataset dataset(std::string name, const std::vector<T>& values, std::string axes,
                         std::string units) {
  return io::ArrayDataset::vector<T>(std::move(name), values,
                                     {{"axes", std::move(axes)}, {"units", std::move(units)}});
}

}  // namespace

void RqaRequest::validate() const {
  if (mode != "auto" && mode != "cross" && mode != "joint")
    throw InputError("rqa: mode must be auto, cross or joint, got '" + mode + "'");
  if (embedding != "channels" && embedding != "delay")
    throw InputError("rqa: embedding must be channels or delay, got '" + embedding + "'");
  if (embedding == "delay" && delay_channel.empty())
    throw InputError("rqa: a delay embedding needs delay_channel");
  if (dimension < 1) throw InputError("rqa: dimension must be >= 1");
  if (delay < 1) throw InputError("rqa: delay must be >= 1 frame");
  if (mode == "joint" && joint_channels.empty())
    throw InputError("rqa: mode joint needs joint_channels (the second group)");
  if (mode == "joint" && embedding == "delay")
    throw InputError("rqa: mode joint takes channel groups, not a delay embedding");
  if (precision != "float32" && precision != "float64")
    throw InputError("rqa: precision must be float32 or float64");
  if (window < 0 || (window > 0 && window < 2)) throw InputError("rqa: window must be >= 2 points");
  if (window > 0 && step < 1) throw InputError("rqa: window_step must be >= 1");
  if (window > 0 && mode != "auto") throw InputError("rqa: windowed RQA is for mode auto");
  options.threshold.validate();
  if (options.theiler && *options.theiler < 0) throw InputError("rqa: theiler must be >= 0");
  if (options.l_min < 1 || options.v_min < 1) throw InputError("rqa: l_min and v_min must be >= 1");
}

RqaRequest read_rqa_request(JsonReader& r) {
  RqaRequest q;
  q.mode = r.optional<std::string>("mode", q.mode);
  q.channels = r.optional<std::vector<std::string>>("channels", {});
  q.joint_channels = r.optional<std::vector<std::string>>("joint_channels", {});
  q.embedding = r.optional<std::string>("embedding", q.embedding);
  q.delay_channel = r.optional<std::string>("delay_channel", "");
  q.dimension = r.optional<int>("dimension", q.dimension);
  q.delay = r.optional<int>("delay", q.delay);
  q.zscore = r.optional<bool>("zscore", q.zscore);
  q.precision = r.optional<std::string>("precision", q.precision);
  try {
    q.options.norm = rqa::parse_norm(r.optional<std::string>("norm", "euclidean"));
  } catch (const InputError& e) {
    r.fail("norm", e.what());
  }
  {
    JsonReader t = r.child("threshold");
    const auto kind = t.optional<std::string>("kind", "fraction");
    try {
      q.options.threshold.kind = rqa::parse_threshold_kind(kind);
    } catch (const InputError& e) {
      t.fail("kind", e.what());
    }
    const double fallback = q.options.threshold.kind == rqa::Threshold::Kind::rate ? 0.05 : 0.1;
    if (q.options.threshold.kind == rqa::Threshold::Kind::absolute)
      q.options.threshold.value = t.required<double>("value");
    else
      q.options.threshold.value = t.optional<double>("value", fallback);
    try {
      q.options.threshold.validate();
    } catch (const InputError& e) {
      t.fail("value", e.what());
    }
    t.finish();
  }
  q.options.theiler = r.maybe<int64_t>("theiler");
  if (q.options.theiler && *q.options.theiler < 0) r.fail("theiler", "must be >= 0");
  q.options.l_min = r.optional<int64_t>("l_min", 2);
  if (q.options.l_min < 1) r.fail("l_min", "must be >= 1");
  q.options.v_min = r.optional<int64_t>("v_min", 2);
  if (q.options.v_min < 1) r.fail("v_min", "must be >= 1");
  try {
    q.options.convention = rqa::parse_convention(r.optional<std::string>("convention", "standard"));
  } catch (const InputError& e) {
    r.fail("convention", e.what());
  }
  q.window = r.optional<int64_t>("window", 0);
  q.step =
      r.optional<int64_t>("window_step", q.window > 0 ? std::max<int64_t>(1, q.window / 4) : 0);
  try {
    q.validate();
  } catch (const InputError& e) {
    r.fail("mode", e.what());
  }
  return q;
}

nlohmann::json rqa_request_json(const RqaRequest& q) {
  const auto& o = q.options;
  return {{"mode", q.mode},
          {"channels", q.channels},
          {"joint_channels", q.joint_channels},
          {"embedding", q.embedding},
          {"delay_channel", q.delay_channel},
          {"dimension", q.dimension},
          {"delay", q.delay},
          {"zscore", q.zscore},
          {"precision", q.precision},
          {"norm", std::string(rqa::to_string(o.norm))},
          {"threshold",
           {{"kind", std::string(rqa::to_string(o.threshold.kind))}, {"value", o.threshold.value}}},
          {"theiler", o.theiler ? nlohmann::json(*o.theiler) : nlohmann::json()},
          {"l_min", o.l_min},
          {"v_min", o.v_min},
          {"convention", std::string(rqa::to_string(o.convention))},
          {"window", q.window},
          {"window_step", q.step}};
}

RqaOutcome run_rqa(const RqaRequest& q, const Recording& rec, const Recording* other) {
  q.validate();
  return q.precision == "float32" ? run_as<float>(q, rec, other) : run_as<double>(q, rec, other);
}

nlohmann::json rqa_payload(const RqaRequest& q, const RqaOutcome& out) {
  const rqa::Measures& m = out.result.measures;
  nlohmann::json p{{"mode", q.mode},
                   {"points", out.points},
                   {"dims", out.dims},
                   {"rows", out.result.rows},
                   {"cols", out.result.cols},
                   {"epsilon", number(out.result.epsilon)},
                   {"convention", std::string(rqa::to_string(q.options.convention))},
                   {"theiler", q.options.theiler.value_or(q.mode == "cross" ? 0 : 1)},
                   {"recurrences", m.recurrences},
                   {"cells", m.cells},
                   {"rr", number(m.rr)},
                   {"det", number(m.det)},
                   {"l", number(m.l)},
                   {"lmax", m.lmax},
                   {"entr", number(m.entr)},
                   {"lam", number(m.lam)},
                   {"tt", number(m.tt)},
                   {"vmax", m.vmax},
                   {"backend", std::string(to_string(out.result.backend))},
                   {"seconds", out.seconds}};
  if (q.mode == "joint") p["epsilon_b"] = number(out.result.epsilon_b);
  if (out.windowed)
    p["windows"] = {{"count", out.windowed->starts.size()},
                    {"window", out.windowed->window},
                    {"step", out.windowed->step}};
  return p;
}

io::ArrayFile rqa_arrays(const RqaOutcome& out, double sample_rate) {
  io::ArrayFile f;
  const auto& h = out.result.histograms;
  f.datasets.push_back(dataset("diagonal_histogram", h.diagonal, "length", "1"));
  f.datasets.push_back(dataset("vertical_histogram", h.vertical, "length", "1"));
  f.datasets.push_back(dataset("white_vertical_histogram", h.white_vertical, "length", "1"));
  if (!out.windowed) return f;
  const auto& w = *out.windowed;
  std::vector<double> time, rr, det, l, entr, lam, tt;
  std::vector<int64_t> lmax, vmax;
  for (std::size_t k = 0; k < w.starts.size(); ++k) {
    const rqa::Measures& m = w.windows[k];
    time.push_back(sample_rate > 0 ? static_cast<double>(w.starts[k]) / sample_rate
                                   : std::numeric_limits<double>::quiet_NaN());
    rr.push_back(m.rr);
    det.push_back(m.det);
    l.push_back(m.l);
    entr.push_back(m.entr);
    lam.push_back(m.lam);
    tt.push_back(m.tt);
    lmax.push_back(m.lmax);
    vmax.push_back(m.vmax);
  }
  f.datasets.push_back(dataset("windowed/start_frame", w.starts, "window", "frames"));
  f.datasets.push_back(dataset("windowed/time", time, "window", "s"));
  f.datasets.push_back(dataset("windowed/rr", rr, "window", "1"));
  f.datasets.push_back(dataset("windowed/det", det, "window", "1"));
  f.datasets.push_back(dataset("windowed/l", l, "window", "points"));
  f.datasets.push_back(dataset("windowed/lmax", lmax, "window", "points"));
  f.datasets.push_back(dataset("windowed/entr", entr, "window", "1"));
  f.datasets.push_back(dataset("windowed/lam", lam, "window", "1"));
  f.datasets.push_back(dataset("windowed/tt", tt, "window", "points"));
  f.datasets.push_back(dataset("windowed/vmax", vmax, "window", "points"));
  f.attrs = {{"window", w.window}, {"window_step", w.step}, {"epsilon", w.epsilon}};
  return f;
}

}  // namespace swingpipe::pipeline
