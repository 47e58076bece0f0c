// Shared pretraining pieces (pretrain/training_loop.hpp, training_log.hpp):
// step plans, the LR schedule, seeded construction, the loss meter, and the
// run record (losses.csv rows replaced per stage, losses.svg panels).
#include <catch2/catch.hpp>

#include <distdiff/pretrain/training_log.hpp>
#include <distdiff/pretrain/training_loop.hpp>

#include <fstream>
#include <sstream>

#include "support/temp_dir.hpp"

namespace pt = distdiff::pretrain;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("plan_steps: epochs or a step count; partial batches dropped", "[pretrain][loop]") {
  const auto p = pt::plan_steps(1000, 64, 2.0, 0);
  CHECK(p.steps_per_epoch == 15);
  CHECK(p.steps == 30);
  CHECK(p.epochs == 2);
  const auto q = pt::plan_steps(1000, 64, 2.0, 20);
  CHECK(q.steps == 20);
  CHECK(q.epochs == 2);
  CHECK_THROWS(pt::plan_steps(10, 64, 1.0, 0));
  CHECK_THROWS(pt::plan_steps(1000, 64, 0.0, 0));
}

TEST_CASE("cosine_lr warms up linearly, then decays to min_ratio", "[pretrain][loop]") {
  CHECK(pt::cosine_lr(1.0, 0, 100, 10) == Approx(0.1));
  CHECK(pt::cosine_lr(1.0, 9, 100, 10) == Approx(1.0));
  CHECK(pt::cosine_lr(1.0, 10, 100, 10) == Approx(1.0));
  CHECK(pt::cosine_lr(1.0, 55, 100, 10, 0.0) == Approx(0.5));
  CHECK(pt::cosine_lr(1.0, 100, 100, 10, 0.05) == Approx(0.05));
}

TEST_CASE("make_seeded: same seed, same weights; the global generator is untouched", "[pretrain][loop]") {
  torch::manual_seed(123);
  const auto before = torch::rand({3});
  torch::manual_seed(123);
  auto a = pt::make_seeded<torch::nn::Linear>(7, 4, 3);
  auto b = pt::make_seeded<torch::nn::Linear>(7, 4, 3);
  auto c = pt::make_seeded<torch::nn::Linear>(8, 4, 3);
  CHECK(torch::equal(a->weight, b->weight));
  CHECK(!torch::equal(a->weight, c->weight));
  CHECK(torch::equal(torch::rand({3}), before));
}

TEST_CASE("make_adamw decays matrices only; LossMeter logs windows and epochs", "[pretrain][loop]") {
  torch::nn::Linear lin(2, 2);
  auto opt = pt::make_adamw(*lin, 0.1, 0.5);
  REQUIRE(opt->param_groups().size() == 2);
  CHECK(static_cast<torch::optim::AdamWOptions&>(opt->param_groups()[0].options()).weight_decay() == 0.5);
  CHECK(static_cast<torch::optim::AdamWOptions&>(opt->param_groups()[1].options()).weight_decay() == 0.0);
  pt::set_lr(*opt, 0.01);
  CHECK(static_cast<torch::optim::AdamWOptions&>(opt->param_groups()[1].options()).lr() == 0.01);

  std::vector<pt::StepLog> seen;
  pt::LossMeter meter("x", pt::plan_steps(40, 10, 2.0, 0), 3, [&](const pt::StepLog& s) { seen.push_back(s); });
  for (int i = 0; i < 8; ++i) meter.add(double(i), 10, 0.1);
  const auto r = meter.finish();
  CHECK(r.steps == 8);
  CHECK(r.samples == 80);
  REQUIRE(r.epoch_losses.size() == 2);
  CHECK(r.epoch_losses[0] == Approx(1.5));   // steps 0..3
  CHECK(r.epoch_losses[1] == Approx(5.5));   // steps 4..7
  // windows end at step 3 (log_every), 4 (epoch end), 6, 8 (epoch end)
  REQUIRE(seen.size() == 4);
  CHECK(seen[0].loss == Approx(1.0));
  CHECK(seen[1].loss == Approx(3.0));
  CHECK(seen[3].step == 8);
  CHECK(seen[3].epoch == 2);
  CHECK(seen[3].eta_seconds == 0.0);
  CHECK(r.final_loss == Approx(6.5));
}

TEST_CASE("TrainingLog replaces a stage's rows and draws one panel per stage", "[pretrain][log]") {
  distdiff::test::TempDir dir("pretrain-log");
  pt::TrainingLog log(dir.path);
  auto curve = [](const std::string& stage, int n, double base) {
    std::vector<pt::StepLog> c;
    for (int i = 1; i <= n; ++i) c.push_back({stage, i, n, 1, 1, base / i, 1e-3, double(i), 0, 0});
    return c;
  };
  log.replace_stage_curve("clip", curve("clip", 3, 2.0));
  log.replace_stage_curve("vae", curve("vae", 2, 0.5));
  log.replace_stage_curve("clip", curve("clip", 4, 3.0));
  std::ifstream in(log.csv_path());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string csv = ss.str();
  CHECK(csv.rfind("stage,step,steps,epoch,loss,lr,seconds\n", 0) == 0);
  std::size_t clip_rows = 0, vae_rows = 0;
  for (std::size_t p = 0; (p = csv.find("\nclip,", p)) != std::string::npos; ++p) ++clip_rows;
  for (std::size_t p = 0; (p = csv.find("\nvae,", p)) != std::string::npos; ++p) ++vae_rows;
  CHECK(clip_rows == 4);
  CHECK(vae_rows == 2);
  log.line("hello");
  log.render_svg();
  std::ifstream svg(log.svg_path());
  std::stringstream s2;
  s2 << svg.rdbuf();
  const std::string text = s2.str();
  CHECK(text.find("CLIP: symmetric InfoNCE") != std::string::npos);
  CHECK(text.find("VAE: reconstruction") != std::string::npos);
  CHECK(text.find("<?xml", 10) == std::string::npos);   // nested panels carry no XML declaration
  CHECK(pt::format_step(curve("unet", 2, 1.0)[0]).find("ETA") != std::string::npos);
}

}  // namespace DISTDIFF_UNITY_ID
