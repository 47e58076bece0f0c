// Catch2 entry point shared by every test executable. Sets LibTorch's
// intra-op thread count (Debian's build defaults to one thread).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <ATen/Parallel.h>

#include <cstdlib>
#include <thread>

int main(int argc, char* argv[]) {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  if (const char* env = std::getenv("DISTDIFF_NUM_THREADS")) threads = std::atoi(env);
  if (threads > 0) at::set_num_threads(threads);
  return Catch::Session().run(argc, argv);
}
