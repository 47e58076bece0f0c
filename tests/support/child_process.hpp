#pragma once
// Test helpers for runs in other processes: a fork()ed child running a body
// (killed runs, concurrent writers), and the count of atomic-write temporaries
// left in a folder.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include "distdiff/detail/atomic_write.hpp"

namespace distdiff::test {

// Starts `body` in a fork()ed process. wait() returns the signal that killed
// it, or −(exit status + 1): −1 when the body returned, −3 when it threw. A
// child that hangs past two minutes is killed and fails the test.
struct Child {
  pid_t pid = -1;
  explicit Child(const std::function<void()>& body) {
    std::fflush(nullptr);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      try {
        body();
      } catch (...) {
        _exit(2);
      }
      _exit(0);  // never returns into Catch
    }
  }
  int wait() {
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        FAIL("the child process hung");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return WIFSIGNALED(status) ? WTERMSIG(status) : -(WEXITSTATUS(status) + 1);
  }
};

inline std::size_t temporaries_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir))
    n += distdiff::detail::is_temporary_name(f.path().filename().string());
  return n;
}

}  // namespace distdiff::test
