#pragma once
// set_cpu_threads — one call that sets LibTorch's intra-op thread count from
// the process' CPU allocation (core/cpu_allocation.hpp: --threads,
// DISTDIFF_NUM_THREADS, OMP_NUM_THREADS, SLURM_CPUS_PER_TASK, the affinity
// mask, a cgroup quota) and keeps OpenBLAS (Debian's BLAS behind LibTorch)
// single-threaded inside it. Debian's LibTorch defaults to one thread;
// OpenBLAS' own pthreads, nested in LibTorch's parallel regions,
// oversubscribe the cores and spin in sched_yield.
//
// When the count comes from the allocation rather than a fixed setting, the
// long loops (each denoising step, each training batch) call
// cpu_threads_tick(), which every `interval` seconds measures how busy other
// processes keep this process' CPUs and lowers or restores the thread count
// (threads_for_load). A tick between two checks costs a clock read.
#include <ATen/Parallel.h>

#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "distdiff/core/cpu_allocation.hpp"

namespace distdiff {

namespace detail {

class CpuGovernor {
 public:
  // `load` replaces the sampler of this process' CPUs and /proc/stat (tests).
  void configure(const CpuAllocation& a, double interval_s = 0.3, std::optional<CpuLoadSampler> load = {}) {
    std::lock_guard lock(mutex_);
    alloc_ = a;
    interval_ = interval_s;
    changes_ = 0;
    sampler_.reset();
    if (a.adaptive) {
      if (load) sampler_.emplace(std::move(*load));
      else sampler_.emplace();
    }
    last_ns_ = now_ns();
    threads_ = a.threads;
    adaptive_ = a.adaptive;
    apply(a.threads);
  }

  // Re-measure the load if `interval` has passed; returns the thread count.
  // The fast path (no re-measurement due) reads two atomics.
  int tick() {
    if (!adaptive_.load(std::memory_order_relaxed)) return threads_.load(std::memory_order_relaxed);
    const auto now = now_ns();
    if (double(now - last_ns_.load(std::memory_order_relaxed)) < interval_ * 1e9)
      return threads_.load(std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    if (!sampler_) return alloc_.threads;
    last_ns_ = now;
    if (const auto others = sampler_->sample()) {
      const int n = threads_for_load(alloc_.ceiling, sampler_->cpu_count(), *others);
      if (n != alloc_.threads) {
        alloc_.threads = n;
        threads_ = n;
        ++changes_;
        apply(n);
      }
    }
    return alloc_.threads;
  }

  CpuAllocation allocation() const {
    std::lock_guard lock(mutex_);
    return alloc_;
  }
  int changes() const {
    std::lock_guard lock(mutex_);
    return changes_;
  }

 private:
  static std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static void apply(int n) {
    at::set_num_threads(n);
    using SetThreads = void (*)(int);
    if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(1);
  }

  mutable std::mutex mutex_;
  CpuAllocation alloc_;
  double interval_ = 0.3;
  int changes_ = 0;
  std::optional<CpuLoadSampler> sampler_;
  std::atomic<bool> adaptive_{false};
  std::atomic<int> threads_{1};
  std::atomic<std::int64_t> last_ns_{0};
};

inline CpuGovernor& cpu_governor() {
  static CpuGovernor g;
  return g;
}

}  // namespace detail

// The OpenBLAS kernel set in use ("Prescott", "Haswell", "SkylakeX", ...), or
// "" when LibTorch's BLAS is not OpenBLAS.
inline std::string openblas_core_name() {
  using CoreName = char* (*)();
  const auto f = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  const char* name = f ? f() : nullptr;
  return name ? std::string(name) : std::string();
}

// The OPENBLAS_CORETYPE value this CPU should run ("SKYLAKEX" with AVX-512,
// "HASWELL" with AVX2) when OpenBLAS runs its generic "Prescott" kernels:
// Debian 12's OpenBLAS 0.3.21 does not know some newer models and falls back
// to them, 1.7-1.9x slower (docs/performance.md). "" when nothing is to gain.
inline std::string better_openblas_core(const std::string& core) {
  if (core != "Prescott" && core != "prescott") return {};
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) return "SKYLAKEX";
  if (__builtin_cpu_supports("avx2")) return "HASWELL";
  return {};
}

namespace detail {
// OpenBLAS (DYNAMIC_ARCH builds) picks its kernel table once, when it is
// loaded: gotoblas_dynamic_init() reads OPENBLAS_CORETYPE or detects the CPU.
// Both entry points are exported; quit + init with the variable set picks the
// table again, exactly as a start with the variable would have. Only safe
// while no BLAS call is running, so it runs once, from set_cpu_threads().
inline std::string switch_openblas_core(const std::string& to) {
  using Fn = void (*)();
  const auto quit = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit"));
  const auto init = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init"));
  if (!quit || !init) return openblas_core_name();
  ::setenv("OPENBLAS_CORETYPE", to.c_str(), 1);  // child processes start with it
  quit();
  init();
  return openblas_core_name();
}
}  // namespace detail

// Moves OpenBLAS from its generic kernels to the ones this CPU supports
// (better_openblas_core), so that a binary run without scripts/cpu-env.sh is
// as fast as one run with it. Nothing happens when OPENBLAS_CORETYPE is set
// (the user's choice, or cpu-env.sh's), when LibTorch's BLAS is not OpenBLAS
// (PyPI's wheels use MKL) or when OpenBLAS already runs a CPU-specific set;
// DISTDIFF_KEEP_OPENBLAS_CORE=1 turns it off. Runs once per process, from
// set_cpu_threads(), which programs call before any work. Returns the kernel
// set in use.
inline std::string select_openblas_kernels() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (std::getenv("OPENBLAS_CORETYPE")) return;
    if (const char* keep = std::getenv("DISTDIFF_KEEP_OPENBLAS_CORE"); keep && std::string(keep) == "1") return;
    if (const auto better = better_openblas_core(openblas_core_name()); !better.empty())
      detail::switch_openblas_core(better);
  });
  return openblas_core_name();
}

