#pragma once
// The OpenBLAS kernel set this test process was loaded with, recorded by
// tests/main.cpp before set_cpu_threads() may switch it
// (select_openblas_kernels); "" when LibTorch's BLAS is not OpenBLAS.
#include <string>

namespace distdiff::test {

inline std::string& openblas_core_at_start() {
  static std::string core;
  return core;
}

}  // namespace distdiff::test
