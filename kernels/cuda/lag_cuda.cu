// CUDA lag-matrix backend (lag_cuda.hpp). Recordings go to the device in chunks sized to a memory
// budget; for each chunk:
//   1. prepare_kernel: one block per channel checks for NaN/inf, scales by a power of two (exact),
//      removes the mean and writes the channel zero-padded to nfft (and its energy and std);
//   2. one batched R2C (cuFFT) over every channel of the chunk;
//   3. product_kernel: X_i * conj(X_j) for every pair of every recording;
//   4. one batched C2R over every pair;
//   5. argmax_kernel: one block per pair takes the first maximum over |k| <= max_lag.
// The host turns the peaks into L and C with the same functions as the CPU (common/lag_math.hpp).
// cuFFT plans live in the State (a small least-recently-used cache keyed by type, size and batch,
// sharing one work area); device buffers grow and are reused across calls.
#include <cuda_runtime.h>
#include <cufft.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <type_traits>
#include <vector>

#include "common/cuda_check.hpp"
#include "common/lag_math.hpp"
#include "cuda/lag_cuda.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::lag::cuda {
namespace {

using cuda_util::DeviceArray;
using cuda_util::Stream;

/// Device memory for one chunk's buffers (values, padded channels, spectra, products,
/// correlations); a recording larger than this runs alone.
constexpr std::size_t kChunkBudget = std::size_t{1} << 30;
constexpr std::size_t kPlanCacheSize = 8;
constexpr int kThreads = 256;

const char* cufft_error_name(cufftResult r) {
  switch (r) {
    case CUFFT_SUCCESS:
      return "CUFFT_SUCCESS";
    case CUFFT_INVALID_PLAN:
      return "CUFFT_INVALID_PLAN";
    case CUFFT_ALLOC_FAILED:
      return "CUFFT_ALLOC_FAILED";
    case CUFFT_INVALID_TYPE:
      return "CUFFT_INVALID_TYPE";
    case CUFFT_INVALID_VALUE:
      return "CUFFT_INVALID_VALUE";
    case CUFFT_INTERNAL_ERROR:
      return "CUFFT_INTERNAL_ERROR";
    case CUFFT_EXEC_FAILED:
      return "CUFFT_EXEC_FAILED";
    case CUFFT_SETUP_FAILED:
      return "CUFFT_SETUP_FAILED";
    case CUFFT_INVALID_SIZE:
      return "CUFFT_INVALID_SIZE";
    case CUFFT_UNALIGNED_DATA:
      return "CUFFT_UNALIGNED_DATA";
    case CUFFT_INVALID_DEVICE:
      return "CUFFT_INVALID_DEVICE";
    case CUFFT_NO_WORKSPACE:
      return "CUFFT_NO_WORKSPACE";
    case CUFFT_NOT_IMPLEMENTED:
      return "CUFFT_NOT_IMPLEMENTED";
    case CUFFT_NOT_SUPPORTED:
      return "CUFFT_NOT_SUPPORTED";
    default:
      return "cuFFT error";
  }
}

[[noreturn]] void throw_cufft_error(cufftResult r, const char* call, const char* file, int line) {
  throw BackendError(std::string("cuFFT call failed: ") + call + " at " + file + ":" +
                     std::to_string(line) + ": " + cufft_error_name(r) + " (" +
                     std::to_string(static_cast<int>(r)) + ")");
}

#define CUFFT_CHECK(call)                                                                        \
  do {                                                                                           \
    const cufftResult sp_cufft_r_ = (call);                                                      \
    if (sp_cufft_r_ != CUFFT_SUCCESS) throw_cufft_error(sp_cufft_r_, #call, __FILE__, __LINE__); \
  } while (0)

template <class T>
struct Fft;
template <>
struct Fft<float> {
  using Complex = cufftComplex;
  static constexpr cufftType r2c = CUFFT_R2C;
  static constexpr cufftType c2r = CUFFT_C2R;
  static cufftResult forward(cufftHandle h, float* in, Complex* out) {
    return cufftExecR2C(h, in, out);
  }
  static cufftResult inverse(cufftHandle h, Complex* in, float* out) {
    return cufftExecC2R(h, in, out);
  }
};
template <>
struct Fft<double> {
  using Complex = cufftDoubleComplex;
  static constexpr cufftType r2c = CUFFT_D2Z;
  static constexpr cufftType c2r = CUFFT_Z2D;
  static cufftResult forward(cufftHandle h, double* in, Complex* out) {
    return cufftExecD2Z(h, in, out);
  }
  static cufftResult inverse(cufftHandle h, Complex* in, double* out) {
    return cufftExecZ2D(h, in, out);
  }
};

/// One cuFFT plan without its own work area (the State's is shared).
struct CufftPlan {
  cufftHandle handle = 0;
  cufftType type{};
  int64_t n = 0;
  int64_t batch = 0;
  std::size_t work_bytes = 0;

  CufftPlan(cufftType t, int64_t size, int64_t count, cudaStream_t stream)
      : type(t), n(size), batch(count) {
    CUFFT_CHECK(cufftCreate(&handle));
    try {
      CUFFT_CHECK(cufftSetAutoAllocation(handle, 0));
      long long dims[1] = {static_cast<long long>(size)};
      std::size_t work = 0;
      CUFFT_CHECK(cufftMakePlanMany64(handle, 1, dims, nullptr, 1, 0, nullptr, 1, 0, t,
                                      static_cast<long long>(count), &work));
      work_bytes = work;
      CUFFT_CHECK(cufftSetStream(handle, stream));
    } catch (...) {
      cufftDestroy(handle);
      throw;
    }
  }
  ~CufftPlan() { cufftDestroy(handle); }
  CufftPlan(const CufftPlan&) = delete;
  CufftPlan& operator=(const CufftPlan&) = delete;
};

/// Grows a byte buffer to at least `bytes` (contents not kept).
void reserve(DeviceArray<unsigned char>& buf, std::size_t bytes) {
  if (buf.size() < bytes) {
    buf = DeviceArray<unsigned char>();
    buf = DeviceArray<unsigned char>(bytes + bytes / 8);
  }
}

// ---- kernels ------------------------------------------------------------------------------------

/// Chunk-local description of one recording.
struct RecordingSlot {
  int64_t values = 0;   ///< offset of its first value in the chunk's value buffer
  int64_t length = 0;   ///< frames
  int64_t max_lag = 0;  ///< effective max lag for its length
};

/// Block-wide reduction of one double (sum or max) through shared memory; every thread gets it.
template <bool kMax>
__device__ double block_reduce(double v, double* shared) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) {
      const double o = shared[threadIdx.x + s];
      shared[threadIdx.x] = kMax ? fmax(shared[threadIdx.x], o) : shared[threadIdx.x] + o;
    }
    __syncthreads();
  }
  const double r = shared[0];
  __syncthreads();
  return r;
}

