// `swingpipe library ...`: the recording library (init, import, list, show, search, stats,
// export, delete).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <sstream>

#include "command.hpp"
#include "output.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/host/recording_json.hpp"
#include "swingpipe/pipeline/progress.hpp"

namespace swingpipe::cli {
namespace {

std::vector<std::string> split_tags(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string t;
  while (std::getline(ss, t, ',')) {
    const auto b = t.find_first_not_of(' ');
    const auto e = t.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(t.substr(b, e - b + 1));
  }
  return out;
}

std::string num(double v, int digits = 3) {
  return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : "-";
}

void print_metas(const Globals& g, const std::vector<RecordingMeta>& metas) {
  if (g.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& m : metas) arr.push_back(nlohmann::json(io::meta_to_json(m)));
    print_json(arr);
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : metas) {
    std::string tags;
    for (const auto& t : m.tags) tags += (tags.empty() ? "" : ",") + t;
    rows.push_back({std::to_string(m.id), m.filename, m.golfer_name, m.club_type, m.swing_type,
                    std::to_string(m.rating), std::to_string(m.num_frames), m.label, tags});
  }
  print_table({"id", "filename", "golfer", "club", "swing", "rating", "frames", "label", "tags"},
              rows);
  std::cout << metas.size() << " recording(s)\n";
}

struct ImportFlags {
  std::vector<std::string> files;
  std::string golfer, club, swing_type, date, notes, tags, model;
  int rating = -1;
  double sample_rate = 0;
  bool keep_going = false;
  io::ValueOptions values;
};

void apply(const ImportFlags& f, Recording& rec) {
  if (!f.golfer.empty()) rec.meta.golfer_name = f.golfer;
  if (!f.club.empty()) rec.meta.club_type = f.club;
  if (!f.swing_type.empty()) rec.meta.swing_type = f.swing_type;
  if (!f.date.empty()) rec.meta.date_recorded = f.date;
  if (!f.notes.empty()) rec.meta.notes = f.notes;
  if (!f.model.empty()) rec.meta.model_name = f.model;
  if (!f.tags.empty()) rec.meta.tags = split_tags(f.tags);
  if (f.rating >= 0) rec.meta.rating = f.rating;
  if (f.sample_rate > 0 && rec.sample_rate == 0) rec.sample_rate = f.sample_rate;
  if (rec.sample_rate > 0 && rec.meta.num_frames > 0)
    rec.meta.duration = static_cast<double>(rec.meta.num_frames) / rec.sample_rate;
}

int64_t parse_id(const std::string& text) {
  try {
    std::size_t pos = 0;
    const long long v = std::stoll(text, &pos);
    if (pos == text.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  throw InputError("'" + text + "' is not a recording id (a positive integer)");
}

void add_library(CLI::App& app, Globals& g) {
  auto* lib = app.add_subcommand("library", "The recording library (SQLite): import, search, ...");
  lib->require_subcommand(1);

  lib->add_subcommand("init", "Create the library (or upgrade an existing one) and print it")
      ->callback([&g] {
        RecordingLibrary l(g.library);
        if (g.json) {
          print_json({{"library", g.library},
                      {"schema_version", RecordingLibrary::schema_version()},
                      {"recordings", l.count()}});
        } else {
          std::cout << "library " << g.library << ": schema v" << RecordingLibrary::schema_version()
                    << ", " << l.count() << " recording(s)\n";
        }
      });

  auto flags = std::make_shared<ImportFlags>();
  auto* imp = lib->add_subcommand(
      "import",
      "Import recordings from CSV, NPY, UCR .tsv or sktime .ts files. Each file is imported whole "
      "or not at all (one transaction per file).");
  imp->add_option("files", flags->files, "Files to import")->required()->check(CLI::ExistingFile);
  imp->add_option("--golfer", flags->golfer, "Golfer name for every imported recording");
  imp->add_option("--club", flags->club, "Club type (driver, 7-iron, ...)");
  imp->add_option("--swing-type", flags->swing_type, "Swing type (full, half, chip, ...)");
  imp->add_option("--date", flags->date, "Date recorded (YYYY-MM-DD)");
  imp->add_option("--rating", flags->rating, "Rating 1-5")->check(CLI::Range(0, 5));
  imp->add_option("--tags", flags->tags, "Comma-separated tags");
  imp->add_option("--notes", flags->notes, "Notes");
  imp->add_option("--model", flags->model, "Model name");
  imp->add_option("--sample-rate", flags->sample_rate,
                  "Sample rate in Hz for files without a time column")
      ->check(CLI::PositiveNumber);
  imp->add_flag("--keep-going", flags->keep_going,
                "Import the other files when one fails (exit status still non-zero)");
  imp->add_flag("--allow-inf", flags->values.allow_infinite,
                "Keep infinite values (inf, -inf) instead of refusing the file");
  imp->add_flag("--empty-as-nan", flags->values.empty_is_missing,
                "Read an empty CSV/.tsv field as a missing value (NaN) instead of an error");
  imp->callback([&g, flags] {
    RecordingLibrary l(g.library);
    pipeline::Progress progress(
        "import", static_cast<int64_t>(flags->files.size()),
        g.quiet ? pipeline::Progress::Mode::never : pipeline::Progress::Mode::automatic);
    nlohmann::json report = nlohmann::json::array();
    int failed = 0;
    for (const auto& file : flags->files) {
      try {
        auto recs = io::read_any(file, flags->values);
        for (auto& r : recs) apply(*flags, r);
        const auto ids = l.add_all(recs);
        report.push_back({{"file", file}, {"imported", ids.size()}, {"ids", ids}});
        if (!g.json)
          spdlog::info("{}: imported {} recording(s){}", file, ids.size(),
                       ids.empty() ? "" : fmt::format(" (ids {}..{})", ids.front(), ids.back()));
      } catch (const Error& e) {
        ++failed;
        report.push_back({{"file", file}, {"imported", 0}, {"error", e.what()}});
        if (!flags->keep_going) throw;
        spdlog::error("{}", e.what());
      }
      progress.advance();
    }
    progress.finish();
    if (g.json) print_json(report);
    if (failed)
      throw InputError(std::to_string(failed) + " of " + std::to_string(flags->files.size()) +
                       " file(s) failed to import; nothing of them was stored");
  });

  auto list_limit = std::make_shared<int64_t>(-1);
  auto* list = lib->add_subcommand("list", "List recordings");
  list->add_option("--limit", *list_limit, "At most this many");
  list->callback([&g, list_limit] {
    RecordingLibrary l(existing_library(g));
    SearchQuery q;
    q.limit = *list_limit;
    print_metas(g, l.search(q));
  });

  auto show_id = std::make_shared<std::string>();
  auto show_data = std::make_shared<bool>(false);
  auto* show = lib->add_subcommand("show", "Show one recording (metadata, channels; --data)");
  show->add_option("id", *show_id, "Recording id")->required();
  show->add_flag("--data", *show_data, "Include the series (JSON) or its first frames (text)");
  show->callback([&g, show_id, show_data] {
    RecordingLibrary l(existing_library(g));
    const Recording rec = l.get(parse_id(*show_id));
    if (g.json) {
      nlohmann::json j = io::meta_to_json(rec.meta);
      j["sample_rate"] = rec.sample_rate;
      j["channels"] = rec.channels;
      if (*show_data) {
        nlohmann::json data = nlohmann::json::object();
        for (int c = 0; c < rec.channel_count(); ++c) {
          nlohmann::json col = nlohmann::json::array();
          for (int64_t t = 0; t < rec.frames(); ++t) {
            col.push_back(nlohmann::json(io::value_to_json(rec.channel(c)[t])));
          }
          data[rec.channels[c]] = col;
        }
        j["data"] = data;
      }
      print_json(j);
      return;
    }
    const auto& m = rec.meta;
    std::cout << "id            " << m.id << "\nfilename      " << m.filename << "\ngolfer        "
              << m.golfer_name << "\ndate          " << m.date_recorded << "\nclub          "
              << m.club_type << "\nswing type    " << m.swing_type << "\nrating        " << m.rating
              << "\nlabel         " << m.label << "\nframes        " << m.num_frames
              << "\nsample rate   " << rec.sample_rate << " Hz\nduration      " << num(m.duration)
              << " s\npeak club spd " << num(m.peak_club_speed) << " m/s\nchecksum      "
              << m.checksum << "\nchannels      ";
    for (int c = 0; c < rec.channel_count(); ++c) std::cout << (c ? ", " : "") << rec.channels[c];
    std::cout << "\n";
    if (*show_data) {
      std::vector<std::vector<std::string>> rows;
      for (int64_t t = 0; t < std::min<int64_t>(rec.frames(), 10); ++t) {
        std::vector<std::string> row{std::to_string(t)};
        for (int c = 0; c < rec.channel_count(); ++c) row.push_back(num(rec.channel(c)[t], 6));
        rows.push_back(row);
      }
      std::vector<std::string> header{"frame"};
      header.insert(header.end(), rec.channels.begin(), rec.channels.end());
      print_table(header, rows);
      if (rec.frames() > 10) std::cout << "... " << rec.frames() - 10 << " more frames\n";
    }
  });

  auto q = std::make_shared<SearchQuery>();
  auto sq = std::make_shared<std::map<std::string, std::string>>();
  auto* search = lib->add_subcommand("search", "Search recordings (all filters combine)");
  search->add_option("--golfer", (*sq)["golfer"], "Golfer name contains (case-insensitive)");
  search->add_option("--club", (*sq)["club"], "Club type");
  search->add_option("--swing-type", (*sq)["swing"], "Swing type");
  search->add_option("--min-rating", (*sq)["rating"], "Minimum rating");
  search->add_option("--from", (*sq)["from"], "Recorded on or after (YYYY-MM-DD)");
  search->add_option("--to", (*sq)["to"], "Recorded on or before (YYYY-MM-DD)");
  search->add_option("--tag", q->tags, "Has this tag (repeat for several)");
  search->add_option("--label", (*sq)["label"], "Class label");
  search->add_option("--order-by", q->order_by,
                     "Column: id, filename, golfer_name, date_recorded, rating, ...");
  search->add_flag("--desc", q->descending, "Descending order");
  search->add_option("--limit", q->limit, "At most this many");
  search->add_option("--offset", q->offset, "Skip this many");
  search->callback([&g, q, sq] {
    auto get = [&](const char* k) -> std::optional<std::string> {
      auto it = sq->find(k);
      if (it == sq->end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
    q->golfer = get("golfer");
    q->club_type = get("club");
    q->swing_type = get("swing");
    q->date_from = get("from");
    q->date_to = get("to");
    q->label = get("label");
    if (auto r = get("rating")) {
      try {
        q->min_rating = std::stoi(*r);
      } catch (const std::exception&) {
        throw InputError("--min-rating: '" + *r + "' is not an integer");
      }
    }
    RecordingLibrary l(existing_library(g));
    print_metas(g, l.search(*q));
  });

  lib->add_subcommand("stats", "Library statistics (one query)")->callback([&g] {
    RecordingLibrary l(existing_library(g));
    const LibraryStats s = l.stats();
    auto counts = [](const auto& v) {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& [k, n] : v) j[k] = n;
      return j;
    };
    auto jnum = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
    if (g.json) {
      print_json({{"count", s.count},
                  {"avg_rating", jnum(s.avg_rating)},
                  {"min_peak_club_speed", jnum(s.min_peak_club_speed)},
                  {"max_peak_club_speed", jnum(s.max_peak_club_speed)},
                  {"avg_peak_club_speed", jnum(s.avg_peak_club_speed)},
                  {"total_frames", s.total_frames},
                  {"by_club_type", counts(s.by_club_type)},
                  {"by_swing_type", counts(s.by_swing_type)}});
      return;
    }
    std::cout << "recordings        " << s.count << "\ntotal frames      " << s.total_frames
              << "\naverage rating    " << num(s.avg_rating, 2) << "\npeak club speed   min "
              << num(s.min_peak_club_speed, 2) << "  avg " << num(s.avg_peak_club_speed, 2)
              << "  max " << num(s.max_peak_club_speed, 2) << " m/s\n";
    std::cout << "by club type:\n";
    for (const auto& [k, n] : s.by_club_type)
      std::cout << "  " << (k.empty() ? "(none)" : k) << ": " << n << "\n";
    std::cout << "by swing type:\n";
    for (const auto& [k, n] : s.by_swing_type)
      std::cout << "  " << (k.empty() ? "(none)" : k) << ": " << n << "\n";
  });

  auto ex_id = std::make_shared<std::string>();
  auto ex_path = std::make_shared<std::string>();
  auto* ex =
      lib->add_subcommand("export", "Export one recording to CSV, NPY or JSON (by extension)");
  ex->add_option("id", *ex_id, "Recording id")->required();
  ex->add_option("path", *ex_path, "Output file (.csv, .npy, .json)")->required();
  ex->callback([&g, ex_id, ex_path] {
    RecordingLibrary l(existing_library(g));
    const Recording rec = l.get(parse_id(*ex_id));
    io::write(*ex_path, rec);
    if (g.json)
      print_json({{"id", rec.meta.id}, {"path", *ex_path}});
    else
      spdlog::info("recording {} written to {}", rec.meta.id, *ex_path);
  });

  auto del_ids = std::make_shared<std::vector<std::string>>();
  auto* del = lib->add_subcommand("delete", "Delete recordings (and their results)");
  del->add_option("ids", *del_ids, "Recording ids")->required();
  del->callback([&g, del_ids] {
    RecordingLibrary l(existing_library(g));
    std::vector<int64_t> ids;
    for (const auto& s : *del_ids) ids.push_back(parse_id(s));
    for (int64_t id : ids) l.get_meta(id);  // all exist, or nothing is deleted
    for (int64_t id : ids) l.remove(id);
    if (g.json)
      print_json({{"deleted", ids}});
    else
      spdlog::info("deleted {} recording(s)", ids.size());
  });
}

}  // namespace
SWINGPIPE_COMMAND("library", add_library);
}  // namespace swingpipe::cli
