#include <catch2/catch.hpp>

#include "distdiff/energy/gif.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
double entropy_of(const std::vector<double>& logits) {
  double m = *std::max_element(logits.begin(), logits.end()), z = 0;
  for (double l : logits) z += std::exp(l - m);
  double h = 0;
  for (double l : logits) {
    const double p = std::exp(l - m) / z;
    h -= p * std::log(p);
  }
  return h;
}
std::vector<double> logits_of(const torch::Tensor& f, const torch::Tensor& text, int i) {
  std::vector<double> out;
  const auto fi = f[i] / f[i].norm();
  for (int c = 0; c < text.size(0); ++c) out.push_back(100.0 * (fi * (text[c] / text[c].norm())).sum().item<double>());
  return out;
}
}  // namespace

TEST_CASE("GIF energies against their closed forms", "[energy][gif]") {
  torch::manual_seed(5);
  const auto f = torch::randn({3, 4}, torch::kFloat64) * 0.1;
  const auto ref = torch::randn({3, 4}, torch::kFloat64) * 0.1;
  const auto text = torch::randn({5, 4}, torch::kFloat64);
  EnergyInputs in;
  in.features = f;
  in.labels = torch::zeros({3}, torch::kLong);
  in.reference_features = ref;
  in.text_features = text;

  const auto gain = GifEntropyGain{}.energy(in);
  const auto cons = GifClassConsistency{}.energy(in);
  const auto div = GifDivergence{}.energy(in);
  for (int i = 0; i < 3; ++i) {
    const auto la = logits_of(f, text, i), lr = logits_of(ref, text, i);
    CHECK(gain[i].item<double>() == Approx(-(entropy_of(la) - entropy_of(lr))).epsilon(1e-9));
    const auto top = std::max_element(lr.begin(), lr.end()) - lr.begin();
    double m = *std::max_element(la.begin(), la.end()), z = 0;
    for (double l : la) z += std::exp(l - m);
    CHECK(cons[i].item<double>() == Approx(-std::exp(la[std::size_t(top)] - m) / z).epsilon(1e-9));
  }
  // divergence: −KL(m ‖ p_i) with p_i = softmax(f̂_i), m their batch mean; KL ≥ 0, = 0 for identical rows
  CHECK((div <= 1e-12).all().item<bool>());
  EnergyInputs same = in;
  same.features = torch::ones({3, 4}, torch::kFloat64);
  CHECK(GifDivergence{}.energy(same).abs().max().item<double>() < 1e-12);
  STATIC_REQUIRE(energy_list<GifEntropyGain, GifDivergence>::needs_text_features);
  STATIC_REQUIRE_FALSE(energy_list<GifDivergence>::needs_text_features);
}

TEST_CASE("GIF energies need their context", "[energy][gif]") {
  EnergyInputs in;
  in.features = torch::randn({2, 4});
  in.labels = torch::zeros({2}, torch::kLong);
  CHECK_THROWS_WITH(GifEntropyGain{}.energy(in), Catch::Contains("text_features"));
  in.text_features = torch::randn({3, 4});
  CHECK_THROWS_WITH(GifClassConsistency{}.energy(in), Catch::Contains("reference_features"));
}

}  // namespace DISTDIFF_UNITY_ID
