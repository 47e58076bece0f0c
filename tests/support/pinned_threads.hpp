#pragma once
// PinnedThreads — sets a fixed LibTorch thread count for a scope and restores
// the previous allocation (fixed or adaptive) when it ends. Tests that compare
// bytes between runs need it: the adaptive count (core/threads.hpp) may change
// between runs, and with it the order of float sums.
#include "distdiff/core/threads.hpp"

namespace distdiff::test {

class PinnedThreads {
 public:
  explicit PinnedThreads(int n) : saved_(cpu_allocation()) { set_cpu_threads(n); }
  ~PinnedThreads() { detail::cpu_governor().configure(saved_); }
  PinnedThreads(const PinnedThreads&) = delete;
  PinnedThreads& operator=(const PinnedThreads&) = delete;

 private:
  CpuAllocation saved_;
};

}  // namespace distdiff::test
