#pragma once
// describe_toolchain() — what this binary was built with, for run.json: the
// LibTorch version (Debian's 1.13 or the PyPI wheel's 2.x:
// scripts/toolchain-pypi.sh), the CUDA runtime LibTorch was compiled against
// (null for a CPU-only LibTorch) and the C++ compiler.
#include <torch/torch.h>
#include <torch/version.h>

#include <nlohmann/json.hpp>

#include <string>

namespace distdiff {

inline nlohmann::json describe_toolchain() {
  nlohmann::json cuda = nullptr;
  try {
    // Throws when LibTorch has no CUDA library linked in.
    const auto v = at::detail::getCUDAHooks().versionCUDART();
    if (v > 0) cuda = std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
  } catch (const std::exception&) {
  }
  return {{"libtorch", std::string(TORCH_VERSION)},
          {"cuda", cuda},
          {"compiler",
#if defined(__clang__)
           std::string("clang ") + __clang_version__
#elif defined(__GNUC__)
           std::string("g++ ") + __VERSION__
#else
           std::string("unknown")
#endif
          }};
}

}  // namespace distdiff
