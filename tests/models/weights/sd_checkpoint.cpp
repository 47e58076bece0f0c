// Single-file SD v1 checkpoint names -> diffusers/transformers names.
//
// The test builds the key set (with shapes) of each component twice, from
// the two code bases' construction rules: the LDM UNetModel/Encoder/Decoder
// and diffusers' UNet2DConditionModel/AutoencoderKL. Channel widths differ per
// level, so a wrong block, level order or skip connection shows up as a shape
// mismatch, not only as a wrong name.
#include <catch2/catch.hpp>

#include "distdiff/models/weights/sd_checkpoint.hpp"

#include <set>

using namespace distdiff::models;
using Catch::Matchers::Contains;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

using Shapes = std::map<std::string, std::vector<std::int64_t>>;

void add(Shapes& s, const std::string& p, std::vector<std::int64_t> w, bool bias = true) {
  const std::int64_t out = w.front();
  s[p + ".weight"] = std::move(w);
  if (bias) s[p + ".bias"] = {out};
}

// SpatialTransformer / Transformer2DModel: the same names in both code bases.
void transformer(Shapes& s, const std::string& p, std::int64_t c, std::int64_t ctx) {
  add(s, p + "norm", {c});
  add(s, p + "proj_in", {c, c, 1, 1});
  const std::string b = p + "transformer_blocks.0.";
  for (const char* attn : {"attn1", "attn2"}) {
    const std::int64_t kv = std::string(attn) == "attn1" ? c : ctx;
    add(s, b + attn + ".to_q", {c, c}, false);
    add(s, b + attn + ".to_k", {c, kv}, false);
    add(s, b + attn + ".to_v", {c, kv}, false);
    add(s, b + attn + ".to_out.0", {c, c});
  }
  add(s, b + "ff.net.0.proj", {8 * c, c});
  add(s, b + "ff.net.2", {c, 4 * c});
  for (const char* n : {"norm1", "norm2", "norm3"}) add(s, b + n, {c});
  add(s, p + "proj_out", {c, c, 1, 1});
}

// ---- LDM (openaimodel.UNetModel) ----
void ldm_resblock(Shapes& s, const std::string& p, std::int64_t cin, std::int64_t cout, std::int64_t emb) {
  add(s, p + "in_layers.0", {cin});
  add(s, p + "in_layers.2", {cout, cin, 3, 3});
  add(s, p + "emb_layers.1", {cout, emb});
  add(s, p + "out_layers.0", {cout});
  add(s, p + "out_layers.3", {cout, cout, 3, 3});
  if (cin != cout) add(s, p + "skip_connection", {cout, cin, 1, 1});
}

Shapes ldm_unet(std::int64_t mc, const std::vector<std::int64_t>& mult, std::int64_t L,
                const std::set<std::int64_t>& attn, std::int64_t ctx) {
  Shapes s;
  const std::int64_t emb = 4 * mc;
  const auto N = static_cast<std::int64_t>(mult.size());
  add(s, "time_embed.0", {emb, mc});
  add(s, "time_embed.2", {emb, emb});
  add(s, "input_blocks.0.0", {mc, 4, 3, 3});
  std::vector<std::int64_t> skips{mc};
  std::int64_t ch = mc, k = 1;
  for (std::int64_t level = 0; level < N; ++level) {
    for (std::int64_t j = 0; j < L; ++j, ++k) {
      const std::string p = "input_blocks." + std::to_string(k) + ".";
      ldm_resblock(s, p + "0.", ch, mult[level] * mc, emb);
      ch = mult[level] * mc;
      if (attn.count(level)) transformer(s, p + "1.", ch, ctx);
      skips.push_back(ch);
    }
    if (level != N - 1) {
      add(s, "input_blocks." + std::to_string(k++) + ".0.op", {ch, ch, 3, 3});
      skips.push_back(ch);
    }
  }
  ldm_resblock(s, "middle_block.0.", ch, ch, emb);
  transformer(s, "middle_block.1.", ch, ctx);
  ldm_resblock(s, "middle_block.2.", ch, ch, emb);
  k = 0;
  for (std::int64_t level = N - 1; level >= 0; --level) {
    for (std::int64_t j = 0; j <= L; ++j, ++k) {
      const std::string p = "output_blocks." + std::to_string(k) + ".";
      const std::int64_t skip = skips.back();
      skips.pop_back();
      ldm_resblock(s, p + "0.", ch + skip, mult[level] * mc, emb);
      ch = mult[level] * mc;
      int idx = 1;
      if (attn.count(level)) transformer(s, p + std::to_string(idx++) + ".", ch, ctx);
      if (level > 0 && j == L) add(s, p + std::to_string(idx) + ".conv", {ch, ch, 3, 3});
    }
  }
  add(s, "out.0", {ch});
  add(s, "out.2", {4, ch, 3, 3});
  return s;
}

