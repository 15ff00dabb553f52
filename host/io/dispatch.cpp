// read_any / write: pick the reader or writer from the file's extension.
#include "swingpipe/error.hpp"
#include "swingpipe/host/c3d.hpp"
#include "swingpipe/host/io.hpp"

namespace swingpipe::io {

std::vector<Recording> read_any(const std::filesystem::path& path, const ImportOptions& opt) {
  const Format f = format_from_path(path);
  if (!opt.markers.empty() && f != Format::c3d && f != Format::trc)
    throw InputError(path.string() + ": --markers applies to .c3d and .trc files only");
  switch (f) {
    case Format::csv: {
      CsvOptions o;
      o.header = opt.csv_header;
      o.time_column = opt.time_column;
      o.sample_rate = opt.sample_rate;
      return {read_csv(path, o)};
    }
    case Format::npy:
      return {read_npy(path, opt.sample_rate)};
    case Format::json:
      return {read_json(path)};
    case Format::ucr_tsv:
    case Format::sktime_ts:
      return read_labelled(path);
    case Format::c3d: {
      c3d::Options o;
      o.analogs = opt.analogs ? c3d::Analogs::separate : c3d::Analogs::off;
      o.markers = opt.markers;
      return c3d::read(path, o);
    }
    case Format::mot:
    case Format::sto:
    case Format::trc: {
      TableOptions o;
      o.time_column = opt.time_column;
      o.sample_rate = opt.sample_rate;
      o.markers = opt.markers;
      return {f == Format::trc ? read_trc(path, o) : read_opensim_storage(path, o)};
    }
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
    case Format::c3d:
    case Format::mot:
    case Format::sto:
    case Format::trc:
      break;
  }
  throw InputError(path.string() + ": writing " + path.extension().string() +
                   " is not supported (expected .csv, .npy or .json)");
}

}  // namespace swingpipe::io