/// Block g = channel c of recording r (g = r * channels + c).
template <class T>
__global__ void prepare_kernel(const T* __restrict__ values,
                               const RecordingSlot* __restrict__ slots, int channels, int64_t nfft,
                               T* __restrict__ padded, double* __restrict__ energy,
                               double* __restrict__ stddev, int* __restrict__ finite) {
  __shared__ double shared[kThreads];
  const int g = blockIdx.x;
  const RecordingSlot slot = slots[g / channels];
  const int c = g % channels;
  const T* x = values + slot.values + static_cast<int64_t>(c) * slot.length;
  T* out = padded + static_cast<int64_t>(g) * nfft;
  const int64_t m = slot.length;

  double amax = 0;
  int bad = 0;
  for (int64_t t = threadIdx.x; t < m; t += blockDim.x) {
    const double v = static_cast<double>(x[t]);
    if (!isfinite(v)) bad = 1;
    amax = fmax(amax, fabs(v));
  }
  const int any_bad = __syncthreads_or(bad);
  amax = block_reduce<true>(amax, shared);
  int e = 0;
  if (amax > 0 && !any_bad) frexp(amax, &e);
  double sum = 0;
  if (!any_bad)
    for (int64_t t = threadIdx.x; t < m; t += blockDim.x)
      sum += ldexp(static_cast<double>(x[t]), -e);
  sum = block_reduce<false>(sum, shared);
  const double mean = m > 0 ? sum / static_cast<double>(m) : 0.0;
  double sq = 0;
  for (int64_t t = threadIdx.x; t < nfft; t += blockDim.x) {
    double d = 0;
    if (t < m && !any_bad) {
      d = ldexp(static_cast<double>(x[t]), -e) - mean;
      sq += d * d;
    }
    out[t] = static_cast<T>(d);
  }
  sq = block_reduce<false>(sq, shared);
  if (threadIdx.x == 0) {
    finite[g] = any_bad ? 0 : 1;
    energy[g] = any_bad ? 0.0 : sq;
    stddev[g] = (any_bad || m == 0) ? 0.0 : ldexp(sqrt(sq / static_cast<double>(m)), e);
  }
}

