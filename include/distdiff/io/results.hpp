#pragma once
// Results of classifier training runs: one CSV row per run, aggregated over
// seeds (mean ± sample std) into the paper's tables.
//
//   distdiff::io::ResultRow row{.dataset = "caltech101", .method = "DistDiff", .backbone = "resnet50",
//                               .expansion = 5, .seed = 1, .top1_best = 74.3, .top1_last = 73.9,
//                               .epochs = 100, .seconds = 5120};
//   distdiff::io::append_result("results.csv", row);           // safe with concurrent runs
//
//   auto rows = distdiff::io::read_results("results.csv");
//   std::cout << distdiff::io::table1_markdown(rows, {});      // rows = methods, columns = datasets
//   std::cout << distdiff::io::table2_markdown(rows, {});      // per dataset: columns = backbones
//   auto p = distdiff::io::pivot(rows, {.row_field = "method", .col_field = "expansion"});
//   std::cout << distdiff::io::render_markdown(p, {});
//
// Columns (results_columns()): dataset, method, composition, backbone,
// pretrained, expansion, K, M, steps, prototypes, seed, top1_best, top1_last,
// epochs, seconds, fid, fid_space, timestamp. `expansion` is the number of
// synthetic images per original image (0 for the original dataset alone, 5 for
// "5x expanded"); accuracies are percentages. composition, K, M, steps and
// prototypes come from the expansion run's run.json (its "keys"), so the
// ablation tables group rows by what was run, not by a hand-chosen name. A
// training row has no fid; a Fréchet-distance row (the frechet tool) has no
// accuracy: an absent number is an empty field. Files in the first layout
// (10 columns, up to distdiff 0.1) are still read; new rows go to a new file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "distdiff/data/dataset_aliases.hpp"
#include "distdiff/detail/atomic_write.hpp"
#include "distdiff/detail/file_lock.hpp"

namespace distdiff::io {

struct ResultRow {
  std::string dataset;
  std::string method;        // method or composition name, e.g. "Original", "DistDiff", "GIF-SD"
  std::string backbone;      // make_classifier name, e.g. "resnet50"
  double expansion = 0;      // synthetic images per original image (0 = original only)
  std::uint64_t seed = 1;
  double top1_best = 0;      // best test top-1 over epochs (percent)
  double top1_last = 0;      // test top-1 after the last epoch (percent)
  std::int64_t epochs = 0;
  double seconds = 0;        // training wall time
  std::string timestamp;     // ISO 8601 UTC; append_result fills it when empty
  // What distinguishes experiments, from the expansion run's run.json "keys"
  // (empty / absent for rows without synthetic data):
  std::string composition;   // the composition's label, e.g. "distdiff", "gif-sd", "class-prototypes-only"
  bool pretrained = false;   // fine-tuned from pretrained weights (Table 7) rather than from scratch
  std::optional<std::int64_t> k;  // group prototypes per class, when the energy reads group prototypes
  std::optional<std::int64_t> m;  // the first guided step (Table 4's M)
  std::string steps;         // every guided step, ';'-separated, e.g. "30;31" (Table 6)
  std::string prototypes;    // the prototypes the energy reads: none | class | group | class+group (Table 3)
  std::optional<double> fid; // Fréchet distance of the expanded set to the real test images (Table 3)
  std::string fid_space;     // the features of that distance, e.g. "clip-image(...) 64-d at 32 px"

