// Training loop pieces: SGD against LibTorch's, LR schedule closed forms,
// top-k against brute force, batch sources, checkpoint/resume exactness.
#include <catch2/catch.hpp>

#include <distdiff/train/batches.hpp>
#include <distdiff/train/checkpoint.hpp>
#include <distdiff/train/lr_schedule.hpp>
#include <distdiff/train/metrics.hpp>
#include <distdiff/train/sgd.hpp>
#include <distdiff/train/trainer.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <set>
#include <string>
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace distdiff::train;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

using distdiff::test::TempDir;

// Three separable classes of 16x16 images (noise around class colours).
std::pair<torch::Tensor, torch::Tensor> toy_data(std::int64_t per_class, std::uint64_t seed) {
  auto gen = torch::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<torch::Tensor> xs, ys;
  for (std::int64_t c = 0; c < 3; ++c) {
    auto colour = torch::zeros({1, 3, 1, 1});
    colour[0][c] = 1.0;
    xs.push_back(colour.expand({per_class, 3, 16, 16}) + 0.3 * at::randn({per_class, 3, 16, 16}, gen));
    ys.push_back(torch::full({per_class}, c, torch::kLong));
  }
  return {torch::cat(xs), torch::cat(ys)};
}

std::map<std::string, torch::Tensor> snapshot(const Classifier& c) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : c.module().named_parameters()) out[item.key()] = item.value().detach().clone();
  for (const auto& item : c.module().named_buffers()) out[item.key()] = item.value().detach().clone();
  return out;
}

}  // namespace

TEST_CASE("Sgd reproduces torch::optim::SGD step for step", "[train][sgd]") {
  for (const bool nesterov : {false, true}) {
    for (const double wd : {0.0, 1e-2}) {
      torch::manual_seed(3);
      auto a = torch::nn::Linear(5, 4);
      auto b = torch::nn::Linear(5, 4);
      {
        torch::NoGradGuard ng;
        b->weight.copy_(a->weight);
        b->bias.copy_(a->bias);
      }
      Sgd mine(a->named_parameters(), {.lr = 0.05, .momentum = 0.9, .weight_decay = wd, .nesterov = nesterov});
      torch::optim::SGD ref(b->parameters(),
                            torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(wd).nesterov(nesterov));
      for (int step = 0; step < 6; ++step) {
        const auto x = torch::randn({8, 5});
        const auto y = torch::randn({8, 4});
        mine.zero_grad();
        ref.zero_grad();
        torch::mse_loss(a(x), y).backward();
        torch::mse_loss(b(x), y).backward();
        mine.step();
        ref.step();
        if (step == 2) {  // the LR changes mid-run in the trainer
          mine.set_lr(0.02);
          static_cast<torch::optim::SGDOptions&>(ref.param_groups()[0].options()).lr(0.02);
        }
      }
      CHECK(torch::allclose(a->weight, b->weight, 1e-6, 1e-7));
      CHECK(torch::allclose(a->bias, b->bias, 1e-6, 1e-7));
    }
  }
  auto lin = torch::nn::Linear(2, 2);
  CHECK_THROWS_WITH(Sgd(lin->named_parameters(), {.momentum = 0.0, .nesterov = true}), Catch::Contains("Nesterov"));
  Sgd s(lin->named_parameters());
  CHECK_THROWS_WITH(s.load_momentum_buffers({{"nope", torch::zeros({2})}}), Catch::Contains("'nope'"));
  CHECK_THROWS_WITH(s.load_momentum_buffers({{"bias", torch::zeros({3})}}), Catch::Contains("shape [3]"));
}

TEST_CASE("cosine schedule matches its closed form", "[train][lr]") {
  LrSchedule s{LrDecay::cosine_per_epoch, 0.1, 0.0, 100};
  CHECK(s.at(0) == Approx(0.1));
  CHECK(s.at(50) == Approx(0.05));
  CHECK(s.at(99) == Approx(0.05 * (1 + std::cos(std::numbers::pi * 0.99))));
  CHECK(s.at(7, 13, 20) == s.at(7));  // constant within an epoch
  // PyTorch's CosineAnnealingLR recursion, stepped per epoch, gives the same values.
  double lr = 0.1;
  for (int e = 1; e < 100; ++e) {
    lr = (1 + std::cos(std::numbers::pi * e / 100)) / (1 + std::cos(std::numbers::pi * (e - 1) / 100)) * lr;
    CHECK(s.at(e) == Approx(lr).margin(1e-12));
  }
  LrSchedule it{LrDecay::cosine_per_iteration, 0.1, 0.001, 10};
  CHECK(it.at(3, 0, 4) == Approx(0.001 + 0.099 * 0.5 * (1 + std::cos(std::numbers::pi * 0.3))));
  CHECK(it.at(3, 2, 4) == Approx(0.001 + 0.099 * 0.5 * (1 + std::cos(std::numbers::pi * 0.35))));
  CHECK(LrSchedule{LrDecay::constant, 0.3, 0, 5}.at(4) == 0.3);
  CHECK(parse_lr_decay("cosine-per-iteration") == LrDecay::cosine_per_iteration);
  CHECK_THROWS_WITH(parse_lr_decay("step"), Catch::Contains("'step'"));
}

