// Shards from the launcher (pipeline/shard.hpp): Open MPI, RANK/WORLD_SIZE,
// srun steps and Slurm job arrays, read from a map and from the process
// environment; bad numbers are one error naming the variable.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>

#include "distdiff/pipeline/shard.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& k) -> std::optional<std::string> {
    const auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Sets variables in the process environment for one scope and unsets every
// launcher variable around it.
struct ScopedEnv {
  static constexpr const char* kAll[] = {
      "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", "RANK", "WORLD_SIZE",
      "LOCAL_RANK", "SLURM_PROCID", "SLURM_STEP_NUM_TASKS", "SLURM_LOCALID", "SLURM_NTASKS",
      "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP"};
  std::map<std::string, std::optional<std::string>> saved;
  explicit ScopedEnv(std::initializer_list<std::pair<const std::string, std::string>> vars) {
    for (const char* k : kAll) {
      const char* v = std::getenv(k);
      saved[k] = v ? std::optional<std::string>(v) : std::nullopt;
      ::unsetenv(k);
    }
    for (const auto& [k, v] : vars) ::setenv(k.c_str(), v.c_str(), 1);
  }
  ~ScopedEnv() {
    for (const auto& [k, v] : saved)
      if (v) ::setenv(k.c_str(), v->c_str(), 1);
      else ::unsetenv(k.c_str());
  }
};
}  // namespace

TEST_CASE("shard: no launcher means one shard doing everything", "[pipeline][shard]") {
  const auto s = shard_from_environment(env_of({}));
  CHECK(s.index == 0);
  CHECK(s.count == 1);
  CHECK_FALSE(s.sharded());
  CHECK(s.source == "none");
  for (std::int64_t u = 0; u < 5; ++u) CHECK(s.owns(u));
}

TEST_CASE("shard: --shard i/n", "[pipeline][shard]") {
  const auto s = parse_shard("2/5");
  CHECK(s.index == 2);
  CHECK(s.count == 5);
  CHECK(s.tag() == "2-of-5");
  CHECK(s.owns(2));
  CHECK(s.owns(7));
  CHECK_FALSE(s.owns(3));
  CHECK_THROWS_WITH(parse_shard("5/5"), Catch::Contains("0..4"));
  CHECK_THROWS_WITH(parse_shard("1"), Catch::Contains("expected i/n"));
  CHECK_THROWS_WITH(parse_shard("a/2"), Catch::Contains("not an integer"));
  CHECK_THROWS_WITH(parse_shard("0/0"), Catch::Contains("at least 1"));
  // By hand it wins over the launcher, whose local rank still picks the GPU.
  const auto r = resolve_shard("1/3", env_of({{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "2"},
                                              {"OMPI_COMM_WORLD_LOCAL_RANK", "0"}}));
  CHECK(r.index == 1);
  CHECK(r.count == 3);
  CHECK(r.local_rank == 0);
  CHECK(resolve_shard("auto", env_of({{"RANK", "3"}, {"WORLD_SIZE", "4"}})).index == 3);
}

