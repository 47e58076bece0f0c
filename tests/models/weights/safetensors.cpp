// safetensors reader/writer: round trips, a byte-level reference file built
// from the format description, every malformed case, and a mutation test.
#include <catch2/catch.hpp>

#include "distdiff/models/weights/safetensors.hpp"
#include "support/temp_dir.hpp"

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>

using namespace distdiff::models;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// Builds a file by hand, following the format description: u64 little-endian
// header length, the JSON bytes, the data bytes.
std::string raw_file(const std::string& json, const std::string& data) {
  std::string out;
  std::uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out + json + data;
}

std::string bytes(std::initializer_list<unsigned> b) {
  std::string s;
  for (unsigned v : b) s.push_back(static_cast<char>(v));
  return s;
}

StHeader parse(const std::string& file, const std::string& name = "bad.safetensors") {
  return parse_safetensors(reinterpret_cast<const std::uint8_t*>(file.data()), file.size(), name);
}

void write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream f(p, std::ios::binary);
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// The error message parse() gives for `file`, or "" when it parses.
std::string parse_error(const std::string& file) {
  try {
    parse(file);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

const std::string kTwoF32 = bytes({0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0});  // 1.0f, -2.0f

}  // namespace

TEST_CASE("safetensors: dtype table", "[weights][safetensors]") {
  for (StDtype d : {StDtype::F64, StDtype::F32, StDtype::F16, StDtype::BF16, StDtype::I64,
                    StDtype::I32, StDtype::I16, StDtype::I8, StDtype::U8, StDtype::BOOL}) {
    REQUIRE(st_dtype_from_name(st_dtype_name(d)) == d);
    REQUIRE(st_from_torch(st_to_torch(d)) == d);
    REQUIRE(static_cast<std::int64_t>(st_itemsize(d)) ==
            torch::empty({1}, torch::TensorOptions().dtype(st_to_torch(d))).element_size());
  }
  REQUIRE_FALSE(st_dtype_from_name("F8_E4M3").has_value());
  REQUIRE_FALSE(st_from_torch(torch::kComplexFloat).has_value());
}

TEST_CASE("safetensors: round trip of every dtype, empty and 0-d tensors",
          "[weights][safetensors]") {
  distdiff::test::TempDir dir;
  torch::manual_seed(3);
  std::map<std::string, torch::Tensor> in;
  in["f64"] = torch::randn({3, 4}, torch::kFloat64);
  in["f32"] = torch::randn({2, 3, 5});
  in["f16"] = torch::tensor({1.0, -2.5, 65504.0, 6.103515625e-05, 5.960464477539063e-08, 0.0})
                  .to(torch::kFloat16);
  in["bf16"] = torch::tensor({1.0, -3.0, 1e30, 0.0078125}).to(torch::kBFloat16);
  in["i64"] = torch::tensor({std::int64_t{-1}, std::int64_t{1} << 60, std::int64_t{7}});
  in["i32"] = torch::randint(-1000, 1000, {4, 4}, torch::kInt32);
  in["i16"] = torch::tensor({-32768, 32767, 5}, torch::kInt16);
  in["i8"] = torch::tensor({-128, 127, 0}, torch::kInt8);
  in["u8"] = torch::tensor({0, 255, 17}, torch::kUInt8);
  in["bool"] = torch::tensor({true, false, true});
  in["empty"] = torch::empty({0, 3});
  in["empty_i64"] = torch::empty({2, 0, 4}, torch::kInt64);
  in["scalar"] = torch::tensor(42.5);
  in["transposed"] = torch::arange(12, torch::kFloat32).reshape({3, 4}).t();  // not contiguous
  const auto path = dir / "all.safetensors";
  save_safetensors(path, in);

  const auto file = SafetensorsFile::open(path);
  const auto names = file.names();
  REQUIRE(names.size() == in.size());
  REQUIRE(std::is_sorted(names.begin(), names.end()));
  for (const auto& [name, t] : in) {
    INFO(name);
    REQUIRE(file.contains(name));
    const torch::Tensor r = file.tensor(name);
    REQUIRE(r.scalar_type() == t.scalar_type());
    REQUIRE(r.sizes() == t.sizes());
    REQUIRE(r.device().is_cpu());
    REQUIRE(torch::equal(r, t));
  }
  REQUIRE_FALSE(file.contains("nope"));
  REQUIRE_THROWS_WITH(file.tensor("nope"), StartsWith(path.string()) && Contains("'nope'"));

  // Data starts at a multiple of 8; tensors are stored in name order.
  REQUIRE((8 + file.header().header_size) % 8 == 0);
  const auto& infos = file.header().tensors;  // sorted by name = file order
  REQUIRE(infos.front().begin == 0);
  for (std::size_t i = 1; i < infos.size(); ++i) REQUIRE(infos[i - 1].end == infos[i].begin);

  // F16/BF16 bit patterns in the file itself (IEEE binary16 / upper half of binary32).
  const std::string raw = read_file(path);
  auto u16_at = [&](const StTensorInfo& info, int i) {
    const std::size_t off = 8 + file.header().header_size + info.begin + 2 * i;
    return static_cast<unsigned>(static_cast<unsigned char>(raw[off])) |
           (static_cast<unsigned>(static_cast<unsigned char>(raw[off + 1])) << 8);
  };
  const StTensorInfo& f16 = file.info("f16");
  REQUIRE(u16_at(f16, 0) == 0x3c00);  // 1.0
  REQUIRE(u16_at(f16, 1) == 0xc100);  // -2.5
  REQUIRE(u16_at(f16, 2) == 0x7bff);  // 65504, largest finite
  REQUIRE(u16_at(f16, 3) == 0x0400);  // smallest normal 2^-14
  REQUIRE(u16_at(f16, 4) == 0x0001);  // smallest subnormal 2^-24
  const StTensorInfo& bf16 = file.info("bf16");
  REQUIRE(u16_at(bf16, 0) == 0x3f80);  // 1.0
  REQUIRE(u16_at(bf16, 1) == 0xc040);  // -3.0
  REQUIRE(u16_at(bf16, 3) == 0x3c00);  // 2^-7

  // load_safetensors keeps dtypes, or converts only floating tensors.
  const auto native = load_safetensors(path);
  REQUIRE(native.at("f16").scalar_type() == torch::kFloat16);
  const auto up = load_safetensors(path, torch::kFloat32);
  REQUIRE(up.at("f16").scalar_type() == torch::kFloat32);
  REQUIRE(up.at("bf16").scalar_type() == torch::kFloat32);
  REQUIRE(up.at("f64").scalar_type() == torch::kFloat32);
  REQUIRE(up.at("i16").scalar_type() == torch::kInt16);
  REQUIRE(up.at("bool").scalar_type() == torch::kBool);
  REQUIRE(up.at("f16")[2].item<float>() == 65504.0f);
  REQUIRE(up.at("f16")[4].item<float>() == std::ldexp(1.0f, -24));
  REQUIRE(up.at("bf16")[2].item<float>() == Approx(1e30).epsilon(0.01));
}

TEST_CASE("safetensors: metadata round trip and overwrite", "[weights][safetensors]") {
  distdiff::test::TempDir dir;
  const auto path = dir / "m.safetensors";
  const std::map<std::string, std::string> meta{
      {"format", "pt"}, {"note", "quotes \" and \\ and\nnewline, unicode \xc3\xa9"}, {"", "empty key"}};
  save_safetensors(path, {{"x", torch::ones({2})}}, meta);
  REQUIRE(SafetensorsFile::open(path).header().metadata == meta);

  // Tensors from the old file stay valid after the file is replaced.
  const torch::Tensor old = SafetensorsFile::open(path).tensor("x");
  save_safetensors(path, {{"x", torch::zeros({3})}});
  REQUIRE(torch::equal(old, torch::ones({2})));
  REQUIRE(torch::equal(SafetensorsFile::open(path).tensor("x"), torch::zeros({3})));
  REQUIRE(SafetensorsFile::open(path).header().metadata.empty());
  // No temporary file is left behind.
  REQUIRE(std::distance(std::filesystem::directory_iterator(dir.path), {}) == 1);

  // Writing to a loaded tensor does not touch the file.
  torch::Tensor t = SafetensorsFile::open(path).tensor("x");
  t.fill_(5);
  REQUIRE(torch::equal(SafetensorsFile::open(path).tensor("x"), torch::zeros({3})));
}

TEST_CASE("safetensors: writer rejects what the format cannot hold", "[weights][safetensors]") {
  distdiff::test::TempDir dir;
  const auto path = dir / "w.safetensors";
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"c", torch::ones({2}, torch::kComplexFloat)}}),
                      StartsWith(path.string()) && Contains("'c'"));
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"u", torch::Tensor()}}), Contains("undefined"));
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"__metadata__", torch::ones({1})}}),
                      Contains("reserved"));
  REQUIRE_THROWS_WITH(save_safetensors(path, {{std::string("bad\xff"), torch::ones({1})}}),
                      Contains("UTF-8"));
  REQUIRE_THROWS_WITH(save_safetensors(dir / "no_such_dir" / "x.safetensors", {{"a", torch::ones({1})}}),
                      Contains("cannot create"));
  REQUIRE_FALSE(std::filesystem::exists(path));
  REQUIRE(std::distance(std::filesystem::directory_iterator(dir.path), {}) == 0);
}

