// VaeCodec::load / save through diffusers-style folders on disk.
#include <catch2/catch.hpp>

#include "models/vae/vae_test_util.hpp"

#include <distdiff/models/weights/safetensors.hpp>

#include <fstream>

using distdiff::models::VaeCodec;
using distdiff::models::VaeConfig;
namespace fs = std::filesystem;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::map<std::string, torch::Tensor> weights_of(const VaeCodec& codec) {
  return distdiff::models::state_dict(*codec.encoder.module());
}

}  // namespace

TEST_CASE("VaeCodec round-trips through a vae/ folder with identical outputs", "[vae]") {
  vae_test::TempDir tmp;
  VaeConfig cfg = VaeConfig::tiny();
  cfg.scaling_factor = 0.5;
  const auto original = VaeCodec::random(cfg, vae_test::cpu(), 41);
  original.save(tmp.path / "vae");
  CHECK(fs::is_regular_file(tmp.path / "vae" / "config.json"));
  CHECK(fs::is_regular_file(tmp.path / "vae" / "diffusion_pytorch_model.safetensors"));
  CHECK_FALSE(fs::exists(tmp.path / "vae" / "config.json.tmp"));

  torch::manual_seed(7);
  const auto before = torch::rand({3});
  torch::manual_seed(7);
  const auto loaded = VaeCodec::load(tmp.path / "vae", vae_test::cpu());
  CHECK(torch::equal(torch::rand({3}), before));  // loading leaves the global RNG alone
  CHECK(loaded.encoder.config() == cfg);
  // The model folder holding vae/ works too.
  const auto from_root = VaeCodec::load(tmp.path, vae_test::cpu());
  CHECK(from_root.decoder.config() == cfg);

  const auto x = vae_test::images(2, 3, 16, 16, 1);
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(5);
  auto g2 = at::make_generator<at::CPUGeneratorImpl>(5);
  const auto z = original.encoder.encode(x, g1);
  CHECK(torch::equal(z, loaded.encoder.encode(x, g2)));
  CHECK(torch::equal(original.decoder.decode(z), loaded.decoder.decode(z)));
  CHECK(torch::equal(original.decoder.decode(z), from_root.decoder.decode(z)));
  CHECK(loaded.encoder.name().find((tmp.path / "vae").string()) != std::string::npos);
  for (const auto& p : loaded.encoder.module()->parameters()) CHECK_FALSE(p.requires_grad());
}

TEST_CASE("VaeCodec::load accepts the legacy attention names", "[vae]") {
  vae_test::TempDir tmp;
  const auto original = VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(), 42);
  std::map<std::string, torch::Tensor> legacy;
  for (const auto& [key, t] : weights_of(original)) {
    std::string k = key;
    for (auto [now, old] : {std::pair{".to_q.", ".query."}, std::pair{".to_k.", ".key."},
                            std::pair{".to_v.", ".value."}, std::pair{".to_out.0.", ".proj_attn."}}) {
      if (auto at = k.find(now); at != std::string::npos) k.replace(at, std::string(now).size(), old);
    }
    legacy.emplace(k, t);
  }
  REQUIRE(legacy.count("decoder.mid_block.attentions.0.proj_attn.weight") == 1);
  const fs::path dir = tmp.path / "vae";
  fs::create_directories(dir);
  write_text(dir / "config.json", VaeConfig::tiny().to_json().dump());
  distdiff::models::save_safetensors(dir / "diffusion_pytorch_model.safetensors", legacy);
  const auto loaded = VaeCodec::load(dir, vae_test::cpu());
  const auto z = vae_test::images(1, 4, 8, 8, 2);
  CHECK(torch::equal(original.decoder.decode(z), loaded.decoder.decode(z)));
}

