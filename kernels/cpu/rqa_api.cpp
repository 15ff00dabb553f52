// The public RQA API (rqa.hpp): validation, backend dispatch, threshold resolution per group, the
// line histograms from the CPU tile engine or the CUDA runner, and the measures.
#include <omp.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <string>

#include "cpu/rqa_internal.hpp"
#include "cuda/rqa_cuda.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/rqa.hpp"

namespace swingpipe::rqa {
namespace {

using detail::Cloud;

/// Longest trajectory the kernels index (32-bit line lengths and carries).
constexpr int64_t kMaxPoints = int64_t{1} << 31;

template <class T>
void check_points(const Points<T>& p, const char* name) {
  if (p.count < 0 || p.dims < 0 ||
      p.values.size() != static_cast<std::size_t>(p.count) * static_cast<std::size_t>(p.dims))
    throw InputError(std::string("RQA: ") + name + " holds " + std::to_string(p.values.size()) +
                     " values, not " + std::to_string(p.count) + " points x " +
                     std::to_string(p.dims) + " dims");
  if (p.count > 0 && p.dims < 1)
    throw InputError(std::string("RQA: ") + name + " has points without coordinates");
  if (p.count >= kMaxPoints)
    throw InputError(std::string("RQA: ") + name + " has " + std::to_string(p.count) +
                     " points (at most 2^31 - 1)");
}

/// A host copy readable 64 values past any tile start: stride = count rounded up to 64, + 64.
template <class T>
struct Padded {
  std::vector<T> buf;
  Cloud<T> cloud;
};

template <class T>
Padded<T> pad(const Points<T>& p) {
  Padded<T> out;
  const int64_t stride = (p.count + 63) / 64 * 64 + 64;
  out.buf.assign(static_cast<std::size_t>(stride) * static_cast<std::size_t>(std::max(p.dims, 1)),
                 T(0));
  for (int d = 0; d < p.dims; ++d)
    std::copy_n(p.values.begin() + static_cast<std::ptrdiff_t>(d * p.count), p.count,
                out.buf.begin() + static_cast<std::ptrdiff_t>(d * stride));
  out.cloud = {out.buf.data(), stride, p.count, p.dims};
  return out;
}

detail::NormCode code_of(Norm n) {
  return static_cast<detail::NormCode>(static_cast<int>(n));
}

/// Either backend: clouds where its kernels read them, the passes and the lines.
template <class T>
class Exec {
 public:
  Exec(const Options& opt) : opt_(opt), backend_(resolve_backend(opt.backend)) {
    if (backend_ == Backend::cuda) runner_ = std::make_unique<cuda::Runner<T>>();
  }
  Backend kind() const { return backend_; }
  Cloud<T> place(const Cloud<T>& host) { return runner_ ? runner_->upload(host) : host; }
  double resolve(const detail::Region<T>& region, const Threshold& th) {
    if (th.kind == Threshold::Kind::absolute) return th.value;
    const auto passes =
        runner_ ? runner_->passes(region) : detail::cpu_passes(region, opt_.simd, opt_.threads);
    return detail::resolve_on(region, th, passes);
  }
  Histograms lines(const detail::LineProblem<T>& p, int threads,
                   const std::function<void(double)>& progress) {
    if (runner_) {
      Histograms h = runner_->lines(p);
      if (progress) progress(1.0);
      return h;
    }
    return detail::cpu_lines(p, opt_.simd, threads, progress);
  }