// ---- diffusers UNet2DConditionModel ----
void hf_resnet(Shapes& s, const std::string& p, std::int64_t cin, std::int64_t cout, std::int64_t emb) {
  add(s, p + "norm1", {cin});
  add(s, p + "conv1", {cout, cin, 3, 3});
  if (emb > 0) add(s, p + "time_emb_proj", {cout, emb});
  add(s, p + "norm2", {cout});
  add(s, p + "conv2", {cout, cout, 3, 3});
  if (cin != cout) add(s, p + "conv_shortcut", {cout, cin, 1, 1});
}

Shapes hf_unet(const std::vector<std::int64_t>& block_out, std::int64_t L, const std::set<std::int64_t>& attn,
               std::int64_t ctx) {
  Shapes s;
  const auto N = static_cast<std::int64_t>(block_out.size());
  const std::int64_t c0 = block_out[0], emb = 4 * c0;
  add(s, "conv_in", {c0, 4, 3, 3});
  add(s, "time_embedding.linear_1", {emb, c0});
  add(s, "time_embedding.linear_2", {emb, emb});
  std::int64_t output = c0;
  for (std::int64_t i = 0; i < N; ++i) {
    const std::int64_t input = output;
    output = block_out[i];
    const std::string p = "down_blocks." + std::to_string(i) + ".";
    for (std::int64_t j = 0; j < L; ++j) {
      hf_resnet(s, p + "resnets." + std::to_string(j) + ".", j == 0 ? input : output, output, emb);
      if (attn.count(i)) transformer(s, p + "attentions." + std::to_string(j) + ".", output, ctx);
    }
    if (i < N - 1) add(s, p + "downsamplers.0.conv", {output, output, 3, 3});
  }
  const std::int64_t cl = block_out.back();
  hf_resnet(s, "mid_block.resnets.0.", cl, cl, emb);
  transformer(s, "mid_block.attentions.0.", cl, ctx);
  hf_resnet(s, "mid_block.resnets.1.", cl, cl, emb);
  const std::vector<std::int64_t> rev(block_out.rbegin(), block_out.rend());
  output = rev[0];
  for (std::int64_t i = 0; i < N; ++i) {
    const std::int64_t prev = output;
    output = rev[i];
    const std::int64_t input = rev[std::min(i + 1, N - 1)];
    const std::string p = "up_blocks." + std::to_string(i) + ".";
    for (std::int64_t j = 0; j <= L; ++j) {
      const std::int64_t skip = j == L ? input : output;
      hf_resnet(s, p + "resnets." + std::to_string(j) + ".", (j == 0 ? prev : output) + skip, output, emb);
      if (attn.count(N - 1 - i)) transformer(s, p + "attentions." + std::to_string(j) + ".", output, ctx);
    }
    if (i < N - 1) add(s, p + "upsamplers.0.conv", {output, output, 3, 3});
  }
  add(s, "conv_norm_out", {c0});
  add(s, "conv_out", {4, c0, 3, 3});
  return s;
}

// ---- LDM autoencoder (Encoder/Decoder) ----
void ldm_vae_block(Shapes& s, const std::string& p, std::int64_t cin, std::int64_t cout) {
  add(s, p + "norm1", {cin});
  add(s, p + "conv1", {cout, cin, 3, 3});
  add(s, p + "norm2", {cout});
  add(s, p + "conv2", {cout, cout, 3, 3});
  if (cin != cout) add(s, p + "nin_shortcut", {cout, cin, 1, 1});
}

void ldm_vae_mid(Shapes& s, const std::string& p, std::int64_t c) {
  ldm_vae_block(s, p + "mid.block_1.", c, c);
  add(s, p + "mid.attn_1.norm", {c});
  for (const char* n : {"q", "k", "v", "proj_out"}) add(s, p + "mid.attn_1." + n, {c, c, 1, 1});
  ldm_vae_block(s, p + "mid.block_2.", c, c);
}

