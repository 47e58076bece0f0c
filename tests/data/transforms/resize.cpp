#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/data/transforms/resize.hpp"
#include "support/augment_images.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("Resize: shorter side to size, or an exact size", "[augment]") {
  distdiff::Rng rng(1);
  auto img = distdiff::test::augment_pattern(3, 20, 30);
  auto a = Resize{.size = 10}.apply(img, rng);
  CHECK(a.sizes() == torch::IntArrayRef({3, 10, 15}));
  auto b = Resize::to(7, 9).apply(img, rng);
  CHECK(b.sizes() == torch::IntArrayRef({3, 7, 9}));
  // Bilinear resize of a constant image is the constant.
  auto c = Resize{.size = 13}.apply(torch::full({3, 20, 30}, 0.3), rng);
  CHECK(torch::allclose(c, torch::full_like(c, 0.3)));
  // Same size: the identity.
  CHECK(torch::equal(Resize{.size = 20}.apply(img, rng), img));
  CHECK(Resize{}.name() == "resize(256,bilinear)");
  CHECK_THROWS_AS((Resize{.size = 0}.apply(img, rng)), std::invalid_argument);
  CHECK_THROWS_AS((Resize{.height = 5}.apply(img, rng)), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