  bool has_accuracy() const { return !std::isnan(top1_best); }
};

inline const std::vector<std::string>& results_columns() {
  static const std::vector<std::string> c = {
      "dataset", "method", "composition", "backbone", "pretrained", "expansion", "K",   "M",         "steps",
      "prototypes", "seed", "top1_best",  "top1_last", "epochs",    "seconds",   "fid", "fid_space", "timestamp"};
  return c;
}

// The first layout (distdiff 0.1): read, never written.
inline const std::vector<std::string>& results_columns_v1() {
  static const std::vector<std::string> c = {"dataset",   "method",    "backbone", "expansion", "seed",
                                             "top1_best", "top1_last", "epochs",   "seconds",   "timestamp"};
  return c;
}

namespace detail {

inline std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Splits one CSV record (RFC 4180 quoting). Throws on an unterminated quote.
inline std::vector<std::string> csv_split(const std::string& line, const std::string& where) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          out.back() += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  if (quoted) throw std::runtime_error(where + ": unterminated quoted field");
  return out;
}

// Reads CSV records, allowing newlines inside quoted fields.
inline std::vector<std::pair<std::size_t, std::string>> csv_records(std::istream& in) {
  std::vector<std::pair<std::size_t, std::string>> out;
  std::string line, record;
  std::size_t lineno = 0, start = 0;
  bool open = false;
  while (std::getline(in, line)) {
    ++lineno;
    if (!open) {
      record = line;
      start = lineno;
    } else {
      record += "\n" + line;
    }
    open = std::count(record.begin(), record.end(), '"') % 2 == 1;
    if (!open) out.emplace_back(start, record);
  }
  if (open) out.emplace_back(start, record);  // csv_split reports it
  return out;
}

inline std::string format_number(double v, const char* fmt) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

inline std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

inline std::string join_columns(const std::vector<std::string>& columns) {
  std::string h;
  for (const auto& c : columns) h += (h.empty() ? "" : ",") + c;
  return h;
}
inline std::string header_line() { return join_columns(results_columns()); }
inline std::string header_line_v1() { return join_columns(results_columns_v1()); }

// An absent number is an empty field.
inline std::string optional_number(double v, const char* fmt) { return std::isnan(v) ? "" : format_number(v, fmt); }

template <class T>
T parse_number(const std::string& s, const std::string& where, const std::string& column);

// An empty field is an absent number (NaN, or nullopt).
inline double parse_optional_double(const std::string& s, const std::string& where, const std::string& column) {
  return s.empty() ? std::numeric_limits<double>::quiet_NaN() : parse_number<double>(s, where, column);
}

template <class T>
T parse_number(const std::string& s, const std::string& where, const std::string& column) {
  if constexpr (std::is_floating_point_v<T>) {
    char* end = nullptr;
    const double value = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size())
      throw std::runtime_error(where + ": column '" + column + "' is not a number: '" + s + "'");
    return static_cast<T>(value);
  } else {
    T value{};
    const auto r = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
      throw std::runtime_error(where + ": column '" + column + "' is not an integer: '" + s + "'");
    return value;
  }
}

// True when `text` (one record, without its newline) is a whole results row:
// the right number of fields, each number column a number. (A row cut inside
// its last column, the timestamp, still counts as whole: its numbers are intact.)
inline bool row_is_whole(const std::string& text);

}  // namespace detail

// One CSV line (no trailing newline) for `row`, in results_columns() order.
inline std::string to_csv_line(const ResultRow& row) {
  using detail::csv_escape;
  using detail::format_number;
  using detail::optional_number;
  auto opt_int = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string(); };
  return csv_escape(row.dataset) + "," + csv_escape(row.method) + "," + csv_escape(row.composition) + "," +
         csv_escape(row.backbone) + "," + (row.pretrained ? "1" : "0") + "," + format_number(row.expansion, "%g") +
         "," + opt_int(row.k) + "," + opt_int(row.m) + "," + csv_escape(row.steps) + "," +
         csv_escape(row.prototypes) + "," + std::to_string(row.seed) + "," +
         optional_number(row.top1_best, "%.4f") + "," + optional_number(row.top1_last, "%.4f") + "," +
         std::to_string(row.epochs) + "," + format_number(row.seconds, "%.1f") + "," +
         (row.fid ? format_number(*row.fid, "%.4f") : std::string()) + "," + csv_escape(row.fid_space) + "," +
         csv_escape(row.timestamp);
}

