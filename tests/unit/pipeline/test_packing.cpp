#include "swingpipe/error.hpp"
#include "swingpipe/pipeline/packing.hpp"
#include "test_support.hpp"

namespace swingpipe::pipeline {
namespace {

Recording make(int64_t id, int64_t frames, std::vector<std::string> channels,
               std::mt19937_64& rng) {
  Recording r;
  r.meta.id = id;
  r.meta.filename = "r" + std::to_string(id);
  r.meta.num_frames = frames;
  r.channels = std::move(channels);
  r.data = test::random_values(rng, r.channels.size() * static_cast<std::size_t>(frames));
  return r;
}

TEST(Packing, CsrWithoutPaddingAndChosenChannelOrder) {
  auto rng = test::fresh_rng();
  std::vector<Recording> recs{make(1, 5, {"a", "b", "c"}, rng), make(2, 0, {"c", "a"}, rng),
                              make(3, 1, {"b", "a", "c"}, rng)};
  const auto batch = pack<double>(recs, {"c", "a"});
  EXPECT_EQ(batch.channels, 2);
  EXPECT_EQ(batch.offsets, (std::vector<int64_t>{0, 5, 5, 6}));
  ASSERT_EQ(batch.values.size(), 12u);
  const auto v = batch.view();
  for (int64_t t = 0; t < 5; ++t) {
    EXPECT_EQ(v.series(0).at(0, t), recs[0].channel(2)[t]);  // c
    EXPECT_EQ(v.series(0).at(1, t), recs[0].channel(0)[t]);  // a
  }
  EXPECT_EQ(v.series(2).at(0, 0), recs[2].channel(2)[0]);
  EXPECT_EQ(v.series(2).at(1, 0), recs[2].channel(1)[0]);
  const auto f = pack<float>(recs, {"a"});
  EXPECT_EQ(f.values[0], static_cast<float>(recs[0].channel(0)[0]));
}

TEST(Packing, MissingChannelNamesRecordingAndChannel) {
  auto rng = test::fresh_rng();
  std::vector<Recording> recs{make(7, 3, {"a"}, rng)};
  try {
    pack<double>(recs, {"a", "zz"});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("recording 7"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("'zz'"), std::string::npos);
  }
  std::vector<Recording> mixed{make(1, 3, {"a"}, rng), make(2, 3, {"a", "b"}, rng)};
  EXPECT_THROW(pack<double>(mixed, {}), InputError);
  EXPECT_EQ(pack<double>({}, {}).size(), 0u);
}

}  // namespace
}  // namespace swingpipe::pipeline
