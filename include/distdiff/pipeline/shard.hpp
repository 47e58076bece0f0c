#pragma once
// Shard — which part of an expansion this process does, from `--shard i/n` or
// from the launcher that started it:
//
//   Open MPI / PMIx   OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE, OMPI_COMM_WORLD_LOCAL_RANK   (mpirun)
//   torchrun & co.    RANK, WORLD_SIZE, LOCAL_RANK
//   Slurm srun step   SLURM_PROCID, SLURM_STEP_NUM_TASKS, SLURM_LOCALID                     (srun)
//   Slurm job array   SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT (SLURM_ARRAY_TASK_MIN, _STEP)
//
// The first process launcher found wins (in that order: mpirun inside a Slurm
// allocation sets both, and Open MPI's numbers are the ones of the job). A
// job array multiplies: task t of an array of A, each task run with P
// processes, is shard t·P + p of A·P. A batch script run without srun sees
// SLURM_PROCID = 0 but no SLURM_STEP_NUM_TASKS: it is one process, not a
// shard. Every number is checked; a bad one is one error naming the variable.
//
// The work of a run is a list of units (guided batches, pipeline/expand.hpp);
// shard i of n does the units u with u mod n = i. Nothing a unit produces
// depends on the split. Torch-free.
#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace distdiff {

struct Shard {
  std::int64_t index = 0;         // this process' shard, 0 <= index < count
  std::int64_t count = 1;         // shards of the run (1: not split)
  std::int64_t local_rank = -1;   // the process' rank on its node (-1: not given): picks cuda:<local rank>
  std::string source = "none";    // where the numbers came from: "--shard", "Open MPI", "Slurm array × srun", ...
  std::map<std::string, std::string> variables;  // the environment variables read, with their values

  bool sharded() const { return count > 1; }
  bool owns(std::int64_t unit) const { return unit % count == index; }
  // "1-of-4": the shard's name in file names.
  std::string tag() const { return std::to_string(index) + "-of-" + std::to_string(count); }
  // "shard 1/4 (Open MPI: OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=4; local rank 1)".
  std::string describe() const {
    std::string s = "shard " + std::to_string(index) + "/" + std::to_string(count);
    if (source == "none") return s + " (no launcher found)";
    s += " (" + source;
    if (!variables.empty()) {
      s += ":";
      for (const auto& [k, v] : variables) s += " " + k + "=" + v;
    }
    if (local_rank >= 0) s += "; local rank " + std::to_string(local_rank);
    return s + ")";
  }
  nlohmann::json to_json() const {
    return {{"index", index}, {"count", count}, {"local_rank", local_rank}, {"source", source},
            {"variables", variables}};
  }
};

// Looks up an environment variable (std::getenv by default; tests pass a map).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

inline std::optional<std::string> process_environment(const std::string& name) {
  if (const char* v = std::getenv(name.c_str())) return std::string(v);
  return std::nullopt;
}

namespace detail {

inline std::int64_t parse_count(const std::string& text, const std::string& what) {
  std::int64_t v = 0;
  const auto* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (text.empty() || r.ec != std::errc() || r.ptr != end)
    throw std::invalid_argument(what + " = '" + text + "' is not an integer");
  return v;
}

// One rank/size pair of the environment (both or neither), checked.
struct EnvPair {
  std::int64_t rank = 0, size = 1, local = -1;
};

inline std::optional<EnvPair> read_pair(const EnvLookup& env, std::map<std::string, std::string>& seen,
                                        const std::string& rank_var, const std::string& size_var,
                                        const std::string& local_var) {
  const auto rank = env(rank_var);
  const auto size = env(size_var);
  if (!rank || !size) return std::nullopt;
  EnvPair p;
  p.rank = parse_count(*rank, rank_var);
  p.size = parse_count(*size, size_var);
  seen[rank_var] = *rank;
  seen[size_var] = *size;
  if (p.size < 1) throw std::invalid_argument(size_var + " = " + *size + ": must be at least 1");
  if (p.rank < 0 || p.rank >= p.size)
    throw std::invalid_argument(rank_var + " = " + *rank + " is outside 0.." + std::to_string(p.size - 1) + " (" +
                                size_var + " = " + *size + ")");
  if (!local_var.empty())
    if (const auto local = env(local_var)) {
      p.local = parse_count(*local, local_var);
      seen[local_var] = *local;
      if (p.local < 0) throw std::invalid_argument(local_var + " = " + *local + ": must not be negative");
    }
  return p;
}

}  // namespace detail

