#pragma once
// set_cpu_threads — one call that sets LibTorch's intra-op thread count and
// keeps OpenBLAS (Debian's BLAS behind LibTorch) single-threaded inside it.
// Debian's LibTorch defaults to one thread; OpenBLAS' own pthreads, nested in
// LibTorch's parallel regions, oversubscribe the cores and spin in
// sched_yield (measured: most of a small model's CPU time on 2 cores).
#include <ATen/Parallel.h>

#include <dlfcn.h>

#include <cstdlib>
#include <thread>

namespace distdiff {

// n <= 0: DISTDIFF_NUM_THREADS if set, else all hardware threads.
inline int set_cpu_threads(int n = 0) {
  if (n <= 0) {
    if (const char* env = std::getenv("DISTDIFF_NUM_THREADS")) n = std::atoi(env);
    if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
    if (n <= 0) n = 1;
  }
  at::set_num_threads(n);
  using SetThreads = void (*)(int);
  if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(1);
  return n;
}

}  // namespace distdiff
