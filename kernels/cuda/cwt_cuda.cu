// The CUDA CWT backend (cwt_cuda.hpp): the CPU backend's blocks on the device.
//
// Per (block, channel) segment, on one of two streams (so the host prepares and delivers one
// segment while the device computes the other): the segment's samples (zero outside the signal)
// are copied from pinned staging, cuFFT R2C once, then per chunk of scales (all scales when they
// fit 256 MiB) one kernel applies every scale's band of the bank to the spectrum, one batched
// C2C inverse runs over the chunk, and one kernel crops the valid outputs fused with power /
// magnitude into a compact device buffer that is copied back (pinned) and spread into the output
// on the host. cuFFT plans, the bank, the band table, device buffers, pinned staging and streams
// live in the plan's DeviceState, made once.
//
// cuFFT is loaded with dlopen (libcufft.so.12, .11, or libcufft.so) when the first CUDA plan is
// built: a machine without it still runs everything else, and a CUDA plan there fails with a
// BackendError naming the library.
#include <cuda_runtime.h>
#include <cufft.h>
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "common/cuda_check.hpp"
#include "common/cwt_math.hpp"
#include "cuda/cwt_cuda.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::cwt::cuda {
namespace {

using cuda_util::DeviceArray;
using cuda_util::Stream;
using detail::Band;

// ---- cuFFT, loaded at run time ----------------------------------------------------------------

struct CufftApi {
  decltype(&cufftPlanMany) plan_many = nullptr;
  decltype(&cufftSetStream) set_stream = nullptr;
  decltype(&cufftExecR2C) exec_r2c = nullptr;
  decltype(&cufftExecD2Z) exec_d2z = nullptr;
  decltype(&cufftExecC2C) exec_c2c = nullptr;
  decltype(&cufftExecZ2Z) exec_z2z = nullptr;
  decltype(&cufftDestroy) destroy = nullptr;
  std::string error;  ///< why it could not be loaded; empty when loaded
};

const CufftApi& cufft() {
  static const CufftApi api = [] {
    CufftApi a;
    void* lib = nullptr;
    for (const char* name : {"libcufft.so.12", "libcufft.so.11", "libcufft.so"})
      if ((lib = dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
    if (!lib) {
      a.error = std::string("cuFFT could not be loaded (libcufft.so.12/.11): ") + dlerror();
      return a;
    }
    auto sym = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
      if (!fn && a.error.empty()) a.error = std::string("cuFFT lacks ") + name;
    };
    sym(a.plan_many, "cufftPlanMany");
    sym(a.set_stream, "cufftSetStream");
    sym(a.exec_r2c, "cufftExecR2C");
    sym(a.exec_d2z, "cufftExecD2Z");
    sym(a.exec_c2c, "cufftExecC2C");
    sym(a.exec_z2z, "cufftExecZ2Z");
    sym(a.destroy, "cufftDestroy");
    return a;
  }();
  return api;
}

void cufft_check(cufftResult r, const char* call, int line) {
  if (r != CUFFT_SUCCESS)
    throw BackendError(std::string("cuFFT call failed: ") + call + " at " __FILE__ ":" +
                       std::to_string(line) + ": cufftResult " +
                       std::to_string(static_cast<int>(r)));
}
#define CUFFT_CHECK(call) cufft_check((call), #call, __LINE__)

/// Owns a cuFFT plan.
struct FftPlan {
  cufftHandle h = 0;
  bool made = false;
  FftPlan() = default;
  FftPlan(const FftPlan&) = delete;
  FftPlan& operator=(const FftPlan&) = delete;
  ~FftPlan() {
    if (made) cufft().destroy(h);
  }
  /// One-dimensional transforms of n points, `batch` of them `dist` apart.
  void make(int n, cufftType type, int batch, int idist, int odist, cudaStream_t stream) {
    int dims[1] = {n};
    CUFFT_CHECK(cufft().plan_many(&h, 1, dims, nullptr, 1, idist, nullptr, 1, odist, type, batch));
    made = true;
    CUFFT_CHECK(cufft().set_stream(h, stream));
  }
};

/// Owns page-locked host memory.
struct Pinned {
  void* p = nullptr;
  Pinned() = default;
  explicit Pinned(std::size_t bytes) {
    if (bytes) CUDA_CHECK(cudaMallocHost(&p, bytes));
  }
  ~Pinned() {
    if (p) cudaFreeHost(p);
  }
  Pinned(const Pinned&) = delete;
  Pinned& operator=(const Pinned&) = delete;
  Pinned& operator=(Pinned&& o) noexcept {
    std::swap(p, o.p);
    return *this;
  }
};

/// Owns an event.
struct Event {
  cudaEvent_t e = nullptr;
  Event() { CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming)); }
  ~Event() {
    if (e) cudaEventDestroy(e);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

template <class T>
struct Complex;
template <>
struct Complex<float> {
  using type = cufftComplex;
};
template <>
struct Complex<double> {
  using type = cufftDoubleComplex;
};

// ---- kernels ----------------------------------------------------------------------------------

/// work[s][bin] = X[k] h_s[k - lo_s] on the band of scale first + s (X[-k] conjugated for k < 0),
/// zero elsewhere; one launch for every scale of a chunk (blockIdx.y).
template <class T, class C>
__global__ void apply_bank(const C* __restrict__ X, const Band* __restrict__ bands,
                           const T* __restrict__ bank, int first, int64_t N, C* __restrict__ work) {
  const Band b = bands[first + blockIdx.y];
  C* out = work + static_cast<int64_t>(blockIdx.y) * N;
  for (int64_t bin = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; bin < N;
       bin += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t k = bin <= N / 2 ? bin : bin - N;
    const int64_t i = k - b.lo;
    C v;
    v.x = T(0);
    v.y = T(0);
    if (i >= 0 && i < b.count) {
      const T h = bank[b.offset + i];
      const C x = X[k >= 0 ? k : -k];
      v.x = x.x * h;
      v.y = (k >= 0 ? x.y : -x.y) * h;
    }
    out[bin] = v;
  }
}

/// out[s][t] = f(work[s][offset + t]) for t < count: complex copy (kind 0), power (1), magnitude.
template <class T, class C, class V>
__global__ void crop(const C* __restrict__ work, int64_t N, int64_t offset, int64_t count,
                     V* __restrict__ out, int kind) {
  const C* row = work + static_cast<int64_t>(blockIdx.y) * N + offset;
  V* dest = out + static_cast<int64_t>(blockIdx.y) * count;
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < count;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const C y = row[t];
    if constexpr (sizeof(V) == sizeof(C)) {
      dest[t] = y;
    } else {
      dest[t] = kind == 1 ? detail::power_of(y.x, y.y) : detail::magnitude_of(y.x, y.y);
    }
  }
}

/// dst[u] = x[t0 + u] for u < N, zero outside [0, n) (device-resident signal, benchmarks).
template <class T>
__global__ void gather(const T* __restrict__ x, int64_t n, int64_t t0, int64_t N,
                       T* __restrict__ dst) {
  for (int64_t u = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; u < N;
       u += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t t = t0 + u;
    dst[u] = (t >= 0 && t < n) ? x[t] : T(0);
  }
}

unsigned grid_for(int64_t work, int threads = 256) {
  return static_cast<unsigned>(std::clamp<int64_t>((work + threads - 1) / threads, 1, 4096));
}

/// Scales per inverse batch: all of them when their buffers fit this many bytes.
constexpr std::size_t kChunkBytes = std::size_t{256} << 20;

}  // namespace

