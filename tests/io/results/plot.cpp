// SVG plots: well-formed XML, one polyline point per data point, error bars,
// ticks, results-driven Fig. 6 and ablation curves.
#include <catch2/catch.hpp>

#include <distdiff/io/plot.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stack>

namespace fs = std::filesystem;
using namespace distdiff::io;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

struct Tag {
  std::string name;
  std::map<std::string, std::string> attrs;
};

// A small XML checker: every tag closes in order, attributes are quoted,
// text contains no raw '<' or '&' outside entities. Returns the tags.
std::vector<Tag> parse_xml(const std::string& xml) {
  std::vector<Tag> tags;
  std::stack<std::string> open;
  std::size_t i = 0;
  if (xml.rfind("<?xml", 0) == 0) i = xml.find("?>") + 2;
  const std::regex attr_re(R"(\s+([A-Za-z_:][-A-Za-z0-9_:.]*)=\"([^\"<]*)\")");
  const std::regex entity_re(R"(&(amp|lt|gt|quot|apos);)");
  while (i < xml.size()) {
    const auto lt = xml.find('<', i);
    const std::string text = xml.substr(i, lt == std::string::npos ? std::string::npos : lt - i);
    REQUIRE(std::regex_replace(text, entity_re, "").find('&') == std::string::npos);
    REQUIRE(text.find('>') == std::string::npos);
    if (lt == std::string::npos) break;
    const auto gt = xml.find('>', lt);
    REQUIRE(gt != std::string::npos);
    std::string body = xml.substr(lt + 1, gt - lt - 1);
    if (body[0] == '/') {
      REQUIRE(!open.empty());
      REQUIRE(open.top() == body.substr(1));
      open.pop();
    } else {
      const bool self_closing = body.back() == '/';
      if (self_closing) body.pop_back();
      Tag t;
      const auto sp = body.find_first_of(" \n\t");
      t.name = body.substr(0, sp);
      std::string rest = sp == std::string::npos ? "" : body.substr(sp);
      std::smatch m;
      while (std::regex_search(rest, m, attr_re)) {
        REQUIRE(m.prefix().str().find_first_not_of(" \n\t") == std::string::npos);
        t.attrs[m[1]] = m[2];
        rest = m.suffix();
      }
      REQUIRE(rest.find_first_not_of(" \n\t") == std::string::npos);
      if (!self_closing) open.push(t.name);
      tags.push_back(std::move(t));
    }
    i = gt + 1;
  }
  REQUIRE(open.empty());
  return tags;
}

std::size_t count_points(const std::string& points) {
  std::istringstream in(points);
  std::string pair;
  std::size_t n = 0;
  while (in >> pair) {
    REQUIRE(std::regex_match(pair, std::regex(R"(-?[0-9.]+,-?[0-9.]+)")));
    ++n;
  }
  return n;
}

distdiff::io::ResultRow row(std::string method, double expansion, std::uint64_t seed, double best,
                            std::string dataset = "caltech101") {
  return {dataset, method, "resnet50", expansion, seed, best, best, 100, 1, "t"};
}

}  // namespace

TEST_CASE("nice ticks cover the range with round steps", "[io][plot]") {
  CHECK(nice_ticks(0, 1, 5) == std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1});
  const auto t = nice_ticks(36.2, 74.9, 6);
  REQUIRE(t.size() >= 4);
  CHECK(t.front() >= 36.2);
  CHECK(t.back() <= 74.9);
  CHECK(t[1] - t[0] == Approx(10));
  CHECK(nice_ticks(5, 5).size() >= 2);
}

TEST_CASE("render_svg writes well-formed SVG with all points and error bars", "[io][plot]") {
  LinePlot p{.title = "Accuracy <vs> expansion & more", .x_label = "Expansion", .y_label = "Top-1 (%)"};
  p.series.push_back({.name = "DistDiff", .x = {1, 5, 10, 20}, .y = {50, 74.1, 78, 80}, .yerr = {1, 0.7, 0, 0.5}});
  p.series.push_back({.name = "GIF-SD \"x\"", .x = {5, 1, 20}, .y = {54.4, 45, 70}});
  p.references.push_back({"Original", 36.8});
  p.x_ticks = {1, 5, 10, 20};
  const std::string svg = render_svg(p);
  const auto tags = parse_xml(svg);
  REQUIRE(tags.front().name == "svg");
  std::vector<std::size_t> polyline_points;
  int errorbars = 0, circles = 0, references = 0, xticks = 0;
  for (const auto& t : tags) {
    if (t.name == "polyline") polyline_points.push_back(count_points(t.attrs.at("points")));
    if (t.name == "path" && t.attrs.count("class") && t.attrs.at("class") == "errorbar") ++errorbars;
    if (t.name == "circle") ++circles;
    if (t.name == "line" && t.attrs.count("class") && t.attrs.at("class") == "reference") ++references;
    if (t.name == "line" && t.attrs.count("class") && t.attrs.at("class") == "xtick") ++xticks;
  }
  CHECK(polyline_points == std::vector<std::size_t>{4, 3});
  CHECK(errorbars == 3);  // zero-length error bars are not drawn
  CHECK(circles == 7);
  CHECK(references == 1);
  CHECK(xticks == 4);
  CHECK(svg.find("Accuracy &lt;vs&gt; expansion &amp; more") != std::string::npos);
  CHECK(svg.find("GIF-SD &quot;x&quot;") != std::string::npos);

  // The second series is drawn in x order: its polyline's x coordinates increase.
  const auto second = std::find_if(tags.begin(), tags.end(), [n = 0](const Tag& t) mutable {
    return t.name == "polyline" && n++ == 1;
  });
  std::istringstream pts(second->attrs.at("points"));
  std::string a, b, c;
  pts >> a >> b >> c;
  CHECK(std::stod(a) < std::stod(b));
  CHECK(std::stod(b) < std::stod(c));

  p.series[0].yerr = {1};
  CHECK_THROWS_WITH(render_svg(p), Catch::Contains("error bars"));
  p.series[0].yerr.clear();
  p.series[0].y.pop_back();
  CHECK_THROWS_WITH(render_svg(p), Catch::Contains("'DistDiff'"));
}

