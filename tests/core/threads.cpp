// The CPU thread policy: which setting wins (--threads, DISTDIFF_NUM_THREADS,
// OMP_NUM_THREADS, SLURM_CPUS_PER_TASK, the affinity mask, a cgroup quota),
// the load rule, the /proc/stat sampler on synthetic files, and the governor
// applying its count to LibTorch.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <tuple>

#include "distdiff/core/cpu_allocation.hpp"
#include "distdiff/core/threads.hpp"
#include "support/openblas_start.hpp"
#include "support/temp_dir.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// Sets (or unsets, with nullopt) environment variables for one scope; every
// variable the policy reads starts unset so the host's own settings (a Slurm
// job, OMP_NUM_THREADS in CI) cannot leak into a case.
class Env {
 public:
  Env(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const char* name : {"DISTDIFF_NUM_THREADS", "OMP_NUM_THREADS", "SLURM_CPUS_PER_TASK",
                             "DISTDIFF_ADAPTIVE_THREADS"})
      set(name, std::nullopt);
    for (const auto& [k, v] : vars) set(k, std::string(v));
  }
  ~Env() {
    for (const auto& [k, v] : saved_) {
      if (v) ::setenv(k.c_str(), v->c_str(), 1);
      else ::unsetenv(k.c_str());
    }
  }
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

 private:
  void set(const std::string& k, const std::optional<std::string>& v) {
    if (!saved_.count(k)) {
      const char* old = std::getenv(k.c_str());
      saved_[k] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (v) ::setenv(k.c_str(), v->c_str(), 1);
    else ::unsetenv(k.c_str());
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

// Restricts the calling thread to its first allowed CPU for one scope.
class OneCpu {
 public:
  OneCpu() {
    CPU_ZERO(&saved_);
    sched_getaffinity(0, sizeof(saved_), &saved_);
    int first = 0;
    while (first < CPU_SETSIZE && !CPU_ISSET(first, &saved_)) ++first;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    ok_ = sched_setaffinity(0, sizeof(one), &one) == 0;
  }
  ~OneCpu() { sched_setaffinity(0, sizeof(saved_), &saved_); }
  bool ok() const { return ok_; }

 private:
  cpu_set_t saved_;
  bool ok_ = false;
};

void write(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A /proc/stat with the given busy (user) ticks per CPU and 1000 idle ticks each.
std::string stat_file(const std::map<int, long>& busy) {
  std::string s = "cpu  0 0 0 0 0 0 0 0 0 0\n";
  for (const auto& [cpu, ticks] : busy)
    s += "cpu" + std::to_string(cpu) + " " + std::to_string(ticks) + " 0 0 1000 0 0 0 0 0 0\n";
  return s + "intr 1 2 3\nctxt 5\n";
}

// Whether /proc/cpuinfo lists `flag` for the first CPU.
bool cpu_flag(const std::string& flag) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("flags", 0) == 0) return (line + " ").find(" " + flag + " ") != std::string::npos;
  return false;
}

}  // namespace

TEST_CASE("An explicit thread count wins and is not adaptive", "[core][threads]") {
  Env env{{"DISTDIFF_NUM_THREADS", "3"}, {"OMP_NUM_THREADS", "5"}, {"SLURM_CPUS_PER_TASK", "7"}};
  const auto a = resolve_cpu_threads(4);
  CHECK(a.threads == 4);
  CHECK(a.ceiling == 4);
  CHECK_FALSE(a.adaptive);
  CHECK(a.source == "--threads");
}

