#pragma once
// Reading MATLAB .mat files (v5, and v7.3 where matio has HDF5) through matio:
// numeric vectors, strings, cell arrays of strings and struct-array fields,
// each failure reported once with the file and variable names.
#include <matio.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace distdiff::detail {

inline std::size_t mat_numel(const matvar_t* v) {
  std::size_t n = 1;
  for (int d = 0; d < v->rank; ++d) n *= v->dims[d];
  return n;
}

// Any real numeric array as doubles (column-major order).
inline std::vector<double> mat_numbers(const matvar_t* v, const std::string& where) {
  if (v == nullptr) throw std::runtime_error(where + ": missing value");
  const std::size_t n = mat_numel(v);
  if (n > 0 && v->data == nullptr) throw std::runtime_error(where + ": no data");
  if (v->isComplex) throw std::runtime_error(where + ": complex values, expected real numbers");
  std::vector<double> out(n);
  auto copy = [&](auto* p) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<double>(p[i]);
  };
  switch (v->class_type) {
    case MAT_C_DOUBLE: copy(static_cast<const double*>(v->data)); break;
    case MAT_C_SINGLE: copy(static_cast<const float*>(v->data)); break;
    case MAT_C_INT8: copy(static_cast<const std::int8_t*>(v->data)); break;
    case MAT_C_UINT8: copy(static_cast<const std::uint8_t*>(v->data)); break;
    case MAT_C_INT16: copy(static_cast<const std::int16_t*>(v->data)); break;
    case MAT_C_UINT16: copy(static_cast<const std::uint16_t*>(v->data)); break;
    case MAT_C_INT32: copy(static_cast<const std::int32_t*>(v->data)); break;
    case MAT_C_UINT32: copy(static_cast<const std::uint32_t*>(v->data)); break;
    case MAT_C_INT64: copy(static_cast<const std::int64_t*>(v->data)); break;
    case MAT_C_UINT64: copy(static_cast<const std::uint64_t*>(v->data)); break;
    default: throw std::runtime_error(where + ": expected a numeric array");
  }
  return out;
}

// Whole-number values as int64 (throws on fractions).
inline std::vector<std::int64_t> mat_integers(const matvar_t* v, const std::string& where) {
  const auto d = mat_numbers(v, where);
  std::vector<std::int64_t> out(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) {
    out[i] = static_cast<std::int64_t>(d[i]);
    if (static_cast<double>(out[i]) != d[i])
      throw std::runtime_error(where + ": value " + std::to_string(d[i]) + " at " + std::to_string(i) +
                               " is not a whole number");
  }
  return out;
}

inline void append_utf8(std::string& s, std::uint32_t c) {
  if (c < 0x80) {
    s += char(c);
  } else if (c < 0x800) {
    s += char(0xC0 | (c >> 6));
    s += char(0x80 | (c & 0x3F));
  } else {
    s += char(0xE0 | (c >> 12));
    s += char(0x80 | ((c >> 6) & 0x3F));
    s += char(0x80 | (c & 0x3F));
  }
}

// A 1-row MATLAB char array as UTF-8.
inline std::string mat_string(const matvar_t* v, const std::string& where) {
  if (v == nullptr) throw std::runtime_error(where + ": missing value");
  if (v->class_type != MAT_C_CHAR) throw std::runtime_error(where + ": expected a char array");
  const std::size_t n = mat_numel(v);
  if (v->rank == 2 && v->dims[0] > 1) throw std::runtime_error(where + ": expected a single-row string");
  std::string s;
  if (n == 0) return s;
  if (v->data == nullptr) throw std::runtime_error(where + ": no data");
  if (v->data_size == 1 || v->data_type == MAT_T_UTF8 || v->data_type == MAT_T_UINT8 || v->data_type == MAT_T_INT8) {
    s.assign(static_cast<const char*>(v->data), n);
  } else if (v->data_size == 2) {
    const auto* p = static_cast<const std::uint16_t*>(v->data);
    for (std::size_t i = 0; i < n; ++i) append_utf8(s, p[i]);
  } else {
    throw std::runtime_error(where + ": unsupported character encoding");
  }
  return s;
}

struct MatVarDeleter {
  void operator()(matvar_t* v) const { Mat_VarFree(v); }
};
using MatVarPtr = std::unique_ptr<matvar_t, MatVarDeleter>;

class MatFile {
 public:
  MatFile(const std::filesystem::path& path, std::string who) : path_(path), who_(std::move(who)) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      throw std::runtime_error(who_ + ": missing file '" + path.string() + "'");
    mat_ = Mat_Open(path.string().c_str(), MAT_ACC_RDONLY);
    if (mat_ == nullptr) throw std::runtime_error(who_ + ": '" + path.string() + "' is not a readable MAT file");
  }
  ~MatFile() {
    if (mat_ != nullptr) Mat_Close(mat_);
  }
  MatFile(const MatFile&) = delete;
  MatFile& operator=(const MatFile&) = delete;

  std::string where(const std::string& var) const { return who_ + ": '" + path_.string() + "': variable '" + var + "'"; }

  MatVarPtr read(const std::string& name) const {
    Mat_Rewind(mat_);
    matvar_t* v = Mat_VarRead(mat_, name.c_str());
    if (v == nullptr) throw std::runtime_error(where(name) + " not found");
    return MatVarPtr(v);
  }
  std::vector<std::int64_t> integers(const std::string& name) const {
    auto v = read(name);
    return mat_integers(v.get(), where(name));
  }
  // A cell array of strings.
  std::vector<std::string> strings(const std::string& name) const {
    auto v = read(name);
    if (v->class_type != MAT_C_CELL) throw std::runtime_error(where(name) + ": expected a cell array of strings");
    const std::size_t n = mat_numel(v.get());
    std::vector<std::string> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(mat_string(Mat_VarGetCell(v.get(), static_cast<int>(i)), where(name) + "{" + std::to_string(i + 1) + "}"));
    return out;
  }

 private:
  std::filesystem::path path_;
  std::string who_;
  mat_t* mat_ = nullptr;
};

// Field `field` of element `i` of a struct array.
inline const matvar_t* mat_field(matvar_t* s, const char* field, std::size_t i, const std::string& where) {
  if (s->class_type != MAT_C_STRUCT) throw std::runtime_error(where + ": expected a struct array");
  matvar_t* f = Mat_VarGetStructFieldByName(s, field, i);
  if (f == nullptr)
    throw std::runtime_error(where + ": element " + std::to_string(i + 1) + " has no field '" + field + "'");
  return f;
}

}  // namespace distdiff::detail
