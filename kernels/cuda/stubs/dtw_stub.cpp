// Without CUDA, the CUDA DTW entry points exist but refuse (resolve_backend already refuses
// Backend::cuda when no device is usable, so these are reached only by direct calls), and a
// dtw::Workspace holds nothing.
#include "common/dtw_checks.hpp"
#include "cuda/dtw_cuda.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::dtw {

struct Workspace::Impl {};

Workspace::Workspace() : Workspace(Limits{}) {}
Workspace::Workspace(const Limits& limits) : limits_(limits) {
  detail::check_workspace_limits(limits);
}
Workspace::~Workspace() = default;
Workspace::Workspace(Workspace&&) noexcept = default;
Workspace& Workspace::operator=(Workspace&&) noexcept = default;
std::size_t Workspace::device_bytes() const {
  return 0;
}
Workspace::Timings Workspace::timings() const {
  return {};
}
void Workspace::reset_timings() {}
Workspace::Impl& Workspace::impl() {
  throw BackendError("DTW on CUDA: swingpipe was built without CUDA (SWINGPIPE_CUDA=OFF)");
}

namespace cuda {
namespace {
[[noreturn]] void refuse() {
  throw BackendError("DTW on CUDA: swingpipe was built without CUDA (SWINGPIPE_CUDA=OFF)");
}
}  // namespace

template <class T>
bool fits(const BatchView<T>&, const BatchView<T>&) {
  return false;
}
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
  template bool fits<T>(const BatchView<T>&, const BatchView<T>&);                               \
  template void pairs<T>(const BatchView<T>&, const BatchView<T>&, std::span<const PairIndex>,   \
                         std::span<T>, const Options&);                                          \
  template void cross<T>(const BatchView<T>&, const BatchView<T>&, std::span<T>, const Options&, \
                         bool);                                                                  \
  template std::vector<Path> paths<T>(const BatchView<T>&, const BatchView<T>&,                  \
                                      std::span<const PairIndex>, const Options&);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace cuda
}  // namespace swingpipe::dtw
