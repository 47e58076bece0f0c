// Catch2 entry point shared by every test executable. Sets LibTorch's
// intra-op thread count (Debian's build defaults to one thread) and, with it,
// OpenBLAS' kernels for this CPU; the kernels it was loaded with are kept for
// tests/core/threads.cpp.
//
// It also seeds LibTorch's default CPU generator, which LibTorch otherwise
// seeds from the OS in each process: a test that draws weights or inputs
// without seeding them itself then sees the same numbers in every run, so a
// failure reproduces. DISTDIFF_TEST_SEED=N picks another seed (to look for a
// test that passes by luck); the seed is printed when it is not the default.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string_view>
#include <system_error>

#include "distdiff/core/threads.hpp"
#include "support/openblas_start.hpp"

int main(int argc, char* argv[]) {
  distdiff::test::openblas_core_at_start() = distdiff::openblas_core_name();
  distdiff::set_cpu_threads();  // DISTDIFF_NUM_THREADS, else all cores; OpenBLAS single-threaded
  std::uint64_t seed = 20261207;
  if (const char* env = std::getenv("DISTDIFF_TEST_SEED"); env != nullptr && *env != '\0') {
    const std::string_view text(env);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seed);
    if (ec != std::errc() || end != text.data() + text.size()) {
      std::fprintf(stderr, "DISTDIFF_TEST_SEED must be a non-negative integer, got '%s'\n", env);
      return 2;
    }
    std::fprintf(stderr, "LibTorch's default generator seeded with DISTDIFF_TEST_SEED=%llu\n",
                 static_cast<unsigned long long>(seed));
  }
  {
    at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle to the default one
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_current_seed(seed);
  }
  return Catch::Session().run(argc, argv);
}
