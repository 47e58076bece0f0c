// Writes a seed corpus for safetensors_fuzz into the folder given as argv[1]:
// valid files of every dtype (aligned and unaligned headers, metadata, empty
// and 0-d tensors) and a few near-miss invalid ones.
#include "distdiff/models/weights/safetensors_format.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace distdiff::models;

void write(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::ofstream(dir / name, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A file from tensor infos laid out back to back; data bytes count upwards.
std::string valid(std::vector<StTensorInfo> tensors, const std::map<std::string, std::string>& meta) {
  std::uint64_t offset = 0;
  for (auto& t : tensors) {
    std::uint64_t n = st_itemsize(t.dtype);
    for (auto d : t.shape) n *= static_cast<std::uint64_t>(d);
    t.begin = offset;
    t.end = offset + n;
    offset = t.end;
  }
  std::string out = serialize_safetensors_header(tensors, meta);
  for (std::uint64_t i = 0; i < offset; ++i) out.push_back(static_cast<char>(i * 37 + 11));
  return out;
}

// Header bytes written by hand: u64 little-endian length, JSON, data.
std::string raw(const std::string& json, const std::string& data) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((json.size() >> (8 * i)) & 0xff));
  return out + json + data;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus folder>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  write(dir, "empty_object", valid({}, {}));
  write(dir, "metadata_only", valid({}, {{"format", "pt"}, {"note", "x"}}));
  write(dir, "one_f32", valid({{"w", StDtype::F32, {2, 3}}}, {}));
  write(dir, "all_dtypes",
        valid({{"a", StDtype::F64, {2}}, {"b", StDtype::F32, {1, 2}}, {"c", StDtype::F16, {3}},
               {"d", StDtype::BF16, {}}, {"e", StDtype::I64, {1}}, {"f", StDtype::I32, {2, 1}},
               {"g", StDtype::I16, {2}}, {"h", StDtype::I8, {3}}, {"i", StDtype::U8, {0}},
               {"j", StDtype::BOOL, {2, 2}}},
              {{"format", "pt"}}));
  write(dir, "unpadded", raw(R"({"x":{"dtype":"I16","shape":[1,2],"data_offsets":[0,4]}})", "abcd"));
  write(dir, "metadata_first",
        raw(R"({"__metadata__":{"k":"v"},"y":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}})", "xyz"));
  write(dir, "out_of_order",
        raw(R"({"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}})",
            "123"));
  write(dir, "bad_duplicate",
        raw(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})",
            "1"));
  write(dir, "bad_gap", raw(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})", "12"));
  write(dir, "bad_dtype", raw(R"({"a":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})", "1"));
  return 0;
}
