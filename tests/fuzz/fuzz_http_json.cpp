// libFuzzer target for the JSON request bodies of the HTTP API (POST /v1/runs, POST /v1/keys).
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  swingpipe::fuzz::check_http_json(data, size);
  return 0;
}
