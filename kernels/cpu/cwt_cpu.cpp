// The CPU CWT backend and the public transform entry points (cwt.hpp).
//
// Block engine: the (block, channel) segments of a call are processed in groups that fit the
// memory budget. For each group, OpenMP threads first run the r2c FFT of every segment (once per
// channel, block and FFT length: a one-block plan may transform its scales at up to 4 lengths,
// each scale at the shortest its support allows), then take (segment, scale) items: product of the
// segment's spectrum with the scale's band of the bank into a per-thread spectrum buffer that stays
// zero outside the band, an out-of-place inverse c2c FFT into a per-thread buffer, and the crop of
// the block's valid outputs fused with power / magnitude, written straight to the output
// (non-temporal stores when it is larger than the caches) or to the group's tiles. Per-thread
// buffers live in the plan and are reused by every call; FFTW plans are made once per plan
// (FFTW_MEASURE).
#include <fftw3.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/cwt_internal.hpp"
#include "cpu/cwt_simd.hpp"
#include "cuda/cwt_cuda.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::cwt {

namespace cpu {
namespace {

using detail::Band;

/// FFTW's float and double APIs behind one name.
template <class T>
struct Fftw;

template <>
struct Fftw<float> {
  using plan = fftwf_plan;
  using complex = fftwf_complex;
  static plan r2c(int n, float* in, complex* out, unsigned flags) {
    return fftwf_plan_dft_r2c_1d(n, in, out, flags);
  }
  static plan c2c(int n, complex* in, complex* out, unsigned flags) {
    return fftwf_plan_dft_1d(n, in, out, FFTW_BACKWARD, flags);
  }
  static void destroy(plan p) { fftwf_destroy_plan(p); }
  static void execute_r2c(plan p, float* in, std::complex<float>* out) {
    fftwf_execute_dft_r2c(p, in, reinterpret_cast<complex*>(out));
  }
  static void execute_c2c(plan p, std::complex<float>* in, std::complex<float>* out) {
    fftwf_execute_dft(p, reinterpret_cast<complex*>(in), reinterpret_cast<complex*>(out));
  }
};

template <>
struct Fftw<double> {
  using plan = fftw_plan;
  using complex = fftw_complex;
  static plan r2c(int n, double* in, complex* out, unsigned flags) {
    return fftw_plan_dft_r2c_1d(n, in, out, flags);
  }
  static plan c2c(int n, complex* in, complex* out, unsigned flags) {
    return fftw_plan_dft_1d(n, in, out, FFTW_BACKWARD, flags);
  }
  static void destroy(plan p) { fftw_destroy_plan(p); }
  static void execute_r2c(plan p, double* in, std::complex<double>* out) {
    fftw_execute_dft_r2c(p, in, reinterpret_cast<complex*>(out));
  }
  static void execute_c2c(plan p, std::complex<double>* in, std::complex<double>* out) {
    fftw_execute_dft(p, reinterpret_cast<complex*>(in), reinterpret_cast<complex*>(out));
  }
};

/// FFTW-aligned memory of `count` T (fftw_malloc: the same SIMD alignment for float and double).
template <class T>
struct AlignedBuffer {
  T* ptr = nullptr;
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count) {
    if (count == 0) return;
    ptr = static_cast<T*>(fftw_malloc(count * sizeof(T)));
    if (!ptr) throw std::bad_alloc();
  }
  ~AlignedBuffer() {
    if (ptr) fftw_free(ptr);
  }
  AlignedBuffer(AlignedBuffer&& o) noexcept : ptr(std::exchange(o.ptr, nullptr)) {}
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    std::swap(ptr, o.ptr);
    return *this;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
};

/// One thread's buffers: a real segment, the spectrum product (zero outside `band`), and the
/// inverse FFT's output.
template <class T>
struct Workspace {
  AlignedBuffer<T> real;
  AlignedBuffer<std::complex<T>> spec;
  AlignedBuffer<std::complex<T>> y;
  Band band{};         ///< the bins of spec that may be nonzero
  int64_t band_N = 0;  ///< the FFT length band was filled for
  explicit Workspace(int64_t N)
      : real(static_cast<std::size_t>(N)),
        spec(static_cast<std::size_t>(N)),
        y(static_cast<std::size_t>(N)) {
    std::memset(static_cast<void*>(spec.ptr), 0, static_cast<std::size_t>(N) * sizeof(*spec.ptr));
  }
};

}  // namespace

