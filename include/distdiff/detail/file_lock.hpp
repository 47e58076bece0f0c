#pragma once
// An exclusive advisory lock on a file (flock(2)), held for the lifetime of
// the object: what keeps concurrent processes that write one run folder —
// shards of one expansion, a shard started twice, a resumed run beside a
// running one — from interleaving their writes. The lock file is created when
// missing and left in place (removing it would let a late opener lock a
// different inode). flock works across processes on one machine and, through
// Linux's NFS client, across the nodes of a cluster that share the folder
// (NFSv4; Lustre mounted with -o flock). Within one process it is per open
// file: two FileLock objects on the same path in two threads also exclude
// each other. `flags` adds open(2) flags (O_APPEND for a file that is also
// written through fd()); the file is always opened read-write.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace distdiff::detail {

class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path, const std::string& who = "distdiff", int flags = 0)
      : path_(path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | flags, 0644);
    if (fd_ < 0)
      throw std::runtime_error(who + ": cannot open '" + path.string() + "' to lock it: " + std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd_);
      throw std::runtime_error(who + ": cannot lock '" + path.string() + "': " + std::strerror(e));
    }
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  const std::filesystem::path& path() const { return path_; }
  int fd() const { return fd_; }  // the locked file, open while the lock is held

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace distdiff::detail
