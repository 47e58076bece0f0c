// libFuzzer target for the results CSV reader (io/results.hpp parse_results,
// torch-free): the header check, the quoted-field splitter and the number
// columns.
//
// Every input must parse or throw std::runtime_error. Accepted rows, written
// back with to_csv_line, must parse again; written once more they must give the
// same text (to_csv_line rounds some columns, so the fixed point is compared).
//
// Build and run: fuzz/run.sh [seconds]
#include "distdiff/io/results.hpp"

#include <cstdint>
#include <cstdio>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>

#include "fuzz_common.hpp"

namespace {
[[noreturn]] void bug(const char* what) { distdiff_fuzz::bug("results_fuzz", what); }

std::string write_back(const std::vector<distdiff::io::ResultRow>& rows) {
  std::string text = distdiff::io::detail::header_line() + "\n";
  for (const auto& r : rows) text += distdiff::io::to_csv_line(r) + "\n";
  return text;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace distdiff::io;
  std::vector<ResultRow> rows;
  try {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    rows = parse_results(in, "fuzz-input");
  } catch (const std::runtime_error&) {
    return 0;  // rejected cleanly
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    bug("parse_results threw something other than std::runtime_error");
  }
  try {
    const std::string once = write_back(rows);
    std::istringstream in1(once);
    const auto rows1 = parse_results(in1, "fuzz-rewritten");
    if (rows1.size() != rows.size()) bug("rewritten file has a different number of rows");
    const std::string twice = write_back(rows1);
    std::istringstream in2(twice);
    const auto rows2 = parse_results(in2, "fuzz-rewritten-2");
    if (write_back(rows2) != twice) bug("writing rows back is not stable");
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (rows1[i].dataset != rows[i].dataset || rows1[i].method != rows[i].method ||
          rows1[i].backbone != rows[i].backbone || rows1[i].seed != rows[i].seed ||
          rows1[i].epochs != rows[i].epochs || rows1[i].timestamp != rows[i].timestamp)
        bug("a text or integer column changed when written back");
  } catch (const std::runtime_error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    bug("accepted rows, written back, were rejected");
  }
  return 0;
}