TEST_CASE("safetensors: reference file written byte by byte", "[weights][safetensors]") {
  distdiff::test::TempDir dir;
  // 22 + ... bytes of JSON, not a multiple of 8: the data buffer is misaligned,
  // so the reader must copy; "b" is a 2-byte type at an odd address as well.
  const std::string json =
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"I16","shape":[1,2],"data_offsets":[8,12]},)"
      R"("c":{"dtype":"BF16","shape":[],"data_offsets":[12,14]},)"
      R"("e":{"dtype":"U8","shape":[0],"data_offsets":[14,14]}})";
  const std::string data = kTwoF32 + bytes({7, 0, 0xff, 0xff}) + bytes({0x80, 0x3f});
  for (const std::string pad : {"", " ", "  ", "   "}) {
    INFO("padding " << pad.size());
    const std::string file = raw_file(json + pad, data);
    const auto path = dir / "ref.safetensors";
    write_file(path, file);
    const auto f = SafetensorsFile::open(path);
    REQUIRE(f.header().header_size == json.size() + pad.size());
    REQUIRE(f.header().data_size == 14);
    REQUIRE(f.header().metadata == std::map<std::string, std::string>{{"format", "pt"}});
    REQUIRE(f.names() == std::vector<std::string>{"a", "b", "c", "e"});
    const auto a = f.tensor("a");
    REQUIRE(a.scalar_type() == torch::kFloat32);
    REQUIRE(a[0].item<float>() == 1.0f);
    REQUIRE(a[1].item<float>() == -2.0f);
    const auto b = f.tensor("b");
    REQUIRE(b.scalar_type() == torch::kInt16);
    REQUIRE(b.sizes() == torch::IntArrayRef{1, 2});
    REQUIRE(b[0][0].item<int>() == 7);
    REQUIRE(b[0][1].item<int>() == -1);
    const auto c = f.tensor("c");
    REQUIRE(c.dim() == 0);
    REQUIRE(c.scalar_type() == torch::kBFloat16);
    REQUIRE(c.to(torch::kFloat32).item<float>() == 1.0f);
    REQUIRE(f.tensor("e").numel() == 0);
  }

  // The writer's bytes for the same content follow the same layout.
  const auto path = dir / "ours.safetensors";
  save_safetensors(path, {{"a", torch::tensor({1.0f, -2.0f})}});
  const std::string ours = read_file(path);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(ours[i]);
  REQUIRE(n % 8 == 0);
  REQUIRE(ours.size() == 8 + n + 8);
  REQUIRE(ours.substr(8 + n) == kTwoF32);
  const auto header = nlohmann::json::parse(ours.substr(8, n));
  REQUIRE(header == nlohmann::json::parse(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})"));
  REQUIRE(ours.substr(8, n).find_first_not_of(' ', header.dump().size()) == std::string::npos);
}

