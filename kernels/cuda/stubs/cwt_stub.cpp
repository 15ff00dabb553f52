// Without CUDA, the CUDA CWT entry points exist but refuse (Plan resolves Backend::cuda through
// resolve_backend, which already refuses when no device is usable, so these are reached only by
// direct calls).
#include "cuda/cwt_cuda.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::cwt::cuda {
namespace {
[[noreturn]] void refuse() {
  throw BackendError("CWT on CUDA: swingpipe was built without CUDA (SWINGPIPE_CUDA=OFF)");
}
}  // namespace

struct DeviceState {};
void destroy(DeviceState* state) {
  delete state;
}

std::unique_ptr<DeviceState, DeviceStateDeleter> make_device_state(const Plan::Impl&) {
  refuse();
}

template <class T, class V>
void run(const Plan::Impl&, SeriesRef<T>, Output, const Target<V>&, const RunOptions&) {
  refuse();
}

template <class T>
double device_seconds(const Plan&, SeriesRef<T>, Output, int) {
  refuse();
}

double d2d_copy_seconds(std::size_t, int) {
  refuse();
}

#define SP_INSTANTIATE(T)                                                                   \
  template void run<T, std::complex<T>>(const Plan::Impl&, SeriesRef<T>, Output,            \
                                        const Target<std::complex<T>>&, const RunOptions&); \
  template void run<T, T>(const Plan::Impl&, SeriesRef<T>, Output, const Target<T>&,        \
                          const RunOptions&);                                               \
  template double device_seconds<T>(const Plan&, SeriesRef<T>, Output, int);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace swingpipe::cwt::cuda
