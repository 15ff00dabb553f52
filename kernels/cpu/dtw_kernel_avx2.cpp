// The lane-parallel DTW kernel (dtw_lanes.hpp) compiled for AVX2 (8 float32 / 4 float64
// lanes). Built with the ISA flags by kernels/CMakeLists.txt; called only after a run-time check.
#define SP_DTW_KERNEL_IMPL
#include "cpu/dtw_lanes.hpp"

namespace swingpipe::dtw::cpu {
void run_group_avx2(Group<float>& g, void* workspace) {
  run_group_impl<float, 8>(g, workspace);
}
void run_group_avx2(Group<double>& g, void* workspace) {
  run_group_impl<double, 4>(g, workspace);
}
}  // namespace swingpipe::dtw::cpu
