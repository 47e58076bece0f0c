// The SD v1.x UNet has the published parameter count and the published
// state-dict names and shapes, so the diffusers weights load by name.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "distdiff/models/unet/unet2d_condition.hpp"

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

using distdiff::models::UNet2DConditionModel;
using distdiff::models::UNetConfig;

namespace {
std::map<std::string, std::vector<std::int64_t>> shapes_of(const torch::nn::Module& m) {
  std::map<std::string, std::vector<std::int64_t>> out;
  for (const auto& p : m.named_parameters()) out[p.key()] = p.value().sizes().vec();
  return out;
}
}  // namespace

TEST_CASE("SD v1-4 UNet: parameter count and published names", "[unet][structure][full]") {
  std::map<std::string, std::vector<std::int64_t>> shapes;
  std::int64_t count = 0;
  std::size_t buffers = 0;
  {
    torch::NoGradGuard ng;
    UNet2DConditionModel unet(UNetConfig::sd_v1_4());   // ~3.4 GB of float32, freed below
    count = unet->num_parameters();
    shapes = shapes_of(*unet);
    buffers = unet->buffers().size();
  }
  CHECK(count == 859520964);
  CHECK(shapes.size() == 686);   // tensors in unet/diffusion_pytorch_model.safetensors
  CHECK(buffers == 0);

  const std::map<std::string, std::vector<std::int64_t>> published = {
      {"conv_in.weight", {320, 4, 3, 3}},
      {"conv_in.bias", {320}},
      {"time_embedding.linear_1.weight", {1280, 320}},
      {"time_embedding.linear_2.weight", {1280, 1280}},
      {"down_blocks.0.resnets.0.norm1.weight", {320}},
      {"down_blocks.0.resnets.0.time_emb_proj.weight", {320, 1280}},
      {"down_blocks.0.attentions.0.norm.weight", {320}},
      {"down_blocks.0.attentions.0.proj_in.weight", {320, 320, 1, 1}},
      {"down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight", {320, 320}},
      {"down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.bias", {320}},
      {"down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight", {320, 768}},
      {"down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_v.weight", {320, 768}},
      {"down_blocks.0.attentions.0.transformer_blocks.0.norm3.bias", {320}},
      {"down_blocks.0.attentions.0.transformer_blocks.0.ff.net.0.proj.weight", {2560, 320}},
      {"down_blocks.0.attentions.0.transformer_blocks.0.ff.net.2.weight", {320, 1280}},
      {"down_blocks.0.downsamplers.0.conv.weight", {320, 320, 3, 3}},
      {"down_blocks.1.resnets.0.conv_shortcut.weight", {640, 320, 1, 1}},
      {"down_blocks.1.resnets.0.conv1.weight", {640, 320, 3, 3}},
      {"down_blocks.2.attentions.1.proj_out.weight", {1280, 1280, 1, 1}},
      {"down_blocks.3.resnets.1.conv2.weight", {1280, 1280, 3, 3}},
      {"mid_block.resnets.0.norm1.weight", {1280}},
      {"mid_block.attentions.0.proj_in.weight", {1280, 1280, 1, 1}},
      {"mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight", {1280, 768}},
      {"mid_block.resnets.1.norm2.bias", {1280}},
      {"up_blocks.0.resnets.0.conv1.weight", {1280, 2560, 3, 3}},
      {"up_blocks.0.resnets.2.conv_shortcut.weight", {1280, 2560, 1, 1}},
      {"up_blocks.0.upsamplers.0.conv.weight", {1280, 1280, 3, 3}},
      {"up_blocks.1.resnets.2.conv1.weight", {1280, 1920, 3, 3}},
      {"up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_v.weight", {1280, 768}},
      {"up_blocks.2.resnets.0.conv_shortcut.weight", {640, 1920, 1, 1}},
      {"up_blocks.2.resnets.2.conv1.weight", {640, 960, 3, 3}},
      {"up_blocks.2.upsamplers.0.conv.weight", {640, 640, 3, 3}},
      {"up_blocks.3.resnets.0.conv1.weight", {320, 960, 3, 3}},
      {"up_blocks.3.resnets.2.conv_shortcut.weight", {320, 640, 1, 1}},
      {"up_blocks.3.attentions.2.transformer_blocks.0.ff.net.0.proj.bias", {2560}},
      {"up_blocks.3.attentions.2.proj_out.weight", {320, 320, 1, 1}},
      {"conv_norm_out.weight", {320}},
      {"conv_out.weight", {4, 320, 3, 3}},
      {"conv_out.bias", {4}},
  };
  for (const auto& [key, shape] : published) {
    INFO(key);
    REQUIRE(shapes.count(key) == 1);
    CHECK(shapes.at(key) == shape);
  }
  for (const char* absent : {"down_blocks.3.attentions.0.norm.weight", "down_blocks.3.downsamplers.0.conv.weight",
                             "up_blocks.0.attentions.0.norm.weight", "up_blocks.3.upsamplers.0.conv.weight",
                             "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.bias",
                             "down_blocks.0.resnets.0.conv_shortcut.weight", "mid_block.resnets.0.conv_shortcut.weight"}) {
    INFO(absent);
    CHECK(shapes.count(absent) == 0);
  }
  for (const auto& [key, shape] : shapes) {
    INFO(key);
    CHECK(key.find("time_proj") == std::string::npos);
    CHECK(key.find("dropout") == std::string::npos);
  }
}