// Appends `row` to the CSV at `path`, creating it (and its folder) with the
// header when missing. The file is locked (distdiff::detail::FileLock) while the header
// is checked and the line is written with a single write(2), so concurrent
// runs, in one process or many, never interleave or tear rows. Throws std::runtime_error
// when an existing file's header is not results_columns().
inline void append_result(const std::filesystem::path& path, ResultRow row) {
  const std::string where = "append_result: '" + path.string() + "'";
  if (row.timestamp.empty()) row.timestamp = detail::utc_timestamp();
  if (!path.parent_path().empty()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) throw std::runtime_error(where + ": cannot create its folder: " + ec.message());
  }
  const distdiff::detail::FileLock lock(path, "append_result", O_APPEND);
  const int fd = lock.fd();
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw std::runtime_error(where + ": cannot stat: " + std::strerror(errno));
  const std::string header = detail::header_line();
  std::string text;
  if (st.st_size == 0) {
    text = header + "\n";
  } else {
    std::string first;
    char buf[512];
    off_t off = 0;
    while (first.find('\n') == std::string::npos) {
      const ssize_t n = ::pread(fd, buf, sizeof buf, off);
      if (n < 0) throw std::runtime_error(where + ": cannot read: " + std::strerror(errno));
      if (n == 0) break;
      first.append(buf, static_cast<std::size_t>(n));
      off += n;
    }
    first = first.substr(0, first.find('\n'));
    if (!first.empty() && first.back() == '\r') first.pop_back();
    if (first == detail::header_line_v1())
      throw std::runtime_error(where + ": written by distdiff 0.1 (10 columns, without composition, K, M, steps, "
                               "fid): results_table still reads it (--results OLD --results NEW); write new rows "
                               "to another file");
    if (first != header)
      throw std::runtime_error(where + ": not a results file: its header is '" + first + "', expected '" + header +
                               "'");
    char last = '\n';
    if (::pread(fd, &last, 1, st.st_size - 1) != 1)
      throw std::runtime_error(where + ": cannot read: " + std::strerror(errno));
    if (last != '\n') {
      // An earlier writer died mid-row. A whole row only lost its newline:
      // keep it. A torn one was never whole: cut it back to the last newline
      // (the header's, at least), so no malformed row is left in the middle.
      std::string tail;
      off_t end = st.st_size;
      off_t keep = -1;
      while (end > 0 && keep < 0) {
        const off_t from = end > off_t(sizeof buf) ? end - off_t(sizeof buf) : 0;
        const ssize_t got = ::pread(fd, buf, std::size_t(end - from), from);
        if (got != end - from) throw std::runtime_error(where + ": cannot read: " + std::strerror(errno));
        ssize_t k = got;
        while (k > 0 && buf[k - 1] != '\n') --k;
        tail.insert(0, buf + k, std::size_t(got - k));
        if (k > 0) keep = from + k;
        end = from;
      }
      if (keep < 0 || detail::row_is_whole(tail)) {  // keep < 0: the file is the header alone
        text = "\n";
      } else if (::ftruncate(fd, keep) != 0) {
        throw std::runtime_error(where + ": cannot cut a torn last row: " + std::strerror(errno));
      }
    }
  }
  text += to_csv_line(row) + "\n";
  const ssize_t n = ::write(fd, text.data(), text.size());
  if (n != static_cast<ssize_t>(text.size()))
    throw std::runtime_error(where + ": write failed: " + (n < 0 ? std::strerror(errno) : "short write"));
}