struct FftState {
  Precision precision = Precision::float64;
  int64_t N = 0;               ///< the longest FFT (workspace size)
  std::vector<void*> forward;  ///< per size class: fftwf_plan / fftw_plan (r2c, out of place)
  std::vector<void*> inverse;  ///< per size class: c2c backward, out of place, input preserved
  std::mutex mutex;
  std::vector<void*> free_workspaces;  ///< Workspace<T>* for reuse by later calls

  template <class T>
  typename Fftw<T>::plan forward_plan(int c) const {
    return static_cast<typename Fftw<T>::plan>(forward[static_cast<std::size_t>(c)]);
  }
  template <class T>
  typename Fftw<T>::plan inverse_plan(int c) const {
    return static_cast<typename Fftw<T>::plan>(inverse[static_cast<std::size_t>(c)]);
  }

  /// `count` workspaces (from the free list, or new).
  template <class T>
  std::vector<std::unique_ptr<Workspace<T>>> take(int count) {
    std::vector<std::unique_ptr<Workspace<T>>> out;
    {
      std::lock_guard<std::mutex> lock(mutex);
      while (!free_workspaces.empty() && static_cast<int>(out.size()) < count) {
        out.emplace_back(static_cast<Workspace<T>*>(free_workspaces.back()));
        free_workspaces.pop_back();
      }
    }
    while (static_cast<int>(out.size()) < count) out.push_back(std::make_unique<Workspace<T>>(N));
    return out;
  }
  template <class T>
  void give_back(std::vector<std::unique_ptr<Workspace<T>>>& ws) {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& w : ws) free_workspaces.push_back(w.release());
  }

  template <class T>
  void release_all() {
    for (void* w : free_workspaces) delete static_cast<Workspace<T>*>(w);
    free_workspaces.clear();
    std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
    for (void* f : forward)
      if (f) Fftw<T>::destroy(static_cast<typename Fftw<T>::plan>(f));
    for (void* i : inverse)
      if (i) Fftw<T>::destroy(static_cast<typename Fftw<T>::plan>(i));
  }
};

void destroy(FftState* state) {
  if (!state) return;
  if (state->precision == Precision::float32)
    state->release_all<float>();
  else
    state->release_all<double>();
  delete state;
}

namespace {

template <class T>
void make_plans(FftState& st, const Plan::Impl& plan) {
  // FFTW_MEASURE times candidate algorithms (no time limit: a limit under load settles for plans
  // ~25% slower); FFTW_ESTIMATE plans instantly.
  const unsigned rigor = plan.spec.planning == Planning::measure ? FFTW_MEASURE : FFTW_ESTIMATE;
  Workspace<T> scratch(st.N);
  std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
  if constexpr (sizeof(T) == 4)
    fftwf_set_timelimit(FFTW_NO_TIMELIMIT);
  else
    fftw_set_timelimit(FFTW_NO_TIMELIMIT);
  for (const auto& c : plan.classes) {
    const int N = static_cast<int>(c.fft_size);
    st.forward.push_back(
        Fftw<T>::r2c(N, scratch.real.ptr,
                     reinterpret_cast<typename Fftw<T>::complex*>(scratch.spec.ptr), rigor));
    st.inverse.push_back(Fftw<T>::c2c(
        N, reinterpret_cast<typename Fftw<T>::complex*>(scratch.spec.ptr),
        reinterpret_cast<typename Fftw<T>::complex*>(scratch.y.ptr), rigor | FFTW_PRESERVE_INPUT));
    if (!st.forward.back() || !st.inverse.back())
      throw BackendError("cwt: FFTW could not plan transforms of " + std::to_string(N) + " points");
  }
}

}  // namespace

std::unique_ptr<FftState, FftStateDeleter> make_fft_state(const Plan::Impl& plan) {
  std::unique_ptr<FftState, FftStateDeleter> st(new FftState);
  st->precision = plan.spec.precision;
  st->N = plan.geometry.fft_size;
  if (st->precision == Precision::float32)
    make_plans<float>(*st, plan);
  else
    make_plans<double>(*st, plan);
  return st;
}

}  // namespace cpu

// ---- FFTW wisdom ------------------------------------------------------------------------------

namespace {
constexpr std::string_view kFloatMark = "\n# swingpipe: float32 wisdom follows\n";
}  // namespace

