// Analyses "cwt", "xwt" and "coherence" (kernels/cwt.hpp): Morlet scalograms of recording
// channels, cross-wavelet transforms and wavelet coherence of channel pairs.
//
// Summaries (payload, CSV): per channel (cwt) or pair (xwt, coherence) the peak frequency of the
// time-averaged spectrum and its mean per frequency band. Arrays (AnalysisResult::arrays, written
// by the array sink when output.formats has "hdf5"; README "Array outputs" lists them): the
// scalogram (channel or pair, frequency, time) with the frequency, time and scale axes.
//
// Plans come from one bounded PlanCache per analysis, keyed by the recording length rounded up
// with cwt::plan_length (so swings of similar length share a plan) and the sample rate.
#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "analyses.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/cwt.hpp"
#include "swingpipe/pipeline/packing.hpp"

namespace swingpipe::pipeline {
namespace {

enum class Kind { cwt, xwt, coherence };

nlohmann::json number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

std::string fmt_hz(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

/// Options shared by the three analyses.
struct CwtOptions {
  std::vector<std::string> channels;
  std::vector<std::array<std::string, 2>> pairs;
  std::vector<double> frequencies;  ///< explicit, or empty: geometric fmin..fmax
  double fmin = 1.0, fmax = 30.0;
  int count = 32;
  double omega0 = 6.0;
  std::string precision = "float64";
  std::string output = "power";
  bool arrays = true;
  std::vector<std::array<double, 2>> bands{{1.0, 4.0}, {4.0, 10.0}, {10.0, 30.0}};
  cwt::CoherenceOptions coherence;

  void read(JsonReader& r, Kind kind) {
    channels = r.optional<std::vector<std::string>>("channels", {});
    if (kind != Kind::cwt) {
      if (const auto* p = r.raw("pairs")) {
        if (!p->is_array()) r.fail("pairs", "expected an array of [channel, channel] pairs");
        for (std::size_t i = 0; i < p->size(); ++i) {
          const auto& e = (*p)[i];
          if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_string())
            r.fail("pairs/" + std::to_string(i), "expected [\"channel\", \"channel\"]");
          pairs.push_back({e[0].get<std::string>(), e[1].get<std::string>()});
        }
      }
    }
    if (const auto* f = r.raw("frequencies")) {
      if (!f->is_array() || f->empty()) r.fail("frequencies", "expected a non-empty array of Hz");
      for (std::size_t i = 0; i < f->size(); ++i) {
        const auto& v = (*f)[i];
        if (!v.is_number() || !(v.get<double>() > 0) || !std::isfinite(v.get<double>()))
          r.fail("frequencies/" + std::to_string(i), "expected a frequency > 0 Hz");
        frequencies.push_back(v.get<double>());
      }
      if (r.has("fmin") || r.has("fmax") || r.has("count"))
        r.fail("frequencies", "give frequencies or fmin/fmax/count, not both");
    }
    fmin = r.optional<double>("fmin", fmin);
    fmax = r.optional<double>("fmax", fmax);
    count = r.optional<int>("count", count);
    if (frequencies.empty()) {
      if (!(fmin > 0)) r.fail("fmin", "must be > 0 Hz");
      if (!(fmax >= fmin)) r.fail("fmax", "must be >= fmin");
      if (count < 1) r.fail("count", "must be >= 1");
    }
    omega0 = r.optional<double>("omega0", omega0);
    if (!(omega0 > 0)) r.fail("omega0", "must be > 0");
    precision = r.optional<std::string>("precision", precision);
    if (precision != "float32" && precision != "float64")
      r.fail("precision", "must be float32 or float64");
    if (kind != Kind::coherence) {
      output = r.optional<std::string>("output", output);
      const bool ok = kind == Kind::cwt
                          ? (output == "power" || output == "magnitude" || output == "complex")
                          : (output == "power" || output == "complex");
      if (!ok)
        r.fail("output", kind == Kind::cwt ? "must be power, magnitude or complex"
                                           : "must be power (|W_xy|) or complex");
    }
    arrays = r.optional<bool>("arrays", arrays);
    if (const auto* b = r.raw("bands")) {
      bands.clear();
      if (!b->is_array()) r.fail("bands", "expected an array of [low, high] Hz pairs");
      for (std::size_t i = 0; i < b->size(); ++i) {
        const auto& e = (*b)[i];
        if (!e.is_array() || e.size() != 2 || !e[0].is_number() || !e[1].is_number() ||
            !(e[0].get<double>() < e[1].get<double>()))
          r.fail("bands/" + std::to_string(i), "expected [low, high] Hz with low < high");
        bands.push_back({e[0].get<double>(), e[1].get<double>()});
      }
    }
    if (kind == Kind::coherence) {
      coherence.time_width = r.optional<double>("time_width", coherence.time_width);
      coherence.scale_width = r.optional<double>("scale_width", coherence.scale_width);
      if (!(coherence.time_width > 0)) r.fail("time_width", "must be > 0 (sigma in scales)");
      if (!(coherence.scale_width >= 0)) r.fail("scale_width", "must be >= 0 octaves");
    }
  }

  nlohmann::json to_json(Kind kind) const {
    nlohmann::json j{{"channels", channels}};
    if (kind != Kind::cwt) {
      nlohmann::json p = nlohmann::json::array();
      for (const auto& [a, b] : pairs) p.push_back({a, b});
      j["pairs"] = p;
    }
    j["frequencies"] = frequencies.empty() ? nlohmann::json() : nlohmann::json(frequencies);
    j["fmin"] = fmin;
    j["fmax"] = fmax;
    j["count"] = count;
    j["omega0"] = omega0;
    j["precision"] = precision;
    if (kind != Kind::coherence) j["output"] = output;
    j["arrays"] = arrays;
    nlohmann::json b = nlohmann::json::array();
    for (const auto& [lo, hi] : bands) b.push_back({lo, hi});
    j["bands"] = b;
    if (kind == Kind::coherence) {
      j["time_width"] = coherence.time_width;
      j["scale_width"] = coherence.scale_width;
    }
    return j;
  }

  std::vector<double> freqs() const {
    return frequencies.empty() ? cwt::geometric_frequencies(fmin, fmax, count) : frequencies;
  }
};

/// Time average of each row of a F x n array of values (power, |W_xy| or R^2).
std::vector<double> row_means(std::span<const double> v, int F, int64_t n) {
  std::vector<double> m(static_cast<std::size_t>(F), std::numeric_limits<double>::quiet_NaN());
  for (int i = 0; i < F; ++i) {
    double s = 0;
    int64_t k = 0;
    for (int64_t t = 0; t < n; ++t) {
      const double x = v[static_cast<std::size_t>(i * n + t)];
      if (std::isnan(x)) continue;
      s += x;
      ++k;
    }
    if (k) m[static_cast<std::size_t>(i)] = s / static_cast<double>(k);
  }
  return m;
}

/// Peak of a spectrum over frequencies and its mean per band.
nlohmann::json spectrum_summary(const std::vector<double>& spectrum,
                                const std::vector<double>& freqs,
                                const std::vector<std::array<double, 2>>& bands,
                                const char* value_name) {
  int best = -1;
  for (std::size_t i = 0; i < spectrum.size(); ++i)
    if (!std::isnan(spectrum[i]) && (best < 0 || spectrum[i] > spectrum[best]))
      best = static_cast<int>(i);
  nlohmann::json j;
  j["peak_frequency_hz"] = best < 0 ? nlohmann::json() : nlohmann::json(freqs[best]);
  j[std::string("peak_") + value_name] =
      best < 0 ? nlohmann::json() : number(spectrum[static_cast<std::size_t>(best)]);
  nlohmann::json bj = nlohmann::json::array();
  for (const auto& [lo, hi] : bands) {
    double s = 0;
    int k = 0;
    for (std::size_t i = 0; i < freqs.size(); ++i)
      if (freqs[i] >= lo && freqs[i] < hi && !std::isnan(spectrum[i])) {
        s += spectrum[i];
        ++k;
      }
    bj.push_back({{"low_hz", lo},
                  {"high_hz", hi},
                  {std::string("mean_") + value_name, k ? number(s / k) : nlohmann::json()},
                  {"frequencies", k}});
  }
  j["bands"] = bj;
  return j;
}

class CwtAnalysis final : public Analysis {
 public:
  CwtAnalysis(JsonReader& r, Kind kind) : kind_(kind) { opt_.read(r, kind); }

