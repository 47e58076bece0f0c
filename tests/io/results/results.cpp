// Results CSV: append safety, header validation, aggregation, paper layouts.
#include <catch2/catch.hpp>

#include <distdiff/io/results.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace distdiff::io;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

using distdiff::test::TempDir;

ResultRow row(std::string dataset, std::string method, std::string backbone, double expansion, std::uint64_t seed,
              double best) {
  return ResultRow{dataset, method, backbone, expansion, seed, best, best - 0.5, 100, 12.5, "2024-01-01T00:00:00Z"};
}

// Splits a markdown table line "| a | b |" into trimmed cells.
std::vector<std::string> md_cells(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '|') {
      const auto b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
      out.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return out;
}
std::vector<std::vector<std::string>> md_table(const std::string& md) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(md);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] == '|') rows.push_back(md_cells(line));
  return rows;
}

}  // namespace

TEST_CASE("summarize: mean and sample standard deviation by hand", "[io][results]") {
  const Stat s = summarize({74.1, 73.4, 74.8});
  CHECK(s.n == 3);
  CHECK(s.mean == Approx(74.1));
  // deviations -0, -0.7, +0.7: sum of squares 0.98, / (n-1) = 0.49, sqrt = 0.7
  CHECK(s.std == Approx(0.7));
  CHECK(summarize({5.0}).std == 0);
  CHECK(std::isnan(summarize({}).mean));
}

TEST_CASE("append_result creates the header, appends, and round-trips", "[io][results]") {
  TempDir tmp;
  const auto csv = tmp.path / "sub" / "results.csv";
  auto r1 = row("caltech101", "DistDiff, M=30 \"quoted\"", "resnet50", 5, 1, 74.1234);
  r1.timestamp.clear();
  append_result(csv, r1);
  append_result(csv, row("caltech101", "Original", "resnet50", 0, 2, 36.8));
  std::ifstream in(csv);
  std::string header;
  std::getline(in, header);
  CHECK(header ==
        "dataset,method,composition,backbone,pretrained,expansion,K,M,steps,prototypes,seed,top1_best,top1_last,"
        "epochs,seconds,fid,fid_space,timestamp");
  const auto rows = read_results(csv);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].method == "DistDiff, M=30 \"quoted\"");
  CHECK(rows[0].top1_best == Approx(74.1234));
  CHECK(rows[0].top1_last == Approx(73.6234));
  CHECK(rows[0].expansion == 5);
  CHECK(rows[0].timestamp.size() == 20);  // filled in: 2024-01-01T00:00:00Z
  CHECK(rows[0].timestamp.back() == 'Z');
  CHECK(rows[1].seed == 2);
  CHECK(rows[1].epochs == 100);
  CHECK(rows[1].seconds == Approx(12.5));
}

TEST_CASE("the fields that tell experiments apart round-trip; absent numbers stay absent", "[io][results]") {
  TempDir tmp;
  const auto csv = tmp.path / "results.csv";
  auto trained = row("fashion_mnist", "DistDiff", "resnet_tiny", 5, 3, 68.25);
  trained.composition = "distdiff";
  trained.k = 3;
  trained.m = 30;
  trained.steps = "30;31";
  trained.prototypes = "class+group";
  trained.pretrained = true;
  ResultRow fd;  // a Fréchet-distance row: no accuracy, no K
  fd.dataset = "fashion_mnist";
  fd.method = "no-prototypes";
  fd.composition = "no-prototypes";
  fd.prototypes = "none";
  fd.m = 30;
  fd.steps = "30";
  fd.expansion = 5;
  fd.top1_best = fd.top1_last = std::nan("");
  fd.fid = 68.4321;
  fd.fid_space = "clip-image 64-d, \"quoted\"";
  append_result(csv, trained);
  append_result(csv, fd);
  const auto rows = read_results(csv);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].composition == "distdiff");
  CHECK(rows[0].k == std::optional<std::int64_t>(3));
  CHECK(rows[0].m == std::optional<std::int64_t>(30));
  CHECK(rows[0].steps == "30;31");
  CHECK(rows[0].prototypes == "class+group");
  CHECK(rows[0].pretrained);
  CHECK_FALSE(rows[0].fid);
  CHECK(rows[0].has_accuracy());
  CHECK_FALSE(rows[1].k);
  CHECK_FALSE(rows[1].pretrained);
  CHECK_FALSE(rows[1].has_accuracy());
  CHECK(std::isnan(rows[1].top1_last));
  REQUIRE(rows[1].fid);
  CHECK(*rows[1].fid == Approx(68.4321));
  CHECK(rows[1].fid_space == "clip-image 64-d, \"quoted\"");
  CHECK(field_value(rows[0], "K") == "3");
  CHECK(field_value(rows[1], "K") == "");
  CHECK(std::isnan(metric_value(rows[1], "top1_best")));
  CHECK(metric_value(rows[1], "fid") == Approx(68.4321));
  // A pivot of accuracy leaves the Fréchet row out (it would be a NaN cell), a pivot of fid the training row.
  const auto acc = pivot(rows, {.row_field = "composition", .col_field = "dataset"});
  CHECK(acc.rows == std::vector<std::string>{"distdiff"});
  const auto fid = pivot(rows, {.row_field = "composition", .col_field = "dataset", .metric = "fid"});
  CHECK(fid.rows == std::vector<std::string>{"no-prototypes"});
}

