// UNet pretraining (pretrain/unet_trainer.hpp) on a tiny slice: the
// ε-prediction loss goes down, caption states line up with the table, the
// saved folder loads through UNetDenoiser::load, and sampling runs.
#include <catch2/catch.hpp>

#include <distdiff/models/stable_diffusion.hpp>
#include <distdiff/models/unet_denoiser.hpp>
#include <distdiff/pretrain/captions.hpp>
#include <distdiff/pretrain/unet_trainer.hpp>

#include "support/pretrain_data.hpp"
#include "support/temp_dir.hpp"

namespace pt = distdiff::pretrain;
namespace dm = distdiff::models;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
double window(const std::vector<pt::StepLog>& curve, std::size_t begin, std::size_t end) {
  double s = 0;
  for (auto i = begin; i < end; ++i) s += curve[i].loss;
  return s / double(end - begin);
}
}  // namespace

TEST_CASE("train_unet lowers the denoising loss on a tiny slice; the folder round-trips", "[pretrain][unet]") {
  const auto ds = distdiff::test::quadrant_dataset(16);
  const auto captions = pt::make_caption_table(ds, {});
  // Latents with class structure: a class-dependent mean pattern plus a little noise.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const auto labels = torch::arange(4, torch::kLong).repeat_interleave(16);
  const auto patterns = torch::randn({4, 4, 8, 8}, gen);
  pt::LatentSet z{patterns.index_select(0, labels) + 0.1 * torch::randn({64, 4, 8, 8}, gen),
                  torch::full({64, 4, 8, 8}, -6.0), labels};
  const auto tones = torch::zeros({64}, torch::kLong);
  // Frozen text states: a random tiny text tower on the byte-level tokenizer.
  auto text_cfg = dm::ClipTextConfig::tiny(514);
  const auto text = dm::ClipTextConditioner::random(text_cfg, dm::byte_level_tokenizer(), {}, 2);
  const auto states = pt::encode_captions(text, captions.texts, 7);
  REQUIRE(states.size(0) == std::int64_t(captions.texts.size()));
  CHECK(torch::allclose(states.slice(0, 0, 1), text.encode({""}), 1e-4, 1e-5));

  auto cfg = dm::UNetConfig::tiny();
  cfg.cross_attention_dim = text.hidden_size();
  auto unet = pt::make_seeded<dm::UNet2DConditionModel>(5, cfg);
  pt::UNetTrainConfig tc;
  tc.max_steps = 60;
  tc.batch_size = 16;
  tc.lr = 2e-3;
  tc.warmup_steps = 5;
  tc.log_every = 1;
  tc.ema_decay = 0;   // compare raw losses
  const auto report = pt::train_unet(unet, z, 1.0, tones, captions, states, tc);
  REQUIRE(report.curve.size() == 60);
  const double first = window(report.curve, 0, 10), last = window(report.curve, 50, 60);
  INFO("loss " << first << " -> " << last);
  CHECK(last < 0.8 * first);
  const double heldout = pt::heldout_denoising_loss(unet, z, 1.0, captions, states);
  CHECK(std::isfinite(heldout));

  distdiff::test::TempDir dir("pretrain-unet");
  pt::save_unet(unet, dir / "sd" / "unet");
  pt::write_scheduler_config(dir / "sd");
  const auto loaded = dm::UNetDenoiser::load(dir / "sd" / "unet", distdiff::RuntimeOptions{});
  CHECK(loaded.config() == cfg);
  const auto sched = dm::load_scheduler_config(dir / "sd");
  CHECK(sched.beta_schedule == "scaled_linear");
  CHECK(sched.beta_end == Approx(0.012));
  const auto zt = z.mean.slice(0, 0, 2);
  const auto cond = states.slice(0, 1, 3);
  {
    torch::NoGradGuard no_grad;
    CHECK(torch::allclose(loaded.predict_noise(zt, 500, cond),
                          unet->forward(zt, torch::full({2}, 500, torch::kLong), cond), 1e-4, 1e-5));
  }

  SECTION("EMA weights are left in the model") {
    auto ema_unet = pt::make_seeded<dm::UNet2DConditionModel>(5, cfg);
    tc.max_steps = 3;
    tc.ema_decay = 0.9;
    pt::train_unet(ema_unet, z, 1.0, tones, captions, states, tc);
    auto plain = pt::make_seeded<dm::UNet2DConditionModel>(5, cfg);
    tc.ema_decay = 0;
    pt::train_unet(plain, z, 1.0, tones, captions, states, tc);
    CHECK(!torch::allclose(ema_unet->conv_in->weight, plain->conv_in->weight));
  }

  SECTION("text-to-image sampling decodes through a VAE") {
    auto vcfg = pt::small_vae_config();
    vcfg.block_out_channels = {8, 8, 8};
    vcfg.norm_num_groups = 4;
    auto vae = pt::make_seeded<dm::AutoencoderKL>(1, vcfg);
    pt::SampleConfig sc;
    sc.steps = 4;
    const auto pics = pt::sample_images(unet, vae, 1.0, cond, states.slice(0, 0, 1), sc);
    CHECK(pics.sizes() == torch::IntArrayRef({2, 3, 32, 32}));
    CHECK(pics.min().item<double>() >= 0.0);
    CHECK(pics.max().item<double>() <= 1.0);
  }
}

}  // namespace DISTDIFF_UNITY_ID