// A hint when OpenBLAS still runs its generic kernels on a CPU with AVX2 /
// AVX-512 (select_openblas_kernels() was turned off or could not switch):
// the variable that selects the right ones. Empty when nothing is to gain.
inline std::string openblas_kernel_hint(const std::string& core = openblas_core_name()) {
  const auto better = better_openblas_core(core);
  if (better.empty()) return {};
  return std::string("OpenBLAS runs its generic ") + core + " kernels on this CPU; export OPENBLAS_CORETYPE=" + better +
         " (or source scripts/cpu-env.sh) for about 1.7x faster CPU runs";
}

// Sets the threads from the allocation (n > 0: exactly n) and returns them.
// The first call also selects OpenBLAS' kernels for this CPU (select_openblas_kernels).
inline int set_cpu_threads(int n = 0) {
  select_openblas_kernels();
  detail::cpu_governor().configure(resolve_cpu_threads(n));
  return detail::cpu_governor().allocation().threads;
}

// Called from long loops: adapts the thread count to the load (see above).
inline int cpu_threads_tick() { return detail::cpu_governor().tick(); }

// The allocation in force: threads now, ceiling, whether adaptive, its source.
inline CpuAllocation cpu_allocation() { return detail::cpu_governor().allocation(); }

// How often the adaptive count changed since set_cpu_threads().
inline int cpu_thread_changes() { return detail::cpu_governor().changes(); }

// One line for logs: "2 threads (affinity mask, adaptive up to 2)".
inline std::string describe_cpu_threads() {
  const auto a = cpu_allocation();
  std::string s = std::to_string(a.threads) + (a.threads == 1 ? " thread (" : " threads (") + a.source;
  if (a.adaptive) s += ", adaptive up to " + std::to_string(a.ceiling);
  s += ")";
  if (const auto hint = openblas_kernel_hint(); !hint.empty()) s += "\n  note: " + hint;
  return s;
}

}  // namespace distdiff
