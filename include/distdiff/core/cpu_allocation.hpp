#pragma once
// CPU allocation: how many threads this process should compute with, and how
// busy the CPUs it may run on are. No LibTorch here (core/threads.hpp applies
// the result to LibTorch and OpenBLAS).
//
// resolve_cpu_threads() takes, in this order, the first that is set:
//   1. the count asked for (a --threads flag)          -> fixed
//   2. DISTDIFF_NUM_THREADS                            -> fixed
//   3. OMP_NUM_THREADS (first entry of a list)         -> fixed
//   4. SLURM_CPUS_PER_TASK                             -> allocation
//   5. the CPUs of the affinity mask (taskset, cgroup cpusets, Slurm and MPI
//      bindings), further capped by a cgroup CPU quota (docker --cpus)
// A "fixed" count is used as given. An allocation is a ceiling: with it the
// count is adaptive, and CpuLoadSampler/threads_for_load lower it while other
// processes keep the same CPUs busy (shared nodes, CI, a laptop with a
// browser): a parallel region of two threads on cores that other processes
// also want waits at every barrier for its preempted thread, which made a
// 2-thread run 5-15x slower than a 1-thread run next to two busy processes.
// DISTDIFF_ADAPTIVE_THREADS=0 turns the adaptation off.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace distdiff {

struct CpuAllocation {
  int threads = 1;           // threads to compute with now
  int ceiling = 1;           // the most threads the allocation allows
  bool adaptive = false;     // lowered under load by the governor
  std::string source;        // where `threads` came from, for logs and run.json
  int affinity_cpus = 0;     // CPUs in the affinity mask (0: unknown)
};

namespace detail {

// A positive integer from the environment, or nothing. A list ("4,2", as
// OMP_NUM_THREADS allows for nesting) gives its first entry; anything else
// that is not a positive integer is ignored.
inline std::optional<int> env_positive_int(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (end == v || (*end != '\0' && *end != ',') || n <= 0 || n > 1 << 20) return std::nullopt;
  return static_cast<int>(n);
}

// The CPUs of this process' affinity mask, in index order.
inline std::vector<int> affinity_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

// A cgroup CPU quota in CPUs, rounded up (cgroup v2 cpu.max, v1 cfs quota).
inline std::optional<int> cgroup_cpu_quota(const std::string& root = "/sys/fs/cgroup") {
  auto quota_of = [](double quota, double period) -> std::optional<int> {
    if (quota <= 0 || period <= 0) return std::nullopt;
    return std::max(1, static_cast<int>(std::ceil(quota / period - 1e-9)));
  };
  {
    std::ifstream f(root + "/cpu.max");
    std::string q;
    double period = 0;
    if (f >> q >> period) {
      if (q == "max") return std::nullopt;
      return quota_of(std::atof(q.c_str()), period);
    }
  }
  std::ifstream fq(root + "/cpu/cpu.cfs_quota_us"), fp(root + "/cpu/cpu.cfs_period_us");
  double quota = 0, period = 0;
  if (fq >> quota && fp >> period) return quota_of(quota, period);
  return std::nullopt;
}

}  // namespace detail

// n > 0: exactly n threads. Else the environment and the affinity mask, as above.
inline CpuAllocation resolve_cpu_threads(int n = 0) {
  CpuAllocation a;
  const auto cpus = detail::affinity_cpus();
  a.affinity_cpus = static_cast<int>(cpus.size());
  if (n > 0) {
    a.threads = a.ceiling = n;
    a.source = "--threads";
    return a;
  }
  for (const char* name : {"DISTDIFF_NUM_THREADS", "OMP_NUM_THREADS"}) {
    if (auto v = detail::env_positive_int(name)) {
      a.threads = a.ceiling = *v;
      a.source = name;
      return a;
    }
  }
  int ceiling = a.affinity_cpus > 0 ? a.affinity_cpus
                                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  a.source = a.affinity_cpus > 0 ? "affinity mask" : "hardware threads";
  if (auto quota = detail::cgroup_cpu_quota(); quota && *quota < ceiling) {
    ceiling = *quota;
    a.source = "cgroup CPU quota";
  }
  if (auto slurm = detail::env_positive_int("SLURM_CPUS_PER_TASK")) {
    ceiling = a.affinity_cpus > 0 ? std::min(*slurm, a.affinity_cpus) : *slurm;
    a.source = "SLURM_CPUS_PER_TASK";
  }
  a.threads = a.ceiling = ceiling;
  const char* adapt = std::getenv("DISTDIFF_ADAPTIVE_THREADS");
  a.adaptive = ceiling > 1 && !(adapt && std::string(adapt) == "0");
  return a;
}

// Threads worth running when other processes keep `others_busy` CPUs (a
// mean over the last interval) busy out of the `cpus` this process may use:
// the idle CPUs, rounded to nearest, at least 1 and at most `ceiling`.
inline int threads_for_load(int ceiling, int cpus, double others_busy) {
  const double free_cpus = static_cast<double>(cpus) - std::max(0.0, others_busy);
  const int n = static_cast<int>(std::floor(free_cpus + 0.5));
  return std::clamp(n, 1, std::max(1, ceiling));
}

// Measures how many of the given CPUs other processes kept busy between two
// calls of sample(): the busy time of those CPUs in /proc/stat minus this
// process' own CPU time, over the wall time.
class CpuLoadSampler {
 public:
  explicit CpuLoadSampler(std::vector<int> cpus = detail::affinity_cpus(), std::string stat = "/proc/stat")
      : cpus_(std::move(cpus)), stat_(std::move(stat)) {
    last_ = read();
  }

  // Other processes' mean busy CPUs since the previous call (nothing if
  // /proc/stat cannot be read or no time has passed).
  std::optional<double> sample() {
    const auto now = read();
    const auto prev = last_;
    last_ = now;
    if (!now.ok || !prev.ok) return std::nullopt;
    const double wall = now.wall - prev.wall;
    if (wall <= 1e-3) return std::nullopt;
    const double busy = (now.busy_ticks - prev.busy_ticks) / ticks_per_second();
    const double own = now.own_cpu - prev.own_cpu;
    return std::max(0.0, (busy - own) / wall);
  }

  int cpu_count() const { return static_cast<int>(cpus_.size()); }

 private:
  struct Reading {
    bool ok = false;
    double busy_ticks = 0;  // non-idle ticks of the selected CPUs
    double own_cpu = 0;     // this process' CPU seconds
    double wall = 0;        // monotonic seconds
  };

  static double ticks_per_second() {
    static const double hz = [] {
      const long v = sysconf(_SC_CLK_TCK);
      return v > 0 ? static_cast<double>(v) : 100.0;
    }();
    return hz;
  }

  Reading read() const {
    Reading r;
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r.wall = static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    r.own_cpu = static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
    std::ifstream f(stat_);
    std::string line;
    std::size_t found = 0;
    while (std::getline(f, line)) {
      if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] < '0' || line[3] > '9') continue;
      std::istringstream in(line.substr(3));
      int cpu = -1;
      in >> cpu;
      if (std::find(cpus_.begin(), cpus_.end(), cpu) == cpus_.end()) continue;
      // user nice system idle iowait irq softirq steal
      double v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (double& x : v) in >> x;
      r.busy_ticks += v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
      ++found;
    }
    r.ok = found > 0 && found == cpus_.size();
    return r;
  }

  std::vector<int> cpus_;
  std::string stat_;
  Reading last_;
};

}  // namespace distdiff