  nlohmann::json options() const override { return opt_.to_json(kind_); }

  void prepare(const RunContext& ctx) override {
    backend_ = ctx.backend;
    threads_ = ctx.threads;
  }

  std::vector<AnalysisResult> process(const RecordingBatch& batch, const RunContext&) override {
    std::vector<AnalysisResult> out;
    for (const Recording& rec : batch.recordings) {
      if (opt_.precision == "float32")
        out.push_back(process_one<float>(rec));
      else
        out.push_back(process_one<double>(rec));
    }
    return out;
  }

  /// Run-wide: the plan cache's counters (recordings of similar length share a plan).
  std::vector<AnalysisResult> finish(const RunContext&) override {
    const auto st = cache_.stats();
    return {{0,
             {{"plan_cache",
               {{"hits", st.hits},
                {"misses", st.misses},
                {"evictions", st.evictions},
                {"plans", st.size},
                {"capacity", st.capacity}}}}}};
  }

  std::vector<std::string> csv_header() const override {
    std::vector<std::string> h{"recording_id", "filename", kind_ == Kind::cwt ? "channel" : "pair",
                               "peak_frequency_hz", std::string("peak_") + value_name()};
    for (const auto& [lo, hi] : opt_.bands)
      h.push_back(std::string("mean_") + value_name() + "_" + fmt_hz(lo) + "_" + fmt_hz(hi) +
                  "_hz");
    return h;
  }