Shapes ldm_vae(std::int64_t ch, const std::vector<std::int64_t>& mult, std::int64_t L, std::int64_t z) {
  Shapes s;
  const auto N = static_cast<std::int64_t>(mult.size());
  add(s, "encoder.conv_in", {ch, 3, 3, 3});
  std::int64_t block_in = ch;
  for (std::int64_t i = 0; i < N; ++i) {
    const std::int64_t block_out = ch * mult[i];
    for (std::int64_t j = 0; j < L; ++j) {
      ldm_vae_block(s, "encoder.down." + std::to_string(i) + ".block." + std::to_string(j) + ".", block_in, block_out);
      block_in = block_out;
    }
    if (i != N - 1) add(s, "encoder.down." + std::to_string(i) + ".downsample.conv", {block_in, block_in, 3, 3});
  }
  ldm_vae_mid(s, "encoder.", block_in);
  add(s, "encoder.norm_out", {block_in});
  add(s, "encoder.conv_out", {2 * z, block_in, 3, 3});
  block_in = ch * mult.back();
  add(s, "decoder.conv_in", {block_in, z, 3, 3});
  ldm_vae_mid(s, "decoder.", block_in);
  for (std::int64_t i = N - 1; i >= 0; --i) {
    const std::int64_t block_out = ch * mult[i];
    for (std::int64_t j = 0; j <= L; ++j) {
      ldm_vae_block(s, "decoder.up." + std::to_string(i) + ".block." + std::to_string(j) + ".", block_in, block_out);
      block_in = block_out;
    }
    if (i != 0) add(s, "decoder.up." + std::to_string(i) + ".upsample.conv", {block_in, block_in, 3, 3});
  }
  add(s, "decoder.norm_out", {block_in});
  add(s, "decoder.conv_out", {3, block_in, 3, 3});
  add(s, "quant_conv", {2 * z, 2 * z, 1, 1});
  add(s, "post_quant_conv", {z, z, 1, 1});
  return s;
}

// ---- diffusers AutoencoderKL ----
void hf_vae_mid(Shapes& s, const std::string& p, std::int64_t c) {
  hf_resnet(s, p + "mid_block.resnets.0.", c, c, 0);
  add(s, p + "mid_block.attentions.0.group_norm", {c});
  for (const char* n : {"to_q", "to_k", "to_v", "to_out.0"}) add(s, p + "mid_block.attentions.0." + n, {c, c});
  hf_resnet(s, p + "mid_block.resnets.1.", c, c, 0);
}

Shapes hf_vae(const std::vector<std::int64_t>& block_out, std::int64_t L, std::int64_t z) {
  Shapes s;
  const auto N = static_cast<std::int64_t>(block_out.size());
  add(s, "encoder.conv_in", {block_out[0], 3, 3, 3});
  std::int64_t output = block_out[0];
  for (std::int64_t i = 0; i < N; ++i) {
    const std::int64_t input = output;
    output = block_out[i];
    const std::string p = "encoder.down_blocks." + std::to_string(i) + ".";
    for (std::int64_t j = 0; j < L; ++j) {
      hf_resnet(s, p + "resnets." + std::to_string(j) + ".", j == 0 ? input : output, output, 0);
    }
    if (i < N - 1) add(s, p + "downsamplers.0.conv", {output, output, 3, 3});
  }
  hf_vae_mid(s, "encoder.", block_out.back());
  add(s, "encoder.conv_norm_out", {block_out.back()});
  add(s, "encoder.conv_out", {2 * z, block_out.back(), 3, 3});
  add(s, "decoder.conv_in", {block_out.back(), z, 3, 3});
  hf_vae_mid(s, "decoder.", block_out.back());
  const std::vector<std::int64_t> rev(block_out.rbegin(), block_out.rend());
  output = rev[0];
  for (std::int64_t i = 0; i < N; ++i) {
    const std::int64_t prev = output;
    output = rev[i];
    const std::string p = "decoder.up_blocks." + std::to_string(i) + ".";
    for (std::int64_t j = 0; j <= L; ++j) {
      hf_resnet(s, p + "resnets." + std::to_string(j) + ".", j == 0 ? prev : output, output, 0);
    }
    if (i < N - 1) add(s, p + "upsamplers.0.conv", {output, output, 3, 3});
  }
  add(s, "decoder.conv_norm_out", {block_out[0]});
  add(s, "decoder.conv_out", {3, block_out[0], 3, 3});
  add(s, "quant_conv", {2 * z, 2 * z, 1, 1});
  add(s, "post_quant_conv", {z, z, 1, 1});
  return s;
}

