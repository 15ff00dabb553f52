// `swingpipe classify TRAIN TEST`: 1-nearest-neighbour DTW classification of labelled series (UCR
// .tsv / sktime .ts), printing the test error rate. Ties go to the first training series, the UCR
// archive's convention, so the published error rates are reproduced exactly.
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "dtw_flags.hpp"
#include "output.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::cli {
namespace {

struct ClassifyFlags {
  std::string train, test;
  bool euclidean = false;
  DtwFlags dtw;
};

struct Labelled {
  Batch<double> batch{1};
  std::vector<std::string> labels;
};

Labelled load(const std::string& path) {
  const std::vector<Recording> recs = io::read_any(path);
  if (recs.empty()) throw InputError("classify: '" + path + "' holds no series");
  Labelled out;
  out.batch = Batch<double>(recs.front().channel_count());
  for (const Recording& r : recs) {
    if (r.channel_count() != out.batch.channels)
      throw InputError(fmt::format("classify: '{}': series '{}' has {} channels, the first has {}",
                                   path, r.meta.filename, r.channel_count(), out.batch.channels));
    if (r.meta.label.empty())
      throw InputError(
          fmt::format("classify: '{}': series '{}' has no class label", path, r.meta.filename));
    out.batch.push_back(r.data, r.frames());
    out.labels.push_back(r.meta.label);
  }
  return out;
}

void add_classify(CLI::App& app, Globals& g) {
  auto f = std::make_shared<ClassifyFlags>();
  auto* cmd = app.add_subcommand(
      "classify",
      "1-NN DTW classification of labelled series (UCR .tsv, sktime .ts): prints the test error "
      "rate (ties to the first training series)");
  cmd->add_option("train", f->train, "Training series with labels")->required();
  cmd->add_option("test", f->test, "Test series with labels")->required();
  f->dtw.add_to(cmd, "Radius as a fraction of the longer length (UCR window w%/100)");
  cmd->add_flag("--euclidean", f->euclidean, "Euclidean distance (band 0)");
  cmd->callback([f, &g] {
    if (f->euclidean && f->dtw.band_given())
      throw InputError("classify: give one of --band, --band-fraction, --euclidean");
    dtw::Options opt = f->dtw.options("classify");
    std::string window = f->dtw.describe_band();
    if (f->euclidean) {
      opt.band = dtw::Band::samples(0);
      window = "euclidean";
    }
    opt.squared = true;
    const Labelled train = load(f->train), test = load(f->test);
    if (train.batch.channels != test.batch.channels)
      throw InputError(fmt::format("classify: TRAIN '{}' has {} channel(s), TEST '{}' has {}",
                                   f->train, train.batch.channels, f->test, test.batch.channels));
    dtw::KnnStats st;
    const auto t0 = std::chrono::steady_clock::now();
    const auto nn = dtw::knn<double>(test.batch.view(), train.batch.view(), 1, opt, &st);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    int64_t wrong = 0;
    for (std::size_t i = 0; i < nn.size(); ++i)
      wrong += train.labels[static_cast<std::size_t>(nn[i][0].index)] != test.labels[i];
    const double rate = static_cast<double>(wrong) / static_cast<double>(nn.size());
    if (g.json) {
      print_json({{"train", f->train},
                  {"test", f->test},
                  {"train_size", train.labels.size()},
                  {"test_size", test.labels.size()},
                  {"window", window},
                  {"errors", wrong},
                  {"error_rate", rate},
                  {"backend", to_string(opt.backend)},
                  {"seconds", secs},
                  {"stats", knn_stats_json(st)}});
      return;
    }
    std::cout << fmt::format(
        "1-NN error rate {:.4f} ({} of {} test series wrong), window {}, {} "
        "train, {:.3f} s on {}\n",
        rate, wrong, nn.size(), window, train.labels.size(), secs, to_string(opt.backend));
  });
}

}  // namespace
SWINGPIPE_COMMAND("classify", add_classify);
}  // namespace swingpipe::cli