/// product[q][f] = X_i[f] * conj(X_j[f]) for pair q = r * pairs_per + p, (i, j) = table[p].
template <class C>
__global__ void product_kernel(const C* __restrict__ spectra, const int2* __restrict__ table,
                               int channels, int64_t pairs_per, int64_t bins, int64_t total,
                               C* __restrict__ product) {
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t q = idx / bins;
    const int64_t f = idx - q * bins;
    const int64_t r = q / pairs_per;
    const int2 ij = table[q - r * pairs_per];
    const C a = spectra[(r * channels + ij.x) * bins + f];
    const C b = spectra[(r * channels + ij.y) * bins + f];
    C p;
    p.x = a.x * b.x + a.y * b.y;
    p.y = a.y * b.x - a.x * b.y;
    product[idx] = p;
  }
}

/// Block q: the smallest k in -M..M whose correlation is within the tie tolerance of the maximum
/// (lag_math.hpp: tie_tolerance), and its value.
template <class T>
__global__ void argmax_kernel(const T* __restrict__ corr, const RecordingSlot* __restrict__ slots,
                              const int2* __restrict__ table, const double* __restrict__ energy,
                              int channels, int64_t pairs_per, int64_t nfft,
                              int64_t* __restrict__ best_k, double* __restrict__ best_v) {
  __shared__ double shared[kThreads];
  __shared__ long long first[kThreads];
  const int64_t q = blockIdx.x;
  const int64_t r = q / pairs_per;
  const int64_t M = slots[r].max_lag;
  const int2 ij = table[q - r * pairs_per];
  const T* c = corr + q * nfft;
  double top = -INFINITY;
  for (int64_t t = threadIdx.x; t <= 2 * M; t += blockDim.x)
    top = fmax(top, static_cast<double>(c[detail::lag_index(t - M, nfft)]));
  top = block_reduce<true>(top, shared);
  const double scale = sqrt(energy[r * channels + ij.x] * energy[r * channels + ij.y]);
  const double floor = top - detail::tie_tolerance<T>() * scale * static_cast<double>(nfft);
  long long k = LLONG_MAX;
  for (int64_t t = threadIdx.x; t <= 2 * M; t += blockDim.x)
    if (static_cast<double>(c[detail::lag_index(t - M, nfft)]) >= floor) {
      k = t - M;
      break;  // this thread's later lags are larger
    }
  first[threadIdx.x] = k;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) first[threadIdx.x] = min(first[threadIdx.x], first[threadIdx.x + s]);
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    const long long lag = first[0];
    best_k[q] = lag;
    best_v[q] = static_cast<double>(c[detail::lag_index(lag, nfft)]) / static_cast<double>(nfft);
  }
}

int grid_for(int64_t total) {
  return static_cast<int>(std::min<int64_t>((total + kThreads - 1) / kThreads, 65535 * 8));
}

}  // namespace

// ---- state --------------------------------------------------------------------------------------

struct State {
  Stream stream;
  std::list<std::unique_ptr<CufftPlan>> plans;  // most recently used first
  DeviceArray<unsigned char> work, values, padded, spectra, product, corr, slots, table, info,
      peaks;
  std::vector<int2> table_host;
  int table_channels = -1;

  cufftHandle plan(cufftType type, int64_t n, int64_t batch, Counters& counters) {
    for (auto it = plans.begin(); it != plans.end(); ++it) {
      if ((*it)->type == type && (*it)->n == n && (*it)->batch == batch) {
        ++counters.plan_hits;
        plans.splice(plans.begin(), plans, it);
        return use(*plans.front());
      }
    }
    plans.push_front(std::make_unique<CufftPlan>(type, n, batch, stream.get()));
    ++counters.plans_made;
    if (plans.size() > kPlanCacheSize) plans.pop_back();
    return use(*plans.front());
  }

 private:
  cufftHandle use(CufftPlan& p) {
    if (work.size() < p.work_bytes) {
      stream.synchronize();  // the old work area may still be in use
      reserve(work, p.work_bytes);
    }
    CUFFT_CHECK(cufftSetWorkArea(p.handle, work.get()));
    return p.handle;
  }
};

void StateDeleter::operator()(State* s) const {
  delete s;
}

StatePtr make_state() {
  return StatePtr(new State());
}

