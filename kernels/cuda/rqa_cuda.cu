// The CUDA RQA backend (rqa_cuda.hpp): the walkers of common/rqa_math.hpp as kernels, one thread
// per column (vertical and white lines over all rows) and one per diagonal, plus the max and
// counting passes of the threshold search, one thread per column. Each block counts line lengths
// below kSharedBins in shared memory (longer ones go straight to global memory) and adds its
// counts to the global histograms when it ends. The host side (detail::walk_lines) runs the same
// walkers over the same lines, which is what the CPU tests check.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/cuda_check.hpp"
#include "common/rqa_math.hpp"
#include "cuda/rqa_cuda.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::rqa::cuda {
namespace {

using cuda_util::DeviceArray;
using detail::Cloud;
using detail::NormCode;

constexpr int kThreads = 256;
constexpr int kSharedBins = 1024;
constexpr int kCountBins = 4096;

using ull = unsigned long long;

/// Adds `weight` lines of a length: in the block's shared bins when short, else in global memory.
struct BlockHist {
  unsigned int* shared;
  ull* global;
  unsigned int weight;
  __device__ void operator()(uint32_t len) const {
    if (len < kSharedBins)
      atomicAdd(&shared[len], weight);
    else
      atomicAdd(&global[len], static_cast<ull>(weight));
  }
};

__device__ void clear_shared(unsigned int* bins) {
  for (int k = threadIdx.x; k < kSharedBins; k += blockDim.x) bins[k] = 0;
}

__device__ void flush_shared(const unsigned int* bins, ull* global) {
  for (int k = threadIdx.x; k < kSharedBins; k += blockDim.x)
    if (bins[k]) atomicAdd(&global[k], static_cast<ull>(bins[k]));
}

template <class T>
__global__ void columns_kernel(detail::WalkProblem<T> p, ull* vertical, ull* white) {
  __shared__ unsigned int sv[kSharedBins];
  __shared__ unsigned int sw[kSharedBins];
  clear_shared(sv);
  clear_shared(sw);
  __syncthreads();
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j < p.y.count)
    detail::walk_column(p, j, BlockHist{sv, vertical, 1u}, BlockHist{sw, white, 1u});
  __syncthreads();
  flush_shared(sv, vertical);
  flush_shared(sw, white);
}

template <class T>
__global__ void diagonals_kernel(detail::WalkProblem<T> p, int64_t first, int64_t last,
                                 unsigned int weight, ull* diagonal) {
  __shared__ unsigned int sd[kSharedBins];
  clear_shared(sd);
  __syncthreads();
  const int64_t d = first + static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (d < last && (d < 0 ? -d : d) >= p.w_diag)
    detail::walk_diagonal(p, d, BlockHist{sd, diagonal, weight});
  __syncthreads();
  flush_shared(sd, diagonal);
}

template <class T>
struct BitsOf;
template <>
struct BitsOf<float> {
  using U = unsigned int;
  __device__ static U get(float v) { return __float_as_uint(v); }
};
template <>
struct BitsOf<double> {
  using U = ull;
  __device__ static U get(double v) { return static_cast<ull>(__double_as_longlong(v)); }
};

/// Rows of column j a region counts: [0, n_x) minus the band, or the strictly upper rows (j - i >=
/// gap) when symmetric.
struct RegionRows {
  bool symmetric;
  bool all;
  int64_t w;
  __device__ bool counts(int64_t i, int64_t j) const {
    const int64_t d = j - i;
    if (symmetric) return d >= (all ? 1 : (w > 1 ? w : 1));
    return all || (d < 0 ? -d : d) >= w;
  }
};

template <class T>
__global__ void max_kernel(Cloud<T> x, Cloud<T> y, NormCode norm, bool symmetric,
                           typename BitsOf<T>::U* out) {
  __shared__ T best[kThreads];
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  T m = T(0);
  if (j < y.count) {
    const int64_t rows = symmetric ? j : x.count;
    for (int64_t i = 0; i < rows; ++i) {
      const T v = detail::cell_value(norm, x.base, x.stride, i, y.base, y.stride, j, x.dims);
      m = m < v ? v : m;
    }
  }
  best[threadIdx.x] = m;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s && best[threadIdx.x] < best[threadIdx.x + s])
      best[threadIdx.x] = best[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) atomicMax(out, BitsOf<T>::get(best[0]));
}

