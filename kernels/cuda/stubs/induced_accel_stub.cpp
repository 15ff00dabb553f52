// Without CUDA, compute_cuda exists but refuses (resolve_backend already refuses Backend::cuda
// when no device is usable, so this is reached only by direct calls).
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/induced_accel.hpp"

namespace swingpipe::iaa {

Result compute_cuda(const KinematicTree&, const FrameBatch&, const Options&) {
  throw BackendError(
      "induced accelerations on CUDA: swingpipe was built without CUDA (SWINGPIPE_CUDA=OFF)");
}

}  // namespace swingpipe::iaa
