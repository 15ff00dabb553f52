#include "swingpipe/kernels/backend.hpp"

namespace swingpipe {

DeviceInfo cuda_device_info() {
  DeviceInfo info;
  info.reason = "swingpipe was built without CUDA (SWINGPIPE_CUDA=OFF or no nvcc)";
  return info;
}

}  // namespace swingpipe
