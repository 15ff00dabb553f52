// cwt_simd.hpp's loops compiled for AVX2 + FMA (chosen at run time by best_kernels()).
#include "cpu/cwt_simd_impl.hpp"

namespace swingpipe::cwt::cpu {

const Kernels& kernels_avx2() {
  static const Kernels k{kernel_set<float>(), kernel_set<double>(), "avx2"};
  return k;
}

}  // namespace swingpipe::cwt::cpu
