#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/data/baselines/cutout.hpp"
#include "support/augment_images.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
// Brute force: pixels (y, x) with cy - L/2 <= y < cy - L/2 + L, same for x.
std::int64_t expected_area(std::int64_t h, std::int64_t w, std::int64_t cy, std::int64_t cx, std::int64_t L) {
  std::int64_t n = 0;
  for (std::int64_t y = 0; y < h; ++y)
    for (std::int64_t x = 0; x < w; ++x)
      if (y >= cy - L / 2 && y < cy - L / 2 + L && x >= cx - L / 2 && x < cx - L / 2 + L) ++n;
  return n;
}
std::int64_t zeros(const at::Tensor& t) { return (t == 0).sum().item<std::int64_t>(); }
}  // namespace

TEST_CASE("Cutout zeroes exactly the clipped square, borders included", "[augment][baseline]") {
  const std::int64_t H = 32, W = 24;
  auto ones = torch::ones({3, H, W});
  for (std::int64_t L : {16, 7}) {
    const Cutout c{.length = L};
    for (auto [cy, cx] : std::vector<std::pair<std::int64_t, std::int64_t>>{
             {16, 12}, {0, 0}, {31, 23}, {0, 23}, {31, 0}, {3, 20}, {7, 8}, {8, 7}}) {
      const auto hole = c.hole_at(H, W, cy, cx);
      const auto area = expected_area(H, W, cy, cx, L);
      CHECK(hole.area() == area);
      auto out = c.apply_holes(ones, {hole});
      CHECK(zeros(out) == 3 * area);
      CHECK(out.sum().item<double>() == 3.0 * (H * W - area));
      // the zeros are the window itself
      CHECK(zeros(out.slice(1, hole.top, hole.bottom).slice(2, hole.left, hole.right)) == 3 * area);
    }
  }
  // interior hole is a full L x L square
  CHECK(Cutout{.length = 16}.hole_at(H, W, 16, 12).area() == 256);
}

TEST_CASE("Cutout acts on every call with p = 1 and matches its sampled hole", "[augment][baseline]") {
  const Cutout c{};  // length 16, p 1
  auto ones = torch::ones({3, 32, 32});
  distdiff::Rng rng(2024);
  std::int64_t min_area = 1 << 30, max_area = 0;
  for (int k = 0; k < 200; ++k) {
    distdiff::Rng probe = rng;
    const auto holes = c.sample(32, 32, probe);
    REQUIRE(holes.size() == 1);
    auto out = c.apply(ones, rng);
    REQUIRE(zeros(out) == 3 * holes[0].area());
    REQUIRE(holes[0].area() >= 8 * 8);   // a centre anywhere keeps at least a quarter
    min_area = std::min(min_area, holes[0].area());
    max_area = std::max(max_area, holes[0].area());
  }
  CHECK(max_area == 256);
  CHECK(min_area < 256);  // some centres fell near a border
  // Values outside the hole are untouched.
  auto img = distdiff::test::augment_pattern(3, 32, 32) + 0.01;
  distdiff::Rng a(5), b(5);
  const auto hole = c.sample(32, 32, b)[0];
  auto out = c.apply(img, a);
  auto keep = torch::ones({32, 32}, torch::kBool);
  keep.slice(0, hole.top, hole.bottom).slice(1, hole.left, hole.right).fill_(false);
  CHECK(torch::equal(out.masked_select(keep.unsqueeze(0).expand({3, 32, 32})),
                     img.masked_select(keep.unsqueeze(0).expand({3, 32, 32}))));
}

TEST_CASE("Cutout probability, several holes, scaling rule and errors", "[augment][baseline]") {
  auto ones = torch::ones({3, 16, 16});
  distdiff::Rng rng(1);
  CHECK(torch::equal(Cutout{.length = 8, .p = 0.0}.apply(ones, rng), ones));
  int hit = 0;
  for (int k = 0; k < 1000; ++k) hit += zeros(Cutout{.length = 8, .p = 0.3}.apply(ones, rng)) > 0;
  CHECK(std::abs(hit - 300) < 75);  // sd ~ 14.5
  const Cutout three{.length = 4, .holes = 3};
  distdiff::Rng probe = rng;
  const auto hs = three.sample(16, 16, probe);
  REQUIRE(hs.size() == 3);
  auto m = torch::ones({16, 16});
  for (const auto& h : hs) m.slice(0, h.top, h.bottom).slice(1, h.left, h.right).fill_(0);
  CHECK(torch::equal(three.apply(ones, rng), m.unsqueeze(0).expand({3, 16, 16})));
  CHECK(Cutout::for_image_size(32).length == 16);
  CHECK(Cutout::for_image_size(224).length == 112);
  CHECK_THROWS_AS((Cutout{.length = 0}.apply(ones, rng)), std::invalid_argument);
  CHECK_THROWS_AS((Cutout{.p = 2.0}.apply(ones, rng)), std::invalid_argument);
  distdiff::Rng a(9), b(9);
  CHECK(torch::equal(Cutout{}.apply(ones, a), Cutout{}.apply(ones, b)));
}

}  // namespace DISTDIFF_UNITY_ID