// ---- device state -------------------------------------------------------------------------------

struct DeviceState {
  std::mutex mutex;  ///< one call at a time uses the buffers and streams
  Precision precision = Precision::float64;
  int64_t N = 0, half = 0, step = 0, offset = 0;
  int F = 0, chunk = 0;
  DeviceArray<Band> bands;
  DeviceArray<unsigned char> bank;
  struct Lane {
    Stream stream;
    FftPlan r2c, c2c, c2c_tail;
    DeviceArray<unsigned char> in, spec, work, out;
    Pinned host_in, host_out;
    Event done;
    bool busy = false;
    int64_t seg = 0;  ///< the segment in flight
  };
  Lane lanes[2];
};

void destroy(DeviceState* state) {
  delete state;
}

std::unique_ptr<DeviceState, DeviceStateDeleter> make_device_state(const Plan::Impl& plan) {
  if (!cufft().error.empty()) throw BackendError("CWT on CUDA: " + cufft().error);
  std::unique_ptr<DeviceState, DeviceStateDeleter> st(new DeviceState);
  const bool f32 = plan.spec.precision == Precision::float32;
  const std::size_t real_bytes = f32 ? 4 : 8, complex_bytes = 2 * real_bytes;
  st->precision = plan.spec.precision;
  st->N = plan.geometry.fft_size;
  st->half = plan.half_bins;
  st->step = plan.geometry.step;
  st->offset = plan.geometry.offset;
  st->F = static_cast<int>(plan.scales.size());
  const auto per_scale = static_cast<std::size_t>(st->N) * complex_bytes;
  // Scales of one launch: blockIdx.y indexes them (at most 65535).
  st->chunk = static_cast<int>(std::clamp<std::size_t>(
      kChunkBytes / std::max<std::size_t>(per_scale, 1), 1, std::min(st->F, 65535)));

  st->bands = DeviceArray<Band>(plan.bands.size());
  CUDA_CHECK(cudaMemcpy(st->bands.get(), plan.bands.data(), plan.bands.size() * sizeof(Band),
                        cudaMemcpyHostToDevice));
  const std::size_t bank_bytes = f32 ? plan.bank32.size() * 4 : plan.bank64.size() * 8;
  st->bank = DeviceArray<unsigned char>(std::max<std::size_t>(bank_bytes, 1));
  if (bank_bytes)
    CUDA_CHECK(cudaMemcpy(st->bank.get(),
                          f32 ? static_cast<const void*>(plan.bank32.data())
                              : static_cast<const void*>(plan.bank64.data()),
                          bank_bytes, cudaMemcpyHostToDevice));

  const int N = static_cast<int>(st->N);
  const int tail = st->F % st->chunk;
  const std::size_t out_bytes =
      static_cast<std::size_t>(st->F) * static_cast<std::size_t>(st->step) * complex_bytes;
  for (auto& lane : st->lanes) {
    lane.r2c.make(N, f32 ? CUFFT_R2C : CUFFT_D2Z, 1, N, static_cast<int>(st->half),
                  lane.stream.get());
    lane.c2c.make(N, f32 ? CUFFT_C2C : CUFFT_Z2Z, st->chunk, N, N, lane.stream.get());
    if (tail) lane.c2c_tail.make(N, f32 ? CUFFT_C2C : CUFFT_Z2Z, tail, N, N, lane.stream.get());
    lane.in = DeviceArray<unsigned char>(static_cast<std::size_t>(st->N) * real_bytes);
    lane.spec = DeviceArray<unsigned char>(static_cast<std::size_t>(st->half) * complex_bytes);
    lane.work = DeviceArray<unsigned char>(static_cast<std::size_t>(st->chunk) * per_scale);
    lane.out = DeviceArray<unsigned char>(out_bytes);
    lane.host_in = Pinned(static_cast<std::size_t>(st->N) * real_bytes);
    lane.host_out = Pinned(out_bytes);
  }
  return st;
}

