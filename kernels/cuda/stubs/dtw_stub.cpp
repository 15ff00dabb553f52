// Without CUDA, the CUDA DTW entry points exist but refuse (resolve_backend already refuses
// Backend::cuda when no device is usable, so these are reached only by direct calls).
#include "cuda/dtw_cuda.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::dtw::cuda {
namespace {
[[noreturn]] void refuse() {
  throw BackendError("DTW on CUDA: swingpipe was built without CUDA (SWINGPIPE_CUDA=OFF)");
}
}  // namespace

template <class T>
void pairs(const BatchView<T>&, const BatchView<T>&, std::span<const PairIndex>, std::span<T>,
           const Options&) {
  refuse();
}
template <class T>
void cross(const BatchView<T>&, const BatchView<T>&, std::span<T>, const Options&, bool) {
  refuse();
}
template <class T>
std::vector<Path> paths(const BatchView<T>&, const BatchView<T>&, std::span<const PairIndex>,
                        const Options&) {
  refuse();
}

#define SP_INSTANTIATE(T)                                                                        \
  template void pairs<T>(const BatchView<T>&, const BatchView<T>&, std::span<const PairIndex>,   \
                         std::span<T>, const Options&);                                          \
  template void cross<T>(const BatchView<T>&, const BatchView<T>&, std::span<T>, const Options&, \
                         bool);                                                                  \
  template std::vector<Path> paths<T>(const BatchView<T>&, const BatchView<T>&,                  \
                                      std::span<const PairIndex>, const Options&);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace swingpipe::dtw::cuda