std::map<std::string, torch::Tensor> checkpoint_of(const std::map<std::string, Shapes>& parts) {
  std::map<std::string, torch::Tensor> ckpt;
  for (const auto& [prefix, shapes] : parts) {
    for (const auto& [k, shape] : shapes) ckpt[prefix + k] = torch::empty(shape);
  }
  return ckpt;
}

Shapes shapes_of(const std::map<std::string, torch::Tensor>& tensors) {
  Shapes s;
  for (const auto& [k, t] : tensors) s[k] = t.sizes().vec();
  return s;
}

// Compares key sets and shapes, reporting the first differences readably.
void require_same(const Shapes& got, const Shapes& want) {
  std::vector<std::string> extra, lacking, wrong;
  for (const auto& [k, v] : got) {
    if (!want.count(k)) extra.push_back(k);
    else if (want.at(k) != v) wrong.push_back(k);
  }
  for (const auto& [k, v] : want) {
    if (!got.count(k)) lacking.push_back(k);
  }
  INFO("extra: " << (extra.empty() ? "-" : extra.front()) << " (" << extra.size() << ")");
  INFO("lacking: " << (lacking.empty() ? "-" : lacking.front()) << " (" << lacking.size() << ")");
  INFO("wrong shape: " << (wrong.empty() ? "-" : wrong.front()) << " (" << wrong.size() << ")");
  REQUIRE(extra.empty());
  REQUIRE(lacking.empty());
  REQUIRE(wrong.empty());
}

}  // namespace

// diffusers starts with block_out_channels[0] = model_channels * mult[0] channels where
// LDM starts with model_channels, so only mult[0] == 1 is expressible in both.
TEST_CASE("sd_checkpoint: UNet names and shapes match diffusers' construction", "[weights][sd]") {
  struct Config {
    std::int64_t L;
    std::vector<std::int64_t> mult;
    std::set<std::int64_t> attn;
  };
  for (const Config& c : {Config{2, {1, 2, 3, 4}, {0, 1, 2}},  // SD v1 layout, distinct widths
                          Config{1, {1, 2, 3}, {1, 2}}, Config{3, {1, 3}, {0}}}) {
    INFO("layers_per_block " << c.L << ", levels " << c.mult.size());
    const std::int64_t mc = 4, ctx = 6;
    const Shapes ldm = ldm_unet(mc, c.mult, c.L, c.attn, ctx);
    std::vector<std::int64_t> block_out;
    for (auto m : c.mult) block_out.push_back(m * mc);
    const Shapes hf = hf_unet(block_out, c.L, c.attn, ctx);
    REQUIRE(ldm.size() == hf.size());

    const auto ckpt = checkpoint_of({{"model.diffusion_model.", ldm},
                                     {"first_stage_model.", {{"encoder.conv_in.weight", {1}}}},
                                     {"", {{"alphas_cumprod", {1000}}, {"model_ema.decay", {}}}}});
    const auto unet = split_sd_checkpoint(ckpt, "unet", c.L, static_cast<std::int64_t>(c.mult.size()));
    require_same(shapes_of(unet), hf);
    // The tensors are passed through, not copied.
    REQUIRE(unet.at("conv_in.weight").data_ptr() ==
            ckpt.at("model.diffusion_model.input_blocks.0.0.weight").data_ptr());
  }
}

