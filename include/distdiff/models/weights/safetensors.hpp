#pragma once
// safetensors files as LibTorch tensors: a memory-mapped reader and an atomic
// writer. The format itself (parser, validator, dtype table) lives in the
// torch-free safetensors_format.hpp.
//
//   auto file = distdiff::models::SafetensorsFile::open("unet.safetensors");
//   torch::Tensor w = file.tensor("conv_in.weight");       // native dtype, CPU
//   auto all = distdiff::models::load_safetensors("vae.safetensors", torch::kFloat32);
//   distdiff::models::save_safetensors("out.safetensors", all, {{"format", "pt"}});
#include "distdiff/models/weights/safetensors_format.hpp"

#include <c10/core/CPUAllocator.h>
#include <torch/torch.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace distdiff::models {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; this reader maps it without byte swapping");

inline torch::Dtype st_to_torch(StDtype d) {
  switch (d) {
    case StDtype::F64: return torch::kFloat64;
    case StDtype::F32: return torch::kFloat32;
    case StDtype::F16: return torch::kFloat16;
    case StDtype::BF16: return torch::kBFloat16;
    case StDtype::I64: return torch::kInt64;
    case StDtype::I32: return torch::kInt32;
    case StDtype::I16: return torch::kInt16;
    case StDtype::I8: return torch::kInt8;
    case StDtype::U8: return torch::kUInt8;
    case StDtype::BOOL: return torch::kBool;
  }
  throw std::invalid_argument("st_to_torch: invalid StDtype");
}

// The safetensors dtype of a torch dtype, or nullopt for dtypes the format lacks.
inline std::optional<StDtype> st_from_torch(torch::Dtype d) {
  switch (d) {
    case torch::kFloat64: return StDtype::F64;
    case torch::kFloat32: return StDtype::F32;
    case torch::kFloat16: return StDtype::F16;
    case torch::kBFloat16: return StDtype::BF16;
    case torch::kInt64: return StDtype::I64;
    case torch::kInt32: return StDtype::I32;
    case torch::kInt16: return StDtype::I16;
    case torch::kInt8: return StDtype::I8;
    case torch::kUInt8: return StDtype::U8;
    case torch::kBool: return StDtype::BOOL;
    default: return std::nullopt;
  }
}

namespace detail {

// A read-only file mapped copy-on-write: tensors viewing it may be written to
// without touching the file. Unmapped when the last tensor viewing it dies.
class StMapping {
 public:
  explicit StMapping(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw error(path, "cannot open", errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int e = errno;
      ::close(fd);
      throw error(path, "cannot stat", e);
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      throw std::runtime_error(path.string() + ": not a regular file");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        const int e = errno;
        ::close(fd);
        throw error(path, "cannot memory-map", e);
      }
      addr_ = static_cast<std::uint8_t*>(p);
    }
    ::close(fd);
  }
  StMapping(const StMapping&) = delete;
  StMapping& operator=(const StMapping&) = delete;
  ~StMapping() {
    if (addr_) ::munmap(addr_, size_);
  }
  const std::uint8_t* data() const { return addr_ ? addr_ : &empty_; }
  std::uint8_t* mutable_data() const { return addr_; }
  std::size_t size() const { return size_; }

 private:
  static std::runtime_error error(const std::filesystem::path& path, const char* what, int e) {
    return std::runtime_error(path.string() + ": " + what + ": " + std::strerror(e));
  }
  std::uint8_t* addr_ = nullptr;
  std::size_t size_ = 0;
  std::uint8_t empty_ = 0;
};

}  // namespace detail

// A memory-mapped safetensors file. Tensors it returns live on the CPU and keep
// the mapping alive; they view the file's bytes directly when the data is
// aligned for its dtype (else they are copies). Writing to a returned tensor
// never changes the file (the mapping is private). The file must not be
// truncated in place while mapped (replacing it by rename, as
// save_safetensors does, is safe).
class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::filesystem::path& path) {
    SafetensorsFile f;
    f.path_ = path;
    f.mapping_ = std::make_shared<detail::StMapping>(path);
    f.header_ = parse_safetensors(f.mapping_->data(), f.mapping_->size(), path.string());
    for (std::size_t i = 0; i < f.header_.tensors.size(); ++i) {
      f.index_.emplace(f.header_.tensors[i].name, i);
    }
    return f;
  }

  const StHeader& header() const { return header_; }
  const std::filesystem::path& path() const { return path_; }

  // Tensor names, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(header_.tensors.size());
    for (const auto& t : header_.tensors) out.push_back(t.name);
    return out;
  }

  bool contains(const std::string& name) const { return index_.count(name) != 0; }

  const StTensorInfo& info(const std::string& name) const {
    const auto it = index_.find(name);
    if (it == index_.end()) {
      throw std::runtime_error(path_.string() + ": no tensor named " + detail::st_quote(name) +
                               " (the file has " + std::to_string(header_.tensors.size()) +
                               " tensors)");
    }
    return header_.tensors[it->second];
  }

  // The tensor in its stored dtype, on the CPU.
  torch::Tensor tensor(const std::string& name) const {
    const StTensorInfo& t = info(name);
    const torch::Dtype dtype = st_to_torch(t.dtype);
    const auto opts = torch::TensorOptions().dtype(dtype).device(torch::kCPU);
    const std::uint64_t nbytes = t.end - t.begin;
    if (nbytes == 0) return torch::empty(t.shape, opts);
    std::uint8_t* ptr = mapping_->mutable_data() + 8 + header_.header_size + t.begin;
    if (t.dtype == StDtype::BOOL) {
      // Bytes other than 0/1 are not valid bools: normalise through a copy.
      return torch::from_blob(ptr, t.shape, torch::TensorOptions().dtype(torch::kUInt8)).ne(0);
    }
    if (reinterpret_cast<std::uintptr_t>(ptr) % st_itemsize(t.dtype) == 0) {
      auto keep = mapping_;
      return torch::from_blob(ptr, t.shape, [keep](void*) mutable { keep.reset(); }, opts);
    }
    torch::Tensor out = torch::empty(t.shape, opts);
    std::memcpy(out.data_ptr(), ptr, nbytes);
    return out;
  }

 private:
  SafetensorsFile() = default;
  std::filesystem::path path_;
  std::shared_ptr<detail::StMapping> mapping_;
  StHeader header_;
  std::map<std::string, std::size_t> index_;
};

