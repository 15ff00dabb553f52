#pragma once
// Backend selection (design.md §3.1): `cpu` always exists and is the reference; `cuda` exists when
// built with CUDA and a device is visible; `auto` picks CUDA when it can.
#include <string>
#include <string_view>

namespace swingpipe {

enum class Backend { cpu, cuda, automatic };

/// "cpu", "cuda" or "auto"; throws InputError naming the text otherwise.
Backend parse_backend(std::string_view text);
std::string_view to_string(Backend backend);

/// What the CUDA runtime says about devices, asked once per process (the answer is kept). Never
/// throws: any error from the runtime (on the build machines: "CUDA driver version is
/// insufficient") means "no device".
struct DeviceInfo {
  bool built_with_cuda = false;
  int device_count = 0;
  std::string name;    ///< name of device 0 when there is one
  std::string reason;  ///< why there is no usable device, empty when there is one
  bool available() const { return device_count > 0; }
};
DeviceInfo cuda_device_info();

/// Resolves `automatic` to cuda or cpu. Asking for cuda without a device throws BackendError.
Backend resolve_backend(Backend requested);

}  // namespace swingpipe