namespace detail {

// One record's fields as a row of the given layout (v1: results_columns_v1()).
inline ResultRow row_from_fields(const std::vector<std::string>& f, bool v1, const std::string& where) {
  const auto& cols = v1 ? results_columns_v1() : results_columns();
  if (f.size() != cols.size())
    throw std::runtime_error(where + ": " + std::to_string(f.size()) + " fields, expected " +
                             std::to_string(cols.size()));
  auto at = [&](const char* name) -> const std::string& {
    return f[std::size_t(std::find(cols.begin(), cols.end(), name) - cols.begin())];
  };
  auto opt_int = [&](const char* name) -> std::optional<std::int64_t> {
    const auto& v = at(name);
    if (v.empty()) return std::nullopt;
    return parse_number<std::int64_t>(v, where, name);
  };
  ResultRow r;
  r.dataset = v1 ? canonical_dataset_name(at("dataset")) : at("dataset");  // v1 rows used the short names
  r.method = at("method");
  r.backbone = at("backbone");
  r.expansion = parse_number<double>(at("expansion"), where, "expansion");
  r.seed = parse_number<std::uint64_t>(at("seed"), where, "seed");
  r.top1_best = parse_optional_double(at("top1_best"), where, "top1_best");
  r.top1_last = parse_optional_double(at("top1_last"), where, "top1_last");
  r.epochs = parse_number<std::int64_t>(at("epochs"), where, "epochs");
  r.seconds = parse_number<double>(at("seconds"), where, "seconds");
  r.timestamp = at("timestamp");
  if (v1) return r;
  r.composition = at("composition");
  const auto& pre = at("pretrained");
  if (pre != "0" && pre != "1") throw std::runtime_error(where + ": column 'pretrained' is not 0 or 1: '" + pre + "'");
  r.pretrained = pre == "1";
  r.k = opt_int("K");
  r.m = opt_int("M");
  r.steps = at("steps");
  r.prototypes = at("prototypes");
  if (!at("fid").empty()) r.fid = parse_number<double>(at("fid"), where, "fid");
  r.fid_space = at("fid_space");
  return r;
}

}  // namespace detail

