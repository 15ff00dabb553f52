// GET /health, GET /openapi.json and the recording library: search, upload, one recording, stats.
#include <stdlib.h>

#include <fstream>

#include "request_body.hpp"
#include "server_impl.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/recording_json.hpp"

namespace swingpipe::server {
namespace {

/// A private temporary folder for one upload, removed with its contents.
class UploadDir {
 public:
  UploadDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "swingpipe-upload-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw StorageError("cannot create a temporary folder for an upload");
    path_ = tmpl;
  }
  ~UploadDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  UploadDir(const UploadDir&) = delete;
  UploadDir& operator=(const UploadDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

void Server::Impl::health(Call& c) {
  const auto counts = registry.counts();
  const double uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  reply(c.res, 200,
        nlohmann::ordered_json{{"status", "ok"},
                               {"version", SWINGPIPE_VERSION},
                               {"uptime_seconds", uptime},
                               {"tasks",
                                {{"in_memory", counts.in_memory},
                                 {"queued", counts.queued},
                                 {"running", counts.running},
                                 {"finished", counts.finished}}}});
}

void Server::Impl::openapi(Call& c) {
  c.res.status = 200;
  c.res.set_content(Server::openapi_document(), "application/json");
}

void Server::Impl::list_recordings(Call& c) {
  SearchQuery q;
  q.golfer = c.query("golfer");
  q.club_type = c.query("club_type");
  q.swing_type = c.query("swing_type");
  q.date_from = c.query("date_from");
  q.date_to = c.query("date_to");
  q.label = c.query("label");
  if (auto v = c.query("min_rating"))
    q.min_rating = static_cast<int>(parse_integer("min_rating", *v, 0, 5));
  for (auto [it, end] = c.req.params.equal_range("tag"); it != end; ++it)
    q.tags.push_back(it->second);
  if (auto v = c.query("order_by")) q.order_by = *v;
  if (auto v = c.query("descending")) q.descending = parse_flag("descending", *v);
  q.limit = std::min<int64_t>(100, config.page_max);
  if (auto v = c.query("limit")) q.limit = parse_integer("limit", *v, 1, config.page_max);
  if (auto v = c.query("offset"))
    q.offset = parse_integer("offset", *v, 0, std::numeric_limits<int64_t>::max() / 2);
  std::vector<RecordingMeta> metas;
  try {
    metas = library.search(q);
  } catch (const InputError& e) {  // order_by not a column
    throw ApiError(400, "invalid_parameter", e.what());
  }
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& m : metas) list.push_back(io::meta_to_json(m));
  const bool more = static_cast<int64_t>(metas.size()) == q.limit;
  reply(c.res, 200,
        nlohmann::ordered_json{{"recordings", std::move(list)},
                               {"limit", q.limit},
                               {"offset", q.offset},
                               {"next_offset", more ? nlohmann::ordered_json(q.offset + q.limit)
                                                    : nlohmann::ordered_json(nullptr)}});
}

void Server::Impl::upload_recording(Call& c) {
  const auto filename = c.query("filename");
  if (!filename)
    throw ApiError(400, "missing_parameter",
                   "'filename' is required: the recording's name in the library, with the "
                   "file's extension (.csv, .npy, .tsv, .ts, .json, .c3d, .mot, .sto or .trc)");
  check_upload_filename(*filename);
  if (!c.body || c.body->empty())
    throw ApiError(400, "invalid_upload", "the body is empty: send the file's bytes");

  // Metadata first: a bad parameter is reported before the file is even read.
  std::optional<int> rating;
  if (auto v = c.query("rating")) rating = static_cast<int>(parse_integer("rating", *v, 0, 5));
  std::optional<double> sample_rate;
  if (auto v = c.query("sample_rate")) {
    sample_rate = parse_number("sample_rate", *v);
    if (*sample_rate <= 0 || *sample_rate > 1e6)
      throw ApiError(400, "invalid_parameter", "'sample_rate' must be > 0 and <= 1e6 Hz");
  }

  UploadDir dir;
  std::vector<Recording> recs = read_upload(*c.body, *filename, dir.path());
  for (auto& r : recs) {
    auto& m = r.meta;
    if (auto v = c.query("golfer")) m.golfer_name = *v;
    if (auto v = c.query("club_type")) m.club_type = *v;
    if (auto v = c.query("swing_type")) m.swing_type = *v;
    if (auto v = c.query("date")) m.date_recorded = *v;
    if (auto v = c.query("notes")) m.notes = *v;
    if (auto v = c.query("model")) m.model_name = *v;
    if (auto v = c.query("tags")) m.tags = split_commas(*v);
    if (rating) m.rating = *rating;
    if (sample_rate && r.sample_rate == 0) r.sample_rate = *sample_rate;
    if (r.sample_rate > 0 && m.num_frames > 0)
      m.duration = static_cast<double>(m.num_frames) / r.sample_rate;
  }
  for (const auto& r : recs)
    if (auto id = library.find_by_filename(r.meta.filename))
      throw ApiError(409, "duplicate_recording",
                     "the library already has a recording named '" + r.meta.filename + "' (id " +
                         std::to_string(*id) + ")");
  std::vector<int64_t> ids;
  try {
    ids = library.add_all(recs);  // one transaction: every recording of the file or none
  } catch (const InputError& e) {
    throw ApiError(400, "invalid_upload",
                   replace_all(e.what(), library.path().string() + ": ", std::string()));
  }
  nlohmann::ordered_json names = nlohmann::ordered_json::array();
  for (const auto& r : recs) names.push_back(r.meta.filename);
  if (ids.size() == 1) c.res.set_header("Location", "/v1/recordings/" + std::to_string(ids[0]));
  reply(c.res, 201,
        nlohmann::ordered_json{{"imported", ids.size()}, {"ids", ids}, {"filenames", names}});
}

void Server::Impl::get_recording(Call& c) {
  const int64_t id =
      parse_integer("id", c.path_param("id"), 1, std::numeric_limits<int64_t>::max() / 10);
  bool data = false;
  if (auto v = c.query("data")) data = parse_flag("data", *v);
  Recording rec;
  try {
    rec = library.get(id);
  } catch (const NotFoundError&) {
    throw ApiError(404, "recording_not_found", "no recording " + std::to_string(id));
  }
  reply(c.res, 200, io::recording_to_json(rec, data));
}

void Server::Impl::library_stats(Call& c) {
  LibraryStats stats = library.stats();  // cached by the library until something is committed
  std::string body;
  {
    std::lock_guard lock(stats_mutex);
    if (last_stats_body.empty() || !(stats == last_stats)) {
      last_stats_body = io::stats_to_json(stats).dump(
          -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      last_stats = std::move(stats);
    }
    body = last_stats_body;
  }
  c.res.status = 200;
  c.res.set_content(std::move(body), "application/json");
}

}  // namespace swingpipe::server
