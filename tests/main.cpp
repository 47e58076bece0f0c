// Catch2 entry point shared by every test executable. Sets LibTorch's
// intra-op thread count (Debian's build defaults to one thread).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "distdiff/core/threads.hpp"

int main(int argc, char* argv[]) {
  distdiff::set_cpu_threads();  // DISTDIFF_NUM_THREADS, else all cores; OpenBLAS single-threaded
  return Catch::Session().run(argc, argv);
}
