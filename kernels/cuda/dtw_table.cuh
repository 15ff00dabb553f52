#pragma once
// The table of DTW kernel instantiations the host code chooses from (dtw_cuda.cu). Each type's
// table lives in its own translation unit (dtw_kernels_f32.cu, dtw_kernels_f64.cu) so nvcc builds
// them in parallel. Shapes come from kernels/common/dtw_plan.hpp (distance_shape, paths_shape), so
// the host planner, the CPU emulation and the instantiations agree.
#include <cuda_runtime.h>

#include "cuda/dtw_kernel.cuh"

namespace swingpipe::dtw::cuda::detail {

/// One instantiation of a wavefront kernel: its shape and how to launch it.
template <class T>
struct KernelEntry {
  const void* func = nullptr;  ///< for cudaOccupancyMaxActiveBlocksPerMultiprocessor
  void (*launch)(int grid, cudaStream_t stream, const KernelArgs<T>& args) = nullptr;
  ShapeDims dims{};
  int word_bytes = 0;  ///< paths: bytes per direction word
};

template <class T>
struct KernelTable {
  KernelEntry<T> distance[kShapes][kChannelVariants];  ///< [1][3] is empty (shapes_offered)
  KernelEntry<T> paths[kChannelVariants];
};

template <class T>
const KernelTable<T>& kernel_table();

template <class T, int G, int C, int CH>
void launch_distance(int grid, cudaStream_t stream, const KernelArgs<T>& args) {
  dtw_distance_kernel<T, G, C, CH><<<grid, kBlockThreads, 0, stream>>>(args);
}
template <class T, int G, int C, int CH>
void launch_paths(int grid, cudaStream_t stream, const KernelArgs<T>& args) {
  dtw_paths_kernel<T, G, C, CH><<<grid, kBlockThreads, 0, stream>>>(args);
}

template <class T, int G, int C, int CH, bool kPaths>
KernelEntry<T> make_entry() {
  KernelEntry<T> e;
  if constexpr (kPaths) {
    e.func = reinterpret_cast<const void*>(&dtw_paths_kernel<T, G, C, CH>);
    e.launch = &launch_paths<T, G, C, CH>;
    e.word_bytes = static_cast<int>(sizeof(DirWord<C>));
  } else {
    e.func = reinterpret_cast<const void*>(&dtw_distance_kernel<T, G, C, CH>);
    e.launch = &launch_distance<T, G, C, CH>;
  }
  e.dims = ShapeDims{G, C};
  return e;
}

template <class T>
KernelTable<T> build_table() {
  constexpr ShapeDims s0 = distance_shape<T>(0), s1 = distance_shape<T>(1), p = paths_shape<T>();
  KernelTable<T> t;
  t.distance[0][0] = make_entry<T, s0.group, s0.cells, 1, false>();
  t.distance[0][1] = make_entry<T, s0.group, s0.cells, 2, false>();
  t.distance[0][2] = make_entry<T, s0.group, s0.cells, 3, false>();
  t.distance[0][3] = make_entry<T, s0.group, s0.cells, 0, false>();
  t.distance[1][0] = make_entry<T, s1.group, s1.cells, 1, false>();
  t.distance[1][1] = make_entry<T, s1.group, s1.cells, 2, false>();
  t.distance[1][2] = make_entry<T, s1.group, s1.cells, 3, false>();
  t.paths[0] = make_entry<T, p.group, p.cells, 1, true>();
  t.paths[1] = make_entry<T, p.group, p.cells, 2, true>();
  t.paths[2] = make_entry<T, p.group, p.cells, 3, true>();
  t.paths[3] = make_entry<T, p.group, p.cells, 0, true>();
  return t;
}

}  // namespace swingpipe::dtw::cuda::detail
