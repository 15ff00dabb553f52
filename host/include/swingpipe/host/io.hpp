#pragma once
// Import and export of recordings (host/io). Readers throw InputError naming the file and the line
// or byte offset and what was expected; writers write a temp file, flush, fsync and rename, so a
// failure leaves nothing half-written. A missing input file is a NotFoundError naming the path.
#include <filesystem>
#include <string>
#include <vector>

#include "swingpipe/host/recording.hpp"

namespace swingpipe::io {

enum class Format { csv, npy, ucr_tsv, sktime_ts, json };

/// From the extension: .csv, .npy, .tsv, .ts, .json. InputError for anything else.
Format format_from_path(const std::filesystem::path& path);

struct CsvOptions {
  double sample_rate = 0;            ///< used when the file has no time column; 0 = unknown
  std::string time_column = "time";  ///< a column with this name (case-insensitive) is the clock
};

/// CSV with a header of channel names; an optional time column gives the sample rate.
Recording read_csv(const std::filesystem::path& path, const CsvOptions& opt = {});
/// NPY, 2-D float32/float64 (C or Fortran order), shape (frames, channels); 1-D is one channel.
Recording read_npy(const std::filesystem::path& path, double sample_rate = 0);
/// A UCR `.tsv` or sktime `.ts` file: one labelled recording per series, filename
/// "<stem>#<row>" with row 0-based, meta.label set, channels "dim0", "dim1", ...
std::vector<Recording> read_labelled(const std::filesystem::path& path);
/// What write_json writes: metadata keys, sample_rate, channels, data (one array per channel,
/// null = NaN). Missing metadata keys keep their defaults; filename defaults to the file name.
Recording read_json(const std::filesystem::path& path);
/// Any supported file: CSV, NPY and JSON give one recording, .tsv/.ts give many.
std::vector<Recording> read_any(const std::filesystem::path& path);

void write_csv(const std::filesystem::path& path, const Recording& rec);
void write_npy(const std::filesystem::path& path, const Recording& rec);  ///< (frames, channels) f8
void write_json(const std::filesystem::path& path, const Recording& rec);  ///< metadata + series
void write(const std::filesystem::path& path, const Recording& rec);       ///< by extension

/// Writes `contents` atomically: temp file in the same folder, fsync, rename, fsync the folder.
void write_file_atomic(const std::filesystem::path& path, const std::string& contents);

/// Removes, anywhere below `folder`, the temp files of atomic writes ("." + name +
/// ".tmp.<pid>.<n>") whose writing process no longer runs (a killed run's leftovers); returns how
/// many it removed.
int remove_stale_temp_files(const std::filesystem::path& folder);

/// Hex SHA-256 (OpenSSL).
std::string sha256_hex(const void* data, std::size_t size);

}  // namespace swingpipe::io
