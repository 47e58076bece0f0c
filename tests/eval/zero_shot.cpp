// Zero-shot class agreement against a feature extractor whose answer is known
// in closed form: the mean colour of an image, classified against the unit
// vectors of red, green and blue.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <distdiff/data/in_memory.hpp>
#include <distdiff/eval/zero_shot.hpp>
#include <distdiff/io/manifest.hpp>

#include "support/data_writers.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using distdiff::test::error_of;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// θ(x) = the mean of each colour channel.
struct MeanColour {
  torch::Tensor extract(const torch::Tensor& images) const { return images.mean({2, 3}); }
};

distdiff::Image pure(int channel, int w = 4, int h = 3) {
  distdiff::Image img(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) img.at(x, y, channel) = 200;
  return img;
}

torch::Tensor rgb_text() { return torch::eye(3) * 5.0; }  // scale must not matter

}  // namespace

TEST_CASE("zero_shot_predict picks the most cosine-similar class text", "[eval][zero_shot]") {
  auto images = torch::zeros({4, 3, 2, 2});
  images.index_put_({0, 0}, 1.0);                          // red
  images.index_put_({1, 1}, 1.0);                          // green
  images.index_put_({2, 2}, 1.0);                          // blue
  images.index_put_({3, 0}, 0.3);                          // mostly blue, some red
  images.index_put_({3, 2}, 0.9);
  const auto pred = distdiff::zero_shot_predict(MeanColour{}, rgb_text(), images, /*batch_size=*/3);
  REQUIRE(pred.sizes() == torch::IntArrayRef({4}));
  CHECK(pred[0].item<std::int64_t>() == 0);
  CHECK(pred[1].item<std::int64_t>() == 1);
  CHECK(pred[2].item<std::int64_t>() == 2);
  CHECK(pred[3].item<std::int64_t>() == 2);
  const auto a = distdiff::zero_shot_agreement(MeanColour{}, rgb_text(), images, torch::tensor({0, 1, 0, 2}));
  CHECK(a.images == 4);
  CHECK(a.agree == 3);
  CHECK(a.share() == Approx(0.75));
}

TEST_CASE("zero_shot_* reject mismatched shapes", "[eval][zero_shot]") {
  const auto images = torch::rand({2, 3, 2, 2});
  CHECK_THAT(error_of([&] { distdiff::zero_shot_predict(MeanColour{}, torch::eye(4), images); }),
             Catch::Contains("dimension 3") && Catch::Contains("4"));
  CHECK_THAT(error_of([&] { distdiff::zero_shot_predict(MeanColour{}, torch::ones({3}), images); }),
             Catch::Contains("[classes, dim]"));
  CHECK_THAT(error_of([&] { distdiff::zero_shot_agreement(MeanColour{}, rgb_text(), images, torch::tensor({0})); }),
             Catch::Contains("1 labels for 2 images"));
}

TEST_CASE("class agreement of a generated folder and of a dataset", "[eval][zero_shot]") {
  distdiff::test::TempDir tmp("zero-shot");
  const std::vector<std::string> classes{"red", "green", "blue"};
  // Three generated images: two with their seed's colour, one green image of class "blue".
  std::vector<distdiff::ManifestEntry> entries;
  auto add = [&](int label, int colour, int sample) {
    distdiff::ManifestEntry e;
    e.class_name = classes[std::size_t(label)];
    e.label = label;
    e.seed_index = label;
    e.sample = sample;
    e.file = e.class_name + "/" + std::to_string(label) + "_" + std::to_string(sample) + ".png";
    distdiff::write_png(tmp / e.file, pure(colour, 8, 6));   // another size than the dataset's: resized
    entries.push_back(e);
  };
  add(0, 0, 0);
  add(1, 1, 0);
  add(2, 1, 1);
  distdiff::append_manifest(tmp / "manifest.jsonl", entries);
  const auto g = distdiff::generated_class_agreement(MeanColour{}, rgb_text(), tmp.path, classes, 4);
  CHECK(g.images == 3);
  CHECK(g.agree == 2);

  distdiff::InMemoryDataset ds;
  ds.dataset_name = "colours";
  ds.classes = classes;
  ds.prompt_template = "a photo of {}";
  ds.add(pure(0), 0, "a");
  ds.add(pure(2), 2, "b");
  ds.add(pure(2), 1, "c");   // labelled green, is blue
  const auto d = distdiff::dataset_class_agreement(MeanColour{}, rgb_text(), ds, 4);
  CHECK(d.images == 3);
  CHECK(d.agree == 2);
  CHECK(distdiff::dataset_class_agreement(MeanColour{}, rgb_text(), ds, 4, /*limit=*/2).agree == 2);
}

}  // namespace DISTDIFF_UNITY_ID