TEST_CASE("safetensors: each malformed file gets one clear error", "[weights][safetensors]") {
  const std::string ok_json = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  REQUIRE(parse_error(raw_file(ok_json, kTwoF32)).empty());
  REQUIRE(parse_error(raw_file("{}", "")).empty());
  REQUIRE(parse_error(raw_file(ok_json + "     ", kTwoF32)).empty());  // space padding is allowed

  struct Case {
    const char* what;
    std::string file;
    std::string message;
  };
  const std::string header8 = raw_file(ok_json, kTwoF32);
  std::string huge = header8;
  huge[5] = 0x01;  // 2^40 + ...
  std::string over_limit = raw_file("", "");
  const std::uint64_t limit = kSafetensorsMaxHeaderSize + 1;
  for (int i = 0; i < 8; ++i) over_limit[i] = static_cast<char>((limit >> (8 * i)) & 0xff);
  over_limit += std::string(64, ' ');

  const std::vector<Case> cases = {
      {"empty file", "", "too short"},
      {"truncated length", bytes({8, 0, 0}), "too short"},
      {"truncated header", header8.substr(0, 30), "exceeds the 22 bytes"},
      {"truncated data", header8.substr(0, header8.size() - 1), "data buffer but it has 7 bytes (file truncated?)"},
      {"header length huge", huge, "exceeds the limit"},
      {"header length over 100 MB", over_limit, "exceeds the limit of 100000000"},
      {"bad JSON", raw_file(R"({"a":{"dtype":"F32",)", kTwoF32), "not valid JSON"},
      {"empty JSON", raw_file("", ""), "not valid JSON"},
      {"trailing garbage", raw_file(ok_json + "x", kTwoF32), "not valid JSON"},
      {"not an object", raw_file("[1,2]", ""), "must be a JSON object, got array"},
      {"entry not an object", raw_file(R"({"a":3})", ""), "'a': entry must be an object"},
      {"missing key", raw_file(R"({"a":{"dtype":"F32","shape":[2]}})", kTwoF32), "exactly the keys"},
      {"extra key",
       raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", kTwoF32),
       "exactly the keys"},
      {"wrong dtype string",
       raw_file(R"({"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}})", kTwoF32),
       "unknown dtype 'F31'"},
      {"dtype not a string",
       raw_file(R"({"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", kTwoF32),
       "dtype must be a string"},
      {"shape not an array",
       raw_file(R"({"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", kTwoF32),
       "shape must be an array"},
      {"fractional shape",
       raw_file(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", kTwoF32),
       "shape entries must be integers"},
      {"negative shape",
       raw_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", kTwoF32),
       "negative dimension -2"},
      {"shape overflow",
       raw_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                kTwoF32),
       "too many elements"},
      {"size mismatch",
       raw_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", kTwoF32),
       "span 8 bytes but dtype F32 with shape [3] needs 12"},
      {"offsets not a pair",
       raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", kTwoF32),
       "data_offsets must be an array [begin, end]"},
      {"negative offset",
       raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", kTwoF32),
       "non-negative integers"},
      {"begin after end",
       raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", kTwoF32),
       "begin 8 > end 0"},
      {"overlapping offsets",
       raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                kTwoF32),
       "overlaps tensor"},
      {"gap",
       raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", kTwoF32),
       "gap in the data buffer: bytes [0, 4)"},
      {"last end != buffer size",
       raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", kTwoF32),
       "tensors end at byte 4 of the data buffer but it has 8 bytes"},
      {"duplicate key",
       raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                kTwoF32),
       "duplicate key 'a'"},
      {"duplicate inner key",
       raw_file(R"({"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})", kTwoF32),
       "duplicate key 'dtype'"},
      {"metadata not an object", raw_file(R"({"__metadata__":[]})", ""), "__metadata__ must be"},
      {"metadata value not a string", raw_file(R"({"__metadata__":{"k":1}})", ""),
       "value of 'k' must be a string"},
      {"too deep", raw_file(R"({"a":{"dtype":"F32","shape":[[2]],"data_offsets":[0,8]}})", kTwoF32),
       "nested deeper"},
      {"invalid UTF-8", raw_file("{\"\xff\":{}}", ""), "not valid JSON"},
      // The header ends at its declared length; only spaces may pad it.
      {"NUL after the object", raw_file(ok_json + std::string("\0", 1) + "garbage", kTwoF32),
       "NUL byte at offset " + std::to_string(ok_json.size())},
      {"NUL then spaces", raw_file(ok_json + std::string("\0   ", 4), kTwoF32), "NUL byte"},
      {"NUL then a second object", raw_file("{}" + std::string("\0", 1) + ok_json, ""), "NUL byte at offset 2"},
      {"newline padding", raw_file(ok_json + "\n", kTwoF32), "does not end with its JSON object"},
      {"tab before spaces", raw_file(ok_json + "\t  ", kTwoF32), "'\\x09'"},
      {"second JSON value", raw_file(ok_json + " {}", kTwoF32), "not valid JSON"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const std::string msg = parse_error(c.file);
    CAPTURE(msg);
    REQUIRE_THAT(msg, StartsWith("bad.safetensors: invalid safetensors file: ") && Contains(c.message));
  }

  // The same errors come through SafetensorsFile::open, naming the path.
  distdiff::test::TempDir dir;
  const auto path = dir / "trunc.safetensors";
  write_file(path, header8.substr(0, header8.size() - 3));
  REQUIRE_THROWS_WITH(SafetensorsFile::open(path),
                      StartsWith(path.string() + ": invalid safetensors file") && Contains("buffer"));
  write_file(path, "");
  REQUIRE_THROWS_WITH(SafetensorsFile::open(path), StartsWith(path.string()) && Contains("too short"));
  REQUIRE_THROWS_WITH(SafetensorsFile::open(dir / "missing.safetensors"),
                      Contains("missing.safetensors: cannot open"));
  REQUIRE_THROWS_WITH(SafetensorsFile::open(dir.path), Contains("not a regular file"));
}