TEST_CASE("DISTDIFF_NUM_THREADS, then OMP_NUM_THREADS, fix the count", "[core][threads]") {
  {
    Env env{{"DISTDIFF_NUM_THREADS", "3"}, {"OMP_NUM_THREADS", "5"}};
    const auto a = resolve_cpu_threads();
    CHECK(a.threads == 3);
    CHECK(a.source == "DISTDIFF_NUM_THREADS");
    CHECK_FALSE(a.adaptive);
  }
  {
    Env env{{"OMP_NUM_THREADS", "5,2"}};  // nested list: the outer level counts
    const auto a = resolve_cpu_threads();
    CHECK(a.threads == 5);
    CHECK(a.source == "OMP_NUM_THREADS");
    CHECK_FALSE(a.adaptive);
  }
  {
    Env env{{"DISTDIFF_NUM_THREADS", "lots"}, {"OMP_NUM_THREADS", "0"}};  // not positive integers: ignored
    const auto a = resolve_cpu_threads();
    CHECK(a.source != "DISTDIFF_NUM_THREADS");
    CHECK(a.source != "OMP_NUM_THREADS");
    CHECK(a.threads >= 1);
  }
}

TEST_CASE("SLURM_CPUS_PER_TASK is the allocation, capped by the affinity mask", "[core][threads]") {
  const int cpus = static_cast<int>(distdiff::detail::affinity_cpus().size());
  REQUIRE(cpus >= 1);
  {
    Env env{{"SLURM_CPUS_PER_TASK", "1"}};
    const auto a = resolve_cpu_threads();
    CHECK(a.threads == 1);
    CHECK(a.ceiling == 1);
    CHECK(a.source == "SLURM_CPUS_PER_TASK");
    CHECK_FALSE(a.adaptive);  // nothing to lower
  }
  {
    Env env{{"SLURM_CPUS_PER_TASK", "4096"}};
    const auto a = resolve_cpu_threads();
    CHECK(a.ceiling == cpus);
    CHECK(a.adaptive == (cpus > 1));
  }
}

TEST_CASE("Without settings the affinity mask decides", "[core][threads]") {
  Env env{};
  const int cpus = static_cast<int>(distdiff::detail::affinity_cpus().size());
  const auto all = resolve_cpu_threads();
  CHECK(all.affinity_cpus == cpus);
  CHECK(all.ceiling <= cpus);
  CHECK(all.threads == all.ceiling);
  OneCpu one;
  REQUIRE(one.ok());
  const auto a = resolve_cpu_threads();
  CHECK(a.affinity_cpus == 1);
  CHECK(a.threads == 1);
  CHECK(a.source == "affinity mask");
  CHECK_FALSE(a.adaptive);
}

TEST_CASE("DISTDIFF_ADAPTIVE_THREADS=0 keeps the allocation fixed", "[core][threads]") {
  Env env{{"DISTDIFF_ADAPTIVE_THREADS", "0"}, {"SLURM_CPUS_PER_TASK", "2"}};
  CHECK_FALSE(resolve_cpu_threads().adaptive);
}

TEST_CASE("cgroup CPU quotas round up to whole CPUs", "[core][threads]") {
  test::TempDir dir("cgroup");
  CHECK_FALSE(distdiff::detail::cgroup_cpu_quota(dir.path.string()).has_value());  // no files
  write(dir / "v2/cpu.max", "150000 100000\n");
  CHECK(distdiff::detail::cgroup_cpu_quota((dir / "v2").string()) == 2);
  write(dir / "v2max/cpu.max", "max 100000\n");
  CHECK_FALSE(distdiff::detail::cgroup_cpu_quota((dir / "v2max").string()).has_value());
  write(dir / "v1/cpu/cpu.cfs_quota_us", "50000\n");
  write(dir / "v1/cpu/cpu.cfs_period_us", "100000\n");
  CHECK(distdiff::detail::cgroup_cpu_quota((dir / "v1").string()) == 1);
  write(dir / "v1none/cpu/cpu.cfs_quota_us", "-1\n");
  write(dir / "v1none/cpu/cpu.cfs_period_us", "100000\n");
  CHECK_FALSE(distdiff::detail::cgroup_cpu_quota((dir / "v1none").string()).has_value());
}