TEST_CASE("top-k accuracy agrees with a brute-force count", "[train][metrics]") {
  torch::manual_seed(5);
  const auto logits = torch::randn({50, 7});
  const auto labels = torch::randint(0, 7, {50}, torch::kLong);
  for (const std::int64_t k : {1, 3, 5, 7}) {
    std::int64_t brute = 0;
    for (int i = 0; i < 50; ++i) {
      const float mine = logits[i][labels[i].item<std::int64_t>()].item<float>();
      const auto larger = (logits[i] > mine).sum().item<std::int64_t>();
      brute += larger < k;
    }
    CHECK(topk_correct(logits, labels, k) == brute);
  }
  Accuracy acc;
  acc.add(logits.narrow(0, 0, 20), labels.narrow(0, 0, 20));
  acc.add(logits.narrow(0, 20, 30), labels.narrow(0, 20, 30));
  CHECK(acc.top1() == Approx(100.0 * topk_correct(logits, labels, 1) / 50));
  CHECK(acc.loss() == Approx(torch::nn::functional::cross_entropy(logits, labels).item<double>()));
}

TEST_CASE("tensor_batches visits every sample once per epoch, in a seeded order", "[train][batches]") {
  const auto images = torch::arange(10, torch::kFloat).view({10, 1});
  const auto labels = torch::arange(10, torch::kLong);
  auto src = tensor_batches(images, labels, 4, /*shuffle=*/true);
  CHECK(src.batches_per_epoch == 3);
  auto order = [&](std::uint64_t seed) {
    std::vector<std::int64_t> seen;
    std::vector<std::int64_t> sizes;
    src.for_each(EpochInfo{0, seed}, [&](const Batch& b) {
      sizes.push_back(b.labels.size(0));
      CHECK(torch::equal(b.images.view({-1}).to(torch::kLong), b.labels));
      for (std::int64_t i = 0; i < b.labels.size(0); ++i) seen.push_back(b.labels[i].item<std::int64_t>());
    });
    CHECK(sizes == std::vector<std::int64_t>{4, 4, 2});
    return seen;
  };
  const auto a = order(epoch_seed(1, 0)), b = order(epoch_seed(1, 0)), c = order(epoch_seed(1, 1));
  CHECK(a == b);
  CHECK(a != c);
  CHECK(std::set<std::int64_t>(a.begin(), a.end()).size() == 10);
  CHECK(epoch_seed(1, 0) != epoch_seed(2, 0));
  CHECK(tensor_batches(images, labels, 4, false, /*drop_last=*/true).batches_per_epoch == 2);
  CHECK_THROWS_WITH(tensor_batches(images, labels.narrow(0, 0, 9), 4, true), Catch::Contains("same N"));
}

