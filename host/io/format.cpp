#include <string>

#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "text.hpp"

namespace swingpipe::io {

Format format_from_path(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (detail::iequals(ext, ".csv")) return Format::csv;
  if (detail::iequals(ext, ".npy")) return Format::npy;
  if (detail::iequals(ext, ".tsv")) return Format::ucr_tsv;
  if (detail::iequals(ext, ".ts")) return Format::sktime_ts;
  if (detail::iequals(ext, ".json")) return Format::json;
  if (detail::iequals(ext, ".c3d")) return Format::c3d;
  if (detail::iequals(ext, ".mot")) return Format::mot;
  if (detail::iequals(ext, ".sto")) return Format::sto;
  if (detail::iequals(ext, ".trc")) return Format::trc;
  const std::string got =
      ext.empty() ? "no extension" : "unknown extension " + detail::quote_token(ext);
  throw InputError(path.string() + ": " + got +
                   " (expected .csv, .npy, .tsv, .ts, .json, .c3d, .mot, .sto or .trc)");
}

bool is_importable(const std::filesystem::path& path) {
  try {
    format_from_path(path);
    return true;
  } catch (const InputError&) {
    return false;
  }
}

}  // namespace swingpipe::io
