// double instantiations of the DTW wavefront kernels (dtw_kernel.cuh).
#include "cuda/dtw_table.cuh"

namespace swingpipe::dtw::cuda::detail {

template <>
const KernelTable<double>& kernel_table<double>() {
  static const KernelTable<double> table = build_table<double>();
  return table;
}

}  // namespace swingpipe::dtw::cuda::detail
