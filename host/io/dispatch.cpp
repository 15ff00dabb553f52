// read_any / parse_any / write: pick the reader or writer from the file's extension.
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "text.hpp"

namespace swingpipe::io {

std::vector<Recording> parse_any(std::string_view bytes, const std::filesystem::path& name,
                                 const ValueOptions& values) {
  switch (format_from_path(name)) {
    case Format::csv: {
      CsvOptions opt;
      opt.values = values;
      return {parse_csv(bytes, name, opt)};
    }
    case Format::npy:
      return {parse_npy(bytes, name, 0, values)};
    case Format::json:
      return {parse_json_recording(bytes, name, values)};
    case Format::ucr_tsv:
    case Format::sktime_ts:
      return parse_labelled(bytes, name, values);
  }
  throw InputError(name.string() + ": unsupported format");
}

std::vector<Recording> read_any(const std::filesystem::path& path, const ValueOptions& values) {
  format_from_path(path);  // an unknown extension fails before the file is read
  return parse_any(detail::read_whole_file(path), path, values);
}

void write(const std::filesystem::path& path, const Recording& rec) {
  switch (format_from_path(path)) {
    case Format::csv:
      return write_csv(path, rec);
    case Format::npy:
      return write_npy(path, rec);
    case Format::json:
      return write_json(path, rec);
    case Format::ucr_tsv:
    case Format::sktime_ts:
      break;
  }
  throw InputError(path.string() + ": writing " + path.extension().string() +
                   " is not supported (expected .csv, .npy or .json)");
}

}  // namespace swingpipe::io
