// libFuzzer target for one file reader; the format is the extension CMake passes (targets.txt).
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  swingpipe::fuzz::check_reader(data, size, SWINGPIPE_FUZZ_EXT);
  return 0;
}
