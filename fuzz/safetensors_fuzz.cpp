// libFuzzer target for the safetensors header parser (torch-free).
//
// Every input must either parse or throw std::runtime_error; any other
// exception, a sanitizer report, or an accepted header that breaks the
// format's invariants is a bug. Accepted headers are also re-serialized and
// re-parsed, which must give the same header back.
//
// Build and run: fuzz/run.sh [seconds]
#include "distdiff/models/weights/safetensors_format.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

namespace {

[[noreturn]] void bug(const char* what) {
  std::fprintf(stderr, "safetensors_fuzz: %s\n", what);
  std::abort();
}

bool same(const distdiff::models::StHeader& a, const distdiff::models::StHeader& b) {
  if (a.metadata != b.metadata || a.data_size != b.data_size || a.tensors.size() != b.tensors.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    const auto& x = a.tensors[i];
    const auto& y = b.tensors[i];
    if (x.name != y.name || x.dtype != y.dtype || x.shape != y.shape || x.begin != y.begin ||
        x.end != y.end) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace distdiff::models;
  StHeader h;
  try {
    h = parse_safetensors(data, size, "fuzz-input");
  } catch (const std::runtime_error&) {
    return 0;  // rejected cleanly
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception type: %s\n", e.what());
    bug("parse_safetensors threw something other than std::runtime_error");
  }

  // Invariants of an accepted file.
  if (8 + h.header_size + h.data_size != size) bug("sizes do not add up to the file size");
  std::uint64_t total = 0;
  for (const auto& t : h.tensors) {
    if (t.begin > t.end || t.end > h.data_size) bug("tensor outside the data buffer");
    std::uint64_t n = st_itemsize(t.dtype);
    for (auto d : t.shape) {
      if (d < 0) bug("negative dimension accepted");
      n *= static_cast<std::uint64_t>(d);
    }
    if (n != t.end - t.begin) bug("byte size does not match dtype and shape");
    total += t.end - t.begin;
  }
  if (total != h.data_size) bug("tensors do not tile the data buffer");

  // Serialize the accepted header again: the result must parse to the same header.
  std::string again;
  try {
    again = serialize_safetensors_header(h.tensors, h.metadata);
  } catch (const std::invalid_argument&) {
    bug("an accepted header could not be serialized");
  }
  if (again.size() % 8 != 0) bug("serialized header is not padded to 8 bytes");
  again.append(reinterpret_cast<const char*>(data) + 8 + h.header_size, h.data_size);
  try {
    const StHeader h2 = parse_safetensors(reinterpret_cast<const std::uint8_t*>(again.data()),
                                          again.size(), "fuzz-reserialized");
    if (!same(h, h2)) bug("re-serialized header differs");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    bug("re-serialized header was rejected");
  }
  return 0;
}