TEST_CASE("sd_checkpoint: known SD v1 UNet pairs", "[weights][sd]") {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"time_embed.2.bias", "time_embedding.linear_2.bias"},
      {"input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight",
       "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"},
      {"input_blocks.4.0.skip_connection.weight", "down_blocks.1.resnets.0.conv_shortcut.weight"},
      {"input_blocks.3.0.op.weight", "down_blocks.0.downsamplers.0.conv.weight"},
      {"input_blocks.9.0.op.bias", "down_blocks.2.downsamplers.0.conv.bias"},
      {"input_blocks.11.0.emb_layers.1.bias", "down_blocks.3.resnets.1.time_emb_proj.bias"},
      {"middle_block.1.proj_in.weight", "mid_block.attentions.0.proj_in.weight"},
      {"middle_block.2.out_layers.3.weight", "mid_block.resnets.1.conv2.weight"},
      {"output_blocks.0.0.in_layers.0.weight", "up_blocks.0.resnets.0.norm1.weight"},
      {"output_blocks.2.1.conv.weight", "up_blocks.0.upsamplers.0.conv.weight"},
      {"output_blocks.5.2.conv.bias", "up_blocks.1.upsamplers.0.conv.bias"},
      {"output_blocks.8.2.conv.weight", "up_blocks.2.upsamplers.0.conv.weight"},
      {"output_blocks.8.1.proj_out.bias", "up_blocks.2.attentions.2.proj_out.bias"},
      {"output_blocks.11.1.transformer_blocks.0.ff.net.0.proj.weight",
       "up_blocks.3.attentions.2.transformer_blocks.0.ff.net.0.proj.weight"},
      {"out.0.weight", "conv_norm_out.weight"},
      {"out.2.bias", "conv_out.bias"},
  };
  for (const auto& [ldm, hf] : pairs) {
    INFO(ldm);
    REQUIRE(sd_unet_name(ldm) == hf);
  }
  for (const std::string bad : {"input_blocks.12.0.in_layers.0.weight",  // level 4 of 4
                                "input_blocks.12.0.op.weight",           // no downsampler after the last level
                                "input_blocks.1.2.norm.weight", "input_blocks.1.0.in_layers.1.weight",
                                "output_blocks.11.1.conv.weight",         // no upsampler in the last up block
                                "output_blocks.1.1.conv.weight",          // upsampler only after the last resnet
                                "middle_block.3.norm.weight", "label_emb.0.0.weight", "input_blocks.x.0.w"}) {
    INFO(bad);
    REQUIRE_FALSE(sd_unet_name(bad).has_value());
  }
}

TEST_CASE("sd_checkpoint: VAE names and shapes match diffusers' construction", "[weights][sd]") {
  for (const auto& [L, mult] : std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>>{
           {2, {1, 2, 3, 4}}, {1, {1, 3, 2}}}) {
    INFO("layers_per_block " << L << ", levels " << mult.size());
    const std::int64_t ch = 2, z = 4;
    const Shapes ldm = ldm_vae(ch, mult, L, z);
    std::vector<std::int64_t> block_out;
    for (auto m : mult) block_out.push_back(m * ch);
    const auto ckpt = checkpoint_of({{"first_stage_model.", ldm},
                                     {"model.diffusion_model.", {{"out.2.bias", {4}}}}});
    const auto vae = split_sd_checkpoint(ckpt, "vae", L, static_cast<std::int64_t>(mult.size()));
    require_same(shapes_of(vae), hf_vae(block_out, L, z));
  }

  // 1x1 convolution attention weights become linear, keeping their values.
  std::map<std::string, torch::Tensor> ckpt = checkpoint_of({{"first_stage_model.", ldm_vae(2, {1, 2, 3, 4}, 2, 4)}});
  const torch::Tensor q = torch::randn({8, 8, 1, 1});
  ckpt["first_stage_model.decoder.mid.attn_1.q.weight"] = q;
  const auto vae = split_sd_checkpoint(ckpt, "vae");
  REQUIRE(vae.at("decoder.mid_block.attentions.0.to_q.weight").sizes() == torch::IntArrayRef{8, 8});
  REQUIRE(torch::equal(vae.at("decoder.mid_block.attentions.0.to_q.weight"), q.select(3, 0).select(2, 0)));
  REQUIRE(vae.at("decoder.mid_block.attentions.0.to_q.bias").sizes() == torch::IntArrayRef{8});
  REQUIRE(vae.at("decoder.mid_block.attentions.0.group_norm.weight").sizes() == torch::IntArrayRef{8});

  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"decoder.up.0.block.0.nin_shortcut.weight", "decoder.up_blocks.3.resnets.0.conv_shortcut.weight"},
      {"decoder.up.3.upsample.conv.weight", "decoder.up_blocks.0.upsamplers.0.conv.weight"},
      {"decoder.up.1.block.2.conv1.bias", "decoder.up_blocks.2.resnets.2.conv1.bias"},
      {"encoder.down.3.block.1.norm2.bias", "encoder.down_blocks.3.resnets.1.norm2.bias"},
      {"encoder.down.0.downsample.conv.weight", "encoder.down_blocks.0.downsamplers.0.conv.weight"},
      {"encoder.mid.attn_1.proj_out.weight", "encoder.mid_block.attentions.0.to_out.0.weight"},
      {"encoder.mid.attn_1.norm.bias", "encoder.mid_block.attentions.0.group_norm.bias"},
      {"decoder.mid.block_2.conv2.weight", "decoder.mid_block.resnets.1.conv2.weight"},
      {"decoder.norm_out.weight", "decoder.conv_norm_out.weight"},
      {"post_quant_conv.bias", "post_quant_conv.bias"},
  };
  for (const auto& [ldm, hf] : pairs) {
    INFO(ldm);
    REQUIRE(sd_vae_name(ldm) == hf);
  }
  for (const std::string bad : {"encoder.down.0.block.2.conv1.weight", "decoder.up.0.block.3.conv1.weight",
                                "encoder.down.3.downsample.conv.weight", "decoder.up.0.upsample.conv.weight",
                                "decoder.up.4.block.0.conv1.weight", "encoder.mid.attn_1.qkv.weight",
                                "loss.logvar"}) {
    INFO(bad);
    REQUIRE_FALSE(sd_vae_name(bad).has_value());
  }
}