TEST_CASE("safetensors: mutated files parse or throw runtime_error, never crash",
          "[weights][safetensors]") {
  distdiff::test::TempDir dir;
  const auto valid_path = dir / "valid.safetensors";
  save_safetensors(valid_path,
                   {{"w", torch::randn({3, 2})},
                    {"h", torch::randn({5}).to(torch::kFloat16)},
                    {"i", torch::arange(4)},
                    {"s", torch::tensor(true)}},
                   {{"format", "pt"}});
  const std::string valid = read_file(valid_path);
  std::mt19937 rng(20240607);
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string f = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = f.empty() ? 0 : rng() % f.size();
      switch (rng() % 6) {
        case 0:  // flip a bit
          if (!f.empty()) f[pos] = static_cast<char>(f[pos] ^ (1u << (rng() % 8)));
          break;
        case 1:  // random byte
          if (!f.empty()) f[pos] = static_cast<char>(rng());
          break;
        case 2:  // truncate
          f.resize(pos);
          break;
        case 3:  // insert bytes
          f.insert(pos, std::string(1 + rng() % 8, static_cast<char>(rng())));
          break;
        case 4:  // erase bytes
          f.erase(pos, 1 + rng() % 8);
          break;
        case 5:  // printable JSON-ish byte inside the header
          if (f.size() > 8) f[8 + rng() % (f.size() - 8)] = "{}[]\",:0-19 e."[rng() % 15];
          break;
      }
    }
    try {
      const StHeader h = parse(f);
      ++accepted;
      // Accepted headers satisfy the invariants the reader relies on.
      std::uint64_t total = 0;
      for (const auto& t : h.tensors) total += t.end - t.begin;
      REQUIRE(total == h.data_size);
      REQUIRE(8 + h.header_size + h.data_size == f.size());
      const auto p = dir / "mutant.safetensors";
      write_file(p, f);
      const auto file = SafetensorsFile::open(p);
      for (const auto& name : file.names()) {
        REQUIRE(static_cast<std::uint64_t>(file.tensor(name).nbytes()) ==
                file.info(name).end - file.info(name).begin);
      }
    } catch (const std::runtime_error& e) {
      ++rejected;
      REQUIRE_THAT(std::string(e.what()), StartsWith("bad.safetensors: invalid safetensors file: "));
    }
  }
  INFO("accepted " << accepted << ", rejected " << rejected);
  REQUIRE(accepted + rejected == 3000);
  REQUIRE(rejected > 2000);
}

