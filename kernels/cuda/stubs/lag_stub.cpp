// Without CUDA, the CUDA lag-matrix entry points exist but refuse (resolve_backend already refuses
// Backend::cuda when no device is usable, so these are reached only by direct calls).
#include "cuda/lag_cuda.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::lag::cuda {

struct State {};

void StateDeleter::operator()(State* s) const {
  delete s;
}

StatePtr make_state() {
  throw BackendError("lag matrix on CUDA: swingpipe was built without CUDA (SWINGPIPE_CUDA=OFF)");
}

template <class T>
void matrices(State&, const BatchView<T>&, std::span<const double>, const Options&,
              std::span<Matrix>, Counters&) {
  throw BackendError("lag matrix on CUDA: swingpipe was built without CUDA (SWINGPIPE_CUDA=OFF)");
}

template void matrices<float>(State&, const BatchView<float>&, std::span<const double>,
                              const Options&, std::span<Matrix>, Counters&);
template void matrices<double>(State&, const BatchView<double>&, std::span<const double>,
                               const Options&, std::span<Matrix>, Counters&);

}  // namespace swingpipe::lag::cuda
