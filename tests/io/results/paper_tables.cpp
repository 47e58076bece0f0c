// The paper's ablation tables and figures chosen by the rows' fields
// (io/paper_tables.hpp) and drawn through gnuplot (io/gnuplot.hpp).
#include <catch2/catch.hpp>

#include <distdiff/io/gnuplot.hpp>
#include <distdiff/io/paper_tables.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

using namespace distdiff::io;

namespace DISTDIFF_UNITY_ID {

namespace {

ResultRow trained(std::string composition, std::optional<std::int64_t> k, std::string steps, std::string prototypes,
                  std::uint64_t seed, double top1) {
  ResultRow r;
  r.dataset = "fm";
  r.method = composition;
  r.composition = composition;
  r.backbone = "resnet_tiny";
  r.expansion = 5;
  r.seed = seed;
  r.top1_best = r.top1_last = top1;
  r.epochs = 60;
  r.k = k;
  r.steps = steps;
  r.m = steps.empty() ? std::nullopt : std::optional<std::int64_t>(std::stoll(steps));
  r.prototypes = prototypes;
  return r;
}

ResultRow original(std::uint64_t seed, double top1, std::int64_t epochs = 60, bool pretrained = false) {
  ResultRow r;
  r.dataset = "fm";
  r.method = "Original";
  r.backbone = "resnet_tiny";
  r.seed = seed;
  r.top1_best = r.top1_last = top1;
  r.epochs = epochs;
  r.pretrained = pretrained;
  return r;
}

// Splits "| a | b |" lines into trimmed cells.
std::vector<std::vector<std::string>> cells(const std::string& md) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(md);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> row;
    std::string cell;
    for (std::size_t i = 1; i < line.size(); ++i) {
      if (line[i] != '|') {
        cell += line[i];
        continue;
      }
      const auto b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
      row.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
      cell.clear();
    }
    out.push_back(row);
  }
  return out;
}

// A protocol's rows: Tables 3, 4 (M sweep at K = 3) and 5 (K sweep at M = 30),
// two seeds each, and Fréchet rows for Table 3.
std::vector<ResultRow> protocol_rows() {
  std::vector<ResultRow> rows;
  for (std::uint64_t s : {1, 2}) {
    const double d = s == 1 ? -0.5 : 0.5;
    rows.push_back(original(s, 60 + d));
    rows.push_back(trained("distdiff", 3, "30", "class+group", s, 70 + d));
    rows.push_back(trained("class-prototypes-only", std::nullopt, "30", "class", s, 68 + d));
    rows.push_back(trained("group-prototypes-only", 3, "30", "group", s, 67 + d));
    rows.push_back(trained("no-prototypes", std::nullopt, "30", "none", s, 66 + d));
    rows.push_back(trained("stable-diffusion", std::nullopt, "", "", s, 65 + d));
  }
  for (std::int64_t m : {0, 10, 20, 40}) rows.push_back(trained("distdiff", 3, std::to_string(m), "class+group", 1, 60 + m / 10.0));
  for (std::int64_t k : {1, 2, 4}) rows.push_back(trained("distdiff", k, "30", "class+group", 1, 50 + double(k)));
  // Strategy rows of Table 6.
  rows.push_back(trained("consecutive-steps", 3, "30;31", "class+group", 1, 71));
  rows.push_back(trained("spread-steps", 3, "30;15;0", "class+group", 1, 69));
  // Fréchet rows (no accuracy).
  for (auto [c, p, fd] : std::vector<std::tuple<std::string, std::string, double>>{
           {"distdiff", "class+group", 192.3}, {"no-prototypes", "none", 196.2}}) {
    auto r = trained(c, p == "none" ? std::nullopt : std::optional<std::int64_t>(3), "30", p, 1, 0);
    r.top1_best = r.top1_last = std::nan("");
    r.backbone.clear();
    r.epochs = 0;
    r.fid = fd;
    rows.push_back(r);
  }
  return rows;
}

SelectOptions fm() {
  SelectOptions o;
  o.dataset = "fm";
  return o;
}

}  // namespace

