#pragma once
// The invariant checks behind every libFuzzer target (fuzz_support.cpp, compiled once). A target
// calls one of these from LLVMFuzzerTestOneInput; a broken invariant prints what broke and
// aborts, so libFuzzer saves the input as a crash.
#include <cstddef>
#include <cstdint>

namespace swingpipe::fuzz {

/// Reads `data` as a file named "fuzz<extension>" with io::parse_any, strictly and with every
/// value option on, and checks:
///  - a rejected input is an InputError whose message names the file, is valid UTF-8 and short;
///  - what the strict read accepts, the permissive one accepts identically;
///  - an accepted recording has >= 1 channel and frame, passes validate(), holds text that is
///    valid UTF-8, the canonical NaN only and no +-inf unless allowed;
///  - it reads back exactly after export to JSON, CSV and NPY (every value bit for bit; names,
///    metadata; the CSV sample rate to 1e-12 relative);
///  - the library stores it and gives it back exactly; adding it again is refused and leaves the
///    library as it was.
void check_reader(const uint8_t* data, std::size_t size, const char* extension);

/// Parses `data` as a run config ("fuzz.json"): rejected input is an InputError naming the file;
/// an accepted config prints (to_json) to JSON that parses to the same config.
void check_run_config(const uint8_t* data, std::size_t size);

}  // namespace swingpipe::fuzz
