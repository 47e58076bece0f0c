#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/data/transforms/normalize.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("Normalize with ImageNet statistics maps constant planes to the closed form", "[augment]") {
  distdiff::Rng rng(0);
  // A constant image v in every channel normalises to (v - mean_c) / std_c.
  for (double v : {0.0, 0.5, 1.0}) {
    auto out = Normalize{}.apply(torch::full({3, 2, 3}, v), rng);
    CHECK(out[0][1][2].item<double>() == Approx((v - 0.485) / 0.229).epsilon(1e-6));
    CHECK(out[1][0][0].item<double>() == Approx((v - 0.456) / 0.224).epsilon(1e-6));
    CHECK(out[2][1][1].item<double>() == Approx((v - 0.406) / 0.225).epsilon(1e-6));
  }
  const Normalize custom{.mean = {0.5, 0.5, 0.5}, .std = {0.5, 0.25, 2.0}};
  auto out = custom.apply(torch::ones({3, 1, 1}), rng);
  CHECK(out[0][0][0].item<double>() == Approx(1.0));
  CHECK(out[1][0][0].item<double>() == Approx(2.0));
  CHECK(out[2][0][0].item<double>() == Approx(0.25));
  CHECK(Normalize{}.name() == "normalize(imagenet)");
  CHECK_THROWS_AS(Normalize{}.apply(torch::zeros({1, 2, 2}), rng), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