TEST_CASE("sd_checkpoint: text encoder, errors, legacy VAE attention names", "[weights][sd]") {
  std::map<std::string, torch::Tensor> ckpt;
  ckpt["cond_stage_model.transformer.text_model.embeddings.token_embedding.weight"] = torch::empty({10, 4});
  ckpt["cond_stage_model.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight"] = torch::empty({4, 4});
  ckpt["cond_stage_model.transformer.text_model.final_layer_norm.bias"] = torch::empty({4});
  ckpt["model.diffusion_model.out.2.bias"] = torch::empty({4});
  auto text = split_sd_checkpoint(ckpt, "text_encoder");
  std::vector<std::string> names;
  for (const auto& [k, v] : text) names.push_back(k);
  REQUIRE(names == std::vector<std::string>{"text_model.embeddings.token_embedding.weight",
                                             "text_model.encoder.layers.0.self_attn.q_proj.weight",
                                             "text_model.final_layer_norm.bias"});
  // Older transformers layout without the text_model level.
  REQUIRE(sd_text_encoder_name("embeddings.position_ids") == "text_model.embeddings.position_ids");

  REQUIRE_THROWS_AS(split_sd_checkpoint(ckpt, "unets"), std::invalid_argument);
  REQUIRE_THROWS_WITH(split_sd_checkpoint(ckpt, "vae"), Contains("no vae tensors (first_stage_model.*)"));
  ckpt["model.diffusion_model.label_emb.0.0.weight"] = torch::empty({4});
  ckpt["model.diffusion_model.input_blocks.1.7.x"] = torch::empty({4});
  REQUIRE_THROWS_WITH(split_sd_checkpoint(ckpt, "unet"),
                      Contains("2 unet keys fit no SD v1 rule") &&
                          Contains("model.diffusion_model.label_emb.0.0.weight"));
  ckpt.erase("model.diffusion_model.label_emb.0.0.weight");
  ckpt.erase("model.diffusion_model.input_blocks.1.7.x");
  ckpt["first_stage_model.decoder.mid.attn_1.k.weight"] = torch::empty({4, 4, 3, 3});
  REQUIRE_THROWS_WITH(split_sd_checkpoint(ckpt, "vae"), Contains("not a 1x1 convolution"));

  REQUIRE(rename_legacy_vae_attention("encoder.mid_block.attentions.0.query.weight") ==
          "encoder.mid_block.attentions.0.to_q.weight");
  REQUIRE(rename_legacy_vae_attention("decoder.mid_block.attentions.0.key.bias") ==
          "decoder.mid_block.attentions.0.to_k.bias");
  REQUIRE(rename_legacy_vae_attention("decoder.mid_block.attentions.0.value.weight") ==
          "decoder.mid_block.attentions.0.to_v.weight");
  REQUIRE(rename_legacy_vae_attention("decoder.mid_block.attentions.0.proj_attn.bias") ==
          "decoder.mid_block.attentions.0.to_out.0.bias");
  for (const std::string same : {"decoder.mid_block.attentions.0.group_norm.weight",
                                 "decoder.mid_block.attentions.0.to_q.weight",
                                 "encoder.down_blocks.0.resnets.0.conv1.weight", "key.weight",
                                 "decoder.mid_block.attentions.0.queryx.weight"}) {
    REQUIRE(rename_legacy_vae_attention(same) == same);
  }
}

}  // namespace DISTDIFF_UNITY_ID
