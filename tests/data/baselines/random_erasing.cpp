#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/data/baselines/random_erasing.hpp"
#include "support/augment_images.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("RandomErasing erases exactly its sampled box within the bounds", "[augment][baseline]") {
  const RandomErasing e{.p = 1.0};
  auto ones = torch::ones({3, 64, 48});
  distdiff::Rng rng(4);
  int erased = 0;
  for (int k = 0; k < 200; ++k) {
    distdiff::Rng probe = rng;
    const auto box = e.sample(64, 48, probe);
    auto out = e.apply(ones, rng);
    if (!box) {
      REQUIRE(torch::equal(out, ones));
      continue;
    }
    ++erased;
    REQUIRE(box->top + box->height <= 64);
    REQUIRE(box->left + box->width <= 48);
    const double frac = double(box->height * box->width) / (64.0 * 48.0);
    REQUIRE(frac >= 0.02 * 0.8);
    REQUIRE(frac <= 0.33 * 1.2);
    REQUIRE((out == 0).sum().item<std::int64_t>() == 3 * box->height * box->width);
    REQUIRE(torch::equal(out.slice(1, box->top, box->top + box->height)
                             .slice(2, box->left, box->left + box->width),
                         torch::zeros({3, box->height, box->width})));
  }
  CHECK(erased > 190);  // all ten attempts fail only rarely
}

TEST_CASE("RandomErasing defaults are torchvision's; p = 0 is the identity", "[augment][baseline]") {
  const RandomErasing e{};
  CHECK(e.p == 0.5);
  CHECK(e.scale == std::array<double, 2>{0.02, 0.33});
  CHECK(e.ratio == std::array<double, 2>{0.3, 3.3});
  auto img = distdiff::test::augment_pattern(3, 32, 32);
  distdiff::Rng rng(1);
  CHECK(torch::equal(RandomErasing{.p = 0.0}.apply(img, rng), img));
  int changed = 0;
  for (int k = 0; k < 1000; ++k) changed += !torch::equal(e.apply(img, rng), img);
  CHECK(std::abs(changed - 500) < 80);
  distdiff::Rng a(6), b(6);
  CHECK(torch::equal(e.apply(img, a), e.apply(img, b)));
  CHECK_THROWS_AS((RandomErasing{.p = -0.1}.apply(img, rng)), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