TEST_CASE("a results file of the first layout is read (short dataset names mapped) but not appended to",
          "[io][results]") {
  TempDir tmp;
  const auto csv = tmp.path / "old.csv";
  std::ofstream(csv) << "dataset,method,backbone,expansion,seed,top1_best,top1_last,epochs,seconds,timestamp\n"
                     << "cars,DistDiff,resnet50,5,2,81.5,81,100,10,2024-01-01T00:00:00Z\n";
  const auto rows = read_results(csv);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].dataset == "stanford_cars");
  CHECK(rows[0].seed == 2);
  CHECK(rows[0].top1_best == Approx(81.5));
  CHECK(rows[0].composition.empty());
  CHECK_THROWS_WITH(append_result(csv, row("x", "y", "z", 5, 1, 1)),
                    Catch::Contains("old.csv") && Catch::Contains("distdiff 0.1"));
}

TEST_CASE("a file with another header is refused", "[io][results]") {
  TempDir tmp;
  const auto csv = tmp.path / "other.csv";
  std::ofstream(csv) << "a,b,c\n1,2,3\n";
  CHECK_THROWS_WITH(append_result(csv, row("x", "y", "z", 5, 1, 1)),
                    Catch::Contains("other.csv") && Catch::Contains("header is 'a,b,c'"));
  CHECK_THROWS_WITH(read_results(csv), Catch::Contains("not a results file"));
  std::ofstream(csv) << "dataset,method,backbone,expansion,seed,top1_best,top1_last,epochs,seconds,timestamp\n"
                     << "d,m,b,5,one,1,1,1,1,t\n";
  CHECK_THROWS_WITH(read_results(csv), Catch::Contains("line 2") && Catch::Contains("'seed'"));
  std::ofstream(csv) << "dataset,method,backbone,expansion,seed,top1_best,top1_last,epochs,seconds,timestamp\n"
                     << "d,m,b,5,1,1\n";
  CHECK_THROWS_WITH(read_results(csv), Catch::Contains("6 fields"));
  CHECK_THROWS_WITH(read_results(tmp.path / "missing.csv"), Catch::Contains("cannot open"));
}

TEST_CASE("a row torn by a crash is skipped on read and cut before the next append", "[io][results][crash]") {
  TempDir tmp;
  const auto csv = tmp.path / "results.csv";
  append_result(csv, row("caltech101", "DistDiff", "resnet50", 5, 1, 70));
  append_result(csv, row("caltech101", "DistDiff", "resnet50", 5, 2, 71));
  std::string whole;
  {
    std::ifstream in(csv, std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto second_row = whole.find('\n', whole.find('\n') + 1) + 1;
  // Cuts before the last comma (the timestamp's) leave too few fields: torn.
  // (A cut inside the timestamp leaves a whole row with a shorter timestamp,
  // which is kept: its numbers are intact.)
  for (std::size_t cut : {second_row + 3, second_row + 40, whole.size() - 22}) {
    INFO("cut at byte " << cut);
    // What a process killed in the middle of its write(2) leaves behind.
    std::ofstream(csv, std::ios::binary | std::ios::trunc) << whole.substr(0, cut);
    const auto before = read_results(csv);
    REQUIRE(before.size() == 1);
    CHECK(before[0].seed == 1);
    append_result(csv, row("caltech101", "DistDiff", "resnet50", 5, 3, 72));
    const auto after = read_results(csv);
    REQUIRE(after.size() == 2);
    CHECK(after[1].seed == 3);
    CHECK(after[1].top1_best == Approx(72));
    std::ifstream in(csv);
    std::size_t lines = 0;
    for (std::string l; std::getline(in, l);) ++lines;
    CHECK(lines == 3);  // header + two whole rows: the torn fragment is gone
  }
  // A whole row that only lost its newline is kept, on read and on append.
  std::ofstream(csv, std::ios::binary | std::ios::trunc) << whole.substr(0, whole.size() - 1);
  CHECK(read_results(csv).size() == 2);
  append_result(csv, row("caltech101", "DistDiff", "resnet50", 5, 3, 72));
  const auto rows = read_results(csv);
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].seed == 2);
  CHECK(rows[2].seed == 3);
  // A malformed row that is not the torn tail is still an error.
  std::ofstream(csv, std::ios::binary | std::ios::trunc) << whole.substr(0, second_row + 10) << "\n"
                                                         << whole.substr(second_row);
  CHECK_THROWS_WITH(read_results(csv), Catch::Contains("line 3"));
}

