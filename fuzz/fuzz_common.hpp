#pragma once
// Shared by the libFuzzer targets: a failed invariant aborts with a message,
// which libFuzzer reports as a crash and saves the input under artifacts/.
#include <cstdio>
#include <cstdlib>

namespace distdiff_fuzz {

[[noreturn]] inline void bug(const char* target, const char* what) {
  std::fprintf(stderr, "%s: %s\n", target, what);
  std::abort();
}

}  // namespace distdiff_fuzz
