// libFuzzer target for the model config readers (models/vae/config.hpp,
// models/unet/config.hpp, models/clip/config.hpp; torch-free).
//
// The first byte picks the reader (VAE, UNet, CLIP text, CLIP vision, CLIP
// model); the rest is the JSON. Every document must be read or refused with
// std::runtime_error or std::invalid_argument (one error naming the key); an
// exception of nlohmann's own (a type or range error that escaped the checks)
// is a bug.
//
// Build and run: fuzz/run.sh [seconds]
#include "distdiff/models/clip/config.hpp"
#include "distdiff/models/unet/config.hpp"
#include "distdiff/models/vae/config.hpp"

#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

#include "fuzz_common.hpp"

namespace {
[[noreturn]] void bug(const char* what) { distdiff_fuzz::bug("config_fuzz", what); }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace distdiff::models;
  if (size < 1) return 0;
  const auto j = nlohmann::json::parse(data + 1, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  try {
    switch (data[0] % 5) {
      case 0: (void)VaeConfig::from_json(j); break;
      case 1: {
        const auto c = UNetConfig::from_json(j);
        (void)c.time_embed_dim();
        break;
      }
      case 2: (void)ClipTextConfig::from_json(j); break;
      case 3: (void)ClipVisionConfig::from_json(j); break;
      default: (void)ClipModelConfig::from_json(j); break;
    }
  } catch (const std::runtime_error&) {
    return 0;
  } catch (const std::invalid_argument&) {
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    bug("a config reader threw something other than std::runtime_error / std::invalid_argument");
  }
  return 0;
}
