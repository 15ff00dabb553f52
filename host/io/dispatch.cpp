// read_any / parse_any / write: pick the reader or writer from the file's extension.
#include "swingpipe/error.hpp"
#include "swingpipe/host/c3d.hpp"
#include "swingpipe/host/io.hpp"
#include "text.hpp"

namespace swingpipe::io {

namespace {

CsvOptions csv_options(const ImportOptions& opt) {
  CsvOptions o;
  o.header = opt.csv_header;
  o.time_column = opt.time_column;
  o.sample_rate = opt.sample_rate;
  o.values = opt.values;
  return o;
}

void check_markers(const std::filesystem::path& path, Format f, const ImportOptions& opt) {
  if (!opt.markers.empty() && f != Format::c3d && f != Format::trc)
    throw InputError(path.string() + ": --markers applies to .c3d and .trc files only");
}

}  // namespace

std::vector<Recording> parse_any(std::string_view bytes, const std::filesystem::path& name,
                                 const ImportOptions& opt) {
  const Format f = format_from_path(name);
  check_markers(name, f, opt);
  switch (f) {
    case Format::csv:
      return {parse_csv(bytes, name, csv_options(opt))};
    case Format::npy:
      return {parse_npy(bytes, name, opt.sample_rate, opt.values)};
    case Format::json:
      return {parse_json_recording(bytes, name, opt.values)};
    case Format::ucr_tsv:
    case Format::sktime_ts:
      return parse_labelled(bytes, name, opt.values);
    case Format::c3d:
    case Format::mot:
    case Format::sto:
    case Format::trc:
      throw InputError(name.string() + ": " + detail::quote_token(name.extension().string()) +
                       " files are read from disk only (not from memory)");
  }
  throw InputError(name.string() + ": unsupported format");
}

std::vector<Recording> read_any(const std::filesystem::path& path, const ImportOptions& opt) {
  const Format f = format_from_path(path);  // an unknown extension fails before the file is read
  check_markers(path, f, opt);
  switch (f) {
    case Format::c3d: {
      c3d::Options o;
      o.analogs = opt.analogs ? c3d::Analogs::separate : c3d::Analogs::off;
      o.markers = opt.markers;
      o.values = opt.values;
      return c3d::read(path, o);
    }
    case Format::mot:
    case Format::sto:
    case Format::trc: {
      TableOptions o;
      o.time_column = opt.time_column;
      o.sample_rate = opt.sample_rate;
      o.markers = opt.markers;
      o.values = opt.values;
      return {f == Format::trc ? read_trc(path, o) : read_opensim_storage(path, o)};
    }
    default:
      return parse_any(detail::read_whole_file(path), path, opt);
  }
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
