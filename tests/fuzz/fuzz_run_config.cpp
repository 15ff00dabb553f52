// libFuzzer target for run configs (JSON parsing with the nesting limit + parse_run_config).
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  swingpipe::fuzz::check_run_config(data, size);
  return 0;
}
