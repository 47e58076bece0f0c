#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/data/transforms/compose.hpp"
#include "distdiff/data/transforms/center_crop.hpp"
#include "distdiff/data/transforms/normalize.hpp"
#include "distdiff/data/transforms/random_crop.hpp"
#include "distdiff/data/transforms/random_horizontal_flip.hpp"
#include "support/augment_images.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
struct AddOne {
  using component_tag = distdiff::image_transform_tag;
  at::Tensor apply(const at::Tensor& x, distdiff::Rng&) const { return x + 1; }
  std::string name() const { return "add-one"; }
};
struct Double {
  using component_tag = distdiff::image_transform_tag;
  at::Tensor apply(const at::Tensor& x, distdiff::Rng&) const { return x * 2; }
  std::string name() const { return "double"; }
};
struct NotATransform {
  at::Tensor apply(const at::Tensor& x, distdiff::Rng&) const { return x; }
  std::string name() const { return "untagged"; }
};
}  // namespace

TEST_CASE("Compose applies its parts left to right and names them", "[augment]") {
  distdiff::Rng rng(0);
  Compose c{AddOne{}, Double{}};
  STATIC_REQUIRE(distdiff::ImageTransform<decltype(c)>);
  STATIC_REQUIRE(std::is_same_v<decltype(c), Compose<AddOne, Double>>);
  auto x = torch::zeros({3, 2, 2});
  CHECK(torch::allclose(c.apply(x, rng), torch::full({3, 2, 2}, 2.0)));        // (0 + 1) * 2
  CHECK(torch::allclose(Compose{Double{}, AddOne{}}.apply(x, rng), torch::ones({3, 2, 2})));
  CHECK(c.name() == "compose[add-one > double]");
  Compose nested{c, AddOne{}};
  CHECK(torch::allclose(nested.apply(x, rng), torch::full({3, 2, 2}, 3.0)));
  CHECK(Compose<>{}.apply(x, rng).data_ptr() == x.data_ptr());
  STATIC_REQUIRE_FALSE(distdiff::ImageTransform<NotATransform>);
}

TEST_CASE("Compose threads one rng through random parts and exposes them", "[augment]") {
  auto img = distdiff::test::augment_pattern(3, 10, 10);
  Compose c{RandomCrop{.height = 6, .width = 6}, RandomHorizontalFlip{}, Normalize{}};
  distdiff::Rng a(17), b(17);
  auto out = c.apply(img, a);
  // The same draws made by hand, in order.
  auto manual = std::get<2>(c.parts).apply(std::get<1>(c.parts).apply(std::get<0>(c.parts).apply(img, b), b), b);
  CHECK(torch::equal(out, manual));
  c.get<RandomCrop>().height = 4;
  c.get<0>().width = 5;
  CHECK(c.apply(img, a).sizes() == torch::IntArrayRef({3, 4, 5}));
  CHECK(decltype(c)::size() == 3);
}

}  // namespace DISTDIFF_UNITY_ID
