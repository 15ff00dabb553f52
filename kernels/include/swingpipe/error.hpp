#pragma once
// swingpipe's one exception hierarchy (design.md §3.4). Every module boundary throws one of these,
// and every message names the input that caused it.
#include <stdexcept>
#include <string>

namespace swingpipe {

/// Base of every error swingpipe throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad user input: a file, a flag, a value out of range. The CLI exits 2 on these.
class InputError : public Error {
 public:
  using Error::Error;
};

/// A run config that is malformed, has unknown keys or wrong types. Names the JSON path.
class ConfigError : public InputError {
 public:
  using InputError::InputError;
};

/// Something asked for does not exist (a recording id, a file).
class NotFoundError : public Error {
 public:
  using Error::Error;
};

/// SQLite or file-system failure while storing or loading.
class StorageError : public Error {
 public:
  using Error::Error;
};

/// Stored data failed its integrity check (checksum mismatch, truncated blob).
class CorruptDataError : public StorageError {
 public:
  using StorageError::StorageError;
};

/// A backend (CUDA) that was asked for is missing, or a device call failed.
class BackendError : public Error {
 public:
  using Error::Error;
};

}  // namespace swingpipe
