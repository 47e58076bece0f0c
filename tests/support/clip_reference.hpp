#pragma once
// A deliberately naive CLIP forward pass for the tests, written from the published
// parameter names and the transformers equations only: explicit per-head loops, an
// explicit causal mask, hand-written layer norm, softmax and activations, patches
// cut out with slicing. It shares no code with the modules it checks.
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace clip_test {

using Params = std::map<std::string, torch::Tensor>;

inline Params params_of(const torch::nn::Module& m) {
  Params p;
  for (const auto& item : m.named_parameters()) p.emplace(item.key(), item.value().detach().to(torch::kDouble));
  return p;
}

inline const torch::Tensor& get(const Params& p, const std::string& key) {
  auto it = p.find(key);
  if (it == p.end()) throw std::runtime_error("reference: missing parameter " + key);
  return it->second;
}

inline torch::Tensor ref_linear(const Params& p, const std::string& prefix, const torch::Tensor& x, bool bias = true) {
  auto y = torch::matmul(x, get(p, prefix + ".weight").t());
  return bias ? y + get(p, prefix + ".bias") : y;
}

inline torch::Tensor ref_layer_norm(const Params& p, const std::string& prefix, const torch::Tensor& x,
                                    double eps = 1e-5) {
  auto mean = x.mean(-1, true);
  auto var = (x - mean).pow(2).mean(-1, true);
  return (x - mean) / torch::sqrt(var + eps) * get(p, prefix + ".weight") + get(p, prefix + ".bias");
}

inline torch::Tensor ref_act(const std::string& act, const torch::Tensor& x) {
  if (act == "quick_gelu") return x / (1 + torch::exp(-1.702 * x));
  if (act == "gelu") return 0.5 * x * (1 + torch::erf(x / std::sqrt(2.0)));
  throw std::runtime_error("reference: activation " + act);
}

inline torch::Tensor ref_attention(const Params& p, const std::string& prefix, const torch::Tensor& x,
                                   std::int64_t heads, bool causal) {
  const auto B = x.size(0), L = x.size(1), D = x.size(2), d = D / heads;
  auto q = ref_linear(p, prefix + ".q_proj", x);
  auto k = ref_linear(p, prefix + ".k_proj", x);
  auto v = ref_linear(p, prefix + ".v_proj", x);
  auto out = torch::zeros_like(x);
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t h = 0; h < heads; ++h) {
      auto qh = q[b].narrow(1, h * d, d), kh = k[b].narrow(1, h * d, d), vh = v[b].narrow(1, h * d, d);
      for (std::int64_t i = 0; i < L; ++i) {
        const std::int64_t visible = causal ? i + 1 : L;
        auto s = torch::mv(kh.narrow(0, 0, visible), qh[i]) / std::sqrt(static_cast<double>(d));
        auto w = torch::exp(s - s.max());
        w = w / w.sum();
        out[b][i].narrow(0, h * d, d).copy_(torch::mv(vh.narrow(0, 0, visible).t(), w));
      }
    }
  }
  return ref_linear(p, prefix + ".out_proj", out);
}

inline torch::Tensor ref_encoder(const Params& p, const std::string& prefix, torch::Tensor x, std::int64_t layers,
                                 std::int64_t heads, const std::string& act, bool causal) {
  for (std::int64_t i = 0; i < layers; ++i) {
    const std::string l = prefix + ".layers." + std::to_string(i);
    x = x + ref_attention(p, l + ".self_attn", ref_layer_norm(p, l + ".layer_norm1", x), heads, causal);
    auto h = ref_linear(p, l + ".mlp.fc1", ref_layer_norm(p, l + ".layer_norm2", x));
    x = x + ref_linear(p, l + ".mlp.fc2", ref_act(act, h));
  }
  return x;
}

struct RefText {
  torch::Tensor last_hidden_state, pooled;
};

// ids: [B, L] int64. Pooled = hidden state at the first occurrence of the row's largest id.
inline RefText ref_text(const Params& p, const std::string& prefix, const torch::Tensor& ids, std::int64_t layers,
                        std::int64_t heads, const std::string& act = "quick_gelu") {
  const auto B = ids.size(0), L = ids.size(1);
  auto tok = get(p, prefix + ".embeddings.token_embedding.weight");
  auto pos = get(p, prefix + ".embeddings.position_embedding.weight");
  auto x = torch::zeros({B, L, tok.size(1)}, torch::kDouble);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t i = 0; i < L; ++i) x[b][i].copy_(tok[ids[b][i].item<std::int64_t>()] + pos[i]);
  x = ref_encoder(p, prefix + ".encoder", x, layers, heads, act, /*causal=*/true);
  x = ref_layer_norm(p, prefix + ".final_layer_norm", x);
  auto pooled = torch::zeros({B, x.size(2)}, torch::kDouble);
  for (std::int64_t b = 0; b < B; ++b) {
    std::int64_t best = 0;
    for (std::int64_t i = 1; i < L; ++i)
      if (ids[b][i].item<std::int64_t>() > ids[b][best].item<std::int64_t>()) best = i;
    pooled[b].copy_(x[b][best]);
  }
  return {x, pooled};
}

// pixels: [B, C, S, S] already normalised. Returns the projected class token.
inline torch::Tensor ref_vision(const Params& p, const torch::Tensor& pixels, std::int64_t patch,
                                std::int64_t layers, std::int64_t heads, const std::string& act = "quick_gelu") {
  const auto B = pixels.size(0), S = pixels.size(2), g = S / patch;
  auto w = get(p, "vision_model.embeddings.patch_embedding.weight");  // [D, C, P, P]
  const auto D = w.size(0);
  auto x = torch::zeros({B, 1 + g * g, D}, torch::kDouble);
  auto px = pixels.to(torch::kDouble);
  for (std::int64_t b = 0; b < B; ++b) {
    x[b][0].copy_(get(p, "vision_model.embeddings.class_embedding"));
    for (std::int64_t r = 0; r < g; ++r)
      for (std::int64_t c = 0; c < g; ++c) {
        auto cut = px[b].narrow(1, r * patch, patch).narrow(2, c * patch, patch);  // [C, P, P]
        x[b][1 + r * g + c].copy_((w * cut.unsqueeze(0)).sum({1, 2, 3}));
      }
  }
  x = x + get(p, "vision_model.embeddings.position_embedding.weight");
  x = ref_layer_norm(p, "vision_model.pre_layrnorm", x);
  x = ref_encoder(p, "vision_model.encoder", x, layers, heads, act, /*causal=*/false);
  auto cls = ref_layer_norm(p, "vision_model.post_layernorm", x.select(1, 0));
  return ref_linear(p, "visual_projection", cls, /*bias=*/false);
}

// Every parameter name of a transformers CLIP encoder stack, written out from the schema.
inline std::vector<std::string> encoder_keys(const std::string& prefix, std::int64_t layers) {
  std::vector<std::string> keys;
  for (std::int64_t i = 0; i < layers; ++i) {
    const std::string l = prefix + ".layers." + std::to_string(i) + ".";
    for (const char* m : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj",
                          "layer_norm1", "mlp.fc1", "mlp.fc2", "layer_norm2"})
      for (const char* t : {".weight", ".bias"}) keys.push_back(l + m + t);
  }
  return keys;
}

}  // namespace clip_test