namespace {

/// Bytes of a chunk's working buffers.
template <class T>
std::size_t chunk_bytes(int64_t recordings, int64_t values, int channels, int64_t nfft) {
  const auto ch = static_cast<std::size_t>(recordings * channels);
  const auto pairs = static_cast<std::size_t>(recordings * channels * (channels - 1) / 2);
  const auto n = static_cast<std::size_t>(nfft);
  const std::size_t bins = n / 2 + 1;
  return sizeof(T) *
         (static_cast<std::size_t>(values) + ch * n + ch * bins * 2 + pairs * bins * 2 + pairs * n);
}

template <class T>
T* as(DeviceArray<unsigned char>& buf) {
  return reinterpret_cast<T*>(buf.get());
}

/// Runs recordings [r0, r1) of the batch with one FFT size.
template <class T>
void run_chunk(State& st, const BatchView<T>& batch, std::span<const double> fs, const Options& opt,
               std::size_t r0, std::size_t r1, int64_t nfft, std::span<Matrix> out,
               Counters& counters) {
  using C = typename Fft<T>::Complex;
  const int channels = batch.channels;
  const auto R = static_cast<int64_t>(r1 - r0);
  const int64_t ch_total = R * channels;
  const int64_t pairs_per = static_cast<int64_t>(channels) * (channels - 1) / 2;
  const int64_t pair_total = R * pairs_per;
  const int64_t bins = nfft / 2 + 1;
  cudaStream_t s = st.stream.get();

  // Inputs: the chunk's values (contiguous in CSR) and its recordings.
  const int64_t v0 = batch.offsets[r0] * channels;
  const int64_t v1 = batch.offsets[r1] * channels;
  std::vector<RecordingSlot> slots(static_cast<std::size_t>(R));
  for (int64_t r = 0; r < R; ++r) {
    const auto len = batch.length(r0 + static_cast<std::size_t>(r));
    slots[r] = {batch.offsets[r0 + r] * channels - v0, len,
                detail::effective_max_lag(len, opt.max_lag)};
  }
  reserve(st.values, static_cast<std::size_t>(std::max<int64_t>(v1 - v0, 1)) * sizeof(T));
  reserve(st.slots, slots.size() * sizeof(RecordingSlot));
  reserve(st.padded, static_cast<std::size_t>(ch_total * nfft) * sizeof(T));
  reserve(st.info, static_cast<std::size_t>(ch_total) * (2 * sizeof(double) + sizeof(int)));
  if (v1 > v0)
    CUDA_CHECK(cudaMemcpyAsync(st.values.get(), batch.values.data() + v0,
                               static_cast<std::size_t>(v1 - v0) * sizeof(T),
                               cudaMemcpyHostToDevice, s));
  CUDA_CHECK(cudaMemcpyAsync(st.slots.get(), slots.data(), slots.size() * sizeof(RecordingSlot),
                             cudaMemcpyHostToDevice, s));
  double* d_energy = as<double>(st.info);
  double* d_std = d_energy + ch_total;
  int* d_finite = reinterpret_cast<int*>(d_std + ch_total);
  prepare_kernel<T><<<static_cast<unsigned>(ch_total), kThreads, 0, s>>>(
      as<T>(st.values), as<RecordingSlot>(st.slots), channels, nfft, as<T>(st.padded), d_energy,
      d_std, d_finite);
  CUDA_CHECK_LAUNCH();

  std::vector<int64_t> k(static_cast<std::size_t>(pair_total));
  std::vector<double> v(static_cast<std::size_t>(pair_total));
  if (pair_total > 0) {
    if (st.table_channels != channels) {
      st.table_host.clear();
      for (int i = 0; i < channels; ++i)
        for (int j = i + 1; j < channels; ++j) st.table_host.push_back(make_int2(i, j));
      st.stream.synchronize();  // the old table may still be read
      reserve(st.table, st.table_host.size() * sizeof(int2));
      CUDA_CHECK(cudaMemcpyAsync(st.table.get(), st.table_host.data(),
                                 st.table_host.size() * sizeof(int2), cudaMemcpyHostToDevice, s));
      st.table_channels = channels;
    }
    reserve(st.spectra, static_cast<std::size_t>(ch_total * bins) * sizeof(C));
    reserve(st.product, static_cast<std::size_t>(pair_total * bins) * sizeof(C));
    reserve(st.corr, static_cast<std::size_t>(pair_total * nfft) * sizeof(T));
    reserve(st.peaks, static_cast<std::size_t>(pair_total) * (sizeof(int64_t) + sizeof(double)));

    CUFFT_CHECK(Fft<T>::forward(st.plan(Fft<T>::r2c, nfft, ch_total, counters), as<T>(st.padded),
                                as<C>(st.spectra)));
    const int64_t total = pair_total * bins;
    product_kernel<C><<<grid_for(total), kThreads, 0, s>>>(
        as<C>(st.spectra), as<int2>(st.table), channels, pairs_per, bins, total, as<C>(st.product));
    CUDA_CHECK_LAUNCH();
    CUFFT_CHECK(Fft<T>::inverse(st.plan(Fft<T>::c2r, nfft, pair_total, counters), as<C>(st.product),
                                as<T>(st.corr)));
    auto* d_k = as<int64_t>(st.peaks);
    auto* d_v = reinterpret_cast<double*>(d_k + pair_total);
    argmax_kernel<T><<<static_cast<unsigned>(pair_total), kThreads, 0, s>>>(
        as<T>(st.corr), as<RecordingSlot>(st.slots), as<int2>(st.table), d_energy, channels,
        pairs_per, nfft, d_k, d_v);
    CUDA_CHECK_LAUNCH();
    CUDA_CHECK(
        cudaMemcpyAsync(k.data(), d_k, k.size() * sizeof(int64_t), cudaMemcpyDeviceToHost, s));
    CUDA_CHECK(
        cudaMemcpyAsync(v.data(), d_v, v.size() * sizeof(double), cudaMemcpyDeviceToHost, s));
  }
  std::vector<double> energy(static_cast<std::size_t>(ch_total)), sd(energy.size());
  std::vector<int> finite(energy.size());
  CUDA_CHECK(cudaMemcpyAsync(energy.data(), d_energy, energy.size() * sizeof(double),
                             cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(
      cudaMemcpyAsync(sd.data(), d_std, sd.size() * sizeof(double), cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaMemcpyAsync(finite.data(), d_finite, finite.size() * sizeof(int),
                             cudaMemcpyDeviceToHost, s));
  st.stream.synchronize();

  for (int64_t r = 0; r < R; ++r) {
    Matrix& m = out[r0 + static_cast<std::size_t>(r)];
    m = detail::empty_matrix(channels);
    std::vector<detail::ChannelInfo> info(static_cast<std::size_t>(channels));
    for (int c = 0; c < channels; ++c) {
      const auto g = static_cast<std::size_t>(r * channels + c);
      info[c] = {energy[g], sd[g], finite[g] != 0, slots[r].length};
      detail::store_diagonal(m, c, info[c]);
    }
    for (int64_t p = 0; p < pairs_per; ++p) {
      const int i = st.table_host[p].x, j = st.table_host[p].y;
      const auto q = static_cast<std::size_t>(r * pairs_per + p);
      detail::store_pair(m, i, j, detail::pair_entry(info[i], info[j], k[q], v[q], kMinStd),
                         fs[r0 + static_cast<std::size_t>(r)]);
    }
  }
}

}  // namespace

template <class T>
void matrices(State& st, const BatchView<T>& batch, std::span<const double> fs, const Options& opt,
              std::span<Matrix> out, Counters& counters) {
  const int channels = batch.channels;
  std::size_t r0 = 0;
  while (r0 < batch.size()) {
    // Grow the chunk while it fits the budget; nfft follows the longest recording in it.
    int64_t need = 2;
    std::size_t r1 = r0;
    while (r1 < batch.size()) {
      const int64_t len = batch.length(r1);
      const int64_t want = std::max(need, len + detail::effective_max_lag(len, opt.max_lag));
      const int64_t values = (batch.offsets[r1 + 1] - batch.offsets[r0]) * channels;
      const auto count = static_cast<int64_t>(r1 + 1 - r0);
      if (r1 > r0 && chunk_bytes<T>(count, values, channels, fft_size(want)) > kChunkBudget) break;
      need = want;
      ++r1;
    }
    run_chunk<T>(st, batch, fs, opt, r0, r1, fft_size(need), out, counters);
    r0 = r1;
  }
}

template void matrices<float>(State&, const BatchView<float>&, std::span<const double>,
                              const Options&, std::span<Matrix>, Counters&);
template void matrices<double>(State&, const BatchView<double>&, std::span<const double>,
                               const Options&, std::span<Matrix>, Counters&);

}  // namespace swingpipe::lag::cuda
