// End to end on the CPU: a procedurally generated 3-class dataset, a tiny
// ResNet trained for a few epochs, evaluated, its result appended to a results
// CSV and rendered as a markdown table.
#include <catch2/catch.hpp>

#include <distdiff/io/results.hpp>
#include <distdiff/train/trainer.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>

namespace fs = std::filesystem;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// Class 0: horizontal stripes, class 1: vertical stripes, class 2: a blob;
// random phase, colour, contrast and pixel noise. 16x16, normalised.
std::pair<torch::Tensor, torch::Tensor> patterns(std::int64_t per_class, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::normal_distribution<float> noise(0.f, 0.15f);
  const std::int64_t n = 3 * per_class;
  auto images = torch::empty({n, 3, 16, 16});
  auto labels = torch::empty({n}, torch::kLong);
  auto acc = images.accessor<float, 4>();
  for (std::int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 3);
    labels[i] = c;
    const float phase = u(rng) * 6.28f, contrast = 0.5f + 0.5f * u(rng);
    const float cx = 4 + 8 * u(rng), cy = 4 + 8 * u(rng);
    const float tint[3] = {u(rng), u(rng), u(rng)};
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x) {
        float v = 0;
        if (c == 0) v = std::sin(1.6f * y + phase);
        if (c == 1) v = std::sin(1.6f * x + phase);
        if (c == 2) v = 2.f * std::exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / 8.f) - 0.5f;
        for (int ch = 0; ch < 3; ++ch) acc[i][ch][y][x] = contrast * v * (0.5f + tint[ch]) + noise(rng);
      }
  }
  return {images, labels};
}

}  // namespace

TEST_CASE("tiny ResNet learns a procedural dataset; the result lands in a table", "[train][e2e]") {
  const char* env = std::getenv("DISTDIFF_TEST_TMP");
  std::random_device rd;
  const fs::path dir = (env ? fs::path(env) : fs::temp_directory_path()) / ("train-e2e-" + std::to_string(rd()));

  const auto [x, y] = patterns(64, 1);
  const auto [tx, ty] = patterns(30, 2);
  torch::manual_seed(1);
  auto net = distdiff::train::make_classifier("resnet_tiny", 3);
  distdiff::train::TrainConfig cfg;
  cfg.epochs = 4;
  cfg.lr = 0.05;
  cfg.seed = 1;
  cfg.checkpoint_dir = dir / "ckpt";
  distdiff::train::Trainer trainer(net, cfg);
  std::vector<std::string> progress;
  trainer.on_epoch = [&](const distdiff::train::EpochStats& s) {
    progress.push_back(distdiff::train::format_progress(s));
  };
  const auto result = trainer.fit(distdiff::train::tensor_batches(x, y, 16, true),
                                  distdiff::train::tensor_batches(tx, ty, 45, false));
  INFO(progress.back());
  REQUIRE(progress.size() == 4);
  CHECK(result.finished);
  CHECK(result.best_top1 >= result.last_top1);
  CHECK(result.best_top1 > 60.0);  // chance is 33.3%
  CHECK(result.history.back().train_loss < result.history.front().train_loss);

  distdiff::io::ResultRow row{.dataset = "patterns", .method = "Original", .backbone = net.name(),
                              .expansion = 0, .seed = cfg.seed, .top1_best = result.best_top1,
                              .top1_last = result.last_top1, .epochs = result.epochs_done,
                              .seconds = result.seconds};
  distdiff::io::append_result(dir / "results.csv", row);
  const auto rows = distdiff::io::read_results(dir / "results.csv");
  REQUIRE(rows.size() == 1);
  distdiff::io::PaperTableOptions o;
  o.backbone = "resnet_tiny";
  const auto md = distdiff::io::table1_markdown(rows, o);
  char best[32];
  std::snprintf(best, sizeof best, "%.1f", distdiff::io::detail::round_decimal(result.best_top1, 1));
  CHECK_THAT(md, Catch::Contains("| Method | patterns | Average |") &&
                     Catch::Contains(std::string("| Original | ") + best + " | " + best + " |"));
  fs::remove_all(dir);
}

}  // namespace DISTDIFF_UNITY_ID