namespace {

template <class T>
void exec_r2c(FftPlan& p, T* in, typename Complex<T>::type* out) {
  if constexpr (sizeof(T) == 4)
    CUFFT_CHECK(cufft().exec_r2c(p.h, in, out));
  else
    CUFFT_CHECK(cufft().exec_d2z(p.h, in, out));
}

template <class T>
void exec_inverse(FftPlan& p, typename Complex<T>::type* data) {
  if constexpr (sizeof(T) == 4)
    CUFFT_CHECK(cufft().exec_c2c(p.h, data, data, CUFFT_INVERSE));
  else
    CUFFT_CHECK(cufft().exec_z2z(p.h, data, data, CUFFT_INVERSE));
}

/// Enqueues, on the lane's stream, the transforms of the segment already in lane.in: every scale
/// into lane.out ([i][count] of the device output type V).
template <class T, class V>
void enqueue_scales(DeviceState& st, DeviceState::Lane& lane, Output kind, int64_t count) {
  using C = typename Complex<T>::type;
  using DV = std::conditional_t<std::is_floating_point_v<V>, T, C>;
  const cudaStream_t s = lane.stream.get();
  auto* in = reinterpret_cast<T*>(lane.in.get());
  auto* spec = reinterpret_cast<C*>(lane.spec.get());
  auto* work = reinterpret_cast<C*>(lane.work.get());
  auto* out = reinterpret_cast<DV*>(lane.out.get());
  exec_r2c<T>(lane.r2c, in, spec);
  for (int first = 0; first < st.F; first += st.chunk) {
    const int cs = std::min(st.chunk, st.F - first);
    apply_bank<T, C><<<dim3(grid_for(st.N), cs), 256, 0, s>>>(
        spec, st.bands.get(), reinterpret_cast<const T*>(st.bank.get()), first, st.N, work);
    CUDA_CHECK_LAUNCH();
    exec_inverse<T>(cs == st.chunk ? lane.c2c : lane.c2c_tail, work);
    crop<T, C, DV><<<dim3(grid_for(count), cs), 256, 0, s>>>(
        work, st.N, st.offset, count, out + static_cast<int64_t>(first) * count,
        kind == Output::power ? 1 : 2);
    CUDA_CHECK_LAUNCH();
  }
}

template <class T>
bool all_finite(const T* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) return false;
  return true;
}

}  // namespace

