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

enum class Format { csv, npy, ucr_tsv, sktime_ts, json, c3d, mot, sto, trc };

/// From the extension: .csv, .npy, .tsv, .ts, .json, .c3d, .mot, .sto, .trc (any case).
/// InputError for anything else.
Format format_from_path(const std::filesystem::path& path);
/// True when read_any reads files with this name's extension.
bool is_importable(const std::filesystem::path& path);

/// Whether the first line of a CSV file names the channels.
enum class CsvHeader {
  automatic,  ///< a header unless every field of the first line reads as a number (or missing)
  present,    ///< the first line is a header, whatever it holds
  absent,     ///< no header: every line is data, channels "ch0", "ch1", ...
};

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
  CsvHeader header = CsvHeader::automatic;
  ValueOptions values;
};

/// CSV with an optional header of channel names (CsvHeader: a first line of numbers is data, so
/// `np.savetxt` output keeps its first sample); an optional time column gives the sample rate.
/// A header with an empty, duplicate, non-UTF-8 or control-character name is an InputError naming
/// the line. Lines end in \n, \r\n or \r.
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
/// null = NaN, "inf"/"-inf" = +-inf, "units" and "attributes" when present). Missing metadata keys
/// keep their defaults; filename defaults to the file name; unknown keys, integers that are not
/// JSON integers or out of range, and a checksum that does not match the data are errors.
Recording read_json(const std::filesystem::path& path, const ValueOptions& values = {});
/// Options of the OpenSim text readers.
struct TableOptions {
  /// The clock column's name (case-insensitive; the first column of .mot/.sto, "Time" of .trc).
  /// Empty: no clock; that column is imported as a channel like the others.
  std::string time_column = "time";
  double sample_rate = 0;            ///< the rate when there is no clock (wins over DataRate)
  std::vector<std::string> markers;  ///< .trc: keep only these markers (empty = all)
  ValueOptions values;               ///< the one rule for non-finite values
};

/// OpenSim storage (.mot, .sto): header versions 1 to 3 ("key=value" lines) or SIMM style
/// ("datacolumns 3"), up to `endheader`; then tab- (or space-) separated column names and rows.
/// A first column named like opt.time_column is the clock: the rate is (n - 1) / (last - first)
/// and the times must be uniform within their printed precision, else InputError naming the line.
/// Without a clock: opt.sample_rate, else the header's DataRate, else 0. Cells holding
/// comma-separated values (Vec3, quaternions) become channels "<col>_0", "<col>_1", ...; NaN in
/// any case is missing. nRows/datarows and nColumns/datacolumns, when given, must match the data.
/// Header keys become attributes, free header text the notes. Streamed (never held whole).
Recording read_opensim_storage(const std::filesystem::path& path, const TableOptions& opt = {});
/// OpenSim/Motion Analysis marker trajectories (.trc, PathFileType 4): channels "<marker>_x",
/// "_y", "_z" (only opt.markers when given, in that order), blank or NaN cells missing, E notation;
/// the Time column is the clock as above (without one: a channel "Time", rate opt.sample_rate or
/// DataRate); units from the Units key. NumMarkers and NumFrames must match the data. Streamed.
Recording read_trc(const std::filesystem::path& path, const TableOptions& opt = {});

/// Choices for read_any that only some formats use.
struct ImportOptions {
  CsvHeader csv_header = CsvHeader::automatic;  ///< CSV: whether the first line names channels
  std::string time_column = "time";  ///< CSV, .mot/.sto, .trc: the clock column ("" = none)
  double sample_rate = 0;            ///< the rate of files without a clock
  bool analogs = true;               ///< C3D: also import the analog channels
  std::vector<std::string> markers;  ///< C3D, TRC: keep only these markers (empty = all)
  ValueOptions values;               ///< every format: the one rule for non-finite values
};

/// Any supported file: CSV, NPY, JSON, .mot/.sto and .trc give one recording, .tsv/.ts one per
/// series, C3D the points and (unless opt.analogs is false) the analog channels.
std::vector<Recording> read_any(const std::filesystem::path& path, const ImportOptions& opt = {});

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
/// read_any on bytes for CSV, NPY, JSON, .tsv and .ts. The streamed mocap formats (.c3d, .mot,
/// .sto, .trc) are read from files only: InputError.
std::vector<Recording> parse_any(std::string_view bytes, const std::filesystem::path& name,
                                 const ImportOptions& opt = {});

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