  std::vector<std::vector<std::string>> csv_rows(const RecordingMeta& meta,
                                                 const nlohmann::json& p) const override {
    auto d = [](const nlohmann::json& v) { return v.is_null() ? std::string("nan") : v.dump(); };
    std::vector<std::vector<std::string>> rows;
    const std::string key = std::string("mean_") + value_name();
    for (const auto& e : p.at(kind_ == Kind::cwt ? "channels" : "pairs")) {
      std::vector<std::string> row{std::to_string(meta.id), meta.filename,
                                   e.at("name").get<std::string>(), d(e.at("peak_frequency_hz")),
                                   d(e.at(std::string("peak_") + value_name()))};
      for (const auto& b : e.at("bands")) row.push_back(d(b.at(key)));
      rows.push_back(std::move(row));
    }
    return rows;
  }

 private:
  const char* value_name() const {
    return kind_ == Kind::cwt ? "power" : kind_ == Kind::xwt ? "cross_power" : "coherence";
  }

  const char* analysis_type() const {
    return kind_ == Kind::cwt ? "cwt" : kind_ == Kind::xwt ? "xwt" : "coherence";
  }

  /// Channel pairs of a recording (names): configured, or consecutive channels.
  std::vector<std::array<std::string, 2>> pairs_of(const Recording& rec) const {
    if (!opt_.pairs.empty()) return opt_.pairs;
    std::vector<std::string> names = opt_.channels.empty() ? rec.channels : opt_.channels;
    std::vector<std::array<std::string, 2>> p;
    for (std::size_t i = 0; i + 1 < names.size(); ++i) p.push_back({names[i], names[i + 1]});
    if (p.empty())
      throw InputError(std::string(analysis_type()) + ": recording " + std::to_string(rec.meta.id) +
                       " has fewer than two channels to pair");
    return p;
  }