bool import_fftw_wisdom(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t mark = all.find(kFloatMark);
  if (mark == std::string::npos)
    throw InputError("cwt: '" + path.string() + "' is not a swingpipe FFTW wisdom file");
  const std::string f64 = all.substr(0, mark), f32 = all.substr(mark + kFloatMark.size());
  std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
  if (!fftw_import_wisdom_from_string(f64.c_str()) || !fftwf_import_wisdom_from_string(f32.c_str()))
    throw InputError("cwt: '" + path.string() + "' holds FFTW wisdom FFTW cannot read");
  return true;
}

void export_fftw_wisdom(const std::filesystem::path& path) {
  std::string text;
  {
    std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
    char* f64 = fftw_export_wisdom_to_string();
    char* f32 = fftwf_export_wisdom_to_string();
    if (f64 && f32) text = std::string(f64) + std::string(kFloatMark) + f32;
    std::free(f64);
    std::free(f32);
  }
  if (text.empty()) throw StorageError("cwt: FFTW could not export its wisdom");
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw StorageError("cwt: cannot write FFTW wisdom to '" + tmp.string() + "'");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    throw StorageError("cwt: cannot move FFTW wisdom to '" + path.string() + "': " + ec.message());
}

namespace cpu {

// ---- the block engine -----------------------------------------------------------------------

namespace {

/// Output arrays above this size are written with non-temporal stores: written once and not read
/// back soon, they would otherwise evict the FFT's buffers and twiddles from the cache.
constexpr std::size_t kStreamBytes = std::size_t{4} << 20;

template <class T>
bool all_finite(const T* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) return false;
  return true;
}

template <class V>
void fill_nan(V* dest, int64_t count) {
  using R = typename RealOf<V>::type;
  const R nan = std::numeric_limits<R>::quiet_NaN();
  if constexpr (std::is_floating_point_v<V>)
    std::fill(dest, dest + count, nan);
  else
    std::fill(dest, dest + count, V(nan, nan));
}

}  // namespace

