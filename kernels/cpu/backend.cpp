#include "swingpipe/kernels/backend.hpp"

#include <string>

#include "swingpipe/error.hpp"

namespace swingpipe {

Backend parse_backend(std::string_view text) {
  if (text == "cpu") return Backend::cpu;
  if (text == "cuda") return Backend::cuda;
  if (text == "auto") return Backend::automatic;
  throw InputError("unknown backend '" + std::string(text) + "' (expected cpu, cuda or auto)");
}

std::string_view to_string(Backend backend) {
  switch (backend) {
    case Backend::cpu:
      return "cpu";
    case Backend::cuda:
      return "cuda";
    case Backend::automatic:
      return "auto";
  }
  return "?";
}

Backend resolve_backend(Backend requested) {
  if (requested == Backend::cpu) return Backend::cpu;
  const DeviceInfo info = cuda_device_info();
  if (info.available()) return Backend::cuda;
  if (requested == Backend::cuda)
    throw BackendError("backend 'cuda' requested but no CUDA device is usable: " + info.reason);
  return Backend::cpu;
}

}  // namespace swingpipe