TEST_CASE("expansion_plot and ablation_plot aggregate results over seeds", "[io][plot]") {
  std::vector<ResultRow> rows = {row("Original", 0, 1, 36), row("Original", 0, 2, 38),
                                 row("DistDiff", 5, 1, 74), row("DistDiff", 5, 2, 76),
                                 row("DistDiff", 10, 1, 78), row("GIF-SD", 5, 1, 54),
                                 row("DistDiff", 5, 1, 10, "dtd"),  row("Cutout", 0, 1, 48)};
  const auto fig6 = expansion_plot(rows, {.dataset = "caltech101"});
  REQUIRE(fig6.series.size() == 2);
  CHECK(fig6.series[0].name == "DistDiff");
  CHECK(fig6.series[0].x == std::vector<double>{5, 10});
  CHECK(fig6.series[0].y == std::vector<double>{75, 78});
  CHECK(fig6.series[0].yerr[0] == Approx(std::sqrt(2.0)));
  CHECK(fig6.x_ticks == std::vector<double>{5, 10});
  REQUIRE(fig6.references.size() == 2);  // the baseline and the transformation baseline (expansion 0)
  CHECK(fig6.references[0].name == "Original");
  CHECK(fig6.references[0].y == Approx(37));
  CHECK(fig6.references[1].name == "Cutout");
  CHECK(fig6.references[1].y == Approx(48));
  CHECK(fig6.title == "Caltech, ResNet-50");
  const auto no_gif = expansion_plot(rows, {.dataset = "caltech101",
                                            .filter = [](const ResultRow& r) { return r.method != "GIF-SD"; }});
  REQUIRE(no_gif.series.size() == 1);
  CHECK(no_gif.series[0].name == "DistDiff");

  CHECK(method_parameter("DistDiff M=30 K=3", "M").value() == 30);
  CHECK(method_parameter("DistDiff [K=3, rho=0.1]", "rho").value() == Approx(0.1));
  CHECK_FALSE(method_parameter("DistDiff KM=3", "M").has_value());
  CHECK(strip_method_parameter("DistDiff (M=30)", "M") == "DistDiff");
  CHECK(strip_method_parameter("DistDiff M=30 K=3", "M") == "DistDiff K=3");

  std::vector<ResultRow> ab;
  for (int m : {0, 10, 20, 30, 40})
    for (std::uint64_t s : {1, 2}) ab.push_back(row("DistDiff M=" + std::to_string(m), 5, s, 70 + m / 10.0 + s));
  const auto plot = ablation_plot(ab, "M", {.expansion = 5});
  REQUIRE(plot.series.size() == 1);
  CHECK(plot.series[0].name == "DistDiff");
  CHECK(plot.series[0].x == std::vector<double>{0, 10, 20, 30, 40});
  CHECK(plot.series[0].y[3] == Approx(74.5));
  CHECK(plot.x_label == "M");
  const auto tags = parse_xml(render_svg(plot));
  for (const auto& t : tags)
    if (t.name == "polyline") CHECK(count_points(t.attrs.at("points")) == 5);
}

TEST_CASE("write_svg and write_gnuplot write files atomically", "[io][plot]") {
  const char* env = std::getenv("DISTDIFF_TEST_TMP");
  std::random_device rd;
  const fs::path dir = (env ? fs::path(env) : fs::temp_directory_path()) / ("io-plot-" + std::to_string(rd()));
  LinePlot p{.title = "t", .x_label = "x", .y_label = "y"};
  p.series.push_back({.name = "s", .x = {1, 2}, .y = {3, 4}, .yerr = {0.1, 0.2}});
  p.references.push_back({"base", 2.5});
  write_svg(p, dir / "fig.svg");
  write_gnuplot(p, dir / "fig.gp");
  std::ifstream svg(dir / "fig.svg"), gp(dir / "fig.gp");
  std::stringstream s1, s2;
  s1 << svg.rdbuf();
  s2 << gp.rdbuf();
  CHECK(s1.str() == render_svg(p));
  CHECK_THAT(s2.str(), Catch::Contains("set output \"fig.gnuplot.svg\"") && Catch::Contains("$S0 << EOD\n1 3 0.1\n2 4 0.2\nEOD") &&
                           Catch::Contains("with yerrorlines") && Catch::Contains("2.5 with lines dt 2"));
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 2);  // no temporary files left behind
  fs::remove_all(dir);
}

}  // namespace DISTDIFF_UNITY_ID
