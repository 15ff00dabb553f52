#pragma once
// The table of DTW kernel instantiations the host code chooses from (dtw_cuda.cu). Each type's
// table lives in its own translation unit (dtw_kernels_f32.cu, dtw_kernels_f64.cu) so nvcc builds
// them in parallel.
#include <cuda_runtime.h>

#include "cuda/dtw_kernel.cuh"

namespace swingpipe::dtw::cuda::detail {

/// One instantiation of dtw_kernel: its shape and how to launch it.
template <class T>
struct KernelEntry {
  const void* func = nullptr;  ///< for cudaOccupancyMaxActiveBlocksPerMultiprocessor
  void (*launch)(int grid, cudaStream_t stream, const KernelArgs<T>& args) = nullptr;
  int group = 32;      ///< G: lanes per work item
  int cells = 1;       ///< C: rows per lane
  int word_bytes = 0;  ///< paths: bytes per direction word
  int rows() const { return group * cells; }
};

/// Channel variants: 1, 2, 3 channels unrolled in registers, and any count (read per cell).
inline constexpr int kChannelVariants = 4;
inline int channel_variant(int channels) {
  return channels >= 1 && channels <= 3 ? channels - 1 : 3;
}

/// Tile shapes for distances: small (sub-warp), medium and large strips.
inline constexpr int kShapes = 3;

template <class T>
struct KernelTable {
  KernelEntry<T> distance[kShapes][kChannelVariants];
  KernelEntry<T> paths[kChannelVariants];
};

template <class T>
const KernelTable<T>& kernel_table();

template <class T, int G, int C, int CH, bool kPaths>
void launch_kernel(int grid, cudaStream_t stream, const KernelArgs<T>& args) {
  dtw_kernel<T, G, C, CH, kPaths><<<grid, kBlockThreads, 0, stream>>>(args);
}

template <class T, int G, int C, int CH, bool kPaths>
KernelEntry<T> make_entry() {
  KernelEntry<T> e;
  e.func = reinterpret_cast<const void*>(&dtw_kernel<T, G, C, CH, kPaths>);
  e.launch = &launch_kernel<T, G, C, CH, kPaths>;
  e.group = G;
  e.cells = C;
  e.word_bytes = kPaths ? static_cast<int>(sizeof(DirWord<C>)) : 0;
  return e;
}

/// Row i = distance shape, columns = channel variants; the any-channel variant uses the small
/// shape in every row (its cost is memory-bound anyway, and this keeps the build short).
template <class T, int C_MEDIUM, int C_LARGE>
KernelTable<T> build_table() {
  KernelTable<T> t;
  const KernelEntry<T> any_small = make_entry<T, 8, 4, 0, false>();
  t.distance[0][0] = make_entry<T, 8, 4, 1, false>();
  t.distance[0][1] = make_entry<T, 8, 4, 2, false>();
  t.distance[0][2] = make_entry<T, 8, 4, 3, false>();
  t.distance[1][0] = make_entry<T, 32, C_MEDIUM, 1, false>();
  t.distance[1][1] = make_entry<T, 32, C_MEDIUM, 2, false>();
  t.distance[1][2] = make_entry<T, 32, C_MEDIUM, 3, false>();
  t.distance[2][0] = make_entry<T, 32, C_LARGE, 1, false>();
  t.distance[2][1] = make_entry<T, 32, C_LARGE, 2, false>();
  t.distance[2][2] = make_entry<T, 32, C_LARGE, 3, false>();
  for (int s = 0; s < kShapes; ++s) t.distance[s][3] = any_small;
  t.paths[0] = make_entry<T, 32, C_LARGE, 1, true>();
  t.paths[1] = make_entry<T, 32, C_LARGE, 2, true>();
  t.paths[2] = make_entry<T, 32, C_LARGE, 3, true>();
  t.paths[3] = make_entry<T, 32, C_LARGE, 0, true>();
  return t;
}

}  // namespace swingpipe::dtw::cuda::detail