TEST_CASE("Table 3: one row per prototypes setting, accuracy over seeds and the FID of the same runs",
          "[io][paper]") {
  const auto t = table3(protocol_rows(), fm());
  REQUIRE_FALSE(t.empty);
  const auto c = cells(t.markdown);
  REQUIRE(c.size() == 6);  // header, separator, none, class, group, class+group
  CHECK(c[2] == std::vector<std::string>{"", "", "66.0 ± 0.7", "196.2"});
  CHECK(c[3] == std::vector<std::string>{"✓", "", "68.0 ± 0.7", "–"});
  CHECK(c[4] == std::vector<std::string>{"", "✓", "67.0 ± 0.7", "–"});
  // The K and M sweeps' other rows (K = 1, 2, 4; M = 0, 10, ...) are not part of Table 3.
  CHECK(c[5] == std::vector<std::string>{"✓", "✓", "70.0 ± 0.7", "192.3"});
  CHECK(t.csv.find("class+group,1,1,70,0.707107,2,192.3,0,1\n") != std::string::npos);
}

TEST_CASE("Tables 4 and 5: each sweep holds the other key at its own fixed value", "[io][paper]") {
  const auto rows = protocol_rows();
  const auto t4 = cells(sweep_table(rows, "M", fm()).markdown);
  REQUIRE(t4.size() == 3);
  CHECK(t4[0] == std::vector<std::string>{"M", "0", "10", "20", "30", "40"});
  // M = 30 pools the two seeds at K = 3 (70 ± 0.7); the K sweep's K = 1, 2, 4 rows at M = 30 are left out.
  CHECK(t4[2] == std::vector<std::string>{"Accuracy", "60.0", "61.0", "62.0", "70.0 ± 0.7", "64.0"});
  const auto t5 = cells(sweep_table(rows, "K", fm()).markdown);
  CHECK(t5[0] == std::vector<std::string>{"K", "1", "2", "3", "4"});
  CHECK(t5[2] == std::vector<std::string>{"Accuracy", "51.0", "52.0", "70.0 ± 0.7", "54.0"});
  // --fix overrides the sweep's own value.
  auto o = fm();
  o.fixed["K"] = "1";
  CHECK(cells(sweep_table(rows, "M", o).markdown)[2] == std::vector<std::string>{"Accuracy", "51.0"});
  CHECK_THROWS_WITH(sweep_table(rows, "steps", fm()), Catch::Contains("M or K"));
  o.composition = "gif-sd";
  CHECK(sweep_table(rows, "M", o).empty);
}

TEST_CASE("Table 6: the swept composition's single step, then each multi-step strategy", "[io][paper]") {
  const auto c = cells(table6(protocol_rows(), fm()).markdown);
  REQUIRE(c.size() == 5);
  CHECK(c[2] == std::vector<std::string>{"DistDiff", "1 step (30)", "70.0 ± 0.7"});
  CHECK(c[3] == std::vector<std::string>{"Strategy 1 (consecutive steps)", "2 steps (30,31)", "71.0"});
  CHECK(c[4] == std::vector<std::string>{"Strategy 2 (spread steps)", "3 steps (30,15,0)", "69.0"});
}

TEST_CASE("Table 7 takes the fine-tuned rows, Table B.1 the baseline's other epoch counts", "[io][paper]") {
  auto rows = protocol_rows();
  CHECK(table7(rows, fm()).empty);
  CHECK(table_b1(rows, fm()).empty);  // the baseline has one epoch count only
  rows.push_back(original(1, 80.5, 30, /*pretrained=*/true));
  auto tuned = trained("distdiff", 3, "30", "class+group", 1, 87.8);
  tuned.method = "DistDiff";
  tuned.pretrained = true;
  tuned.epochs = 30;
  rows.push_back(tuned);
  const auto t7 = cells(table7(rows, fm()).markdown);
  REQUIRE(t7.size() == 3);
  CHECK(t7[0] == std::vector<std::string>{"Method", "Original", "DistDiff"});
  CHECK(t7[2] == std::vector<std::string>{"Accuracy (%)", "80.5", "87.8 (+7.3)"});
  // The fine-tuned rows are in no from-scratch table.
  CHECK(cells(table3(rows, fm()).markdown)[5][2] == "70.0 ± 0.7");
  rows.push_back(original(1, 52.5, 360));
  const auto b1 = cells(table_b1(rows, fm()).markdown);
  REQUIRE(b1.size() >= 4);
  CHECK(b1[2] == std::vector<std::string>{"Original", "60", "60.0 ± 0.7"});
  CHECK(b1[3] == std::vector<std::string>{"Original", "360", "52.5"});
  // Table 1 keeps the common epoch count: the 360-epoch row is not averaged in.
  const auto t1 = table1(rows, {.backbone = std::nullopt});
  REQUIRE(t1.cell("Original", "fm"));
  CHECK(t1.cell("Original", "fm")->mean == Approx(60));
}

