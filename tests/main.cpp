// Catch2 entry point shared by every test executable. Sets LibTorch's
// intra-op thread count (Debian's build defaults to one thread) and, with it,
// OpenBLAS' kernels for this CPU; the kernels it was loaded with are kept for
// tests/core/threads.cpp.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "distdiff/core/threads.hpp"
#include "support/openblas_start.hpp"

int main(int argc, char* argv[]) {
  distdiff::test::openblas_core_at_start() = distdiff::openblas_core_name();
  distdiff::set_cpu_threads();  // DISTDIFF_NUM_THREADS, else all cores; OpenBLAS single-threaded
  return Catch::Session().run(argc, argv);
}