/// Counting pass: values < lo into *below, values in [lo, hi] into hist (bins) or, with `out`,
/// appended to out (up to capacity; *out_n counts them all). Weight 2 per cell when symmetric.
template <class T>
__global__ void count_kernel(Cloud<T> x, Cloud<T> y, NormCode norm, RegionRows region, T lo, T hi,
                             int shift, int bins, ull* below, ull* hist, T* out, ull* out_n,
                             int64_t capacity) {
  __shared__ ull sh[kCountBins];
  __shared__ ull block_below;
  for (int k = threadIdx.x; k < bins; k += blockDim.x) sh[k] = 0;
  if (threadIdx.x == 0) block_below = 0;
  __syncthreads();
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const ull weight = region.symmetric ? 2 : 1;
  const auto lo_bits = BitsOf<T>::get(lo);
  ull mine = 0;
  if (j < y.count) {
    const int64_t rows = region.symmetric ? j : x.count;
    for (int64_t i = 0; i < rows; ++i) {
      if (!region.counts(i, j)) continue;
      const T v = detail::cell_value(norm, x.base, x.stride, i, y.base, y.stride, j, x.dims);
      if (v < lo) {
        mine += weight;
      } else if (!(hi < v)) {
        if (out) {
          const ull at = atomicAdd(out_n, weight);
          for (ull c = 0; c < weight; ++c)
            if (static_cast<int64_t>(at + c) < capacity) out[at + c] = v;
        } else {
          atomicAdd(&sh[(BitsOf<T>::get(v) - lo_bits) >> shift], weight);
        }
      }
    }
  }
  if (mine) atomicAdd(&block_below, mine);
  __syncthreads();
  for (int k = threadIdx.x; k < bins; k += blockDim.x)
    if (sh[k]) atomicAdd(&hist[k], sh[k]);
  if (threadIdx.x == 0 && block_below) atomicAdd(below, block_below);
}

unsigned int blocks_for(int64_t threads) {
  return static_cast<unsigned int>((threads + kThreads - 1) / kThreads);
}

std::vector<int64_t> download(const DeviceArray<ull>& d) {
  std::vector<ull> h(d.size());
  if (!h.empty()) CUDA_CHECK(cudaMemcpy(h.data(), d.get(), d.bytes(), cudaMemcpyDeviceToHost));
  return std::vector<int64_t>(h.begin(), h.end());
}

void trim(std::vector<int64_t>& h) {
  if (!h.empty()) h[0] = 0;
  while (!h.empty() && h.back() == 0) h.pop_back();
}

}  // namespace

template <class T>
struct Runner<T>::Impl {
  std::vector<DeviceArray<T>> clouds;
};

template <class T>
Runner<T>::Runner() : impl_(std::make_unique<Impl>()) {
  const DeviceInfo info = cuda_device_info();
  if (!info.available()) throw BackendError("RQA on CUDA: no usable CUDA device: " + info.reason);
}

template <class T>
Runner<T>::~Runner() = default;

template <class T>
Cloud<T> Runner<T>::upload(const Cloud<T>& host) {
  const std::size_t count = static_cast<std::size_t>(host.stride) *
                            static_cast<std::size_t>(host.dims > 0 ? host.dims : 1);
  impl_->clouds.emplace_back(count);
  DeviceArray<T>& d = impl_->clouds.back();
  CUDA_CHECK(cudaMemcpy(d.get(), host.base, count * sizeof(T), cudaMemcpyHostToDevice));
  return {d.get(), host.stride, host.count, host.dims};
}