TEST_CASE("concurrent appends from two threads keep every row whole", "[io][results]") {
  TempDir tmp;
  const auto csv = tmp.path / "results.csv";
  const int per_thread = 200;
  auto work = [&](std::string method) {
    for (int i = 0; i < per_thread; ++i) {
      // A long method name makes a torn write visible.
      append_result(csv, row("cifar100s", method + std::string(300, 'x'), "resnet50", 5, std::uint64_t(i), i));
    }
  };
  std::thread a(work, "A"), b(work, "B");
  a.join();
  b.join();
  const auto rows = read_results(csv);  // throws on a torn or interleaved line
  REQUIRE(rows.size() == 2 * per_thread);
  int na = 0, nb = 0;
  for (const auto& r : rows) {
    CHECK(r.method.size() == 301);
    (r.method[0] == 'A' ? na : nb)++;
  }
  CHECK(na == per_thread);
  CHECK(nb == per_thread);
  std::ifstream in(csv);
  std::string line;
  int headers = 0;
  while (std::getline(in, line)) headers += line.rfind("dataset,", 0) == 0;
  CHECK(headers == 1);
}

TEST_CASE("pivot groups by fields and orders rows and columns", "[io][results]") {
  std::vector<ResultRow> rows = {row("cars", "DistDiff", "resnet50", 5, 1, 80),
                                 row("cars", "DistDiff", "resnet50", 5, 2, 82),
                                 row("caltech101", "DistDiff", "resnet50", 5, 1, 74),
                                 row("caltech101", "Original", "resnet50", 0, 1, 36),
                                 row("cars", "Original", "resnet50", 0, 1, 24)};
  const auto t = pivot(rows, {.row_field = "method", .col_field = "dataset", .row_order = {"Original"}});
  CHECK(t.rows == std::vector<std::string>{"Original", "DistDiff"});
  CHECK(t.cols == std::vector<std::string>{"cars", "caltech101"});
  REQUIRE(t.cell("DistDiff", "cars"));
  CHECK(t.cell("DistDiff", "cars")->mean == Approx(81));
  CHECK(t.cell("DistDiff", "cars")->std == Approx(std::sqrt(2.0)));
  CHECK(t.cell("DistDiff", "cars")->n == 2);
  CHECK(t.row_average("Original").value() == Approx(30));
  const auto e = pivot(rows, {.row_field = "method", .col_field = "expansion", .metric = "top1_last"});
  CHECK(e.cols == std::vector<std::string>{"5", "0"});
  CHECK(e.cell("DistDiff", "5")->mean == Approx((79.5 + 81.5 + 73.5) / 3));
  CHECK_THROWS_WITH(pivot(rows, {.row_field = "colour"}), Catch::Contains("unknown results field 'colour'"));
  CHECK_THROWS_WITH(pivot(rows, {.metric = "top7"}), Catch::Contains("unknown results metric"));
  const auto csv = render_csv(t);
  CHECK(csv.find("method,cars_mean,cars_std,cars_n,caltech101_mean,caltech101_std,caltech101_n,average,gain\n") == 0);
  CHECK(csv.find("\nOriginal,24,0,1,36,0,1,30,0\n") != std::string::npos);
  CHECK(csv.find("\nDistDiff,81,1.41421,2,74,0,1,77.5,47.5\n") != std::string::npos);
}