TEST_CASE("threads_for_load keeps the idle CPUs, at least one, at most the ceiling", "[core][threads]") {
  CHECK(threads_for_load(2, 2, 0.0) == 2);    // alone
  CHECK(threads_for_load(2, 2, 0.3) == 2);    // a little background
  CHECK(threads_for_load(2, 2, 1.33) == 1);   // two busy processes beside our 1 thread
  CHECK(threads_for_load(2, 2, 2.0) == 1);    // everything busy: never 0
  CHECK(threads_for_load(2, 2, 5.0) == 1);
  CHECK(threads_for_load(8, 8, 3.2) == 5);
  CHECK(threads_for_load(4, 8, 0.0) == 4);    // the ceiling holds
  CHECK(threads_for_load(4, 8, -1.0) == 4);   // noise below zero is no load
}

TEST_CASE("CpuLoadSampler counts other processes' busy time on its own CPUs only", "[core][threads]") {
  test::TempDir dir("stat");
  const auto stat = dir / "stat";
  write(stat, stat_file({{0, 100}, {1, 100}, {2, 100}}));
  CpuLoadSampler sampler({0, 1}, stat.string());
  CHECK(sampler.cpu_count() == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // CPU 2 is not ours: its ticks are somebody else's machine share.
  write(stat, stat_file({{0, 100}, {1, 100}, {2, 100000}}));
  const auto idle = sampler.sample();
  REQUIRE(idle.has_value());
  CHECK(*idle == Approx(0.0).margin(1e-12));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // 2000 ticks (20 s at USER_HZ 100, >= 10 s at any HZ up to 200) in well under a second.
  write(stat, stat_file({{0, 1100}, {1, 1100}, {2, 100000}}));
  const auto busy = sampler.sample();
  REQUIRE(busy.has_value());
  CHECK(*busy > 5.0);
  // A CPU of ours missing from the file: no reading rather than a wrong one.
  write(stat, stat_file({{0, 1200}}));
  CHECK_FALSE(sampler.sample().has_value());
}

TEST_CASE("CpuLoadSampler reads this machine's /proc/stat", "[core][threads]") {
  CpuLoadSampler sampler;
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const auto others = sampler.sample();
  REQUIRE(others.has_value());
  CHECK(*others >= 0.0);
  CHECK(*others <= double(sampler.cpu_count()) + 0.5);
}

TEST_CASE("set_cpu_threads applies the allocation to LibTorch and describes it", "[core][threads]") {
  const int before = at::get_num_threads();
  {
    Env env{};
    CHECK(set_cpu_threads(3) == 3);
    CHECK(at::get_num_threads() == 3);
    CHECK(cpu_allocation().source == "--threads");
    CHECK_THAT(describe_cpu_threads(), Catch::StartsWith("3 threads (--threads)"));
    CHECK(cpu_threads_tick() == 3);  // fixed: the governor leaves it
    CHECK(at::get_num_threads() == 3);
  }
  {
    Env env{{"OMP_NUM_THREADS", "1"}};
    CHECK(set_cpu_threads() == 1);
    CHECK(at::get_num_threads() == 1);
    CHECK_THAT(describe_cpu_threads(), Catch::StartsWith("1 thread (OMP_NUM_THREADS)"));
  }
  set_cpu_threads(before);
}

TEST_CASE("openblas_kernel_hint names OPENBLAS_CORETYPE only for generic kernels on an AVX2 CPU", "[core][threads]") {
  CHECK(openblas_kernel_hint("SkylakeX").empty());
  CHECK(openblas_kernel_hint("Haswell").empty());
  CHECK(openblas_kernel_hint("").empty());   // not OpenBLAS
  CHECK(better_openblas_core("SkylakeX").empty());
  const bool avx2 = cpu_flag("avx2");
  const bool avx512 = cpu_flag("avx512f") && cpu_flag("avx512bw");
  const auto hint = openblas_kernel_hint("Prescott");
  CHECK(hint.empty() == !avx2);
  if (avx2) CHECK_THAT(hint, Catch::Contains("OPENBLAS_CORETYPE=") && Catch::Contains("Prescott"));
  CHECK(better_openblas_core("Prescott") == (avx512 ? "SKYLAKEX" : avx2 ? "HASWELL" : ""));
  const auto core = openblas_core_name();   // this process: LibTorch's BLAS
  INFO("OpenBLAS core: " << core);
  if (const char* forced = std::getenv("OPENBLAS_CORETYPE"); forced && !core.empty())
    CHECK(openblas_kernel_hint().empty());
}

// Run by the next test in a process of its own, started without
// OPENBLAS_CORETYPE: what OpenBLAS chose at load time (recorded by
// tests/main.cpp), then what set_cpu_threads() in main left.
TEST_CASE("openblas child: set_cpu_threads selects the kernels", "[.openblas_child]") {
  const auto before = test::openblas_core_at_start();
  const bool keep = std::getenv("DISTDIFF_KEEP_OPENBLAS_CORE") != nullptr;
  const auto expected = keep ? std::string() : better_openblas_core(before);
  set_cpu_threads(1);   // a second call changes nothing
  const auto after = openblas_core_name();
  INFO("OpenBLAS kernels: " << before << " at load, " << after << " after set_cpu_threads");
  if (expected.empty()) {
    CHECK(after == before);
    CHECK(std::getenv("OPENBLAS_CORETYPE") == nullptr);
  } else {
    CHECK(after != before);
    CHECK(std::string(std::getenv("OPENBLAS_CORETYPE")) == expected);   // children start with it
    CHECK(openblas_kernel_hint().empty());
  }
  // The switched kernels compute: float32 GEMMs of several shapes against float64.
  for (const auto& [m, k, n] : {std::tuple{257, 130, 65}, std::tuple{64, 1024, 1024}, std::tuple{3, 7, 5}}) {
    const auto a = at::randn({m, k});
    const auto b = at::randn({k, n});
    const auto ref = at::mm(a.to(at::kDouble), b.to(at::kDouble));
    const double err = (at::mm(a, b).to(at::kDouble) - ref).abs().max().item<double>();
    INFO(m << "x" << k << " @ " << k << "x" << n << ": max error " << err);
    CHECK(err < 1e-4 * std::sqrt(double(k)) * 4);
  }
}

TEST_CASE("set_cpu_threads moves OpenBLAS off its generic kernels in a process started without OPENBLAS_CORETYPE",
          "[core][threads]") {
  if (openblas_core_name().empty()) {
    WARN("LibTorch's BLAS is not OpenBLAS here: nothing to select");
    return;
  }
  for (const bool keep : {false, true}) {
    INFO((keep ? "with" : "without") << " DISTDIFF_KEEP_OPENBLAS_CORE=1");
    std::fflush(nullptr);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::unsetenv("OPENBLAS_CORETYPE");
      if (keep) ::setenv("DISTDIFF_KEEP_OPENBLAS_CORE", "1", 1);
      else ::unsetenv("DISTDIFF_KEEP_OPENBLAS_CORE");
      execl("/proc/self/exe", "test_core", "openblas child: set_cpu_threads selects the kernels", nullptr);
      _exit(127);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);   // Catch's exit code: the number of failed assertions
  }
}

TEST_CASE("The governor lowers the thread count under load and restores it when the load goes", "[core][threads]") {
  const int before = at::get_num_threads();
  test::TempDir dir("governor");
  const auto stat = dir / "stat";
  write(stat, stat_file({{0, 100}, {1, 100}}));
  CpuAllocation a;
  a.threads = a.ceiling = 2;
  a.adaptive = true;
  a.source = "test";
  auto& g = distdiff::detail::cpu_governor();
  g.configure(a, /*interval_s=*/0.0, CpuLoadSampler({0, 1}, stat.string()));
  CHECK(at::get_num_threads() == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write(stat, stat_file({{0, 100000}, {1, 100000}}));   // both CPUs busy with somebody else's work
  CHECK(cpu_threads_tick() == 1);
  CHECK(at::get_num_threads() == 1);
  CHECK(cpu_thread_changes() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(cpu_threads_tick() == 2);                        // no new busy ticks: the CPUs are free again
  CHECK(at::get_num_threads() == 2);
  CHECK(cpu_thread_changes() == 2);
  set_cpu_threads(before);
}

}  // namespace DISTDIFF_UNITY_ID
