#include <catch2/catch.hpp>

#include <cmath>

#include "distdiff/sampler/ddim.hpp"

using distdiff::CompVisDdimScheduler;
using distdiff::DdimScheduler;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("DDIM: leading spacing with steps_offset 1 matches the LDM uniform schedule", "[ddim]") {
  DdimScheduler s;
  const auto ts = s.timesteps(50);
  REQUIRE(ts.size() == 50);
  CHECK(ts.front() == 981);
  CHECK(ts.back() == 1);
  for (std::size_t i = 0; i + 1 < ts.size(); ++i) CHECK(ts[i] - ts[i + 1] == 20);
  // DDIM index i (ascending) sits at 20 i + 1, as in CompVis' make_ddim_timesteps.
  for (std::int64_t i = 0; i < 50; ++i) CHECK(ts[std::size_t(49 - i)] == 20 * i + 1);
}

TEST_CASE("DDIM: img2img start for strength 0.9 and the reference trigger", "[ddim]") {
  DdimScheduler s;
  const auto ts = s.timesteps(50);
  const auto start = s.img2img_start(50, 0.9);
  CHECK(start == 5);                       // 45 denoising steps
  CHECK(ts[std::size_t(start)] == 881);
  // The reference v1 transforms the latent at t = 621 = DDIM index 31,
  // the 14th of the 45 denoising steps.
  const auto pos621 = std::find(ts.begin(), ts.end(), 621) - ts.begin();
  CHECK(pos621 - start + 1 == 14);
  CHECK(49 - pos621 == 31);
  CHECK(s.img2img_start(50, 1.0) == 0);
  CHECK(s.img2img_start(50, 0.5) == 25);
  CHECK_THROWS_WITH(s.img2img_start(50, 0.0), Catch::Contains("strength"));
  CHECK_THROWS_WITH(s.img2img_start(50, 0.01), Catch::Contains("runs no denoising step"));
  CHECK_THROWS_WITH(s.timesteps(0), Catch::Contains("num_inference_steps"));
}

TEST_CASE("DDIM: the img2img start noise of diffusers and of CompVis LDM (DistDiff v1)", "[ddim]") {
  // 50 steps, strength 0.9: 45 denoising steps from t = 881. Hand-computed ᾱ:
  // ᾱ(881) = 0.017185 (diffusers' img2img noises here), ᾱ(901) = 0.014005
  // (CompVis stochastic_encode(z0, t_enc = 45) indexes ddim_alphas[45] = ᾱ(901)).
  const DdimScheduler diffusers;
  const CompVisDdimScheduler compvis;
  CHECK(diffusers.img2img_start(50, 0.9) == compvis.img2img_start(50, 0.9));
  CHECK(diffusers.timesteps(50) == compvis.timesteps(50));
  CHECK(diffusers.img2img_noise_timestep(50, 0.9) == 881);
  CHECK(compvis.img2img_noise_timestep(50, 0.9) == 901);
  CHECK(diffusers.alpha_bar(diffusers.img2img_noise_timestep(50, 0.9)) == Approx(0.017185).margin(5e-7));
  CHECK(compvis.alpha_bar(compvis.img2img_noise_timestep(50, 0.9)) == Approx(0.014005).margin(5e-7));
  // HEAD's strength 0.5: 25 steps from t = 481; CompVis would noise at 501.
  CHECK(diffusers.img2img_noise_timestep(50, 0.5) == 481);
  CHECK(compvis.img2img_noise_timestep(50, 0.5) == 501);
  // Strength 1 denoises from t = 981: CompVis has no step above (its code indexes out of range).
  CHECK(diffusers.img2img_noise_timestep(50, 1.0) == 981);
  CHECK_THROWS_WITH(compvis.img2img_noise_timestep(50, 1.0), Catch::Contains("strength below 1"));
  CHECK(diffusers.params()["start_noise"] == "first-step");
  CHECK(compvis.params()["start_noise"] == "step-above");
}

TEST_CASE("DDIM: alphas_cumprod of the scaled-linear schedule, computed independently", "[ddim]") {
  DdimScheduler s;
  long double prod = 1.0L;
  const long double a = std::sqrt(0.00085L), b = std::sqrt(0.012L);
  for (int i = 0; i < 1000; ++i) {
    const long double beta = std::pow(a + (b - a) * i / 999.0L, 2);
    prod *= (1.0L - beta);
    if (i == 0 || i == 1 || i == 500 || i == 621 || i == 999) CHECK(s.alpha_bar(i) == Approx(double(prod)).epsilon(1e-12));
  }
  CHECK(s.alpha_bar(-1) == Approx(1.0 - 0.00085));   // set_alpha_to_one = false
  CHECK(s.alpha_bar(999) == Approx(0.0046).margin(0.0002));  // SD's published ᾱ_T ≈ 0.0047
  CHECK_THROWS(s.alpha_bar(1000));
}

TEST_CASE("DDIM: with the true noise, x0-prediction is exact and a full run returns x0", "[ddim]") {
  torch::manual_seed(3);
  const auto x0 = torch::randn({2, 4, 5, 5}, torch::kFloat64);
  const auto noise = torch::randn({2, 4, 5, 5}, torch::kFloat64);

  DdimScheduler s;
  for (std::int64_t t : {1, 201, 621, 981}) {
    const auto zt = s.add_noise(x0, noise, t);
    CHECK(torch::allclose(s.predict_x0(zt, noise, t), x0, 1e-10, 1e-10));
  }

  // Oracle denoiser: ε̂(z, t) = (z − √ᾱ_t x0)/√(1 − ᾱ_t). DDIM then keeps ε
  // constant and the final latent is √ᾱ_final x0 + √(1 − ᾱ_final) ε.
  for (bool alpha_one : {true, false}) {
    distdiff::DdimConfig cfg;
    cfg.set_alpha_to_one = alpha_one;
    DdimScheduler sch(cfg);
    const auto ts = sch.timesteps(50);
    const auto start = sch.img2img_start(50, 0.9);
    auto z = sch.add_noise(x0, noise, ts[std::size_t(start)]);
    for (std::size_t p = std::size_t(start); p < ts.size(); ++p) {
      const auto t = ts[p];
      const auto eps = (z - std::sqrt(sch.alpha_bar(t)) * x0) / std::sqrt(1 - sch.alpha_bar(t));
      const auto t_prev = p + 1 < ts.size() ? ts[p + 1] : -1;
      z = sch.step(z, eps, t, t_prev);
    }
    const double af = sch.alpha_bar(-1);
    const auto expected = std::sqrt(af) * x0 + std::sqrt(1 - af) * noise;
    CHECK(torch::allclose(z, expected, 1e-9, 1e-9));
    if (alpha_one) CHECK(torch::allclose(z, x0, 1e-9, 1e-9));
  }
}

TEST_CASE("DDIM: linear betas and bad configurations", "[ddim]") {
  distdiff::DdimConfig cfg;
  cfg.beta_schedule = "linear";
  DdimScheduler lin(cfg);
  CHECK(lin.alpha_bar(0) == Approx(1 - 0.00085));
  CHECK(lin.alpha_bar(1) == Approx((1 - 0.00085) * (1 - (0.00085 + (0.012 - 0.00085) / 999))));
  cfg.beta_schedule = "cosine-ish";
  CHECK_THROWS_WITH(DdimScheduler(cfg), Catch::Contains("unknown beta_schedule"));
}

}  // namespace DISTDIFF_UNITY_ID
