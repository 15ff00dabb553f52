#pragma once
// The parsing of JSON request bodies (POST /v1/runs, /v1/simulations, /v1/keys) and of uploads
// (POST /v1/recordings), apart from the HTTP plumbing: the handlers call these, and so does the
// fuzz target tests/fuzz/fuzz_http.cpp, in process. Every refusal is an ApiError (4xx) or an
// InputError (the dispatcher answers 400 invalid_request) whose message starts with "request"
// (bodies) or the upload's file name, never with a server path, and quotes untrusted text bounded
// and escaped.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server_config.hpp"
#include "swingpipe/host/auth.hpp"
#include "swingpipe/host/recording.hpp"
#include "swingpipe/host/swing_sim.hpp"
#include "swingpipe/pipeline/config.hpp"

namespace swingpipe::server {

/// `text` with every `from` replaced by `to` (messages that must not show server paths).
std::string replace_all(std::string text, const std::string& from, const std::string& to);

/// A JSON request body: io::parse_json (nesting limit, strict numbers and UTF-8, no trailing
/// bytes) under the name "request"; invalid_json when it is not JSON ("request: byte N: ..."),
/// invalid_request when it is empty or not an object.
nlohmann::json parse_json_body(std::string_view body);

/// POST /v1/runs: the body's fields checked (unknown ones refused) and the run config the server
/// runs, built with its settings; `fallback_run_id` is used when the body gives none.
struct RunRequest {
  std::string run_id;
  pipeline::RunConfig config;
};
RunRequest parse_run_request(const nlohmann::json& body, const ServerConfig& config,
                             const std::string& fallback_run_id);

/// POST /v1/keys: name, scopes (default read + run), expiry in days (1..36500), user.
struct KeyRequest {
  std::string name;
  auth::Scopes scopes = 0;
  std::optional<int> expires_in_days;
  std::optional<std::string> user;
};
KeyRequest parse_key_request(const nlohmann::json& body);

/// POST /v1/simulations: `model` a name (letters, digits, '_', '-', '.'; not a path) of a file
/// <config.models_dir>/<model>.xml that exists, count 1..simulation_max_count, seed, sample_rate,
/// batch_size >= 0, tolerance in [0, 1); threads from the config. The model's content and the
/// sample rate against its step rate are sim::check_options' (the handler calls it next).
struct SimulationRequest {
  std::string model;  ///< the name
  sim::SimulateOptions options;
};
SimulationRequest parse_simulation_request(const nlohmann::json& body, const ServerConfig& config);
/// The model names the server offers (the .xml files of `dir`), sorted.
std::vector<std::string> model_names(const std::filesystem::path& dir);

/// POST /v1/recordings?filename=NAME: NAME is one path component, printable, at most 255 bytes,
/// with a readable extension (invalid_parameter, unsupported_format).
void check_upload_filename(const std::string& name);
/// The upload's bytes written to `dir` / `filename` and read with io::read_any; invalid_upload
/// naming the client's file name (never `dir`) when the body is empty or cannot be read.
std::vector<Recording> read_upload(std::string_view body, const std::string& filename,
                                   const std::filesystem::path& dir);

}  // namespace swingpipe::server