TEST_CASE("a run stopped after one epoch and resumed equals an uninterrupted run", "[train][checkpoint]") {
  TempDir tmp;
  const auto [x, y] = toy_data(12, 11);
  const auto [tx, ty] = toy_data(6, 12);
  auto train = tensor_batches(x, y, 8, true);
  auto test = tensor_batches(tx, ty, 16, false);
  TrainConfig cfg;
  cfg.epochs = 2;
  cfg.lr = 0.05;
  cfg.seed = 7;

  torch::manual_seed(123);
  auto full = make_classifier("mobilenet_v2_tiny", 3);  // has dropout: exercises the RNG
  const auto init = snapshot(full);
  Trainer uninterrupted(full, cfg);
  const auto r_full = uninterrupted.fit(train, test);
  CHECK(r_full.finished);
  CHECK(r_full.epochs_done == 2);

  // Same initial weights, same config, with checkpoints; stopped after epoch 1.
  auto load_init = [&](Classifier& c) {
    torch::NoGradGuard ng;
    for (auto& item : c.module().named_parameters()) item.value().copy_(init.at(item.key()));
    for (auto& item : c.module().named_buffers()) item.value().copy_(init.at(item.key()));
  };
  cfg.checkpoint_dir = tmp.path / "ckpt";
  cfg.stop_after = 1;
  auto first = make_classifier("mobilenet_v2_tiny", 3);
  load_init(first);
  std::vector<std::string> lines;
  Trainer t1(first, cfg);
  t1.on_epoch = [&](const EpochStats& s) { lines.push_back(format_progress(s)); };
  const auto r1 = t1.fit(train, test);
  CHECK_FALSE(r1.finished);
  CHECK(r1.epochs_done == 1);
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::StartsWith("epoch 1/2") && Catch::Contains("loss") && Catch::Contains("img/s") &&
                           Catch::Contains("ETA"));
  CHECK(fs::exists(cfg.checkpoint_dir / "checkpoint.json"));
  CHECK(fs::exists(cfg.checkpoint_dir / "checkpoint-e0001.safetensors"));

  // A new process would build a fresh (differently initialised) model.
  torch::manual_seed(999);
  auto resumed = make_classifier("mobilenet_v2_tiny", 3);
  cfg.stop_after.reset();
  Trainer t2(resumed, cfg);
  t2.on_epoch = [&](const EpochStats& s) { lines.push_back(format_progress(s)); };
  const auto r2 = t2.fit(train, test);
  CHECK(r2.resumed_from == 1);
  CHECK(r2.finished);
  REQUIRE(lines.size() == 2);
  CHECK_THAT(lines[1], Catch::StartsWith("epoch 2/2"));
  CHECK(fs::exists(cfg.checkpoint_dir / "checkpoint-e0002.safetensors"));
  CHECK_FALSE(fs::exists(cfg.checkpoint_dir / "checkpoint-e0001.safetensors"));

  const auto a = snapshot(full), b = snapshot(resumed);
  REQUIRE(a.size() == b.size());
  for (const auto& [name, t] : a) {
    INFO(name);
    CHECK(torch::equal(t, b.at(name)));
  }
  REQUIRE(r2.history.size() == 2);
  for (int e = 0; e < 2; ++e) {
    CHECK(r2.history[e].test_top1 == r_full.history[e].test_top1);
    CHECK(r2.history[e].train_loss == r_full.history[e].train_loss);
  }
  CHECK(r2.best_top1 == r_full.best_top1);
  CHECK(r2.last_top1 == r_full.last_top1);

  // Resuming a finished run trains nothing and reports the same numbers.
  Trainer t3(make_classifier("mobilenet_v2_tiny", 3), cfg);
  const auto r3 = t3.fit(train, test);
  CHECK(r3.resumed_from == 2);
  CHECK(r3.best_top1 == r2.best_top1);

  // Different settings: a clear error instead of a silently different run.
  auto other = cfg;
  other.lr = 0.01;
  CHECK_THROWS_WITH(Trainer(make_classifier("mobilenet_v2_tiny", 3), other).fit(train, test),
                    Catch::Contains("different settings") && Catch::Contains("\"lr\":0.01"));
  CHECK_THROWS_WITH(Trainer(make_classifier("resnet_tiny", 3), cfg).fit(train, test),
                    Catch::Contains("different settings"));
  auto other_data = cfg;
  other_data.data_settings = {{"augment", "cutout"}};
  CHECK_THROWS_WITH(Trainer(make_classifier("mobilenet_v2_tiny", 3), other_data).fit(train, test),
                    Catch::Contains("different settings") && Catch::Contains("cutout"));
}

