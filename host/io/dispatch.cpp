// read_any / write: pick the reader or writer from the file's extension.
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"

namespace swingpipe::io {

std::vector<Recording> read_any(const std::filesystem::path& path) {
  switch (format_from_path(path)) {
    case Format::csv:
      return {read_csv(path)};
    case Format::npy:
      return {read_npy(path)};
    case Format::json:
      return {read_json(path)};
    case Format::ucr_tsv:
    case Format::sktime_ts:
      return read_labelled(path);
  }
  throw InputError(path.string() + ": unsupported format");
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