namespace detail {

// Drops the pages of a tensor returned by SafetensorsFile::tensor() (a view of
// the private file mapping) from this process' memory, once its bytes are no
// longer needed: MADV_DONTNEED on a private file mapping unmaps them, and a
// later read maps the file's bytes again (a write made to the view is lost).
// Only pages wholly inside the tensor's bytes are touched, so the neighbouring
// tensors keep theirs. Tensors that own their memory (copies) are left alone.
// load_module() calls it after copying each tensor into the module, so loading
// holds the module plus about one tensor of the file instead of the whole file.
inline void st_release_view_pages(const torch::Tensor& t) {
  if (!t.defined() || !t.device().is_cpu() || !t.is_contiguous() || t.nbytes() == 0) return;
  const auto& data = t.storage().data_ptr();
  if (data.get_deleter() == c10::GetDefaultCPUAllocator()->raw_deleter()) return;   // owns its memory
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto first = reinterpret_cast<std::uintptr_t>(t.data_ptr());
  const auto begin = (first + page - 1) / page * page;
  const auto end = (first + t.nbytes()) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace detail

// Every tensor of a file. Floating-point tensors are converted to
// `float_dtype` when it is given (e.g. kFloat32 to upcast F16/BF16 weights
// for CPU use); others keep their stored dtype.
inline std::map<std::string, torch::Tensor> load_safetensors(
    const std::filesystem::path& path, std::optional<torch::Dtype> float_dtype = std::nullopt) {
  const SafetensorsFile file = SafetensorsFile::open(path);
  std::map<std::string, torch::Tensor> out;
  for (const auto& info : file.header().tensors) {
    torch::Tensor t = file.tensor(info.name);
    if (float_dtype && t.is_floating_point() && t.scalar_type() != *float_dtype) {
      t = t.to(*float_dtype);
    }
    out.emplace(info.name, std::move(t));
  }
  return out;
}

namespace detail {

inline void st_write_all(int fd, const void* data, std::size_t n, const std::filesystem::path& tmp) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace detail

// Writes `tensors` (any device, any layout; copied to contiguous CPU memory)
// and string `metadata` as a safetensors file, tensors in name order. The file
// appears atomically: it is written under a temporary name in the same folder
// and renamed, so readers never see a half-written file.
inline void save_safetensors(const std::filesystem::path& path,
                             const std::map<std::string, torch::Tensor>& tensors,
                             const std::map<std::string, std::string>& metadata = {}) {
  const std::string where = path.string() + ": cannot save safetensors: ";
  std::vector<StTensorInfo> infos;
  std::vector<torch::Tensor> cpu;
  infos.reserve(tensors.size());
  cpu.reserve(tensors.size());
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (!t.defined()) throw std::invalid_argument(where + "tensor '" + name + "' is undefined");
    const auto dtype = st_from_torch(t.scalar_type());
    if (!dtype) {
      throw std::invalid_argument(where + "tensor '" + name + "' has dtype " +
                                  std::string(c10::toString(t.scalar_type())) +
                                  ", which safetensors cannot store");
    }
    torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
    StTensorInfo info{name, *dtype, c.sizes().vec(), offset, offset + c.nbytes()};
    offset = info.end;
    infos.push_back(std::move(info));
    cpu.push_back(std::move(c));
  }
  std::string header;
  try {
    header = serialize_safetensors_header(infos, metadata);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(where + e.what());
  }

  static std::atomic<unsigned> counter{0};
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  const std::filesystem::path tmp =
      dir / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter++));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(where + "cannot create " + tmp.string() + ": " + std::strerror(errno));
  bool open = true;
  try {
    detail::st_write_all(fd, header.data(), header.size(), tmp);
    for (const auto& c : cpu) {
      if (c.nbytes() > 0) detail::st_write_all(fd, c.data_ptr(), c.nbytes(), tmp);
    }
    if (::fsync(fd) != 0) {
      throw std::runtime_error("cannot sync " + tmp.string() + ": " + std::strerror(errno));
    }
    open = false;
    if (::close(fd) != 0) {
      throw std::runtime_error("cannot close " + tmp.string() + ": " + std::strerror(errno));
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw std::runtime_error("cannot rename " + tmp.string() + ": " + ec.message());
  } catch (const std::exception& e) {
    if (open) ::close(fd);
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw std::runtime_error(where + e.what());
  }
}

}  // namespace distdiff::models