 private:
  const Options& opt_;
  Backend backend_;
  std::unique_ptr<cuda::Runner<T>> runner_;
};

template <class T>
detail::Region<T> region_of(const Cloud<T>& x, const Cloud<T>& y, bool symmetric, Norm norm,
                            int64_t w, Convention conv) {
  detail::Region<T> r;
  r.x = x;
  r.y = y;
  r.norm = code_of(norm);
  r.symmetric = symmetric;
  r.all = conv == Convention::pyrqa;
  r.w = w;
  r.cells = counted_cells(x.count, y.count, w, conv);
  r.zeros = symmetric && (r.all || w == 0) ? x.count : 0;
  return r;
}

enum class Kind { autorec, cross, joint };

template <class T>
Result analyse(Kind kind, const Points<T>& x, const Points<T>& other, const Options& opt) {
  detail::validate_options(opt);
  check_points(x, kind == Kind::joint ? "group a" : "x");
  if (kind != Kind::autorec) check_points(other, kind == Kind::joint ? "group b" : "y");
  if (kind == Kind::cross && x.dims != other.dims)
    throw InputError("RQA: cross-recurrence needs points of the same dimension (x has " +
                     std::to_string(x.dims) + ", y " + std::to_string(other.dims) + ")");
  if (kind == Kind::joint && x.count != other.count)
    throw InputError("RQA: joint recurrence needs groups with the same number of points (" +
                     std::to_string(x.count) + " and " + std::to_string(other.count) + ")");
  const bool cross = kind == Kind::cross, joint = kind == Kind::joint;
  const Convention conv = opt.convention;
  const int64_t w = opt.theiler.value_or(cross ? 0 : 1);
  Exec<T> be(opt);

  // pyRQA's vertical lines run along y for a fixed x: the transpose of ours.
  const bool swap = cross && conv == Convention::pyrqa;
  const Points<T>& rows = swap ? other : x;
  const Points<T>& cols = swap ? x : (cross ? other : x);
  const Padded<T> prow = pad(rows);
  const Padded<T> pcol = cross ? pad(cols) : Padded<T>{};
  const Padded<T> pb = joint ? pad(other) : Padded<T>{};
  const Cloud<T> cr = be.place(prow.cloud);
  const Cloud<T> cc = cross ? be.place(pcol.cloud) : cr;
  const Cloud<T> cb = joint ? be.place(pb.cloud) : Cloud<T>{};

  Result res;
  res.backend = be.kind();
  res.rows = x.count;
  res.cols = cross ? other.count : x.count;
  res.epsilon = be.resolve(region_of(cr, cc, !cross, opt.norm, w, conv), opt.threshold);
  if (joint)
    res.epsilon_b = be.resolve(region_of(cb, cb, true, opt.norm, w, conv),
                               opt.threshold_b.value_or(opt.threshold));

  detail::LineProblem<T> p;
  p.symmetric = !cross;
  p.walk.x = cr;
  p.walk.y = cc;
  p.walk.norm = code_of(opt.norm);
  p.walk.limit = detail::value_limit<T>(opt.norm, res.epsilon);
  p.walk.joint = joint;
  if (joint) {
    p.walk.x2 = cb;
    p.walk.y2 = cb;
    p.walk.limit2 = detail::value_limit<T>(opt.norm, res.epsilon_b);
  }
  p.walk.w_diag = w;
  p.walk.w_vert = conv == Convention::pyrqa ? 0 : w;
  res.histograms = be.lines(p, opt.threads, opt.progress);
  res.measures = measures_of(res.histograms, counted_cells(cr.count, cc.count, w, conv), opt.l_min,
                             opt.v_min, conv);
  return res;
}

}  // namespace

template <class T>
Result recurrence(const Points<T>& x, const Options& opt) {
  return analyse(Kind::autorec, x, x, opt);
}

template <class T>
Result cross_recurrence(const Points<T>& x, const Points<T>& y, const Options& opt) {
  return analyse(Kind::cross, x, y, opt);
}

template <class T>
Result joint_recurrence(const Points<T>& a, const Points<T>& b, const Options& opt) {
  return analyse(Kind::joint, a, b, opt);
}

template <class T>
double resolve_epsilon(const Points<T>& x, const Points<T>* y, const Threshold& threshold,
                       const Options& opt) {
  detail::validate_options(opt);
  threshold.validate();
  check_points(x, "x");
  if (y) check_points(*y, "y");
  const bool cross = y != nullptr;
  const int64_t w = opt.theiler.value_or(cross ? 0 : 1);
  Exec<T> be(opt);
  const Padded<T> px = pad(x);
  const Padded<T> py = cross ? pad(*y) : Padded<T>{};
  const Cloud<T> cx = be.place(px.cloud);
  const Cloud<T> cy = cross ? be.place(py.cloud) : cx;
  return be.resolve(region_of(cx, cy, !cross, opt.norm, w, opt.convention), threshold);
}

template <class T>
Windowed windowed(const Points<T>& x, int64_t window, int64_t step, const Options& opt) {
  detail::validate_options(opt);
  check_points(x, "x");
  if (window < 2 || window > x.count)
    throw InputError("RQA: the window must hold 2 to " + std::to_string(x.count) + " points, got " +
                     std::to_string(window));
  if (step < 1) throw InputError("RQA: the window step must be >= 1, got " + std::to_string(step));
  const Convention conv = opt.convention;
  const int64_t w = opt.theiler.value_or(1);
  Exec<T> be(opt);
  const Padded<T> px = pad(x);
  const Cloud<T> cx = be.place(px.cloud);
  Windowed out;
  out.window = window;
  out.step = step;
  out.epsilon = be.resolve(region_of(cx, cx, true, opt.norm, w, conv), opt.threshold);
  for (int64_t s = 0; s + window <= x.count; s += step) out.starts.push_back(s);
  out.windows.resize(out.starts.size());
  const T limit = detail::value_limit<T>(opt.norm, out.epsilon);
  const int64_t cells = counted_cells(window, window, w, conv);
  auto one = [&](std::size_t k, int threads) {
    detail::LineProblem<T> p;
    p.symmetric = true;
    p.walk.x = {cx.base + out.starts[k], cx.stride, window, cx.dims};
    p.walk.y = p.walk.x;
    p.walk.norm = code_of(opt.norm);
    p.walk.limit = limit;
    p.walk.w_diag = w;
    p.walk.w_vert = conv == Convention::pyrqa ? 0 : w;
    const Histograms h = be.lines(p, threads, {});
    out.windows[k] = measures_of(h, cells, opt.l_min, opt.v_min, conv);
  };
  const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  const auto n = static_cast<int64_t>(out.starts.size());
  if (be.kind() == Backend::cuda || threads == 1 || n < 2 * threads) {
    for (int64_t k = 0; k < n; ++k) {
      one(static_cast<std::size_t>(k), opt.threads);
      if (opt.progress) opt.progress(static_cast<double>(k + 1) / static_cast<double>(n));
    }
    return out;
  }
  std::exception_ptr failed;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int64_t k = 0; k < n; ++k) {
    try {
      one(static_cast<std::size_t>(k), 1);
    } catch (...) {
#pragma omp critical(sp_rqa_windowed)
      failed = std::current_exception();
    }
  }
  if (failed) std::rethrow_exception(failed);
  if (opt.progress) opt.progress(1.0);
  return out;
}

#define SP_INSTANTIATE(T)                                                                  \
  template Result recurrence<T>(const Points<T>&, const Options&);                         \
  template Result cross_recurrence<T>(const Points<T>&, const Points<T>&, const Options&); \
  template Result joint_recurrence<T>(const Points<T>&, const Points<T>&, const Options&); \
  template double resolve_epsilon<T>(const Points<T>&, const Points<T>*, const Threshold&, \
                                     const Options&);                                      \
  template Windowed windowed<T>(const Points<T>&, int64_t, int64_t, const Options&);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace swingpipe::rqa