  template <class T>
  AnalysisResult process_one(const Recording& rec) {
    const std::string what = std::string(analysis_type()) + ": recording " +
                             std::to_string(rec.meta.id) + " ('" + rec.meta.filename + "')";
    if (!(rec.sample_rate > 0))
      throw InputError(what + " has no sample rate (needed for frequencies in Hz)");
    const std::vector<double> freqs = opt_.freqs();
    const double nyquist = rec.sample_rate / 2;
    const double fmax = *std::max_element(freqs.begin(), freqs.end());
    if (fmax > nyquist)
      throw InputError(what + ": frequency " + fmt_hz(fmax) +
                       " Hz is above its Nyquist frequency " + fmt_hz(nyquist) +
                       " Hz (sample rate " + fmt_hz(rec.sample_rate) + " Hz)");

    // The channels to transform: named, every channel, or those of the pairs.
    std::vector<std::string> names;
    std::vector<std::array<int, 2>> pair_rows;
    std::vector<std::string> pair_names;
    if (kind_ == Kind::cwt) {
      names = opt_.channels.empty() ? rec.channels : opt_.channels;
    } else {
      for (const auto& [a, b] : pairs_of(rec)) {
        std::array<int, 2> rows{};
        for (int k = 0; k < 2; ++k) {
          const std::string& name = k == 0 ? a : b;
          auto it = std::find(names.begin(), names.end(), name);
          rows[k] = static_cast<int>(it - names.begin());
          if (it == names.end()) names.push_back(name);
        }
        pair_rows.push_back(rows);
        pair_names.push_back(a + "/" + b);
      }
    }
    const std::vector<int> idx = channel_indices(rec, names);
    const std::vector<T> data = extract_channels<T>(rec, idx);
    const int64_t n = rec.frames();
    const int C = static_cast<int>(idx.size()), F = static_cast<int>(freqs.size());
    const auto plan = cache_.get({.length = cwt::plan_length(n),
                                  .frequencies = freqs,
                                  .omega0 = opt_.omega0,
                                  .sample_rate = rec.sample_rate,
                                  .precision = cwt::precision_of<T>(),
                                  .backend = backend_});
    const cwt::RunOptions run{.threads = threads_};
    const SeriesRef<T> series{data.data(), n, C};
    const auto rowsz = static_cast<std::size_t>(F) * static_cast<std::size_t>(n);

    nlohmann::json payload{{"frames", n},
                           {"sample_rate", rec.sample_rate},
                           {"omega0", opt_.omega0},
                           {"frequencies", freqs}};
    io::ArrayFile arrays;
    io::Attrs common{{"analysis_type", std::string(analysis_type())},
                     {"sample_rate_hz", rec.sample_rate},
                     {"omega0", opt_.omega0},
                     {"precision", opt_.precision}};
    if (kind_ == Kind::cwt) {
      std::vector<double> power(static_cast<std::size_t>(C) * rowsz);
      std::vector<std::complex<T>> w;
      std::vector<T> real;
      if (opt_.output == "complex") {
        w.resize(power.size());
        cwt::transform<T>(*plan, series, w, run);
        for (std::size_t k = 0; k < w.size(); ++k) power[k] = std::norm(std::complex<double>(w[k]));
      } else {
        real.resize(power.size());
        cwt::transform<T>(*plan, series, cwt::parse_output(opt_.output), real, run);
        for (std::size_t k = 0; k < real.size(); ++k)
          power[k] = opt_.output == "power" ? double(real[k]) : double(real[k]) * double(real[k]);
      }
      nlohmann::json chans = nlohmann::json::array();
      for (int c = 0; c < C; ++c) {
        const std::span<const double> rows(power.data() + c * rowsz, rowsz);
        nlohmann::json s = spectrum_summary(row_means(rows, F, n), freqs, opt_.bands, "power");
        s["name"] = names[static_cast<std::size_t>(c)];
        // When the power peaks (any frequency): the moment of the channel's strongest oscillation.
        double best = -1;
        int64_t at = -1;
        for (std::size_t k = 0; k < rowsz; ++k)
          if (rows[k] > best)
            best = rows[k], at = static_cast<int64_t>(k) % std::max<int64_t>(n, 1);
        s["peak_time_s"] = at < 0 ? nlohmann::json() : nlohmann::json(double(at) / rec.sample_rate);
        chans.push_back(s);
      }
      payload["channels"] = chans;
      if (opt_.arrays) {
        io::Attrs a{{"axes", std::string("channel,frequency,time")},
                    {"units", std::string(opt_.output == "power" ? "signal^2" : "signal")},
                    {"output", opt_.output}};
        const std::vector<int64_t> shape{C, F, n};
        if (opt_.output == "complex")
          arrays.datasets.push_back(
              io::ArrayDataset::of<std::complex<T>>("scalogram", shape, w, a));
        else
          arrays.datasets.push_back(io::ArrayDataset::of<T>("scalogram", shape, real, a));
        common.push_back({"channels", names});
      }
    } else {
      std::vector<std::complex<T>> w(static_cast<std::size_t>(C) * rowsz);
      cwt::transform<T>(*plan, series, w, run);
      const auto P = pair_rows.size();
      nlohmann::json list = nlohmann::json::array();
      std::vector<T> values(opt_.arrays ? P * rowsz : 0), phases;
      std::vector<std::complex<T>> crossed(kind_ == Kind::xwt ? P * rowsz : 0);
      if (kind_ == Kind::xwt) {
        std::vector<std::pair<int, int>> pr;
        for (const auto& r : pair_rows) pr.push_back({r[0], r[1]});
        cwt::cross_products<T>(w, C, F, n, pr, crossed);
      } else if (opt_.arrays) {
        phases.resize(P * rowsz);
      }
      for (std::size_t p = 0; p < P; ++p) {
        std::vector<double> v(rowsz);
        nlohmann::json extra;
        if (kind_ == Kind::xwt) {
          const std::complex<T>* xy = crossed.data() + p * rowsz;
          for (std::size_t k = 0; k < rowsz; ++k) v[k] = std::abs(std::complex<double>(xy[k]));
          nlohmann::json s = spectrum_summary(row_means(v, F, n), freqs, opt_.bands, "cross_power");
          // Mean phase of W_xy at the peak frequency: > 0 when the first channel leads.
          if (!s["peak_frequency_hz"].is_null()) {
            const auto i = static_cast<std::size_t>(
                std::find(freqs.begin(), freqs.end(), s["peak_frequency_hz"].get<double>()) -
                freqs.begin());
            std::complex<double> mean = 0;
            for (int64_t t = 0; t < n; ++t) mean += std::complex<double>(xy[i * n + t]);
            const double phase = std::arg(mean);
            s["phase_at_peak_rad"] = number(phase);
            s["lead_at_peak_s"] = number(phase / (2 * M_PI * freqs[i]));
          }
          extra = s;
          if (opt_.arrays && opt_.output == "power")
            for (std::size_t k = 0; k < rowsz; ++k) values[p * rowsz + k] = static_cast<T>(v[k]);
        } else {
          const std::span<const std::complex<T>> wx(w.data() + pair_rows[p][0] * rowsz, rowsz),
              wy(w.data() + pair_rows[p][1] * rowsz, rowsz);
          std::vector<T> r2(rowsz);
          cwt::coherence<T>(
              *plan, wx, wy, r2,
              opt_.arrays ? std::span<T>(phases.data() + p * rowsz, rowsz) : std::span<T>(),
              opt_.coherence, run);
          for (std::size_t k = 0; k < rowsz; ++k) v[k] = r2[k];
          extra = spectrum_summary(row_means(v, F, n), freqs, opt_.bands, "coherence");
          if (opt_.arrays) std::copy(r2.begin(), r2.end(), values.begin() + p * rowsz);
        }
        extra["name"] = pair_names[p];
        list.push_back(extra);
      }
      payload["pairs"] = list;
      if (opt_.arrays) {
        const std::vector<int64_t> shape{static_cast<int64_t>(P), F, n};
        common.push_back({"pairs", pair_names});
        if (kind_ == Kind::xwt && opt_.output == "complex")
          arrays.datasets.push_back(io::ArrayDataset::of<std::complex<T>>(
              "cross", shape, crossed,
              {{"axes", std::string("pair,frequency,time")}, {"units", std::string("signal^2")}}));
        else if (kind_ == Kind::xwt)
          arrays.datasets.push_back(io::ArrayDataset::of<T>(
              "cross_power", shape, values,
              {{"axes", std::string("pair,frequency,time")}, {"units", std::string("signal^2")}}));
        else {
          arrays.datasets.push_back(io::ArrayDataset::of<T>(
              "coherence", shape, values,
              {{"axes", std::string("pair,frequency,time")}, {"units", std::string("1")}}));
          arrays.datasets.push_back(io::ArrayDataset::of<T>(
              "phase", shape, phases,
              {{"axes", std::string("pair,frequency,time")}, {"units", std::string("rad")}}));
        }
      }
    }
    if (opt_.arrays) {
      std::vector<double> times(static_cast<std::size_t>(n));
      for (int64_t t = 0; t < n; ++t) times[t] = double(t) / rec.sample_rate;
      arrays.datasets.push_back(io::ArrayDataset::of<double>(
          "frequencies", {F}, freqs,
          {{"axes", std::string("frequency")}, {"units", std::string("Hz")}}));
      arrays.datasets.push_back(io::ArrayDataset::of<double>(
          "times", {n}, times, {{"axes", std::string("time")}, {"units", std::string("s")}}));
      arrays.datasets.push_back(io::ArrayDataset::of<double>(
          "scales", {F}, plan->scales(),
          {{"axes", std::string("frequency")}, {"units", std::string("samples")}}));
      arrays.attrs = std::move(common);
    }
    return {rec.meta.id, std::move(payload), std::move(arrays)};
  }

  Kind kind_;
  CwtOptions opt_;
  Backend backend_ = Backend::cpu;
  int threads_ = 0;
  cwt::PlanCache cache_{8};
};

AnalysisFactory factory(Kind kind) {
  return [kind](JsonReader& r) -> std::unique_ptr<Analysis> {
    return std::make_unique<CwtAnalysis>(r, kind);
  };
}

}  // namespace

AnalysisInfo cwt_analysis_info() {
  return {"cwt",
          "Morlet wavelet scalograms per channel: peak frequency, band power, scalogram arrays",
          factory(Kind::cwt)};
}

AnalysisInfo xwt_analysis_info() {
  return {"xwt",
          "cross-wavelet transforms of channel pairs: peak frequency, phase lead, cross power",
          factory(Kind::xwt)};
}

AnalysisInfo coherence_analysis_info() {
  return {"coherence", "wavelet coherence of channel pairs: band coherence, R^2 and phase arrays",
          factory(Kind::coherence)};
}

}  // namespace swingpipe::pipeline
