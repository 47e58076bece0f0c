#pragma once
// The small world: SD-architecture models (UNet, VAE, CLIP text and vision
// towers) that distdiff trains itself on a foundation split of Fashion-MNIST
// (experiments/pretrain_small_world.cpp, docs/small-world.md) and ships in
// models/small_world in the published diffusers / transformers layouts: sd/
// (UNet, VAE, text encoder, tokenizer, scheduler), clip_model/ (the whole
// CLIPModel with its tokenizer, like openai/clip-vit-base-patch32) and clip/
// (its vision tower alone). They load through the same --sd / --clip paths as
// SD v1-4 and CLIP ViT-B/32; the default --clip is clip_model/, whose text
// tower also gives the zero-shot class agreement of the summary.
//
// find_small_world() looks, in order, at $DISTDIFF_SMALL_WORLD, at
// ./models/small_world, and at the models folder of the distdiff this was
// compiled against (its source tree, or <prefix>/share/distdiff/models once
// installed; DISTDIFF_MODELS_DIR is set by CMake).
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <vector>

namespace distdiff::models {

struct SmallWorldPaths {
  std::filesystem::path root, sd, clip;
};

inline bool is_small_world(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  return fs::is_directory(root / "sd" / "unet") && fs::is_directory(root / "sd" / "vae") &&
         (fs::exists(root / "clip_model" / "config.json") || fs::exists(root / "clip" / "config.json"));
}

inline std::optional<SmallWorldPaths> find_small_world() {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("DISTDIFF_SMALL_WORLD"); env && *env) candidates.emplace_back(env);
  candidates.emplace_back("models/small_world");
#ifdef DISTDIFF_MODELS_DIR
  candidates.emplace_back(std::filesystem::path(DISTDIFF_MODELS_DIR) / "small_world");
#endif
  for (const auto& c : candidates)
    if (is_small_world(c))
      return SmallWorldPaths{c, c / "sd",
                             std::filesystem::exists(c / "clip_model" / "config.json") ? c / "clip_model" : c / "clip"};
  return std::nullopt;
}

}  // namespace distdiff::models