TEST_CASE("tiny UNet: same naming scheme, sizes read from the config", "[unet][structure]") {
  auto cfg = UNetConfig::tiny();
  UNet2DConditionModel unet(cfg);
  auto shapes = shapes_of(*unet);
  CHECK(shapes.at("time_embedding.linear_1.weight") == std::vector<std::int64_t>{128, 32});
  CHECK(shapes.at("down_blocks.0.attentions.1.transformer_blocks.0.attn2.to_k.weight") ==
        std::vector<std::int64_t>{32, 32});
  CHECK(shapes.at("down_blocks.1.resnets.0.conv_shortcut.weight") == std::vector<std::int64_t>{64, 32, 1, 1});
  CHECK(shapes.count("down_blocks.1.attentions.0.norm.weight") == 0);
  CHECK(shapes.count("down_blocks.1.downsamplers.0.conv.weight") == 0);
  CHECK(shapes.at("mid_block.attentions.0.proj_out.weight") == std::vector<std::int64_t>{64, 64, 1, 1});
  CHECK(shapes.at("up_blocks.0.resnets.2.conv1.weight") == std::vector<std::int64_t>{64, 96, 3, 3});
  CHECK(shapes.at("up_blocks.0.upsamplers.0.conv.weight") == std::vector<std::int64_t>{64, 64, 3, 3});
  CHECK(shapes.at("up_blocks.1.resnets.0.conv1.weight") == std::vector<std::int64_t>{32, 96, 3, 3});
  CHECK(shapes.at("up_blocks.1.attentions.2.proj_in.weight") == std::vector<std::int64_t>{32, 32, 1, 1});
  CHECK(shapes.count("up_blocks.1.upsamplers.0.conv.weight") == 0);
  // Norm settings: resnets and the output norm use norm_eps, transformers 1e-6.
  auto mid = unet->mid_block;
  CHECK(mid->resnet_list[0]->norm1->options.eps() == cfg.norm_eps);
  CHECK(mid->resnet_list[0]->norm1->options.num_groups() == cfg.norm_num_groups);
  CHECK(mid->attention_list[0]->norm->options.eps() == 1e-6);
  CHECK(mid->attention_list[0]->blocks()[0]->attn1->options.heads == 2);
  CHECK(mid->attention_list[0]->blocks()[0]->attn1->options.dim_head == 32);
  CHECK(unet->conv_norm_out->options.eps() == cfg.norm_eps);
  // Parameter count of the tiny network, from the shapes alone.
  std::int64_t from_shapes = 0;
  for (const auto& [key, shape] : shapes) {
    std::int64_t n = 1;
    for (auto s : shape) n *= s;
    from_shapes += n;
  }
  CHECK(unet->num_parameters() == from_shapes);
}

}  // namespace DISTDIFF_UNITY_ID
