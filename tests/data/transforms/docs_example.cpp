// The example at the top of docs/augment.md, compiled and run.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/data/baselines.hpp"
#include "distdiff/data/transforms.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("docs/augment.md example", "[augment][docs]") {
  distdiff::Rng rng(1);
  at::Tensor img = torch::rand({3, 300, 400});

  auto train = paper_train_transform();
  auto test = paper_test_transform();
  at::Tensor x = train.apply(img, rng);
  at::Tensor y = test.apply(img, rng);
  CHECK(x.sizes() == torch::IntArrayRef({3, 224, 224}));
  CHECK(y.sizes() == torch::IntArrayRef({3, 224, 224}));

  auto with_grid = paper_train_transform_with(GridMask{});
  for (int epoch = 0; epoch < 100; epoch += 20) {
    with_grid.get<GridMask>().set_epoch_ramp(epoch, 80);
    at::Tensor z = with_grid.apply(img, rng);
    CHECK(z.sizes() == torch::IntArrayRef({3, 224, 224}));
  }
  CHECK(with_grid.get<GridMask>().effective_prob() == Approx(0.8));

  Compose mine{Resize{.size = 36}, RandomCrop{.height = 32, .width = 32, .padding = 4},
               RandomHorizontalFlip{}, RandAugment{}, Cutout::for_image_size(32), Normalize{}};
  mine.get<RandAugment>().magnitude = 12;
  at::Tensor w = mine.apply(img, rng);
  CHECK(w.sizes() == torch::IntArrayRef({3, 32, 32}));
  CHECK(mine.name().rfind("compose[resize(36,bilinear) > random-crop(32x32,pad=4) > ", 0) == 0);
}

}  // namespace DISTDIFF_UNITY_ID
