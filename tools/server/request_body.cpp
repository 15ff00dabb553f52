// The parsing of request bodies and uploads (request_body.hpp), shared by the handlers and the
// fuzz target tests/fuzz/fuzz_http.cpp.
#include "request_body.hpp"

#include <algorithm>
#include <fstream>
#include <system_error>

#include "api_error.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/untrusted.hpp"
#include "swingpipe/pipeline/json_reader.hpp"

namespace swingpipe::server {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

namespace {}  // namespace

nlohmann::json parse_json_body(std::string_view body) {
  if (body.empty())
    throw ApiError(400, "invalid_request",
                   "request: this endpoint needs a JSON object as the body");
  nlohmann::json j;
  try {
    j = io::parse_json(body, "request");  // "request: byte N: ..."
  } catch (const InputError& e) {
    throw ApiError(400, "invalid_json", e.what());
  }
  if (!j.is_object())
    throw ApiError(400, "invalid_request",
                   std::string("request: the body must be a JSON object, got ") + j.type_name());
  return j;
}

RunRequest parse_run_request(const nlohmann::json& body, const ServerConfig& config,
                             const std::string& fallback_run_id) {
  pipeline::JsonReader r(body, "", "request");
  std::string run_id = r.optional<std::string>("run_id", "");
  const nlohmann::json* select = r.raw("select");
  const auto ids = r.maybe<std::vector<int64_t>>("ids");
  const nlohmann::json* analyses = r.raw("analyses");
  const auto batch_size = r.maybe<int>("batch_size");
  const auto backend = r.maybe<std::string>("backend");
  r.finish();  // unknown fields: 400 invalid_request naming them
  if (!analyses)
    throw ApiError(400, "invalid_request",
                   "request: /analyses: required (a list of {\"type\": ..., options})");
  nlohmann::json select_json = select ? *select : nlohmann::json::object();
  if (ids) {
    if (select)
      throw ApiError(400, "invalid_request",
                     "request: give \"ids\" or \"select\", not both (select.ids takes ids too)");
    select_json["ids"] = *ids;
  }
  if (run_id.empty()) run_id = fallback_run_id;
  const nlohmann::json config_json{
      {"library", config.library},
      {"run_id", run_id},
      {"backend", backend.value_or(config.run_backend)},
      {"batch_size", batch_size.value_or(config.run_batch_size)},
      {"threads", config.run_threads},
      {"progress", "never"},
      {"select", select_json},
      {"output", {{"dir", config.output_dir}, {"formats", config.run_output_formats}}},
      {"analyses", *analyses}};
  return {run_id, pipeline::parse_run_config(config_json, "request")};
}

namespace {

bool is_model_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == '.';
  });
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<std::string> model_names(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".xml" && is_model_name(it->path().stem().string()))
      names.push_back(it->path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

SimulationRequest parse_simulation_request(const nlohmann::json& body, const ServerConfig& config) {
  pipeline::JsonReader r(body, "", "request");
  SimulationRequest req;
  req.model = r.required<std::string>("model");
  sim::SimulateOptions& opt = req.options;
  opt.count = r.optional<int64_t>("count", opt.count);
  opt.seed = r.optional<uint64_t>("seed", opt.seed);
  opt.sample_rate = r.optional<double>("sample_rate", opt.sample_rate);
  opt.batch_size = r.optional<int64_t>("batch_size", opt.batch_size);
  if (auto tol = r.maybe<double>("tolerance")) opt.tolerance = *tol;
  r.finish();  // unknown fields: InputError naming them

  const std::filesystem::path dir(config.models_dir);
  if (!is_model_name(req.model))
    throw ApiError(400, "invalid_request",
                   "request: /model: " + pipeline::JsonReader::quote(req.model) +
                       " is not a model name (letters, digits, '_', '-', '.'; models: " +
                       joined(model_names(dir)) + ")");
  opt.model = dir / (req.model + ".xml");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(opt.model, ec))
    throw ApiError(400, "invalid_request",
                   "request: /model: no model '" + req.model +
                       "' on this server (models: " + joined(model_names(dir)) + ")");
  if (opt.count < 1 || opt.count > config.simulation_max_count)
    throw ApiError(400, "invalid_request",
                   "request: /count: must be 1.." + std::to_string(config.simulation_max_count) +
                       ", got " + std::to_string(opt.count));
  if (opt.batch_size < 0)
    throw ApiError(400, "invalid_request",
                   "request: /batch_size: must be >= 0 (0 = 2 per thread), got " +
                       std::to_string(opt.batch_size));
  if (opt.tolerance && !(*opt.tolerance >= 0 && *opt.tolerance < 1))
    throw ApiError(
        400, "invalid_request",
        "request: /tolerance: must be a number in [0, 1), got " + std::to_string(*opt.tolerance));
  opt.threads = config.simulation_threads;
  return req;
}

KeyRequest parse_key_request(const nlohmann::json& body) {
  pipeline::JsonReader r(body, "", "request");
  KeyRequest k;
  k.name = r.required<std::string>("name");
  const auto scope_list =
      r.optional<std::vector<std::string>>("scopes", std::vector<std::string>{"read", "run"});
  k.expires_in_days = r.maybe<int>("expires_in_days");
  k.user = r.maybe<std::string>("user");
  r.finish();
  std::string joined;
  for (const auto& s : scope_list) joined += (joined.empty() ? "" : ",") + s;
  try {
    k.scopes = auth::parse_scopes(joined);
  } catch (const InputError& e) {
    throw ApiError(400, "invalid_request", std::string("request: /scopes: ") + e.what());
  }
  if (k.expires_in_days && (*k.expires_in_days < 1 || *k.expires_in_days > 36500))
    throw ApiError(400, "invalid_request", "request: /expires_in_days: must be 1..36500");
  return k;
}

void check_upload_filename(const std::string& name) {
  auto bad = [&](const std::string& why) {
    throw ApiError(400, "invalid_parameter", "'filename' " + why);
  };
  if (name.empty()) bad("must not be empty");
  if (name.size() > 255) bad("is longer than 255 bytes");
  if (name == "." || name == ".." || name.front() == '.') bad("must not start with '.'");
  for (unsigned char ch : name)
    if (ch < 0x20 || ch == 0x7f || ch == '/' || ch == '\\')
      bad("must be a file name, without '/', '\\' or control characters");
  try {
    io::format_from_path(name);
  } catch (const InputError& e) {
    throw ApiError(415, "unsupported_format", e.what());
  }
}

std::vector<Recording> read_upload(std::string_view body, const std::string& filename,
                                   const std::filesystem::path& dir) {
  if (body.empty())
    throw ApiError(400, "invalid_upload", filename + ": the body is empty: send the file's bytes");
  const auto path = dir / filename;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    if (!out.flush()) throw StorageError("cannot write the upload to a temporary file");
  }
  std::vector<Recording> recs;
  try {
    recs = io::read_any(path);
  } catch (const Error& e) {  // names the line or byte; say the client's name, not our folder
    throw ApiError(400, "invalid_upload",
                   replace_all(e.what(), (dir / "").string(), std::string()));
  }
  if (recs.empty()) throw ApiError(400, "invalid_upload", filename + ": no recordings in the file");
  return recs;
}

}  // namespace swingpipe::server