TEST_CASE("VaeCodec::load upcasts a float16 file for the CPU and loads into bfloat16", "[vae]") {
  vae_test::TempDir tmp;
  const auto original = VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(), 43);
  std::map<std::string, torch::Tensor> half;
  for (const auto& [key, t] : weights_of(original)) half.emplace(key, t.to(torch::kFloat16));
  const fs::path dir = tmp.path / "vae";
  fs::create_directories(dir);
  write_text(dir / "config.json", VaeConfig::tiny().to_json().dump());
  distdiff::models::save_safetensors(dir / "diffusion_pytorch_model.fp16.safetensors", half);

  const auto loaded = VaeCodec::load(dir, vae_test::cpu());
  // Expected: the original network with its weights rounded through float16.
  distdiff::models::AutoencoderKL rounded(VaeConfig::tiny());
  {
    torch::NoGradGuard no_grad;
    auto params = vae_test::named_params(*rounded);
    for (auto& [key, p] : params) p.copy_(half.at(key).to(torch::kFloat32));
  }
  const auto expected = VaeCodec::from_module(rounded, vae_test::cpu(), "rounded");
  const auto z = vae_test::images(1, 4, 8, 8, 3);
  for (const auto& p : loaded.decoder.module()->parameters()) CHECK(p.scalar_type() == torch::kFloat32);
  CHECK(torch::equal(loaded.decoder.decode(z), expected.decoder.decode(z)));

  const auto bf16 = VaeCodec::load(dir, vae_test::cpu(torch::kBFloat16));
  for (const auto& p : bf16.decoder.module()->parameters()) CHECK(p.scalar_type() == torch::kBFloat16);
  CHECK(bf16.decoder.decode(z).scalar_type() == torch::kBFloat16);
}

TEST_CASE("VaeCodec::load reports missing or broken files by name", "[vae]") {
  vae_test::TempDir tmp;
  const fs::path dir = tmp.path / "vae";
  CHECK_THROWS_WITH(VaeCodec::load(dir, vae_test::cpu()), Catch::Contains("is not a folder"));
  fs::create_directories(dir);
  CHECK_THROWS_WITH(VaeCodec::load(dir, vae_test::cpu()), Catch::Contains("config.json"));
  write_text(dir / "config.json", "{ \"latent_channels\": ");
  CHECK_THROWS_WITH(VaeCodec::load(dir, vae_test::cpu()), Catch::Contains("config.json"));
  write_text(dir / "config.json", R"({"_class_name": "AutoencoderKL", "act_fn": "relu"})");
  CHECK_THROWS_WITH(VaeCodec::load(dir, vae_test::cpu()),
                    Catch::Contains("config.json") && Catch::Contains("act_fn"));
  write_text(dir / "config.json", VaeConfig::tiny().to_json().dump());
  CHECK_THROWS_WITH(VaeCodec::load(dir, vae_test::cpu()), Catch::Contains("no weights found"));

  // A file lacking one tensor: strict loading names the file and the tensor.
  const auto original = VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(), 44);
  auto weights = weights_of(original);
  weights.erase("decoder.conv_out.bias");
  distdiff::models::save_safetensors(dir / "diffusion_pytorch_model.safetensors", weights);
  CHECK_THROWS_WITH(VaeCodec::load(dir, vae_test::cpu()),
                    Catch::Contains("diffusion_pytorch_model.safetensors") &&
                        Catch::Contains("decoder.conv_out.bias"));
  // A config that does not match the weights: a shape mismatch, named.
  VaeConfig wider = VaeConfig::tiny();
  wider.block_out_channels = {32, 128};
  weights = weights_of(original);
  distdiff::models::save_safetensors(dir / "diffusion_pytorch_model.safetensors", weights);
  write_text(dir / "config.json", wider.to_json().dump());
  CHECK_THROWS_WITH(VaeCodec::load(dir, vae_test::cpu()), Catch::Contains("shape mismatch"));
  CHECK_THROWS_WITH(VaeCodec::load(dir, vae_test::cpu(torch::kFloat16)),
                    Catch::Contains("float16 is not supported on the CPU"));
}

}  // namespace DISTDIFF_UNITY_ID