template <class T, class V>
void run(const Plan::Impl& p, SeriesRef<T> x, Output kind, const Target<V>& target,
         const RunOptions& run) {
  const Geometry& g = p.geometry;
  const int64_t n = x.length;  // n <= the plan's length
  const int C = x.channels;
  const int F = static_cast<int>(p.scales.size());
  const int K = static_cast<int>(p.classes.size());  // FFT lengths (one unless one block)
  if (n == 0 || C == 0) return;
  const int64_t blocks = (n + g.step - 1) / g.step;
  FftState& st = *p.cpu;
  const KernelSet<T>& k = best_kernels().get<T>();
  const T* bank = p.bank<T>();

  std::vector<char> bad(static_cast<std::size_t>(C));
  for (int c = 0; c < C; ++c) bad[c] = all_finite(x.data + c * n, n) ? 0 : 1;

  const std::size_t spectrum_bytes =
      static_cast<std::size_t>(p.class_stride) * sizeof(std::complex<T>);
  const std::size_t tile_bytes =
      target.sink ? static_cast<std::size_t>(F) * static_cast<std::size_t>(g.step) * sizeof(V) : 0;
  const std::size_t per_block = static_cast<std::size_t>(C) * (spectrum_bytes + tile_bytes);
  const int64_t group = std::clamp<int64_t>(
      static_cast<int64_t>(run.memory_budget / std::max<std::size_t>(per_block, 1)), 1, blocks);
  AlignedBuffer<std::complex<T>> spectra(static_cast<std::size_t>(group * C * p.class_stride));
  std::vector<V> tiles(target.sink ? static_cast<std::size_t>(group * C * F * g.step) : 0);
  const bool stream = target.base && static_cast<std::size_t>(C) * static_cast<std::size_t>(F) *
                                             static_cast<std::size_t>(n) * sizeof(V) >
                                         kStreamBytes;

  const int max_threads = run.threads > 0 ? run.threads : omp_get_max_threads();
  const int64_t most_items = group * C * F;
  const int threads =
      static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(max_threads, most_items)));
  auto ws = st.take<T>(threads);

  for (int64_t j0 = 0; j0 < blocks; j0 += group) {
    const int64_t jn = std::min(group, blocks - j0);
    const int64_t segments = jn * C;
    const int64_t items = segments * F;
    const int64_t forwards = segments * K;
#pragma omp parallel num_threads(threads)
    {
      Workspace<T>& w = *ws[static_cast<std::size_t>(omp_get_thread_num())];
#pragma omp for schedule(dynamic)
      for (int64_t fw = 0; fw < forwards; ++fw) {
        const int64_t seg = fw / K;
        const int cls = static_cast<int>(fw % K);
        const int64_t j = j0 + seg / C;
        const int c = static_cast<int>(seg % C);
        if (bad[c]) continue;
        const auto& sc = p.classes[static_cast<std::size_t>(cls)];
        const int64_t N = sc.fft_size;
        // Samples [t0, t0 + N) of the channel, zero outside the signal.
        const int64_t t0 = j * g.step - g.offset;
        const int64_t a = std::max<int64_t>(t0, 0), b = std::min<int64_t>(t0 + N, n);
        T* r = w.real.ptr;
        std::fill(r, r + N, T(0));
        if (b > a)
          std::memcpy(r + (a - t0), x.data + c * n + a,
                      static_cast<std::size_t>(b - a) * sizeof(T));
        Fftw<T>::execute_r2c(st.forward_plan<T>(cls), r,
                             spectra.ptr + seg * p.class_stride + sc.spectrum_offset);
      }
#pragma omp for schedule(dynamic)
      for (int64_t item = 0; item < items; ++item) {
        const int64_t seg = item / F;
        const int i = static_cast<int>(item % F);
        const int64_t j = j0 + seg / C;
        const int c = static_cast<int>(seg % C);
        const int64_t count = std::min(g.step, n - j * g.step);
        V* dest = target.base ? target.base + (static_cast<int64_t>(c) * F + i) * n + j * g.step
                              : tiles.data() + (j - j0) * C * F * g.step +
                                    (static_cast<int64_t>(c) * F + i) * count;
        if (bad[c]) {
          fill_nan(dest, count);
          continue;
        }
        const Band& band = p.bands[static_cast<std::size_t>(i)];
        const int cls = p.class_of[static_cast<std::size_t>(i)];
        const auto& sc = p.classes[static_cast<std::size_t>(cls)];
        const int64_t N = sc.fft_size;
        if (w.band_N > 0) k.clear(w.band, w.spec.ptr, w.band_N);
        k.fill(band, bank + band.offset, spectra.ptr + seg * p.class_stride + sc.spectrum_offset,
               w.spec.ptr, N);
        w.band = band;
        w.band_N = N;
        Fftw<T>::execute_c2c(st.inverse_plan<T>(cls), w.spec.ptr, w.y.ptr);
        if constexpr (std::is_floating_point_v<V>)
          k.crop_real(w.y.ptr + g.offset, dest, count, kind, stream);
        else
          k.crop_complex(w.y.ptr + g.offset, dest, count, stream);
      }
    }
    if (target.sink) {
      for (int64_t j = j0; j < j0 + jn; ++j) {
        const int64_t count = std::min(g.step, n - j * g.step);
        const V* tile = tiles.data() + (j - j0) * C * F * g.step;
        (*target.sink)(j * g.step, count,
                       std::span<const V>(tile, static_cast<std::size_t>(C * F * count)));
      }
    }
  }
  st.give_back<T>(ws);
}

#define SP_INSTANTIATE(T)                                                                   \
  template void run<T, std::complex<T>>(const Plan::Impl&, SeriesRef<T>, Output,            \
                                        const Target<std::complex<T>>&, const RunOptions&); \
  template void run<T, T>(const Plan::Impl&, SeriesRef<T>, Output, const Target<T>&,        \
                          const RunOptions&);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace cpu

// ---- public entry points ----------------------------------------------------------------------

