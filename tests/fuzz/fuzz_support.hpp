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

/// check_reader for the readers of files only (C3D, .mot/.sto/.trc): the input is written to
/// "fuzz<extension>" in the scratch folder ($SWINGPIPE_FUZZ_TMP or the temp folder) and read with
/// io::read_any; errors start with that path, and reading leaves the file as it was.
void check_file_reader(const uint8_t* data, std::size_t size, const char* extension);

/// An HTTP JSON body (POST /v1/runs, POST /v1/keys) through the server's own parsers
/// (tools/server/request_body.hpp): refused -> ApiError 4xx or InputError naming "request",
/// valid UTF-8, short; an accepted run request keeps the server's library and output folder and
/// its config prints back; an accepted key request has the body's name and known scopes.
void check_http_json(const uint8_t* data, std::size_t size);

/// An upload (POST /v1/recordings): the first byte picks the file name's extension, the rest is
/// the body, read by server::read_upload. Refused -> ApiError 400 invalid_upload naming the
/// client's file name and never the server's folder; accepted -> valid recordings, identical to
/// what the in-memory reader makes of the same bytes (CSV, NPY, .tsv, .ts, JSON).
void check_http_upload(const uint8_t* data, std::size_t size);

/// Parses `data` as a run config ("fuzz.json"): rejected input is an InputError naming the file;
/// an accepted config prints (to_json) to JSON that parses to the same config.
void check_run_config(const uint8_t* data, std::size_t size);

}  // namespace swingpipe::fuzz