TEST_CASE("safetensors: releasing a view's pages maps the file's bytes again; copies are left alone",
          "[weights][safetensors]") {
  distdiff::test::TempDir dir;
  const auto path = dir / "pages.safetensors";
  const auto page = static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE)) / 4;   // float32 elements per page
  const auto big = torch::arange(6 * page, torch::kFloat32);
  const auto small = torch::full({5}, 3.5f);
  save_safetensors(path, {{"big", big}, {"small", small}});
  const auto file = SafetensorsFile::open(path);
  auto view = file.tensor("big");
  auto neighbour = file.tensor("small");
  REQUIRE(torch::equal(view, big));
  // Writes to a view stay in this process (the mapping is private) until its pages are released.
  view.fill_(-1.0f);
  neighbour.fill_(-2.0f);
  distdiff::models::detail::st_release_view_pages(view);
  // Every page wholly inside the tensor maps the file again; at most the partial pages at its ends keep the write.
  const auto restored = view.eq(big).sum().item<std::int64_t>();
  CHECK(restored >= 4 * page);
  CHECK(view.eq(-1.0f).sum().item<std::int64_t>() == 6 * page - restored);
  CHECK(torch::equal(neighbour, torch::full({5}, -2.0f)));   // the neighbour's bytes are not touched
  CHECK(torch::equal(file.tensor("small"), torch::full({5}, -2.0f)));   // same mapping, same bytes
  // A tensor that owns its memory keeps its values.
  auto owned = torch::full({6 * page}, 9.0f);
  distdiff::models::detail::st_release_view_pages(owned);
  CHECK(torch::equal(owned, torch::full({6 * page}, 9.0f)));
}

}  // namespace DISTDIFF_UNITY_ID