namespace {

template <class T>
void check_series(const Plan& plan, SeriesRef<T> x, const char* what) {
  if (precision_of<T>() != plan.spec().precision)
    throw InputError(std::string("cwt: ") + what + ": the plan is " +
                     std::string(to_string(plan.spec().precision)) + " but the data is " +
                     std::string(to_string(precision_of<T>())));
  if (x.channels < 0)
    throw InputError(std::string("cwt: ") + what + ": channel count " + std::to_string(x.channels) +
                     " must be >= 0");
  if (x.length < 0 || x.length > plan.length())
    throw InputError(std::string("cwt: ") + what + ": the series has " + std::to_string(x.length) +
                     " samples, the plan was built for at most " + std::to_string(plan.length()));
  if (!x.data && x.length > 0 && x.channels > 0)
    throw InputError(std::string("cwt: ") + what + ": null input");
}

template <class V>
void check_out(const Plan& plan, int channels, int64_t n, std::size_t size, const char* what) {
  const auto want = static_cast<std::size_t>(channels) * static_cast<std::size_t>(plan.count()) *
                    static_cast<std::size_t>(n);
  if (size != want)
    throw InputError(std::string("cwt: ") + what + ": output holds " + std::to_string(size) +
                     " values, channels x frequencies x length is " + std::to_string(want));
}

void check_real_kind(Output kind, const char* what) {
  if (kind == Output::complex)
    throw InputError(std::string("cwt: ") + what +
                     ": complex output goes to a complex array (use the complex overload)");
}

template <class T, class V>
void dispatch(const Plan& plan, SeriesRef<T> x, Output kind, const Target<V>& target,
              const RunOptions& run) {
  if (plan.backend() == Backend::cuda)
    cuda::run<T, V>(plan.impl(), x, kind, target, run);
  else
    cpu::run<T, V>(plan.impl(), x, kind, target, run);
}

}  // namespace

template <class T>
void transform(const Plan& plan, SeriesRef<T> x, std::span<std::complex<T>> out,
               const RunOptions& run) {
  check_series(plan, x, "transform");
  check_out<std::complex<T>>(plan, x.channels, x.length, out.size(), "transform");
  dispatch<T, std::complex<T>>(plan, x, Output::complex, {out.data(), nullptr}, run);
}

template <class T>
void transform(const Plan& plan, SeriesRef<T> x, Output kind, std::span<T> out,
               const RunOptions& run) {
  check_series(plan, x, "transform");
  check_real_kind(kind, "transform");
  check_out<T>(plan, x.channels, x.length, out.size(), "transform");
  dispatch<T, T>(plan, x, kind, {out.data(), nullptr}, run);
}

template <class T>
void transform_tiles(const Plan& plan, SeriesRef<T> x, const TileSink<std::complex<T>>& sink,
                     const RunOptions& run) {
  check_series(plan, x, "transform_tiles");
  if (!sink) throw InputError("cwt: transform_tiles: no sink");
  dispatch<T, std::complex<T>>(plan, x, Output::complex, {nullptr, &sink}, run);
}

template <class T>
void transform_tiles(const Plan& plan, SeriesRef<T> x, Output kind, const TileSink<T>& sink,
                     const RunOptions& run) {
  check_series(plan, x, "transform_tiles");
  check_real_kind(kind, "transform_tiles");
  if (!sink) throw InputError("cwt: transform_tiles: no sink");
  dispatch<T, T>(plan, x, kind, {nullptr, &sink}, run);
}

namespace {

/// x and y as one two-channel series (the transforms of both come out of one pass).
template <class T>
std::vector<T> pack_pair(const Plan& plan, std::span<const T> x, std::span<const T> y,
                         const char* what) {
  const std::size_t n = x.size();
  if (y.size() != n || n > static_cast<std::size_t>(plan.length()))
    throw InputError(std::string("cwt: ") + what + ": the series have " + std::to_string(x.size()) +
                     " and " + std::to_string(y.size()) +
                     " samples; they must be equal and at most the plan's " +
                     std::to_string(plan.length()));
  std::vector<T> both(2 * n);
  std::copy(x.begin(), x.end(), both.begin());
  std::copy(y.begin(), y.end(), both.begin() + static_cast<std::ptrdiff_t>(n));
  return both;
}

}  // namespace

template <class T>
void cross_tiles(const Plan& plan, std::span<const T> x, std::span<const T> y,
                 const TileSink<std::complex<T>>& sink, const RunOptions& run) {
  if (!sink) throw InputError("cwt: cross_tiles: no sink");
  const std::vector<T> both = pack_pair(plan, x, y, "cross");
  const SeriesRef<T> series{both.data(), static_cast<int64_t>(x.size()), 2};
  check_series(plan, series, "cross");
  const int F = plan.count();
  const auto& k = cpu::best_kernels().get<T>();
  std::vector<std::complex<T>> prod;
  const TileSink<std::complex<T>> pair_sink = [&](int64_t t0, int64_t count,
                                                  std::span<const std::complex<T>> tile) {
    prod.resize(static_cast<std::size_t>(F * count));
    k.conj_product(tile.data(), tile.data() + F * count, prod.data(), F * count);
    sink(t0, count, prod);
  };
  dispatch<T, std::complex<T>>(plan, series, Output::complex, {nullptr, &pair_sink}, run);
}