TEST_CASE("eval_every evaluates every N-th and the last epoch; best is over those", "[train][trainer]") {
  const auto [x, y] = toy_data(8, 21);
  const auto [tx, ty] = toy_data(4, 22);
  auto test_src = tensor_batches(tx, ty, 16, false);
  std::int64_t evaluations = 0;
  BatchSource counted = test_src;
  counted.for_each = [&](const EpochInfo& e, const BatchVisitor& f) {
    ++evaluations;
    test_src.for_each(e, f);
  };
  TrainConfig cfg;
  cfg.epochs = 5;
  cfg.lr = 0.05;
  cfg.eval_every = 2;
  torch::manual_seed(5);
  Trainer t(make_classifier("resnet_tiny", 3), cfg);
  std::vector<std::string> lines;
  t.on_epoch = [&](const EpochStats& s) { lines.push_back(format_progress(s)); };
  const auto r = t.fit(tensor_batches(x, y, 8, true), counted);
  CHECK(evaluations == 3);   // after epochs 2, 4 and 5
  REQUIRE(r.history.size() == 5);
  for (int e : {0, 2}) CHECK(std::isnan(r.history[e].test_top1));
  for (int e : {1, 3, 4}) CHECK(std::isfinite(r.history[e].test_top1));
  CHECK(r.best_top1 == std::max({r.history[1].test_top1, r.history[3].test_top1, r.history[4].test_top1}));
  CHECK(r.last_top1 == r.history[4].test_top1);
  CHECK((r.best_epoch == 2 || r.best_epoch == 4 || r.best_epoch == 5));
  REQUIRE(lines.size() == 5);
  CHECK_THAT(lines[0], Catch::Contains("test -"));
  CHECK_THAT(lines[1], !Catch::Contains("test -"));
  cfg.eval_every = 0;
  CHECK_THROWS_WITH(Trainer(make_classifier("resnet_tiny", 3), cfg).fit(tensor_batches(x, y, 8, true), test_src),
                    Catch::Contains("eval_every"));
}

TEST_CASE("a save killed midway keeps the previous checkpoint; the next save cleans up", "[train][checkpoint][crash]") {
  TempDir tmp;
  auto net = make_classifier("resnet_tiny", 3);
  Sgd opt(net.module().named_parameters());
  CheckpointRecord rec;
  rec.epochs_done = 1;
  rec.seed = 9;
  rec.history.resize(1);
  save_checkpoint(tmp.path, net.module(), opt, rec);
  const auto saved = net.module().named_parameters()["fc.weight"].clone();
  // What SIGKILL during the save of epoch 2 leaves: its tensor file written
  // (the record still names epoch 1), and temporaries of the atomic writes.
  fs::copy_file(tmp.path / "checkpoint-e0001.safetensors", tmp.path / "checkpoint-e0002.safetensors");
  std::ofstream(tmp.path / ".checkpoint.json.tmp-77-0") << "{\"epochs_done\": 2";
  std::ofstream(tmp.path / ".checkpoint-e0002.safetensors.tmp-77-1") << "half";
  {
    torch::NoGradGuard ng;
    net.module().named_parameters()["fc.weight"].add_(1.0);
  }
  const auto loaded = load_checkpoint(tmp.path, net.module(), opt);
  REQUIRE(loaded.has_value());
  CHECK(loaded->epochs_done == 1);
  CHECK(torch::equal(net.module().named_parameters()["fc.weight"], saved));

  rec.epochs_done = 2;
  rec.history.resize(2);
  save_checkpoint(tmp.path, net.module(), opt, rec);
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(tmp.path)) files.insert(e.path().filename().string());
  CHECK(files == std::set<std::string>{"checkpoint.json", "checkpoint-e0002.safetensors"});
  CHECK(load_checkpoint(tmp.path, net.module(), opt)->epochs_done == 2);
}

TEST_CASE("broken checkpoints are reported, not half-loaded", "[train][checkpoint]") {
  TempDir tmp;
  auto net = make_classifier("resnet_tiny", 3);
  Sgd opt(net.module().named_parameters());
  CheckpointRecord rec;
  rec.epochs_done = 0;
  save_checkpoint(tmp.path, net.module(), opt, rec);
  CHECK(has_checkpoint(tmp.path));
  CHECK(load_checkpoint(tmp.path, net.module(), opt).has_value());
  CHECK_FALSE(load_checkpoint(tmp.path / "none", net.module(), opt).has_value());

  auto other = make_classifier("resnet_tiny", 4);  // different head shape
  Sgd other_opt(other.module().named_parameters());
  const auto before = other.module().named_parameters()["fc.weight"].clone();
  CHECK_THROWS_WITH(load_checkpoint(tmp.path, other.module(), other_opt), Catch::Contains("shape mismatch") && Catch::Contains("fc."));
  CHECK(torch::equal(before, other.module().named_parameters()["fc.weight"]));  // nothing half-loaded

  fs::rename(tmp.path / "checkpoint-e0000.safetensors", tmp.path / "moved.safetensors");
  CHECK_THROWS_WITH(load_checkpoint(tmp.path, net.module(), opt), Catch::Contains("missing"));
  fs::rename(tmp.path / "moved.safetensors", tmp.path / "checkpoint-e0000.safetensors");

  std::ofstream(tmp.path / "checkpoint.json") << "{ not json";
  CHECK_THROWS_WITH(load_checkpoint(tmp.path, net.module(), opt), Catch::Contains("not valid JSON"));
}

}  // namespace DISTDIFF_UNITY_ID
