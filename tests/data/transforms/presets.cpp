#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/data/transforms/presets.hpp"
#include "support/augment_images.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("paper_train_transform is the reference pipeline", "[augment]") {
  auto t = paper_train_transform();
  CHECK(t.get<Resize>().size == 256);
  CHECK(t.get<RandomRotation>().min_degrees == -15.0);
  CHECK(t.get<RandomRotation>().max_degrees == 15.0);
  CHECK(t.get<RandomCrop>().height == 224);
  CHECK(t.get<RandomCrop>().width == 224);
  CHECK(t.get<RandomHorizontalFlip>().p == 0.5);
  CHECK(t.get<Normalize>().mean == imagenet_mean);
  CHECK(t.name() ==
        "compose[resize(256,bilinear) > random-rotation(-15:15,nearest) > random-crop(224x224) > "
        "random-hflip(p=0.5) > normalize(imagenet)]");
}

TEST_CASE("presets at 32 px produce normalised 32x32 images, deterministically", "[augment]") {
  auto img = distdiff::test::augment_natural(40, 48);
  distdiff::Rng a(3), b(3);
  auto train = paper_train_transform(32, 36);
  auto x = train.apply(img, a);
  CHECK(x.sizes() == torch::IntArrayRef({3, 32, 32}));
  CHECK(torch::equal(x, train.apply(img, b)));
  auto rrc = random_resized_crop_train_transform(32).apply(img, a);
  CHECK(rrc.sizes() == torch::IntArrayRef({3, 32, 32}));
  // The test pipeline is deterministic and equals resize + centre crop + normalise by hand.
  auto test = paper_test_transform(32, 36);
  auto y = test.apply(img, a);
  auto resized = functional::resize(img, 36, 43);  // shorter side 40 -> 36, 48 -> int(36 * 48 / 40) = 43
  auto manual = functional::normalize(functional::center_crop(resized, 32, 32), imagenet_mean, imagenet_std);
  CHECK(torch::allclose(y, manual));
  CHECK_THROWS_AS(paper_train_transform(64, 32), std::invalid_argument);
  CHECK_THROWS_AS(paper_test_transform(0, 32), std::invalid_argument);
}

namespace {
struct Zero {
  using component_tag = distdiff::image_transform_tag;
  at::Tensor apply(const at::Tensor& x, distdiff::Rng&) const { return torch::zeros_like(x); }
  std::string name() const { return "zero"; }
};
}  // namespace

TEST_CASE("paper_train_transform_with inserts the baseline before Normalize", "[augment]") {
  auto t = paper_train_transform_with(Zero{}, 32, 36);
  distdiff::Rng rng(0);
  auto out = t.apply(distdiff::test::augment_natural(36, 36), rng);
  // zeros normalised: -mean / std in every pixel
  CHECK(out[0][5][5].item<double>() == Approx(-0.485 / 0.229));
  CHECK(out[2][0][31].item<double>() == Approx(-0.406 / 0.225));
}

}  // namespace DISTDIFF_UNITY_ID
