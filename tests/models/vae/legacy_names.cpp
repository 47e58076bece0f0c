// Older diffusers attention names (query/key/value/proj_attn) load into the
// current layout.
#include <catch2/catch.hpp>

#include "models/vae/vae_test_util.hpp"

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace vae = distdiff::models::vae;
using distdiff::models::AutoencoderKL;
using distdiff::models::VaeConfig;

TEST_CASE("vae::legacy_attention_key renames only the legacy attention parameters", "[vae]") {
  CHECK(vae::legacy_attention_key("encoder.mid_block.attentions.0.query.weight") ==
        "encoder.mid_block.attentions.0.to_q.weight");
  CHECK(vae::legacy_attention_key("encoder.mid_block.attentions.0.key.bias") ==
        "encoder.mid_block.attentions.0.to_k.bias");
  CHECK(vae::legacy_attention_key("decoder.mid_block.attentions.0.value.weight") ==
        "decoder.mid_block.attentions.0.to_v.weight");
  CHECK(vae::legacy_attention_key("decoder.mid_block.attentions.0.proj_attn.bias") ==
        "decoder.mid_block.attentions.0.to_out.0.bias");
  CHECK(vae::legacy_attention_key("decoder.mid_block.attentions.0.group_norm.weight") ==
        "decoder.mid_block.attentions.0.group_norm.weight");
  CHECK(vae::legacy_attention_key("decoder.mid_block.attentions.0.to_q.weight") ==
        "decoder.mid_block.attentions.0.to_q.weight");
  CHECK(vae::legacy_attention_key("encoder.conv_in.weight") == "encoder.conv_in.weight");
  // Not an attention parameter, or not a weight/bias: unchanged.
  CHECK(vae::legacy_attention_key("encoder.query.weight") == "encoder.query.weight");
  CHECK(vae::legacy_attention_key("x.attentions.a.query.weight") == "x.attentions.a.query.weight");
  CHECK(vae::legacy_attention_key("x.attentions.0.query.scale") == "x.attentions.0.query.scale");
  CHECK(vae::legacy_attention_key("x.attentions.0.query") == "x.attentions.0.query");
}

TEST_CASE("Legacy attention names load through load_state_dict with the rename", "[vae]") {
  AutoencoderKL source(VaeConfig::tiny());
  vae::randomize_parameters(*source, 31);
  std::map<std::string, torch::Tensor> legacy;
  int renamed = 0;
  for (const auto& [key, t] : vae_test::named_params(*source)) {
    std::string k = key;
    for (auto [now, old] : {std::pair{".to_q.", ".query."}, std::pair{".to_k.", ".key."},
                            std::pair{".to_v.", ".value."}, std::pair{".to_out.0.", ".proj_attn."}}) {
      if (auto at = k.find(now); at != std::string::npos) {
        k.replace(at, std::string(now).size(), old);
        ++renamed;
      }
    }
    legacy.emplace(k, t.detach().clone());
  }
  REQUIRE(renamed == 16);  // 2 attention blocks × 4 projections × (weight, bias)

  AutoencoderKL target(VaeConfig::tiny());
  distdiff::models::LoadOptions options;
  options.rename = vae::legacy_attention_key;
  const auto report = distdiff::models::load_state_dict(*target, legacy, options);
  CHECK(report.missing.empty());
  CHECK(report.unexpected.empty());
  torch::NoGradGuard no_grad;
  const auto x = vae_test::images(1, 3, 16, 16, 8);
  CHECK(torch::equal(source->forward(x), target->forward(x)));

  // Without the rename, the legacy names are unexpected (strict loading fails).
  AutoencoderKL plain(VaeConfig::tiny());
  CHECK_THROWS_WITH(distdiff::models::load_state_dict(*plain, legacy), Catch::Contains("query"));

  // Both spellings of one parameter: rejected.
  auto twice = legacy;
  twice.emplace("encoder.mid_block.attentions.0.to_q.weight", torch::zeros({64, 64}));
  CHECK_THROWS_WITH(distdiff::models::load_state_dict(*target, twice, options),
                    Catch::Contains("to_q.weight"));
}

}  // namespace DISTDIFF_UNITY_ID