template <class T>
void cross(const Plan& plan, std::span<const T> x, std::span<const T> y,
           std::span<std::complex<T>> out, const RunOptions& run) {
  const auto n = static_cast<int64_t>(x.size());
  check_out<std::complex<T>>(plan, 1, n, out.size(), "cross");
  const int F = plan.count();
  cross_tiles<T>(
      plan, x, y,
      [&](int64_t t0, int64_t count, std::span<const std::complex<T>> tile) {
        for (int i = 0; i < F; ++i)
          std::copy(tile.begin() + i * count, tile.begin() + (i + 1) * count,
                    out.begin() + i * n + t0);
      },
      run);
}

template <class T>
void cross(const Plan& plan, std::span<const T> x, std::span<const T> y, Output kind,
           std::span<T> out, const RunOptions& run) {
  if (kind != Output::power)
    throw InputError("cwt: cross: output '" + std::string(to_string(kind)) +
                     "' (cross-wavelet output is complex, or power = |W_xy|)");
  const auto n = static_cast<int64_t>(x.size());
  check_out<T>(plan, 1, n, out.size(), "cross");
  const int F = plan.count();
  cross_tiles<T>(
      plan, x, y,
      [&](int64_t t0, int64_t count, std::span<const std::complex<T>> tile) {
        for (int i = 0; i < F; ++i)
          for (int64_t t = 0; t < count; ++t) out[i * n + t0 + t] = std::abs(tile[i * count + t]);
      },
      run);
}

template <class T>
void cross_products(std::span<const std::complex<T>> w, int channels, int frequencies, int64_t n,
                    std::span<const std::pair<int, int>> pairs, std::span<std::complex<T>> out) {
  const auto row = static_cast<std::size_t>(frequencies) * static_cast<std::size_t>(n);
  if (channels < 0 || frequencies < 0 || n < 0 ||
      w.size() != row * static_cast<std::size_t>(channels))
    throw InputError("cwt: cross_products: transforms hold " + std::to_string(w.size()) +
                     " values, not channels x frequencies x n");
  if (out.size() != row * pairs.size())
    throw InputError("cwt: cross_products: output holds " + std::to_string(out.size()) +
                     " values, pairs x frequencies x n is " + std::to_string(row * pairs.size()));
  for (const auto& [a, b] : pairs)
    if (a < 0 || a >= channels || b < 0 || b >= channels)
      throw InputError("cwt: cross_products: pair (" + std::to_string(a) + ", " +
                       std::to_string(b) + ") out of range for " + std::to_string(channels) +
                       " channels");
  const auto& k = cpu::best_kernels().get<T>();
  const auto P = static_cast<int64_t>(pairs.size());
#pragma omp parallel for schedule(dynamic)
  for (int64_t item = 0; item < P * frequencies; ++item) {
    const int64_t p = item / frequencies, i = item % frequencies;
    const auto [a, b] = pairs[static_cast<std::size_t>(p)];
    k.conj_product(w.data() + a * row + i * n, w.data() + b * row + i * n,
                   out.data() + p * static_cast<int64_t>(row) + i * n, n);
  }
}

#define SP_INSTANTIATE(T)                                                                         \
  template void transform<T>(const Plan&, SeriesRef<T>, std::span<std::complex<T>>,               \
                             const RunOptions&);                                                  \
  template void transform<T>(const Plan&, SeriesRef<T>, Output, std::span<T>, const RunOptions&); \
  template void transform_tiles<T>(const Plan&, SeriesRef<T>, const TileSink<std::complex<T>>&,   \
                                   const RunOptions&);                                            \
  template void transform_tiles<T>(const Plan&, SeriesRef<T>, Output, const TileSink<T>&,         \
                                   const RunOptions&);                                            \
  template void cross<T>(const Plan&, std::span<const T>, std::span<const T>,                     \
                         std::span<std::complex<T>>, const RunOptions&);                          \
  template void cross<T>(const Plan&, std::span<const T>, std::span<const T>, Output,             \
                         std::span<T>, const RunOptions&);                                        \
  template void cross_tiles<T>(const Plan&, std::span<const T>, std::span<const T>,               \
                               const TileSink<std::complex<T>>&, const RunOptions&);              \
  template void cross_products<T>(std::span<const std::complex<T>>, int, int, int64_t,            \
                                  std::span<const std::pair<int, int>>,                           \
                                  std::span<std::complex<T>>);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace swingpipe::cwt
