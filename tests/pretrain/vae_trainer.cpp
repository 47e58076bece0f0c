// VAE pretraining (pretrain/vae_trainer.hpp) on a tiny slice: the loss goes
// down, the scaling factor normalises the latents, PSNR is finite, and the
// saved folder loads through VaeCodec::load with its scaling factor.
#include <catch2/catch.hpp>

#include <distdiff/models/vae_codec.hpp>
#include <distdiff/pretrain/image_tensors.hpp>
#include <distdiff/pretrain/vae_trainer.hpp>

#include <cmath>

#include "support/pretrain_data.hpp"
#include "support/temp_dir.hpp"

namespace pt = distdiff::pretrain;
namespace dm = distdiff::models;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
dm::VaeConfig tiny_vae() {
  auto c = pt::small_vae_config();
  c.block_out_channels = {8, 16};
  c.norm_num_groups = 4;
  c.sample_size = 16;
  return c;
}
double window(const std::vector<pt::StepLog>& curve, std::size_t begin, std::size_t end) {
  double s = 0;
  for (auto i = begin; i < end; ++i) s += curve[i].loss;
  return s / double(end - begin);
}
}  // namespace

TEST_CASE("train_vae lowers the reconstruction loss on a tiny slice; the folder round-trips", "[pretrain][vae]") {
  const auto images = pt::load_image_tensors(distdiff::test::quadrant_dataset(8, 16), {}, 16);
  auto vae = pt::make_seeded<dm::AutoencoderKL>(3, tiny_vae());
  pt::VaeTrainConfig tc;
  tc.max_steps = 60;
  tc.batch_size = 8;
  tc.lr = 3e-3;
  tc.warmup_steps = 5;
  tc.log_every = 1;
  tc.augment = {0.0, 0.0, false};
  const auto report = pt::train_vae(vae, images, tc);
  REQUIRE(report.curve.size() == 60);
  CHECK(report.epoch_losses.size() == 15);   // 32 images / batch 8 = 4 steps per epoch
  const double first = window(report.curve, 0, 8), last = window(report.curve, 52, 60);
  INFO("loss " << first << " -> " << last);
  CHECK(last < 0.7 * first);

  const auto z = pt::encode_latents(vae, images);
  CHECK(z.mean.sizes() == torch::IntArrayRef({32, 4, 8, 8}));
  const double s = pt::latent_scaling_factor(z, 0);
  REQUIRE(std::isfinite(s));
  REQUIRE(s > 0);
  const auto psnr = pt::reconstruction_psnr(vae, images);
  CHECK(psnr.images == 32);
  CHECK(std::isfinite(psnr.mean_db));
  CHECK(psnr.mean_db > 5.0);

  distdiff::test::TempDir dir("pretrain-vae");
  pt::save_vae(vae, s, dir / "vae");
  const auto codec = dm::VaeCodec::load(dir / "vae", distdiff::RuntimeOptions{});
  CHECK(codec.encoder.config().scaling_factor == Approx(s));
  const auto x = images.range01(0, 4) * 2.0 - 1.0;
  torch::NoGradGuard no_grad;
  CHECK(torch::allclose(codec.encoder.encode_mean(x), z.mean.slice(0, 0, 4) * s, 1e-4, 1e-5));
  // Scaled latents have unit standard deviation over the set.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
  const auto scaled = codec.encoder.encode(images.range01(0, 32) * 2.0 - 1.0, gen);
  CHECK(scaled.std().item<double>() == Approx(1.0).epsilon(0.15));
}

}  // namespace DISTDIFF_UNITY_ID
