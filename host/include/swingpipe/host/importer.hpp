#pragma once
// Importing many files into the recording library: files are read in parallel by worker threads
// and written by the calling thread, one transaction per file (a file is stored whole or not at
// all), in the order given. Memory stays bounded however many files there are: a worker only
// starts a file while fewer than `window` files are read but not yet written and their sizes on
// disk sum to at most `byte_budget` (a file larger than the budget is read alone).
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "swingpipe/host/io.hpp"
#include "swingpipe/host/library.hpp"

namespace swingpipe::io {

/// One file to import. `prefix` goes before the names of its recordings (the folder a file was
/// found in, relative to the folder named on the command line, e.g. "subject1/").
struct ImportJob {
  std::filesystem::path path;
  std::string prefix;
};

/// Files named directly are taken as they are (a file of an unknown format fails when read);
/// folders give the importable files in them (is_importable), in their sub-folders too with
/// `recursive`, sorted by path. InputError for a folder without importable files, NotFoundError
/// for a path that does not exist.
std::vector<ImportJob> collect_import_jobs(const std::vector<std::filesystem::path>& inputs,
                                           bool recursive);

struct ImportResult {
  std::filesystem::path path;
  std::vector<int64_t> ids;  ///< empty when the file failed
  std::exception_ptr error;  ///< set when the file failed (reading or storing it)
  std::string message;       ///< the error's text
};

struct BatchImportOptions {
  ImportOptions read;
  int threads = 0;                         ///< reading threads; 0 = hardware concurrency
  int window = 0;                          ///< files read but not yet written; 0 = threads + 2
  uint64_t byte_budget = 512ull << 20;     ///< sum of file sizes of those files
  bool keep_going = false;                 ///< after a failure, go on with the other files
  std::function<void(Recording&)> adjust;  ///< called on every recording before it is stored
  /// Called on the calling thread after each file, in input order.
  std::function<void(const ImportResult&)> on_file;
};

/// Imports every job; returns one result per file attempted, in input order. Without keep_going
/// the first failure stops the import (files before it stay stored) and is rethrown.
std::vector<ImportResult> import_files(RecordingLibrary& library,
                                       const std::vector<ImportJob>& jobs,
                                       const BatchImportOptions& opt);

}  // namespace swingpipe::io