TEST_CASE("Figure 4: bars per backbone, one series per method; Figure 6 draws only the methods asked for",
          "[io][paper]") {
  auto rows = protocol_rows();
  auto other = original(1, 40);
  other.backbone = "mobilenet_v2";
  rows.push_back(other);
  auto ours = trained("distdiff", 3, "30", "class+group", 1, 45);
  ours.backbone = "mobilenet_v2";
  rows.push_back(ours);
  const auto bars = figure4(rows, fm(), {"distdiff"});
  CHECK(bars.groups == std::vector<std::string>{"MobileNet V2", "resnet_tiny"});
  REQUIRE(bars.series.size() == 2);
  CHECK(bars.series[0].name == "Original");
  CHECK(bars.series[1].name == "DistDiff");
  CHECK(bars.series[0].y[0] == Approx(40));
  CHECK(bars.series[0].y[1] == Approx(60));
  // DistDiff at K = 3, M = 30 and the sweeps' rows: all are DistDiff runs of resnet_tiny.
  CHECK(bars.series[1].y[0] == Approx(45));
  const auto script = render_gnuplot(bars, "fig4.png");
  CHECK(script.find("set terminal pngcairo") != std::string::npos);
  CHECK(script.find("\"MobileNet V2\" 40 0 45 0") != std::string::npos);

  auto wide = rows;
  auto ten = trained("distdiff", 3, "30", "class+group", 1, 75);
  ten.expansion = 10;
  wide.push_back(ten);
  auto o = fm();
  o.backbone = "resnet_tiny";
  const auto fig6 = figure6(wide, o, {"distdiff"});
  REQUIRE(fig6.series.size() == 1);
  CHECK(fig6.series[0].name == "distdiff");
  CHECK(fig6.series[0].x == std::vector<double>{5, 10});
  REQUIRE(fig6.references.size() == 1);  // the baseline
  CHECK(fig6.references[0].name == "Original");
}

TEST_CASE("Figure 5 reads each run's prototype map, one panel per K", "[io][paper]") {
  distdiff::test::TempDir tmp;
  auto map = [&](const std::string& name, int k) {
    const auto dir = tmp.path / name;
    std::filesystem::create_directories(dir);
    std::ofstream f(dir / "prototypes_2d.csv");
    f << "kind,label,class,group,x,y,cx,cy\n";  // the figure uses the class's own plane (cx, cy)
    for (int i = 0; i < 6; ++i) f << "sample,0,Coat," << i % k << ",7,7," << i << "," << -i << "\n";
    f << "sample,1,Bag,0,9,9,9,9\nclass,0,Coat,-1,7,7,0.5,0.25\nclass,1,Bag,-1,9,9,9,9\n";
    for (int g = 0; g < k; ++g) f << "group,0,Coat," << g << ",7,7," << g << ",1\n";
    return dir;
  };
  const auto k2 = map("K2", 2), k1 = map("K1", 1);
  const auto fig = figure5({k2, k1}, "Coat");
  REQUIRE(fig.panels.size() == 2);
  CHECK(fig.panels[0].title == "K = 1");
  CHECK(fig.panels[1].title == "K = 2");
  // K = 2: samples in two colour sets (3 each), the class prototype, two group stars.
  const auto& p = fig.panels[1];
  REQUIRE(p.sets.size() == 2 + 1 + 2);
  CHECK(p.sets[0].x.size() == 3);
  CHECK(p.sets[0].x == std::vector<double>{0, 2, 4});
  CHECK(p.sets[2].marker == Marker::cross);
  CHECK(p.sets[2].x == std::vector<double>{0.5});
  CHECK(p.sets[3].marker == Marker::star);
  CHECK(render_gnuplot(fig, "fig5.svg").find("set multiplot layout 1,2") != std::string::npos);
  CHECK_THROWS_WITH(figure5({k1}, "Shirt"), Catch::Contains("no class 'Shirt'"));
  CHECK_THROWS_WITH(figure5({tmp.path}), Catch::Contains("prototypes_2d.csv") && Catch::Contains("missing"));

  if (!gnuplot_available()) {
    WARN("gnuplot is not installed: the PNG is not drawn");
    return;
  }
  write_plot(fig, tmp.path / "fig5.png");
  std::ifstream png(tmp.path / "fig5.png", std::ios::binary);
  char magic[8] = {};
  png.read(magic, 8);
  CHECK(std::string(magic + 1, 3) == "PNG");
  CHECK_THROWS_WITH(write_plot(fig, tmp.path / "fig5.jpg"), Catch::Contains(".png or .svg"));
  CHECK_FALSE(std::filesystem::exists(tmp.path / "fig5.jpg"));
}

}  // namespace DISTDIFF_UNITY_ID
