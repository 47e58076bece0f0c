#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <set>

#include "distdiff/data/transforms/random_crop.hpp"
#include "support/augment_images.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("RandomCrop returns a window of the input at every reachable offset", "[augment]") {
  auto img = distdiff::test::augment_pattern(3, 8, 9);
  const RandomCrop t{.height = 6, .width = 6};
  distdiff::Rng rng(7);
  std::set<std::pair<std::int64_t, std::int64_t>> seen;
  for (int k = 0; k < 400; ++k) {
    distdiff::Rng probe = rng;
    const auto w = t.sample(8, 9, probe);
    auto out = t.apply(img, rng);
    REQUIRE(out.sizes() == torch::IntArrayRef({3, 6, 6}));
    REQUIRE(torch::equal(out, img.slice(1, w.top, w.top + 6).slice(2, w.left, w.left + 6)));
    seen.insert({w.top, w.left});
  }
  CHECK(seen.size() == 3 * 4);  // tops 0..2, lefts 0..3
}

TEST_CASE("RandomCrop padding and errors", "[augment]") {
  distdiff::Rng rng(3);
  auto ones = torch::ones({3, 4, 4});
  // padding 2 and a 8x8 crop: the whole padded image, a ring of zeros.
  auto out = RandomCrop{.height = 8, .width = 8, .padding = 2}.apply(ones, rng);
  CHECK(out.sum().item<double>() == 3 * 16);
  CHECK(out[0][0][0].item<double>() == 0.0);
  CHECK_THROWS_AS((RandomCrop{.height = 5, .width = 5}.apply(ones, rng)), std::invalid_argument);
  auto grown = RandomCrop{.height = 6, .width = 5, .pad_if_needed = true}.apply(ones, rng);
  CHECK(grown.sizes() == torch::IntArrayRef({3, 6, 5}));
  CHECK(grown.sum().item<double>() == 3 * 16);
}

TEST_CASE("RandomCrop is deterministic for a seed", "[augment]") {
  auto img = distdiff::test::augment_pattern(3, 16, 16);
  const RandomCrop t{.height = 8, .width = 8, .padding = 1};
  distdiff::Rng a(42), b(42);
  CHECK(torch::equal(t.apply(img, a), t.apply(img, b)));
}

}  // namespace DISTDIFF_UNITY_ID
