#include "swingpipe/error.hpp"
#include "swingpipe/kernels/backend.hpp"
#include "test_support.hpp"

namespace swingpipe {

TEST(Backend, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(parse_backend("cpu"), Backend::cpu);
  EXPECT_EQ(parse_backend("cuda"), Backend::cuda);
  EXPECT_EQ(parse_backend("auto"), Backend::automatic);
  EXPECT_THROW(parse_backend("gpu"), InputError);
  EXPECT_THROW(parse_backend(""), InputError);
  EXPECT_EQ(to_string(Backend::automatic), "auto");
}

TEST(Backend, AutoFallsBackToCpuWithoutDevice) {
  const DeviceInfo info = cuda_device_info();
  if (info.available()) {
    EXPECT_EQ(resolve_backend(Backend::automatic), Backend::cuda);
  } else {
    EXPECT_FALSE(info.reason.empty());
    EXPECT_EQ(resolve_backend(Backend::automatic), Backend::cpu);
    EXPECT_THROW(resolve_backend(Backend::cuda), BackendError);
  }
  EXPECT_EQ(resolve_backend(Backend::cpu), Backend::cpu);
}

}  // namespace swingpipe
