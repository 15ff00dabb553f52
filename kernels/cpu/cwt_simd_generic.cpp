// cwt_simd.hpp's loops for baseline x86-64 (SSE2), and the run-time choice of the widest set.
#include "cpu/cwt_simd_impl.hpp"

namespace swingpipe::cwt::cpu {

const Kernels& kernels_generic() {
  static const Kernels k{kernel_set<float>(), kernel_set<double>(), "sse2"};
  return k;
}

const Kernels& best_kernels() {
  static const Kernels& best =
      (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
       __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
          ? kernels_avx512()
      : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? kernels_avx2()
                                                                          : kernels_generic();
  return best;
}

}  // namespace swingpipe::cwt::cpu
