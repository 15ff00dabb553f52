#include <nlohmann/json.hpp>

#include <iostream>

#include "command.hpp"
#include "swingpipe/kernels/backend.hpp"

namespace swingpipe::cli {
namespace {

void add_version(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("version", "Print the version, build options and CUDA devices");
  cmd->callback([&g] {
    const DeviceInfo dev = cuda_device_info();
    if (g.json) {
      nlohmann::json j{{"version", SWINGPIPE_VERSION},
                       {"cuda_built", dev.built_with_cuda},
                       {"cuda_devices", dev.device_count},
                       {"cuda_device", dev.name},
                       {"cuda_reason", dev.reason}};
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::cout << "swingpipe " << SWINGPIPE_VERSION << "\n"
              << "CUDA backend: " << (dev.built_with_cuda ? "built" : "not built") << "\n"
              << "CUDA devices: " << dev.device_count
              << (dev.available() ? " (" + dev.name + ")" : " (" + dev.reason + ")") << "\n";
  });
}

}  // namespace
SWINGPIPE_COMMAND("version", add_version);
}  // namespace swingpipe::cli
