// libFuzzer target for a reader of files only (C3D, .mot/.sto/.trc): the extension comes from
// targets.txt; the input is written to a scratch file and read with io::read_any.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  swingpipe::fuzz::check_file_reader(data, size, SWINGPIPE_FUZZ_EXT);
  return 0;
}
