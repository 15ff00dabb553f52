// float instantiations of the DTW wavefront kernels (dtw_kernel.cuh).
#include "cuda/dtw_table.cuh"

namespace swingpipe::dtw::cuda::detail {

template <>
const KernelTable<float>& kernel_table<float>() {
  static const KernelTable<float> table = build_table<float>();
  return table;
}

}  // namespace swingpipe::dtw::cuda::detail
