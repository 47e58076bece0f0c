#pragma once
// Test-only writers of MATLAB v5 .mat files through matio, for miniature
// copies of the Stanford Cars and Oxford Flowers layouts.
#include <matio.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace distdiff::test {

// A 1 x n double row vector.
inline matvar_t* mat_row(const char* name, const std::vector<double>& v) {
  size_t dims[2] = {1, v.size()};
  return Mat_VarCreate(name, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, const_cast<double*>(v.data()), 0);
}

// A 1 x n char array, stored as UTF-16 code units (as MATLAB does) or bytes.
inline matvar_t* mat_str(const char* name, const std::string& s, bool utf16 = false) {
  size_t dims[2] = {1, s.size()};
  if (utf16) {
    std::vector<std::uint16_t> u(s.begin(), s.end());
    return Mat_VarCreate(name, MAT_C_CHAR, MAT_T_UINT16, 2, dims, u.data(), 0);
  }
  return Mat_VarCreate(name, MAT_C_CHAR, MAT_T_UINT8, 2, dims, const_cast<char*>(s.data()), 0);
}

// A 1 x n cell array of strings.
inline matvar_t* mat_cellstr(const char* name, const std::vector<std::string>& v) {
  size_t dims[2] = {1, v.size()};
  matvar_t* cell = Mat_VarCreate(name, MAT_C_CELL, MAT_T_CELL, 2, dims, nullptr, 0);
  for (std::size_t i = 0; i < v.size(); ++i) Mat_VarSetCell(cell, static_cast<int>(i), mat_str(nullptr, v[i], true));
  return cell;
}

struct CarAnno {
  std::string fname;
  int cls;  // 1-based
};

// The devkit's `annotations` struct array: bbox_x1, bbox_y1, bbox_x2, bbox_y2, class, fname.
inline matvar_t* mat_car_annotations(const std::vector<CarAnno>& rows) {
  const char* fields[] = {"bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2", "class", "fname"};
  size_t dims[2] = {1, rows.size()};
  matvar_t* s = Mat_VarCreateStruct("annotations", 2, dims, fields, 6);
  size_t one[2] = {1, 1};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (int f = 0; f < 4; ++f) {
      std::uint16_t v = static_cast<std::uint16_t>(1 + f);
      Mat_VarSetStructFieldByName(s, fields[f], i, Mat_VarCreate(nullptr, MAT_C_UINT16, MAT_T_UINT16, 2, one, &v, 0));
    }
    std::uint8_t c = static_cast<std::uint8_t>(rows[i].cls);
    Mat_VarSetStructFieldByName(s, "class", i, Mat_VarCreate(nullptr, MAT_C_UINT8, MAT_T_UINT8, 2, one, &c, 0));
    Mat_VarSetStructFieldByName(s, "fname", i, mat_str(nullptr, rows[i].fname));
  }
  return s;
}

// Writes the variables (and frees them).
inline void write_mat(const std::filesystem::path& path, const std::vector<matvar_t*>& vars) {
  std::filesystem::create_directories(path.parent_path());
  mat_t* mat = Mat_CreateVer(path.string().c_str(), nullptr, MAT_FT_MAT5);
  if (mat == nullptr) throw std::runtime_error("cannot create " + path.string());
  for (matvar_t* v : vars) {
    if (v == nullptr || Mat_VarWrite(mat, v, MAT_COMPRESSION_NONE) != 0) {
      Mat_Close(mat);
      throw std::runtime_error("cannot write a variable to " + path.string());
    }
    Mat_VarFree(v);
  }
  Mat_Close(mat);
}

}  // namespace distdiff::test
