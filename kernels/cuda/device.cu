#include <cuda_runtime.h>

#include "swingpipe/kernels/backend.hpp"

namespace swingpipe {

DeviceInfo cuda_device_info() {
  DeviceInfo info;
  info.built_with_cuda = true;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    info.reason = cudaGetErrorString(err);
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    return info;
  }
  if (count == 0) {
    info.reason = "no CUDA device visible";
    return info;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) info.name = prop.name;
  info.device_count = count;
  return info;
}

}  // namespace swingpipe
