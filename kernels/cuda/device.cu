#include <cuda_runtime.h>

#include "swingpipe/kernels/backend.hpp"

namespace swingpipe {
namespace {

DeviceInfo query_devices() {
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

}  // namespace

// Asked once per process: every public DTW call resolves its backend, and with `auto` as the
// default that would otherwise be a device query (and a properties read) per call.
DeviceInfo cuda_device_info() {
  static const DeviceInfo info = query_devices();
  return info;
}

}  // namespace swingpipe
