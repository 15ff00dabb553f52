#pragma once
// Import and export of recordings (host/io). Readers throw InputError naming the file and the line
// or byte offset and what was expected; writers write a temp file, flush, fsync and rename, so a
// failure leaves nothing half-written. A missing input file is a NotFoundError naming the path.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "swingpipe/host/recording.hpp"

namespace swingpipe::io {

enum class Format { csv, npy, ucr_tsv, sktime_ts, json };

/// From the extension: .csv, .npy, .tsv, .ts, .json. InputError for anything else.
Format format_from_path(const std::filesystem::path& path);

/// The one rule for values that are not plain finite numbers, in every reader (design.md §3.4):
/// NaN means missing ("nan", "?", JSON null); +-inf and empty fields are errors unless asked for.
/// Every reader returns at least one channel and one frame, text that is valid UTF-8, and NaN
/// only as the canonical quiet NaN, so export -> import gives back every stored value exactly.
struct ValueOptions {
  bool allow_infinite = false;    ///< keep +-inf ("inf", "-Infinity", binary inf, JSON "inf")
  bool empty_is_missing = false;  ///< an empty CSV/.tsv field is NaN (a cut-off last line is not)
};

struct CsvOptions {
  double sample_rate = 0;            ///< used when the file has no time column; 0 = unknown
  std::string time_column = "time";  ///< a column with this name (case-insensitive) is the clock
  ValueOptions values;
};

/// CSV with a header of channel names; an optional time column gives the sample rate. Lines end
/// in \n, \r\n or \r.
Recording read_csv(const std::filesystem::path& path, const CsvOptions& opt = {});
/// NPY, 2-D float32/float64 in any numpy spelling ('<f8', '=f8', '<d', 'float64', big-endian
/// too; C or Fortran order), shape (frames, channels); 1-D is one channel.
Recording read_npy(const std::filesystem::path& path, double sample_rate = 0,
                   const ValueOptions& values = {});
/// A UCR `.tsv` or sktime `.ts` file: one labelled recording per series, filename
/// "<stem>#<row>" with row 0-based, meta.label set, channels "dim0", "dim1", ...
std::vector<Recording> read_labelled(const std::filesystem::path& path,
                                     const ValueOptions& values = {});
/// What write_json writes: metadata keys, sample_rate, channels, data (one array per channel,
/// null = NaN, "inf"/"-inf" = +-inf). Missing metadata keys keep their defaults; filename
/// defaults to the file name; unknown keys, integers that are not JSON integers or out of range,
/// and a checksum that does not match the data are errors.
Recording read_json(const std::filesystem::path& path, const ValueOptions& values = {});
/// Any supported file: CSV, NPY and JSON give one recording, .tsv/.ts give many.
std::vector<Recording> read_any(const std::filesystem::path& path, const ValueOptions& values = {});

/// The readers on bytes already in memory (an upload, a fuzzer's input): `name` is the file name
/// used in messages, in recording filenames and (parse_any) to pick the format by extension.
Recording parse_csv(std::string_view text, const std::filesystem::path& name,
                    const CsvOptions& opt = {});
Recording parse_npy(std::string_view bytes, const std::filesystem::path& name,
                    double sample_rate = 0, const ValueOptions& values = {});
std::vector<Recording> parse_labelled(std::string_view text, const std::filesystem::path& name,
                                      const ValueOptions& values = {});
Recording parse_json_recording(std::string_view text, const std::filesystem::path& name,
                               const ValueOptions& values = {});
std::vector<Recording> parse_any(std::string_view bytes, const std::filesystem::path& name,
                                 const ValueOptions& values = {});

void write_csv(const std::filesystem::path& path, const Recording& rec);
void write_npy(const std::filesystem::path& path, const Recording& rec);  ///< (frames, channels) f8
void write_json(const std::filesystem::path& path, const Recording& rec);  ///< metadata + series
void write(const std::filesystem::path& path, const Recording& rec);       ///< by extension

/// What the writers write, as bytes (`what` names the recording in errors).
std::string csv_text(const Recording& rec, const std::string& what);
std::string npy_bytes(const Recording& rec, const std::string& what);
std::string json_text(const Recording& rec, const std::string& what);

/// Writes `contents` atomically: temp file in the same folder, fsync, rename, fsync the folder.
void write_file_atomic(const std::filesystem::path& path, const std::string& contents);

/// Removes, anywhere below `folder`, the temp files of atomic writes ("." + name +
/// ".tmp.<pid>.<n>") whose writing process no longer runs (a killed run's leftovers); returns how
/// many it removed.
int remove_stale_temp_files(const std::filesystem::path& folder);

/// Hex SHA-256 (OpenSSL).
std::string sha256_hex(const void* data, std::size_t size);

}  // namespace swingpipe::io
