#pragma once
// Errors of the HTTP API: every error body is {"error": {"code": "...", "message": "..."}} with a
// code from kErrorCodes (stable: clients match on it; the OpenAPI document lists the same set).
#include <stdexcept>
#include <string>
#include <string_view>

namespace swingpipe::server {

inline constexpr std::string_view kErrorCodes[] = {
    // request shape
    "bad_request", "route_not_found", "method_not_allowed", "uri_too_long", "headers_too_large",
    "payload_too_large", "length_required", "incomplete_body", "unexpected_body", "invalid_json",
    "invalid_request", "unknown_parameter", "invalid_parameter", "missing_parameter",
    // authentication and limits
    "missing_key", "malformed_key", "invalid_key", "key_revoked", "key_expired",
    "insufficient_scope", "rate_limited",
    // recordings
    "unsupported_format", "invalid_upload", "duplicate_recording", "recording_not_found",
    // tasks and runs
    "task_not_found", "task_not_finished", "task_finished", "registry_full", "run_in_progress",
    "simulation_in_progress", "analysis_not_found", "analysis_required", "no_csv",
    // keys
    "key_not_found",
    // the server
    "shutting_down", "storage_error", "corrupt_data", "internal_error", "not_found"};

inline bool is_error_code(std::string_view code) {
  for (auto c : kErrorCodes)
    if (c == code) return true;
  return false;
}

/// Thrown by handlers; the dispatcher turns it into the JSON error response.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string_view code, const std::string& message,
           int retry_after_seconds = 0)
      : std::runtime_error(message),
        status_(status),
        code_(code),
        retry_after_seconds_(retry_after_seconds) {
    if (!is_error_code(code))
      throw std::logic_error("API error code '" + std::string(code) + "' is not in kErrorCodes");
  }
  int status() const { return status_; }
  const std::string& code() const { return code_; }
  int retry_after_seconds() const { return retry_after_seconds_; }

 private:
  int status_;
  std::string code_;
  int retry_after_seconds_;
};

}  // namespace swingpipe::server