// "i/n" as given to --shard: 0 <= i < n.
inline Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos)
    throw std::invalid_argument("--shard '" + text + "': expected i/n (this process' shard i of n, e.g. 0/4)");
  Shard s;
  s.index = detail::parse_count(text.substr(0, slash), "--shard's i");
  s.count = detail::parse_count(text.substr(slash + 1), "--shard's n");
  if (s.count < 1) throw std::invalid_argument("--shard '" + text + "': n must be at least 1");
  if (s.index < 0 || s.index >= s.count)
    throw std::invalid_argument("--shard '" + text + "': i must be in 0.." + std::to_string(s.count - 1));
  s.source = "--shard";
  return s;
}

// The shard the launcher gave this process (count 1 when none did).
inline Shard shard_from_environment(const EnvLookup& env = process_environment) {
  Shard s;
  std::map<std::string, std::string> seen;
  // 1. the processes of this launch
  std::optional<detail::EnvPair> proc;
  std::string proc_source;
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> launchers{
      {"Open MPI", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK"},
      {"RANK/WORLD_SIZE", "RANK", "WORLD_SIZE", "LOCAL_RANK"},
      {"srun", "SLURM_PROCID", "SLURM_STEP_NUM_TASKS", "SLURM_LOCALID"}};
  for (const auto& [name, rank, size, local] : launchers)
    if ((proc = detail::read_pair(env, seen, rank, size, local))) {
      proc_source = name;
      break;
    }
  // 2. a Slurm job array around them
  std::optional<std::pair<std::int64_t, std::int64_t>> array;  // (task index, task count)
  if (const auto id = env("SLURM_ARRAY_TASK_ID")) {
    const auto count = env("SLURM_ARRAY_TASK_COUNT");
    if (!count)
      throw std::invalid_argument("SLURM_ARRAY_TASK_ID = " + *id +
                                  " without SLURM_ARRAY_TASK_COUNT: give the shard with --shard i/n");
    seen["SLURM_ARRAY_TASK_ID"] = *id;
    seen["SLURM_ARRAY_TASK_COUNT"] = *count;
    const auto t = detail::parse_count(*id, "SLURM_ARRAY_TASK_ID");
    const auto n = detail::parse_count(*count, "SLURM_ARRAY_TASK_COUNT");
    std::int64_t min = 0, step = 1;
    if (const auto v = env("SLURM_ARRAY_TASK_MIN")) min = detail::parse_count(seen["SLURM_ARRAY_TASK_MIN"] = *v, "SLURM_ARRAY_TASK_MIN");
    if (const auto v = env("SLURM_ARRAY_TASK_STEP")) step = detail::parse_count(seen["SLURM_ARRAY_TASK_STEP"] = *v, "SLURM_ARRAY_TASK_STEP");
    if (n < 1 || step < 1)
      throw std::invalid_argument("SLURM_ARRAY_TASK_COUNT = " + *count + " / SLURM_ARRAY_TASK_STEP: must be at least 1");
    const auto k = (t - min) / step;
    if (t < min || (t - min) % step != 0 || k >= n)
      throw std::invalid_argument("SLURM_ARRAY_TASK_ID = " + *id + " is not task 0.." + std::to_string(n - 1) +
                                  " of an evenly spaced array (min " + std::to_string(min) + ", step " +
                                  std::to_string(step) + ", count " + *count +
                                  "): use --array=0-" + std::to_string(n - 1) + " or give --shard i/n");
    array = {k, n};
  }
  if (!proc && !array) return s;
  const auto p = proc.value_or(detail::EnvPair{});
  const auto a = array.value_or(std::pair<std::int64_t, std::int64_t>{0, 1});
  s.index = a.first * p.size + p.rank;
  s.count = a.second * p.size;
  s.local_rank = p.local;
  s.source = array && proc ? "Slurm array × " + proc_source : array ? std::string("Slurm array") : proc_source;
  s.variables = std::move(seen);
  return s;
}

// --shard's value: "auto" (the launcher's, or 1 shard), or i/n.
inline Shard resolve_shard(const std::string& option, const EnvLookup& env = process_environment) {
  if (option.empty() || option == "auto") return shard_from_environment(env);
  Shard s = parse_shard(option);
  // The node-local rank still picks the GPU when the shard is given by hand.
  try {
    s.local_rank = shard_from_environment(env).local_rank;
  } catch (const std::invalid_argument&) {
    // --shard overrides the launcher's numbers, malformed ones too.
  }
  return s;
}

}  // namespace distdiff
