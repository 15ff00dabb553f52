// `swingpipe library ...`: the recording library (init, import, list, show, search, stats,
// export, delete).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "command.hpp"
#include "output.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/importer.hpp"
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
  bool recursive = false;
  bool header = false, no_header = false;
  std::string analogs = "separate";
  std::string markers;
  std::string time_column = "time";
  int threads = 0;
};

void apply(const ImportFlags& f, Recording& rec) {
  if (!f.golfer.empty()) rec.meta.golfer_name = f.golfer;
  if (!f.club.empty()) rec.meta.club_type = f.club;
  if (!f.swing_type.empty()) rec.meta.swing_type = f.swing_type;
  if (!f.date.empty()) rec.meta.date_recorded = f.date;
  if (!f.notes.empty()) rec.meta.notes = f.notes;
  if (!f.model.empty()) rec.meta.model_name = f.model;
  for (const auto& t : split_tags(f.tags))  // added to the file's own tags (C3D link tags)
    if (std::find(rec.meta.tags.begin(), rec.meta.tags.end(), t) == rec.meta.tags.end())
      rec.meta.tags.push_back(t);
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
      "Import recordings from files or folders: CSV, NPY, JSON, UCR .tsv, sktime .ts, C3D, "
      "OpenSim .mot/.sto and .trc. Files are read in parallel and each is stored whole or not at "
      "all (one transaction per file), in the order given.");
  imp->add_option("paths", flags->files,
                  "Files, or folders whose importable files are imported (see --recursive)")
      ->required()
      ->check(CLI::ExistingPath);
  imp->add_flag("-r,--recursive", flags->recursive, "Also import the files in sub-folders");
  imp->add_option("--golfer", flags->golfer, "Golfer name for every imported recording");
  imp->add_option("--club", flags->club, "Club type (driver, 7-iron, ...)");
  imp->add_option("--swing-type", flags->swing_type, "Swing type (full, half, chip, ...)");
  imp->add_option("--date", flags->date, "Date recorded (YYYY-MM-DD)");
  imp->add_option("--rating", flags->rating, "Rating 1-5")->check(CLI::Range(0, 5));
  imp->add_option("--tags", flags->tags, "Comma-separated tags (added to the file's own)");
  imp->add_option("--notes", flags->notes, "Notes");
  imp->add_option("--model", flags->model, "Model name");
  imp->add_option("--sample-rate", flags->sample_rate,
                  "Sample rate in Hz for files without a time column")
      ->check(CLI::PositiveNumber);
  imp->add_option("--time-column", flags->time_column,
                  "CSV, .mot/.sto, .trc: the column whose uniform times give the sample rate; "
                  "'none' imports it as a channel (rate from --sample-rate or the file's DataRate)")
      ->capture_default_str();
  auto* with_header = imp->add_flag("--header", flags->header,
                                    "CSV: the first line is a header of channel names, always");
  imp->add_flag("--no-header", flags->no_header,
                "CSV: no header, every line is data (channels ch0, ch1, ...). Without either, a "
                "first line of numbers is data")
      ->excludes(with_header);
  imp->add_option("--analogs", flags->analogs,
                  "C3D analog channels: 'separate' (a second recording at the analog rate, "
                  "linked by the tag c3d:<file>) or 'off'")
      ->check(CLI::IsMember({"off", "separate"}))
      ->capture_default_str();
  imp->add_option("--markers", flags->markers,
                  "C3D, TRC: keep only these markers (comma-separated labels)");
  imp->add_option("--threads", flags->threads, "Reading threads (0 = one per core)")
      ->check(CLI::NonNegativeNumber);
  imp->add_flag("--keep-going", flags->keep_going,
                "Import the other files when one fails (exit status still non-zero)");
  imp->add_flag("--allow-inf", flags->values.allow_infinite,
                "Keep infinite values (inf, -inf) instead of refusing the file");
  imp->add_flag("--empty-as-nan", flags->values.empty_is_missing,
                "Read an empty CSV/.tsv field as a missing value (NaN) instead of an error");
  imp->callback([&g, flags] {
    std::vector<std::filesystem::path> inputs(flags->files.begin(), flags->files.end());
    const auto jobs = io::collect_import_jobs(inputs, flags->recursive);
    RecordingLibrary l(g.library);
    io::BatchImportOptions opt;
    opt.read.csv_header = flags->header      ? io::CsvHeader::present
                          : flags->no_header ? io::CsvHeader::absent
                                             : io::CsvHeader::automatic;
    opt.read.time_column = flags->time_column == "none" ? "" : flags->time_column;
    opt.read.sample_rate = flags->sample_rate;
    opt.read.analogs = flags->analogs == "separate";
    opt.read.markers = split_tags(flags->markers);
    opt.read.values = flags->values;
    opt.threads = flags->threads;
    opt.keep_going = flags->keep_going;
    opt.adjust = [flags](Recording& r) { apply(*flags, r); };
    pipeline::Progress progress(
        "import", static_cast<int64_t>(jobs.size()),
        g.quiet ? pipeline::Progress::Mode::never : pipeline::Progress::Mode::automatic);
    nlohmann::json report = nlohmann::json::array();
    int failed = 0;
    opt.on_file = [&](const io::ImportResult& r) {
      if (r.error) {
        ++failed;
        report.push_back({{"file", r.path.string()}, {"imported", 0}, {"error", r.message}});
        if (flags->keep_going) spdlog::error("{}", r.message);
      } else {
        report.push_back({{"file", r.path.string()}, {"imported", r.ids.size()}, {"ids", r.ids}});
        if (!g.json && !g.quiet)
          spdlog::info(
              "{}: imported {} recording(s){}", r.path.string(), r.ids.size(),
              r.ids.empty() ? "" : fmt::format(" (ids {}..{})", r.ids.front(), r.ids.back()));
      }
      progress.advance();
    };
    io::import_files(l, jobs, opt);
    progress.finish();
    if (g.json) print_json(report);
    if (failed)
      throw InputError(std::to_string(failed) + " of " + std::to_string(jobs.size()) +
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
      print_json(io::recording_to_json(rec, *show_data));
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
    const bool one_unit =
        !rec.units.empty() && std::all_of(rec.units.begin(), rec.units.end(),
                                          [&](const std::string& u) { return u == rec.units[0]; });
    for (int c = 0; c < rec.channel_count(); ++c) {
      std::cout << (c ? ", " : "") << rec.channels[c];
      if (!one_unit && !rec.units.empty() && !rec.units[c].empty())
        std::cout << " [" << rec.units[c] << "]";
    }
    std::cout << "\n";
    if (one_unit && !rec.units[0].empty()) std::cout << "units         " << rec.units[0] << "\n";
    bool first_attribute = true;
    for (const auto& [k, v] : m.attributes) {
      std::cout << (first_attribute ? "attributes    " : "              ") << k << ": " << v
                << "\n";
      first_attribute = false;
    }
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
    if (g.json) {
      print_json(io::stats_to_json(s));
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