template <class T>
Histograms Runner<T>::lines(const detail::LineProblem<T>& p) {
  const std::size_t n = static_cast<std::size_t>(std::max(p.walk.x.count, p.walk.y.count) + 1);
  DeviceArray<ull> dv(n), dw(n), dd(n);
  CUDA_CHECK(cudaMemset(dv.get(), 0, dv.bytes()));
  CUDA_CHECK(cudaMemset(dw.get(), 0, dw.bytes()));
  CUDA_CHECK(cudaMemset(dd.get(), 0, dd.bytes()));
  if (p.walk.y.count > 0) {
    columns_kernel<T><<<blocks_for(p.walk.y.count), kThreads>>>(p.walk, dv.get(), dw.get());
    CUDA_CHECK_LAUNCH();
  }
  const detail::DiagonalPlan plan = detail::diagonal_plan(p);
  if (plan.last > plan.first) {
    diagonals_kernel<T><<<blocks_for(plan.last - plan.first), kThreads>>>(
        p.walk, plan.first, plan.last, static_cast<unsigned int>(plan.weight), dd.get());
    CUDA_CHECK_LAUNCH();
  }
  CUDA_CHECK(cudaDeviceSynchronize());
  Histograms h{download(dd), download(dv), download(dw)};
  if (plan.main_line > 0) h.diagonal[static_cast<std::size_t>(plan.main_line)] += 1;
  trim(h.diagonal);
  trim(h.vertical);
  trim(h.white_vertical);
  return h;
}

template <class T>
detail::RegionPasses<T> Runner<T>::passes(const detail::Region<T>& r) {
  detail::RegionPasses<T> out;
  out.bins = kCountBins;
  const RegionRows rows{r.symmetric, r.all, r.w};
  out.max_value = [r]() {
    using U = typename BitsOf<T>::U;
    DeviceArray<U> best(1);
    CUDA_CHECK(cudaMemset(best.get(), 0, sizeof(U)));
    if (r.y.count > 0) {
      max_kernel<T><<<blocks_for(r.y.count), kThreads>>>(r.x, r.y, r.norm, r.symmetric, best.get());
      CUDA_CHECK_LAUNCH();
    }
    U bits = 0;
    CUDA_CHECK(cudaMemcpy(&bits, best.get(), sizeof(U), cudaMemcpyDeviceToHost));
    T v;
    static_assert(sizeof(v) == sizeof(bits));
    std::memcpy(&v, &bits, sizeof v);
    return v;
  };
  out.count = [r, rows](T lo, T hi, int shift, int bins, int64_t& below,
                        std::vector<int64_t>& hist) {
    if (bins > kCountBins) throw BackendError("RQA on CUDA: too many bins for a counting pass");
    DeviceArray<ull> dbelow(1), dhist(static_cast<std::size_t>(bins));
    CUDA_CHECK(cudaMemset(dbelow.get(), 0, dbelow.bytes()));
    CUDA_CHECK(cudaMemset(dhist.get(), 0, dhist.bytes()));
    if (r.y.count > 0) {
      count_kernel<T><<<blocks_for(r.y.count), kThreads>>>(r.x, r.y, r.norm, rows, lo, hi, shift,
                                                           bins, dbelow.get(), dhist.get(), nullptr,
                                                           nullptr, 0);
      CUDA_CHECK_LAUNCH();
    }
    hist = download(dhist);
    ull b = 0;
    CUDA_CHECK(cudaMemcpy(&b, dbelow.get(), sizeof b, cudaMemcpyDeviceToHost));
    below = static_cast<int64_t>(b);
  };
  out.collect = [r, rows](T lo, T hi) {
    int64_t capacity = int64_t{1} << 20;
    for (;;) {
      DeviceArray<T> values(static_cast<std::size_t>(capacity));
      DeviceArray<ull> dn(1), dummy(1);
      CUDA_CHECK(cudaMemset(dn.get(), 0, dn.bytes()));
      CUDA_CHECK(cudaMemset(dummy.get(), 0, dummy.bytes()));
      if (r.y.count > 0) {
        count_kernel<T><<<blocks_for(r.y.count), kThreads>>>(r.x, r.y, r.norm, rows, lo, hi, 0, 1,
                                                             dummy.get(), dummy.get(), values.get(),
                                                             dn.get(), capacity);
        CUDA_CHECK_LAUNCH();
      }
      ull n = 0;
      CUDA_CHECK(cudaMemcpy(&n, dn.get(), sizeof n, cudaMemcpyDeviceToHost));
      if (static_cast<int64_t>(n) > capacity) {
        capacity = static_cast<int64_t>(n);
        continue;
      }
      std::vector<T> h(static_cast<std::size_t>(n));
      if (n > 0)
        CUDA_CHECK(cudaMemcpy(h.data(), values.get(), n * sizeof(T), cudaMemcpyDeviceToHost));
      return h;
    }
  };
  return out;
}

template class Runner<float>;
template class Runner<double>;

}  // namespace swingpipe::rqa::cuda
