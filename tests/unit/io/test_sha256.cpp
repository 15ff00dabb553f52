#include <string>

#include "swingpipe/host/io.hpp"
#include "test_support.hpp"

namespace swingpipe {

TEST(Sha256, MatchesFipsVectors) {
  EXPECT_EQ(io::sha256_hex("", 0),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string abc = "abc";
  EXPECT_EQ(io::sha256_hex(abc.data(), abc.size()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace swingpipe