template <class T, class V>
void run(const Plan::Impl& plan, SeriesRef<T> x, Output kind, const Target<V>& target,
         const RunOptions&) {
  DeviceState& st = *plan.device;
  std::lock_guard<std::mutex> lock(st.mutex);
  const int64_t n = x.length, N = st.N, step = st.step;  // n <= the plan's length
  const int C = x.channels, F = st.F;
  if (n == 0 || C == 0) return;
  const int64_t blocks = (n + step - 1) / step;
  std::vector<char> bad(static_cast<std::size_t>(C));
  for (int c = 0; c < C; ++c) bad[c] = all_finite(x.data + c * n, n) ? 0 : 1;
  using R = typename RealOf<V>::type;
  const R nan = std::numeric_limits<R>::quiet_NaN();

  std::vector<V> tile(target.sink ? static_cast<std::size_t>(C * F * step) : 0);
  // Output rows of segment (j, c), [i][count], from `rows` into the target.
  auto place = [&](int64_t seg, const V* rows) {
    const int64_t j = seg / C;
    const int c = static_cast<int>(seg % C);
    const int64_t count = std::min(step, n - j * step);
    for (int i = 0; i < F; ++i) {
      V* dest = target.base ? target.base + (static_cast<int64_t>(c) * F + i) * n + j * step
                            : tile.data() + (static_cast<int64_t>(c) * F + i) * count;
      if (rows)
        std::memcpy(static_cast<void*>(dest), rows + i * count,
                    static_cast<std::size_t>(count) * sizeof(V));
      else if constexpr (std::is_floating_point_v<V>)
        std::fill(dest, dest + count, nan);
      else
        std::fill(dest, dest + count, V(nan, nan));
    }
  };
  auto finish_lane = [&](DeviceState::Lane& lane) {
    if (!lane.busy) return;
    CUDA_CHECK(cudaEventSynchronize(lane.done.e));
    lane.busy = false;
    place(lane.seg, static_cast<const V*>(lane.host_out.p));
  };
  auto emit_block = [&](int64_t j) {
    if (!target.sink) return;
    const int64_t count = std::min(step, n - j * step);
    (*target.sink)(j * step, count,
                   std::span<const V>(tile.data(), static_cast<std::size_t>(C * F * count)));
  };

  try {
    for (int64_t seg = 0; seg < blocks * C; ++seg) {
      const int64_t j = seg / C;
      const int c = static_cast<int>(seg % C);
      if (target.sink && c == 0 && j > 0) {  // the previous block's tile is complete
        for (auto& lane : st.lanes) finish_lane(lane);
        emit_block(j - 1);
      }
      if (bad[c]) {
        place(seg, nullptr);
        continue;
      }
      DeviceState::Lane& lane = st.lanes[seg % 2];
      finish_lane(lane);
      const int64_t count = std::min(step, n - j * step);
      const int64_t t0 = j * step - st.offset;
      const int64_t a = std::max<int64_t>(t0, 0), b = std::min<int64_t>(t0 + N, n);
      T* hin = static_cast<T*>(lane.host_in.p);
      std::fill(hin, hin + N, T(0));
      if (b > a)
        std::memcpy(hin + (a - t0), x.data + c * n + a,
                    static_cast<std::size_t>(b - a) * sizeof(T));
      CUDA_CHECK(cudaMemcpyAsync(lane.in.get(), hin, static_cast<std::size_t>(N) * sizeof(T),
                                 cudaMemcpyHostToDevice, lane.stream.get()));
      enqueue_scales<T, V>(st, lane, kind, count);
      CUDA_CHECK(cudaMemcpyAsync(lane.host_out.p, lane.out.get(),
                                 static_cast<std::size_t>(F * count) * sizeof(V),
                                 cudaMemcpyDeviceToHost, lane.stream.get()));
      CUDA_CHECK(cudaEventRecord(lane.done.e, lane.stream.get()));
      lane.busy = true;
      lane.seg = seg;
    }
    for (auto& lane : st.lanes) finish_lane(lane);
    if (target.sink) emit_block(blocks - 1);
  } catch (...) {
    for (auto& lane : st.lanes) {  // leave the streams idle for the next call
      cudaStreamSynchronize(lane.stream.get());
      lane.busy = false;
    }
    throw;
  }
}

