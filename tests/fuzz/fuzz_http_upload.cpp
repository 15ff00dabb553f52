// libFuzzer target for uploads to the HTTP API (POST /v1/recordings): first byte = format.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  swingpipe::fuzz::check_http_upload(data, size);
  return 0;
}