inline bool detail::row_is_whole(const std::string& text) {
  try {
    (void)row_from_fields(csv_split(text, ""), /*v1=*/false, "");
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

// Parses a results CSV (either layout). Throws std::runtime_error naming the
// file and line on a wrong header or a malformed row; a malformed last row
// without its newline (torn by a crash) is skipped.
inline std::vector<ResultRow> parse_results(std::istream& input, const std::string& name) {
  const std::string content((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
  // A last row without its newline that does not parse was torn by a writer
  // that died mid-row (append_result cuts it before appending): it is skipped.
  const bool torn_end = !content.empty() && content.back() != '\n';
  std::istringstream in(content);
  const auto records = detail::csv_records(in);
  if (records.empty()) throw std::runtime_error("read_results: '" + name + "' is empty (no header)");
  std::string head = records.front().second;
  if (!head.empty() && head.back() == '\r') head.pop_back();
  const bool v1 = head == detail::header_line_v1();
  if (!v1 && head != detail::header_line())
    throw std::runtime_error("read_results: '" + name + "': not a results file: its header is '" + head +
                             "', expected '" + detail::header_line() + "'");
  std::vector<ResultRow> rows;
  for (std::size_t i = 1; i < records.size(); ++i) {
    const auto& [lineno, text] = records[i];
    if (text.empty() || text == "\r") continue;
    const std::string where = "read_results: '" + name + "' line " + std::to_string(lineno);
    std::vector<std::string> fields;
    try {
      fields = detail::csv_split(text, where);
      rows.push_back(detail::row_from_fields(fields, v1, where));
    } catch (const std::runtime_error&) {
      if (torn_end && i + 1 == records.size()) break;
      throw;
    }
  }
  return rows;
}

inline std::vector<ResultRow> read_results(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("read_results: cannot open '" + path.string() + "'");
  return parse_results(in, path.string());
}

// ---------------------------------------------------------------- aggregation

struct Stat {
  double mean = std::numeric_limits<double>::quiet_NaN();
  double std = 0;     // sample standard deviation (n − 1); 0 when n == 1
  std::size_t n = 0;
};

inline Stat summarize(const std::vector<double>& xs) {
  Stat s;
  s.n = xs.size();
  if (xs.empty()) return s;
  double sum = 0;
  for (double x : xs) sum += x;
  s.mean = sum / double(xs.size());
  if (xs.size() > 1) {
    double ss = 0;
    for (double x : xs) ss += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(ss / double(xs.size() - 1));
  }
  return s;
}

// Value of a grouping field: dataset, method, composition, backbone,
// pretrained, expansion, K, M, steps, prototypes, seed, epochs, fid_space
// (an absent K or M is "").
inline std::string field_value(const ResultRow& r, const std::string& field) {
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string(); };
  if (field == "dataset") return r.dataset;
  if (field == "method") return r.method;
  if (field == "composition") return r.composition;
  if (field == "backbone") return r.backbone;
  if (field == "pretrained") return r.pretrained ? "1" : "0";
  if (field == "expansion") return detail::format_number(r.expansion, "%g");
  if (field == "K") return opt(r.k);
  if (field == "M") return opt(r.m);
  if (field == "steps") return r.steps;
  if (field == "prototypes") return r.prototypes;
  if (field == "seed") return std::to_string(r.seed);
  if (field == "epochs") return std::to_string(r.epochs);
  if (field == "fid_space") return r.fid_space;
  throw std::invalid_argument("unknown results field '" + field +
                              "' (known: dataset, method, composition, backbone, pretrained, expansion, K, M, steps, "
                              "prototypes, seed, epochs, fid_space)");
}

// Value of a metric: top1_best, top1_last, seconds, fid; NaN when the row has none
// (a Fréchet-distance row has no accuracy, a training row no fid).
inline double metric_value(const ResultRow& r, const std::string& metric) {
  if (metric == "top1_best") return r.top1_best;
  if (metric == "top1_last") return r.top1_last;
  if (metric == "seconds") return r.has_accuracy() ? r.seconds : std::numeric_limits<double>::quiet_NaN();
  if (metric == "fid") return r.fid ? *r.fid : std::numeric_limits<double>::quiet_NaN();
  throw std::invalid_argument("unknown results metric '" + metric + "' (known: top1_best, top1_last, seconds, fid)");
}

struct PivotOptions {
  std::string row_field = "method";
  std::string col_field = "dataset";
  std::string metric = "top1_best";
  std::vector<std::string> row_order;  // listed first, in this order; others follow in order of appearance
  std::vector<std::string> col_order;
  std::function<bool(const ResultRow&)> filter;  // keep rows where true (all when empty)
};

struct PivotTable {
  std::string row_field, col_field, metric;
  std::vector<std::string> rows, cols;
  std::map<std::pair<std::string, std::string>, Stat> cells;

  const Stat* cell(const std::string& row, const std::string& col) const {
    const auto it = cells.find({row, col});
    return it == cells.end() ? nullptr : &it->second;
  }
  // Mean over the columns of the row's cell means; nullopt when a cell is missing.
  std::optional<double> row_average(const std::string& row) const {
    if (cols.empty()) return std::nullopt;
    double sum = 0;
    for (const auto& c : cols) {
      const Stat* s = cell(row, c);
      if (!s) return std::nullopt;
      sum += s->mean;
    }
    return sum / double(cols.size());
  }
};

namespace detail {
inline std::vector<std::string> ordered(const std::vector<std::string>& seen, const std::vector<std::string>& order) {
  std::vector<std::string> out;
  const std::set<std::string> present(seen.begin(), seen.end());
  for (const auto& o : order)
    if (present.count(o) && std::find(out.begin(), out.end(), o) == out.end()) out.push_back(o);
  for (const auto& s : seen)
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  return out;
}
}  // namespace detail

// Groups rows by (row_field, col_field) and summarises the metric over the
// group (usually the seeds). Rows without the metric are left out.
inline PivotTable pivot(const std::vector<ResultRow>& rows, const PivotOptions& o) {
  PivotTable t;
  t.row_field = o.row_field;
  t.col_field = o.col_field;
  t.metric = o.metric;
  std::vector<std::string> seen_rows, seen_cols;
  std::map<std::pair<std::string, std::string>, std::vector<double>> values;
  for (const auto& r : rows) {
    if (o.filter && !o.filter(r)) continue;
    if (std::isnan(metric_value(r, o.metric))) continue;  // the row does not measure this metric
    const auto rk = field_value(r, o.row_field), ck = field_value(r, o.col_field);
    if (std::find(seen_rows.begin(), seen_rows.end(), rk) == seen_rows.end()) seen_rows.push_back(rk);
    if (std::find(seen_cols.begin(), seen_cols.end(), ck) == seen_cols.end()) seen_cols.push_back(ck);
    values[{rk, ck}].push_back(metric_value(r, o.metric));
  }
  t.rows = detail::ordered(seen_rows, o.row_order);
  t.cols = detail::ordered(seen_cols, o.col_order);
  for (const auto& [key, xs] : values) t.cells[key] = summarize(xs);
  return t;
}

// Display names for the identifiers used in results files (datasets, backbones).
inline const std::map<std::string, std::string>& default_labels() {
  static const std::map<std::string, std::string> labels = {
      {"caltech101", "Caltech"},        {"cars", "Cars"},
      {"flowers", "Flowers"},           {"dtd", "DTD"},
      {"cifar100s", "CIFAR100-S"},      {"pets", "Pets"},
      {"stanford_cars", "Cars"},        {"oxford_flowers", "Flowers"},
      {"cifar100", "CIFAR100-S"},       {"oxford_pets", "Pets"},
      {"fashion_mnist", "Fashion-MNIST"},
      {"distdiff", "DistDiff"},         {"gif-sd", "GIF-SD"},
      {"stable-diffusion", "SD img2img"},
      {"consecutive-steps", "Strategy 1 (consecutive steps)"},
      {"spread-steps", "Strategy 2 (spread steps)"},
      {"resnet50", "ResNet-50"},        {"resnext50_32x4d", "ResNeXt-50"},
      {"wide_resnet50_2", "WideResNet-50"}, {"mobilenet_v2", "MobileNet V2"}};
  return labels;
}

struct MarkdownOptions {
  int precision = 1;
  bool show_std = true;            // "mean ± std" cells
  bool average_column = true;      // "Average" column: mean of the row's cell means
  std::string baseline = "Original";  // row whose average the others' gains are relative to ("" = none)
  std::string corner;              // top-left header cell (default: the row field's name)
  std::map<std::string, std::string> labels = default_labels();  // identifier -> display name
};

namespace detail {
inline std::string label(const MarkdownOptions& o, const std::string& id) {
  const auto it = o.labels.find(id);
  return it == o.labels.end() ? id : it->second;
}
// Decimal rounding half away from zero (69.35 -> "69.4", as tables are rounded
// by hand), instead of printf's rounding of the binary value (69.34999... -> "69.3").
inline double round_decimal(double v, int precision) {
  const double scale = std::pow(10.0, precision);
  const double scaled = v * scale;
  return std::round(scaled + std::copysign(1e-9 * std::max(1.0, std::abs(scaled)), scaled)) / scale;
}
inline std::string fixed(double v, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, round_decimal(v, precision));
  return buf;
}
inline std::string signed_fixed(double v, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.*f", precision, round_decimal(v, precision));
  return buf;
}
inline std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}
}  // namespace detail

// One markdown table: rows × columns (+ Average with the gain over the baseline
// row in parentheses). Missing cells show "–"; a row with a missing cell has no average.
inline std::string render_markdown(const PivotTable& t, const MarkdownOptions& o = {}) {
  using detail::fixed;
  std::ostringstream md;
  const std::string corner = o.corner.empty() ? t.row_field : o.corner;
  md << "| " << detail::md_escape(corner) << " |";
  for (const auto& c : t.cols) md << " " << detail::md_escape(detail::label(o, c)) << " |";
  if (o.average_column) md << " Average |";
  md << "\n|---|";
  for (std::size_t i = 0; i < t.cols.size(); ++i) md << "---:|";
  if (o.average_column) md << "---:|";
  md << "\n";
  const bool has_baseline = !o.baseline.empty() && std::find(t.rows.begin(), t.rows.end(), o.baseline) != t.rows.end();
  const auto base_avg = has_baseline ? t.row_average(o.baseline) : std::nullopt;
  for (const auto& r : t.rows) {
    md << "| " << detail::md_escape(detail::label(o, r)) << " |";
    for (const auto& c : t.cols) {
      const Stat* s = t.cell(r, c);
      if (!s) {
        md << " – |";
      } else if (o.show_std && s->n > 1) {
        md << " " << fixed(s->mean, o.precision) << " ± " << fixed(s->std, o.precision) << " |";
      } else {
        md << " " << fixed(s->mean, o.precision) << " |";
      }
    }
    if (o.average_column) {
      const auto avg = t.row_average(r);
      if (!avg) {
        md << " – |";
      } else {
        md << " " << fixed(*avg, o.precision);
        if (base_avg && r != o.baseline) md << " (" << detail::signed_fixed(*avg - *base_avg, o.precision) << ")";
        md << " |";
      }
    }
    md << "\n";
  }
  return md.str();
}

// The aggregated table as CSV: one line per row label, per column
// "<col>_mean,<col>_std,<col>_n", then average and gain (empty when undefined).
inline std::string render_csv(const PivotTable& t, const std::string& baseline = "Original") {
  std::ostringstream out;
  out << detail::csv_escape(t.row_field);
  for (const auto& c : t.cols)
    out << "," << detail::csv_escape(c + "_mean") << "," << detail::csv_escape(c + "_std") << ","
        << detail::csv_escape(c + "_n");
  out << ",average,gain\n";
  const auto base_avg = t.row_average(baseline);
  for (const auto& r : t.rows) {
    out << detail::csv_escape(r);
    for (const auto& c : t.cols) {
      const Stat* s = t.cell(r, c);
      if (s)
        out << "," << detail::format_number(s->mean, "%.6g") << "," << detail::format_number(s->std, "%.6g") << ","
            << s->n;
      else
        out << ",,,0";
    }
    const auto avg = t.row_average(r);
    out << "," << (avg ? detail::format_number(*avg, "%.6g") : "");
    out << "," << (avg && base_avg ? detail::format_number(*avg - *base_avg, "%.6g") : "") << "\n";
  }
  return out.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  distdiff::detail::write_file_atomic(path, text, "distdiff::io::write_text");
}

// ------------------------------------------------------------ paper layouts

namespace detail {
// The epoch count most from-scratch accuracy rows of the dataset have (0 when none).
inline std::int64_t common_epochs(const std::vector<ResultRow>& rows, const std::string& dataset) {
  std::map<std::int64_t, std::size_t> n;
  for (const auto& r : rows)
    if (r.dataset == dataset && r.has_accuracy() && !r.pretrained) ++n[r.epochs];
  std::int64_t best = 0;
  std::size_t most = 0;
  for (const auto& [e, c] : n)
    if (c > most) best = e, most = c;
  return best;
}

}  // namespace detail

struct PaperTableOptions {
  std::string baseline = "Original";                 // method name of the un-expanded runs
  std::optional<std::int64_t> epochs;                // keep rows trained this long (none: each dataset's
                                                     // common epoch count; Table B.1 shows the others)
  std::optional<std::string> backbone = "resnet50";  // Table 1 only: keep this backbone
  std::optional<double> expansion = 5;               // keep rows with this factor (and rows with 0)
  std::string metric = "top1_best";
  std::vector<std::string> methods;   // row order (baseline first by default)
  std::vector<std::string> datasets = {"caltech101", "stanford_cars", "cars",     "oxford_flowers", "flowers",
                                       "dtd",        "cifar100",      "cifar100s", "oxford_pets",    "pets"};
  std::vector<std::string> backbones = {"resnet50", "resnext50_32x4d", "wide_resnet50_2", "mobilenet_v2"};
  MarkdownOptions markdown{};
};

namespace detail {
// Rows without synthetic data (expansion 0: the original dataset and the
// transformation baselines) are always kept; the others need the factor.
// Only from-scratch accuracy rows at the epoch count (Tables 7 and B.1 show the others).
inline bool keep_for_paper(const ResultRow& r, const PaperTableOptions& o, std::int64_t epochs) {
  if (r.pretrained || !r.has_accuracy() || r.epochs != epochs) return false;
  return r.method == o.baseline || r.expansion == 0 || !o.expansion || std::abs(r.expansion - *o.expansion) < 1e-9;
}
inline std::vector<std::string> method_order(const PaperTableOptions& o) {
  auto order = o.methods;
  if (std::find(order.begin(), order.end(), o.baseline) == order.end()) order.insert(order.begin(), o.baseline);
  return order;
}
}  // namespace detail

// Table 1: rows = methods, columns = datasets + Average (gain over the baseline).
inline PivotTable table1(const std::vector<ResultRow>& rows, const PaperTableOptions& o = {}) {
  PivotOptions p;
  p.row_field = "method";
  p.col_field = "dataset";
  p.metric = o.metric;
  p.row_order = detail::method_order(o);
  p.col_order = o.datasets;
  std::map<std::string, std::int64_t> epochs;
  for (const auto& r : rows)
    if (!epochs.count(r.dataset)) epochs[r.dataset] = o.epochs.value_or(detail::common_epochs(rows, r.dataset));
  p.filter = [o, epochs](const ResultRow& r) {
    return (!o.backbone || r.backbone == *o.backbone) && detail::keep_for_paper(r, o, epochs.at(r.dataset));
  };
  return pivot(rows, p);
}

inline std::string table1_markdown(const std::vector<ResultRow>& rows, PaperTableOptions o = {}) {
  if (o.markdown.corner.empty()) o.markdown.corner = "Method";
  return render_markdown(table1(rows, o), o.markdown);
}

// Table 2: one table per dataset; rows = methods, columns = backbones + Average.
inline std::vector<std::pair<std::string, PivotTable>> table2(const std::vector<ResultRow>& rows,
                                                              const PaperTableOptions& o = {}) {
  std::vector<std::string> seen;
  for (const auto& r : rows)
    if (std::find(seen.begin(), seen.end(), r.dataset) == seen.end()) seen.push_back(r.dataset);
  std::vector<std::pair<std::string, PivotTable>> out;
  for (const auto& dataset : detail::ordered(seen, o.datasets)) {
    PivotOptions p;
    p.row_field = "method";
    p.col_field = "backbone";
    p.metric = o.metric;
    p.row_order = detail::method_order(o);
    p.col_order = o.backbones;
    const auto epochs = o.epochs.value_or(detail::common_epochs(rows, dataset));
    p.filter = [o, dataset, epochs](const ResultRow& r) {
      return r.dataset == dataset && detail::keep_for_paper(r, o, epochs);
    };
    out.emplace_back(dataset, pivot(rows, p));
  }
  return out;
}

inline std::string table2_markdown(const std::vector<ResultRow>& rows, const PaperTableOptions& o = {}) {
  std::string md;
  for (const auto& [dataset, t] : table2(rows, o)) {
    auto mo = o.markdown;
    mo.corner = detail::label(mo, dataset);
    if (!md.empty()) md += "\n";
    md += render_markdown(t, mo);
  }
  return md;
}

}  // namespace distdiff::io
