// double instantiations of the DTW wavefront kernel (dtw_kernel.cuh).
#include "cuda/dtw_table.cuh"

namespace swingpipe::dtw::cuda::detail {

template <>
const KernelTable<double>& kernel_table<double>() {
  static const KernelTable<double> table = build_table<double, 4, 8>();
  return table;
}

}  // namespace swingpipe::dtw::cuda::detail