TEST_CASE("Table 1 layout: methods x datasets + Average with gain", "[io][results]") {
  std::vector<ResultRow> rows;
  const std::vector<std::string> datasets = {"caltech101", "cars", "flowers", "dtd", "cifar100s", "pets"};
  const std::vector<double> orig = {36.8, 23.8, 77.3, 21.6, 43.6, 29.0};
  const std::vector<double> ours = {74.1, 81.5, 91.6, 40.8, 62.0, 66.1};
  for (std::size_t d = 0; d < datasets.size(); ++d) {
    for (std::uint64_t s = 1; s <= 3; ++s) {
      const double jitter = (double(s) - 2.0) * 0.3;  // mean unchanged, std 0.3
      rows.push_back(row(datasets[d], "Original", "resnet50", 0, s, orig[d] + jitter));
      rows.push_back(row(datasets[d], "DistDiff", "resnet50", 5, s, ours[d] + jitter));
    }
    rows.push_back(row(datasets[d], "DistDiff", "mobilenet_v2", 5, 1, 99));  // other backbone: excluded
    rows.push_back(row(datasets[d], "DistDiff", "resnet50", 10, 1, 99));     // other factor: excluded
    rows.push_back(row(datasets[d], "Cutout", "resnet50", 0, 1, orig[d] + 1));  // no synthetic data: kept
    auto longer = row(datasets[d], "Original", "resnet50", 0, 1, 99);          // trained 6x longer: Table B.1
    longer.epochs = 600;
    rows.push_back(longer);
    auto tuned = row(datasets[d], "Original", "resnet50", 0, 1, 99);           // fine-tuned: Table 7
    tuned.pretrained = true;
    rows.push_back(tuned);
  }
  PaperTableOptions o;
  o.markdown.show_std = false;
  const auto md = table1_markdown(rows, o);
  const auto t = md_table(md);
  REQUIRE(t.size() == 5);  // header, separator, Original, DistDiff, Cutout
  CHECK(t[0] == std::vector<std::string>{"Method", "Caltech", "Cars", "Flowers", "DTD", "CIFAR100-S", "Pets",
                                         "Average"});
  CHECK(t[2] == std::vector<std::string>{"Original", "36.8", "23.8", "77.3", "21.6", "43.6", "29.0", "38.7"});
  // The paper's Table 1 row: 74.1 81.5 91.6 40.8 62.0 66.1 69.4 (+30.7)
  CHECK(t[3] == std::vector<std::string>{"DistDiff", "74.1", "81.5", "91.6", "40.8", "62.0", "66.1",
                                         "69.4 (+30.7)"});
  CHECK(t[4] == std::vector<std::string>{"Cutout", "37.8", "24.8", "78.3", "22.6", "44.6", "30.0", "39.7 (+1.0)"});
  o.markdown.show_std = true;
  const auto with_std = md_table(table1_markdown(rows, o));
  CHECK(with_std[3][1] == "74.1 ± 0.3");
}

TEST_CASE("Table 2 layout: one table per dataset, backbones as columns", "[io][results]") {
  std::vector<ResultRow> rows;
  const std::vector<std::string> backbones = {"resnet50", "resnext50_32x4d", "wide_resnet50_2", "mobilenet_v2"};
  const std::vector<double> orig = {36.8, 45.7, 37.6, 63.4};
  const std::vector<double> ours = {74.1, 77.6, 73.4, 80.4};
  for (std::size_t b = 0; b < backbones.size(); ++b) {
    for (std::uint64_t s = 1; s <= 2; ++s) {
      const double d = s == 1 ? -0.5 : 0.5;  // std = sqrt(0.5) = 0.707...
      rows.push_back(row("caltech101", "Original", backbones[b], 0, s, orig[b] + d));
      rows.push_back(row("caltech101", "DistDiff", backbones[b], 5, s, ours[b] + d));
    }
  }
  rows.push_back(row("dtd", "DistDiff", "resnet50", 5, 1, 40.8));
  const auto md = table2_markdown(rows);
  const auto t = md_table(md);
  REQUIRE(t.size() == 4 + 3);  // caltech: header, sep, 2 rows; dtd: header, sep, 1 row
  CHECK(t[0] == std::vector<std::string>{"Caltech", "ResNet-50", "ResNeXt-50", "WideResNet-50", "MobileNet V2",
                                         "Average"});
  CHECK(t[2] == std::vector<std::string>{"Original", "36.8 ± 0.7", "45.7 ± 0.7", "37.6 ± 0.7", "63.4 ± 0.7", "45.9"});
  // Paper: 74.1 77.6 73.4 80.4 | 76.4 (+30.5)
  CHECK(t[3][5] == "76.4 (+30.5)");
  CHECK(t[4] == std::vector<std::string>{"DTD", "ResNet-50", "Average"});
  CHECK(t[6] == std::vector<std::string>{"DistDiff", "40.8", "40.8"});  // no baseline row: no gain
}

TEST_CASE("missing cells render as a dash and suppress the average", "[io][results]") {
  std::vector<ResultRow> rows = {row("cars", "Original", "resnet50", 0, 1, 20),
                                 row("pets", "Original", "resnet50", 0, 1, 30),
                                 row("cars", "GIF-SD", "resnet50", 5, 1, 60)};
  const auto t = md_table(table1_markdown(rows));
  REQUIRE(t.size() == 4);
  CHECK(t[3] == std::vector<std::string>{"GIF-SD", "60.0", "–", "–"});
}

}  // namespace DISTDIFF_UNITY_ID
