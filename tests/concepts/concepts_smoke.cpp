#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/concepts.hpp"
#include "distdiff/core/types.hpp"

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
struct MeanColour {
  using component_tag = distdiff::feature_extractor_tag;
  at::Tensor extract(const at::Tensor& x) const { return x.mean({2, 3}); }
  std::int64_t feature_dim() const { return 3; }
  std::string name() const { return "mean-colour"; }
};
struct Untagged {
  at::Tensor extract(const at::Tensor& x) const { return x; }
  std::int64_t feature_dim() const { return 3; }
  std::string name() const { return "untagged"; }
};
}  // namespace

TEST_CASE("FeatureExtractor: tag and structure", "[concepts]") {
  STATIC_REQUIRE(distdiff::FeatureExtractor<MeanColour>);
  STATIC_REQUIRE_FALSE(distdiff::FeatureExtractor<Untagged>);
  auto f = MeanColour{}.extract(torch::ones({2, 3, 4, 4}));
  REQUIRE(f.sizes() == torch::IntArrayRef({2, 3}));
}

}  // namespace DISTDIFF_UNITY_ID