template <class T>
double device_seconds(const Plan& plan, SeriesRef<T> x, Output kind, int repeats) {
  const Plan::Impl& p = plan.impl();
  if (!p.device) throw BackendError("CWT on CUDA: the plan was not built for the cuda backend");
  if (x.length > plan.length() || precision_of<T>() != plan.spec().precision)
    throw InputError("cwt: device_seconds: the series does not match the plan");
  DeviceState& st = *p.device;
  std::lock_guard<std::mutex> lock(st.mutex);
  const int64_t n = x.length, step = st.step;
  const int C = x.channels;
  if (n == 0 || C == 0 || repeats < 1) return 0.0;
  const int64_t blocks = (n + step - 1) / step;
  DeviceArray<T> signal(static_cast<std::size_t>(n * C));
  CUDA_CHECK(cudaMemcpy(signal.get(), x.data, static_cast<std::size_t>(n * C) * sizeof(T),
                        cudaMemcpyHostToDevice));
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  CUDA_CHECK(cudaDeviceSynchronize());
  const cudaStream_t s0 = st.lanes[0].stream.get(), s1 = st.lanes[1].stream.get();
  CUDA_CHECK(cudaEventRecord(start, s0));
  CUDA_CHECK(cudaStreamWaitEvent(s1, start, 0));
  Event joined1;
  for (int r = 0; r < repeats; ++r) {
    for (int64_t seg = 0; seg < blocks * C; ++seg) {
      const int64_t j = seg / C;
      const int c = static_cast<int>(seg % C);
      DeviceState::Lane& lane = st.lanes[seg % 2];
      const int64_t count = std::min(step, n - j * step);
      gather<T><<<grid_for(st.N), 256, 0, lane.stream.get()>>>(
          signal.get() + c * n, n, j * step - st.offset, st.N, reinterpret_cast<T*>(lane.in.get()));
      CUDA_CHECK_LAUNCH();
      if (kind == Output::complex)
        enqueue_scales<T, std::complex<T>>(st, lane, kind, count);
      else
        enqueue_scales<T, T>(st, lane, kind, count);
    }
  }
  CUDA_CHECK(cudaEventRecord(joined1.e, s1));
  CUDA_CHECK(cudaStreamWaitEvent(s0, joined1.e, 0));
  CUDA_CHECK(cudaEventRecord(stop, s0));
  CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms * 1e-3 / repeats;
}

double d2d_copy_seconds(std::size_t bytes, int repeats) {
  if (bytes == 0 || repeats < 1) return 0.0;
  DeviceArray<unsigned char> from(bytes), to(bytes);
  CUDA_CHECK(cudaMemset(from.get(), 1, bytes));
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  CUDA_CHECK(cudaMemcpy(to.get(), from.get(), bytes, cudaMemcpyDeviceToDevice));  // warm-up
  float best = std::numeric_limits<float>::infinity();
  for (int r = 0; r < repeats; ++r) {
    CUDA_CHECK(cudaEventRecord(start, nullptr));
    CUDA_CHECK(cudaMemcpyAsync(to.get(), from.get(), bytes, cudaMemcpyDeviceToDevice, nullptr));
    CUDA_CHECK(cudaEventRecord(stop, nullptr));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    best = std::min(best, ms);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return static_cast<double>(best) * 1e-3;
}

#define SP_INSTANTIATE(T)                                                                   \
  template void run<T, std::complex<T>>(const Plan::Impl&, SeriesRef<T>, Output,            \
                                        const Target<std::complex<T>>&, const RunOptions&); \
  template void run<T, T>(const Plan::Impl&, SeriesRef<T>, Output, const Target<T>&,        \
                          const RunOptions&);                                               \
  template double device_seconds<T>(const Plan&, SeriesRef<T>, Output, int);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace swingpipe::cwt::cuda