TEST_CASE("shard: Open MPI wins over Slurm's numbers of the allocation", "[pipeline][shard]") {
  // mpirun inside an sbatch script: SLURM_PROCID is the batch step's 0.
  const auto s = shard_from_environment(env_of({{"OMPI_COMM_WORLD_RANK", "3"},
                                                {"OMPI_COMM_WORLD_SIZE", "4"},
                                                {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                                                {"SLURM_PROCID", "0"},
                                                {"SLURM_STEP_NUM_TASKS", "1"},
                                                {"SLURM_NTASKS", "4"}}));
  CHECK(s.index == 3);
  CHECK(s.count == 4);
  CHECK(s.local_rank == 1);
  CHECK(s.source == "Open MPI");
  CHECK(s.variables.at("OMPI_COMM_WORLD_RANK") == "3");
  CHECK_THAT(s.describe(), Catch::Contains("shard 3/4") && Catch::Contains("local rank 1"));
}

TEST_CASE("shard: Slurm variables set in the environment", "[pipeline][shard]") {
  SECTION("srun step") {
    const ScopedEnv env({{"SLURM_PROCID", "5"}, {"SLURM_STEP_NUM_TASKS", "8"}, {"SLURM_LOCALID", "1"}, {"SLURM_NTASKS", "8"}});
    const auto s = shard_from_environment();
    CHECK(s.index == 5);
    CHECK(s.count == 8);
    CHECK(s.local_rank == 1);
    CHECK(s.source == "srun");
  }
  SECTION("a batch script without srun is one process, not shard 0 of SLURM_NTASKS") {
    const ScopedEnv env({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}});
    const auto s = shard_from_environment();
    CHECK(s.count == 1);
    CHECK(s.source == "none");
  }
  SECTION("job array") {
    const ScopedEnv env({{"SLURM_ARRAY_TASK_ID", "6"}, {"SLURM_ARRAY_TASK_COUNT", "10"}, {"SLURM_ARRAY_TASK_MIN", "0"}});
    const auto s = shard_from_environment();
    CHECK(s.index == 6);
    CHECK(s.count == 10);
    CHECK(s.source == "Slurm array");
  }
  SECTION("job array starting at 1 with a step") {
    const ScopedEnv env({{"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_COUNT", "4"}, {"SLURM_ARRAY_TASK_MIN", "1"},
                         {"SLURM_ARRAY_TASK_STEP", "2"}});
    const auto s = shard_from_environment();  // tasks 1, 3, 5, 7
    CHECK(s.index == 3);
    CHECK(s.count == 4);
  }
  SECTION("job array of srun steps: task t of A, process p of P is shard t*P + p of A*P") {
    const ScopedEnv env({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_PROCID", "1"},
                         {"SLURM_STEP_NUM_TASKS", "4"}, {"SLURM_LOCALID", "1"}});
    const auto s = shard_from_environment();
    CHECK(s.index == 2 * 4 + 1);
    CHECK(s.count == 12);
    CHECK(s.local_rank == 1);
    CHECK(s.source == "Slurm array × srun");
  }
  SECTION("bad numbers: one error naming the variable") {
    {
      const ScopedEnv env({{"SLURM_ARRAY_TASK_ID", "1,3"}, {"SLURM_ARRAY_TASK_COUNT", "2"}});
      CHECK_THROWS_WITH(shard_from_environment(), Catch::Contains("SLURM_ARRAY_TASK_ID") && Catch::Contains("not an integer"));
    }
    {
      const ScopedEnv env({{"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_TASK_MIN", "1"}});
      CHECK_THROWS_WITH(shard_from_environment(), Catch::Contains("SLURM_ARRAY_TASK_ID = 7") && Catch::Contains("--shard"));
    }
    {
      const ScopedEnv env({{"SLURM_ARRAY_TASK_ID", "0"}});
      CHECK_THROWS_WITH(shard_from_environment(), Catch::Contains("without SLURM_ARRAY_TASK_COUNT"));
    }
    {
      const ScopedEnv env({{"SLURM_PROCID", "4"}, {"SLURM_STEP_NUM_TASKS", "4"}});
      CHECK_THROWS_WITH(shard_from_environment(), Catch::Contains("SLURM_PROCID = 4 is outside 0..3"));
    }
  }
}

TEST_CASE("shard: RANK / WORLD_SIZE / LOCAL_RANK", "[pipeline][shard]") {
  const auto s = shard_from_environment(env_of({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "1"}}));
  CHECK(s.index == 1);
  CHECK(s.count == 2);
  CHECK(s.local_rank == 1);
  CHECK(s.source == "RANK/WORLD_SIZE");
  CHECK_THROWS_WITH(shard_from_environment(env_of({{"RANK", "0"}, {"WORLD_SIZE", "0"}})),
                    Catch::Contains("WORLD_SIZE = 0"));
  // A rank without its size is not a launch.
  CHECK(shard_from_environment(env_of({{"RANK", "1"}})).count == 1);
}

}  // namespace DISTDIFF_UNITY_ID
