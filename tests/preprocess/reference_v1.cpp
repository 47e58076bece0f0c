// The two preprocessings of DistDiff v1: the prototype side resizes to a square
// with PIL and normalises with v1's constants, the guidance side resizes with
// torch's bicubic and does not normalise. Pixel values against PIL: golden.cpp.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/preprocess/reference_v1.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("ReferenceV1 inputs: v1's constants, square resizes, sizes that follow the tower", "[preprocess][v1]") {
  STATIC_REQUIRE(ImagePreprocessor<ReferenceV1PrototypeInput>);
  STATIC_REQUIRE(ImagePreprocessor<ReferenceV1GuidanceInput>);
  CHECK(kReferenceV1Mean == std::array<double, 3>{0.4914, 0.4822, 0.4465});
  CHECK(kReferenceV1Std == std::array<double, 3>{0.2023, 0.1994, 0.2010});
  const auto x = torch::rand({2, 3, 20, 45});
  const ReferenceV1PrototypeInput proto;
  const auto p = proto(x, 32);
  REQUIRE(p.sizes() == torch::IntArrayRef({2, 3, 32, 32}));  // aspect ratio not kept, nothing cropped
  const auto expected = (pil_resize(x, 32, 32) - torch::tensor({0.4914, 0.4822, 0.4465}).view({1, 3, 1, 1})) /
                        torch::tensor({0.2023, 0.1994, 0.2010}).view({1, 3, 1, 1});
  CHECK(torch::allclose(p, expected, 1e-5, 1e-5));
  ReferenceV1PrototypeInput at224;
  at224.size = 224;
  CHECK(at224(x, 32).size(2) == 224);

  const ReferenceV1GuidanceInput guide;
  const auto c = torch::full({1, 3, 50, 50}, 0.3);
  const auto g = guide(c, 32);
  REQUIRE(g.sizes() == torch::IntArrayRef({1, 3, 32, 32}));
  CHECK((g - 0.3).abs().max().item<double>() < 1e-6);  // no normalisation
  const auto xg = torch::rand({1, 3, 16, 16}, torch::kDouble).requires_grad_(true);
  guide(xg, 32).sum().backward();  // differentiable
  CHECK(xg.grad().abs().sum().item<double>() > 0);
}

}  // namespace DISTDIFF_UNITY_ID
