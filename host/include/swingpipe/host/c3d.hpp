#pragma once
// C3D motion-capture files (the c3d.org specification), read without any third-party library.
//
// A C3D file is 512-byte blocks: a header block, a parameter section (groups and parameters of
// every type: char, byte, int16, float, with up to 7 dimensions) and a data section of frames,
// each frame holding every 3-D point (x, y, z, residual word) and then the analog samples of that
// frame (samples x channels). Numbers are 16-bit integers (scaled by POINT:SCALE) or 32-bit
// floats (POINT:SCALE < 0), in the byte order and float format of the processor that wrote them:
// Intel (little-endian IEEE), DEC (little-endian words, VAX F floats) or MIPS (big-endian IEEE).
//
// What this reader guarantees:
// - parameters are the master record (c3d.org): POINT:USED, POINT:DATA_START, POINT:SCALE,
//   POINT:RATE, ANALOG:USED, ANALOG:RATE win over the header words, which are the fallback;
// - the frame count is POINT:FRAMES (unsigned 16-bit or float); at 65535 it is extended by
//   POINT:LONG_FRAMES or TRIAL:ACTUAL_START_FIELD/ACTUAL_END_FIELD; without POINT:FRAMES, the
//   header's first/last frame words;
// - labels, scales, offsets and units continue in LABELS2, LABELS3, ... (SCALE2, OFFSET2, ...);
// - a marker whose residual word is negative (sign bit set) is missing: x, y and z are NaN;
// - analog values are (raw - ANALOG:OFFSET) * ANALOG:SCALE * ANALOG:GEN_SCALE, with raw and
//   OFFSET unsigned when ANALOG:FORMAT is "UNSIGNED" (integer storage);
// - anything that cannot be read (wrong key byte, unknown processor, a parameter record or the
//   data section past the end of the file, a label count that differs from the point or channel
//   count, missing scale factors) is an InputError naming the file and the byte offset.
// The data section is streamed in chunks: memory is the decoded recordings plus a fixed buffer.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "swingpipe/host/io.hpp"
#include "swingpipe/host/recording.hpp"

namespace swingpipe::io::c3d {

enum class Processor { intel, dec, mips };
std::string_view processor_name(Processor p);  ///< "Intel", "DEC", "MIPS"

/// One parameter record, values in file order (the first dimension varies fastest).
struct Parameter {
  std::string group;  ///< the group's name, as stored
  std::string name;
  std::string description;
  int type = 0;           ///< -1 char, 1 byte, 2 int16, 4 float
  std::vector<int> dims;  ///< empty for a scalar
  bool locked = false;
  std::size_t offset = 0;         ///< byte offset of the record in the file
  std::vector<double> numbers;    ///< byte (signed), int16 (signed) or float values
  std::vector<std::string> text;  ///< char data: one string per column of dims[0] characters,
                                  ///< trailing blanks and NULs removed

  /// The element count (product of dims; 1 for a scalar).
  std::size_t count() const;
  /// Integer value `i` read as unsigned 16-bit (counts above 32767), or the float rounded.
  int64_t as_count(std::size_t i = 0) const;
};

struct Group {
  int id = 0;  ///< 1..127
  std::string name;
  std::string description;
  bool locked = false;
};

/// The header block's words, as stored (frame numbers 1-based).
struct Header {
  int parameter_block = 0;   ///< word 1, first byte
  int points = 0;            ///< word 2
  int analog_values = 0;     ///< word 3: analog values per 3-D frame (channels x samples)
  int first_frame = 0;       ///< word 4
  int last_frame = 0;        ///< word 5
  int max_gap = 0;           ///< word 6
  double scale = 0;          ///< words 7-8
  int data_start = 0;        ///< word 9: first block of the data section
  int analog_per_frame = 0;  ///< word 10: analog samples per 3-D frame
  double frame_rate = 0;     ///< words 11-12
};

/// Header, parameters and the data layout they describe (no samples).
struct Info {
  std::filesystem::path path;
  uint64_t file_size = 0;
  Processor processor = Processor::intel;
  Header header;
  std::vector<Group> groups;
  std::vector<Parameter> parameters;

  // The layout, from the parameters (header words as fallback).
  int64_t frames = 0;       ///< 3-D frames in the data section
  int64_t first_frame = 1;  ///< number of the first frame (1-based)
  int points = 0;
  int analog_channels = 0;
  int analog_per_frame = 0;  ///< analog samples per 3-D frame
  bool float_storage = false;
  double point_scale = 0;  ///< POINT:SCALE (negative for float storage)
  double point_rate = 0;   ///< Hz
  double analog_rate = 0;  ///< Hz (point_rate * analog_per_frame)
  uint64_t data_offset = 0;
  uint64_t frame_bytes = 0;
  std::vector<std::string> point_labels;   ///< one per point
  std::string point_units;                 ///< POINT:UNITS ("" when absent)
  std::vector<std::string> analog_labels;  ///< one per channel
  std::vector<std::string> analog_units;   ///< one per channel ("" when absent)
  std::vector<double> analog_scale;        ///< ANALOG:SCALE per channel
  std::vector<double> analog_offset;       ///< ANALOG:OFFSET per channel
  double analog_gen_scale = 1;             ///< ANALOG:GEN_SCALE
  bool analog_unsigned = false;            ///< ANALOG:FORMAT "UNSIGNED" (integer storage)

  /// The parameter GROUP:NAME (case-insensitive), or nullptr.
  const Parameter* find(std::string_view group, std::string_view name) const;
};

/// Reads the header and the parameter section and checks the layout against the file size.
Info read_info(const std::filesystem::path& path);

enum class Analogs { off, separate };

struct Options {
  Analogs analogs = Analogs::separate;
  std::vector<std::string> markers;  ///< keep only these point labels (empty = all)
  ValueOptions values;               ///< NaN stays missing; +-inf is an error unless allowed
};

/// One recording of the points, channels "<label>_x", "_y", "_z" at the point rate (filename =
/// the file's name), and, with Analogs::separate and analog channels present, a second recording
/// of the analog channels at the analog rate (filename "<name>#analogs"). Both carry the tag
/// "c3d:<file name>", units per channel, and attributes from the file (subjects, manufacturer,
/// first frame, date). A file without points gives only the analog recording; a file without
/// frames is an InputError.
std::vector<Recording> read(const std::filesystem::path& path, const Options& opt = {});

}  // namespace swingpipe::io::c3d
