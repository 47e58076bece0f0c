#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/data/transforms/random_horizontal_flip.hpp"
#include "support/augment_images.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("RandomHorizontalFlip flips with probability p", "[augment]") {
  auto img = distdiff::test::augment_pattern(3, 4, 6);
  auto flipped = img.flip({2});
  distdiff::Rng rng(123);
  int n_flip = 0;
  const int n = 2000;
  for (int k = 0; k < n; ++k) {
    auto out = RandomHorizontalFlip{}.apply(img, rng);
    if (torch::equal(out, flipped)) ++n_flip;
    else REQUIRE(torch::equal(out, img));
  }
  // Binomial(2000, 0.5): sd ~ 22; 5 sd.
  CHECK(std::abs(n_flip - n / 2) < 112);
  CHECK(torch::equal(RandomHorizontalFlip{.p = 1.0}.apply(img, rng), flipped));
  CHECK(torch::equal(RandomHorizontalFlip{.p = 0.0}.apply(img, rng), img));
  CHECK(RandomHorizontalFlip{}.name() == "random-hflip(p=0.5)");
  CHECK_THROWS_AS((RandomHorizontalFlip{.p = 1.5}.apply(img, rng)), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
