// Without CUDA, the CUDA RQA runner exists but refuses (resolve_backend already refuses
// Backend::cuda when no device is usable, so this is reached only by direct use).
#include "cuda/rqa_cuda.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::rqa::cuda {

template <class T>
struct Runner<T>::Impl {};

template <class T>
Runner<T>::Runner() {
  throw BackendError("RQA on CUDA: swingpipe was built without CUDA (SWINGPIPE_CUDA=OFF)");
}
template <class T>
Runner<T>::~Runner() = default;
template <class T>
detail::Cloud<T> Runner<T>::upload(const detail::Cloud<T>& host) {
  return host;
}
template <class T>
Histograms Runner<T>::lines(const detail::LineProblem<T>&) {
  return {};
}
template <class T>
detail::RegionPasses<T> Runner<T>::passes(const detail::Region<T>&) {
  return {};
}

template class Runner<float>;
template class Runner<double>;

}  // namespace swingpipe::rqa::cuda
