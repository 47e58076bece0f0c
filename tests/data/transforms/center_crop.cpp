#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/data/transforms/center_crop.hpp"
#include "support/augment_images.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("CenterCrop takes the central window", "[augment]") {
  distdiff::Rng rng(1);
  auto img = distdiff::test::augment_pattern(3, 36, 40);
  auto out = CenterCrop{.height = 32, .width = 32}.apply(img, rng);
  CHECK(torch::equal(out, img.slice(1, 2, 34).slice(2, 4, 36)));
  CHECK(CenterCrop{}.name() == "center-crop(224x224)");
  CHECK_THROWS_AS((CenterCrop{.height = 0}.apply(img, rng)), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
