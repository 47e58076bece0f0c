#pragma once
// Line plots written directly as SVG (and, optionally, as a gnuplot script):
// accuracy vs expansion factor (the paper's Fig. 6) and ablation curves
// (accuracy vs M, vs K), with error bars.
//
//   auto rows = distdiff::io::read_results("results.csv");
//   auto fig6 = distdiff::io::expansion_plot(rows, {.dataset = "caltech101"});
//   distdiff::io::write_svg(fig6, "fig6.svg");
//   distdiff::io::write_gnuplot(fig6, "fig6.gp");          // optional: `gnuplot fig6.gp`
//
//   distdiff::io::LinePlot p{.title = "Ablation of M", .x_label = "M", .y_label = "Top-1 (%)"};
//   p.series.push_back({.name = "DistDiff", .x = {0, 10, 20, 30, 40}, .y = {70.4, 71.4, 72.1, 74.1, 67.7}});
//   distdiff::io::write_svg(p, "ablation_m.svg");
//
// The SVG is self-contained (no fonts or scripts beyond generic families):
// axes with "nice" ticks, axis labels, a title, one polyline per series with
// markers, vertical error bars with caps, dashed horizontal reference lines,
// and a legend on the right.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/detail/atomic_write.hpp"
#include "distdiff/io/results.hpp"

namespace distdiff::io {

struct Series {
  std::string name;
  std::vector<double> x, y;
  std::vector<double> yerr;  // empty, or one half-length per point (drawn as ±yerr)
  std::string color;         // empty: the palette's next colour
};

struct ReferenceLine {       // a dashed horizontal line, e.g. the original dataset's accuracy
  std::string name;
  double y = 0;
  std::string color = "#555555";
};

struct LinePlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  std::vector<ReferenceLine> references;
  int width = 720;
  int height = 440;
  std::optional<double> y_min, y_max;  // default: the data range (with error bars) padded by 5%
  std::vector<double> x_ticks;         // explicit x ticks (e.g. the expansion factors); empty: nice ticks
  bool markers = true;
};

// "Nice" tick positions covering [lo, hi]: steps of 1, 2, 2.5 or 5 × 10^k,
// about `target` of them.
inline std::vector<double> nice_ticks(double lo, double hi, int target = 5) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) throw std::invalid_argument("nice_ticks: non-finite range");
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    const double d = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= d;
    hi += d;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * mag;
    if (raw <= step) break;
  }
  std::vector<double> ticks;
  const double first = std::ceil(lo / step - 1e-9) * step;
  for (double t = first; t <= hi + step * 1e-9; t += step) ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

namespace detail {

inline std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}
inline std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}
inline std::string tick_label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", std::abs(v) < 1e-12 ? 0.0 : v);
  return buf;
}
inline const std::vector<std::string>& palette() {
  static const std::vector<std::string> p = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                             "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return p;
}

// gnuplot's "set terminal ..." line: PNG (pngcairo) or SVG.
inline std::string gp_terminal_line(bool png, int width, int height) {
  const auto size = std::to_string(width) + "," + std::to_string(height);
  return png ? "set terminal pngcairo size " + size + " noenhanced font 'sans,10' background rgb 'white'\n"
             : "set terminal svg size " + size + " dynamic noenhanced font 'sans,12' background rgb 'white'\n";
}

// The terminal for the output's extension (.png or .svg; anything else is an error).
inline std::string gp_terminal(const std::filesystem::path& output, int width, int height) {
  const auto ext = output.extension().string();
  if (ext != ".png" && ext != ".svg")
    throw std::invalid_argument("plot '" + output.string() + "': the extension must be .png or .svg");
  return gp_terminal_line(ext == ".png", width, height);
}

inline void validate_plot(const LinePlot& p) {
  if (p.width < 200 || p.height < 150) throw std::invalid_argument("LinePlot: width/height too small (min 200x150)");
  for (const auto& s : p.series) {
    if (s.x.size() != s.y.size())
      throw std::invalid_argument("LinePlot: series '" + s.name + "' has " + std::to_string(s.x.size()) +
                                  " x values and " + std::to_string(s.y.size()) + " y values");
    if (!s.yerr.empty() && s.yerr.size() != s.y.size())
      throw std::invalid_argument("LinePlot: series '" + s.name + "' has " + std::to_string(s.yerr.size()) +
                                  " error bars for " + std::to_string(s.y.size()) + " points");
    for (std::size_t i = 0; i < s.x.size(); ++i)
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]))
        throw std::invalid_argument("LinePlot: series '" + s.name + "' has a non-finite point");
  }
}

}  // namespace detail

inline std::string render_svg(const LinePlot& p) {
  using detail::num;
  using detail::xml_escape;
  detail::validate_plot(p);
  // Data ranges.
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  for (const auto& s : p.series)
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      const double e = s.yerr.empty() ? 0 : std::abs(s.yerr[i]);
      xlo = std::min(xlo, s.x[i]);
      xhi = std::max(xhi, s.x[i]);
      ylo = std::min(ylo, s.y[i] - e);
      yhi = std::max(yhi, s.y[i] + e);
    }
  for (const auto& r : p.references) {
    ylo = std::min(ylo, r.y);
    yhi = std::max(yhi, r.y);
  }
  for (double t : p.x_ticks) {
    xlo = std::min(xlo, t);
    xhi = std::max(xhi, t);
  }
  if (!std::isfinite(xlo)) xlo = 0, xhi = 1;
  if (!std::isfinite(ylo)) ylo = 0, yhi = 1;
  if (xhi == xlo) xlo -= 1, xhi += 1;
  if (yhi == ylo) ylo -= 1, yhi += 1;
  const double ypad = 0.05 * (yhi - ylo);
  ylo = p.y_min.value_or(ylo - ypad);
  yhi = p.y_max.value_or(yhi + ypad);
  const double xpad = 0.04 * (xhi - xlo);
  xlo -= xpad;
  xhi += xpad;

  const double left = 64, right = 180, top = p.title.empty() ? 20 : 44, bottom = 56;
  const double pw = p.width - left - right, ph = p.height - top - bottom;
  auto sx = [&](double x) { return left + (x - xlo) / (xhi - xlo) * pw; };
  auto sy = [&](double y) { return top + (1 - (y - ylo) / (yhi - ylo)) * ph; };

  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << p.width << "\" height=\"" << p.height
    << "\" viewBox=\"0 0 " << p.width << " " << p.height << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  o << "<rect x=\"0\" y=\"0\" width=\"" << p.width << "\" height=\"" << p.height << "\" fill=\"white\"/>\n";
  if (!p.title.empty())
    o << "<text class=\"title\" x=\"" << num(left + pw / 2) << "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">"
      << xml_escape(p.title) << "</text>\n";

  // Grid, ticks and tick labels.
  o << "<g class=\"axes\" stroke=\"#000000\" stroke-width=\"1\">\n";
  o << "<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(pw) << "\" height=\"" << num(ph)
    << "\" fill=\"none\"/>\n";
  const auto yt = nice_ticks(ylo, yhi, 6);
  for (double t : yt) {
    if (t < ylo || t > yhi) continue;
    o << "<line class=\"grid\" x1=\"" << num(left) << "\" y1=\"" << num(sy(t)) << "\" x2=\"" << num(left + pw)
      << "\" y2=\"" << num(sy(t)) << "\" stroke=\"#dddddd\"/>\n";
    o << "<line class=\"ytick\" x1=\"" << num(left - 5) << "\" y1=\"" << num(sy(t)) << "\" x2=\"" << num(left)
      << "\" y2=\"" << num(sy(t)) << "\"/>\n";
  }
  const auto xt = p.x_ticks.empty() ? nice_ticks(xlo + xpad, xhi - xpad, 6) : p.x_ticks;
  for (double t : xt) {
    if (t < xlo || t > xhi) continue;
    o << "<line class=\"xtick\" x1=\"" << num(sx(t)) << "\" y1=\"" << num(top + ph) << "\" x2=\"" << num(sx(t))
      << "\" y2=\"" << num(top + ph + 5) << "\"/>\n";
  }
  o << "</g>\n<g class=\"tick-labels\" fill=\"#000000\">\n";
  for (double t : yt)
    if (t >= ylo && t <= yhi)
      o << "<text x=\"" << num(left - 8) << "\" y=\"" << num(sy(t) + 4) << "\" text-anchor=\"end\">"
        << detail::tick_label(t) << "</text>\n";
  for (double t : xt)
    if (t >= xlo && t <= xhi)
      o << "<text x=\"" << num(sx(t)) << "\" y=\"" << num(top + ph + 19) << "\" text-anchor=\"middle\">"
        << detail::tick_label(t) << "</text>\n";
  o << "</g>\n";
  o << "<text class=\"xlabel\" x=\"" << num(left + pw / 2) << "\" y=\"" << num(p.height - 14)
    << "\" text-anchor=\"middle\">" << xml_escape(p.x_label) << "</text>\n";
  o << "<text class=\"ylabel\" x=\"16\" y=\"" << num(top + ph / 2) << "\" text-anchor=\"middle\" transform=\"rotate(-90 16 "
    << num(top + ph / 2) << ")\">" << xml_escape(p.y_label) << "</text>\n";

  // Reference lines, then series.
  double ly = top + 8;
  const double lx = left + pw + 16;
  std::ostringstream legend;
  for (const auto& r : p.references) {
    o << "<line class=\"reference\" x1=\"" << num(left) << "\" y1=\"" << num(sy(r.y)) << "\" x2=\"" << num(left + pw)
      << "\" y2=\"" << num(sy(r.y)) << "\" stroke=\"" << xml_escape(r.color)
      << "\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n";
    legend << "<line x1=\"" << num(lx) << "\" y1=\"" << num(ly) << "\" x2=\"" << num(lx + 24) << "\" y2=\"" << num(ly)
           << "\" stroke=\"" << xml_escape(r.color) << "\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n"
           << "<text x=\"" << num(lx + 30) << "\" y=\"" << num(ly + 4) << "\">" << xml_escape(r.name) << "</text>\n";
    ly += 18;
  }
  for (std::size_t k = 0; k < p.series.size(); ++k) {
    const auto& s = p.series[k];
    const std::string color = s.color.empty() ? detail::palette()[k % detail::palette().size()] : s.color;
    std::vector<std::size_t> idx(s.x.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return s.x[a] < s.x[b]; });
    o << "<g class=\"series\" data-name=\"" << xml_escape(s.name) << "\">\n";
    o << "<polyline fill=\"none\" stroke=\"" << xml_escape(color) << "\" stroke-width=\"2\" points=\"";
    for (std::size_t j = 0; j < idx.size(); ++j)
      o << (j ? " " : "") << num(sx(s.x[idx[j]])) << "," << num(sy(s.y[idx[j]]));
    o << "\"/>\n";
    if (!s.yerr.empty()) {
      for (std::size_t i : idx) {
        const double e = std::abs(s.yerr[i]);
        if (e == 0) continue;
        const double x = sx(s.x[i]), y0 = sy(s.y[i] - e), y1 = sy(s.y[i] + e);
        o << "<path class=\"errorbar\" stroke=\"" << xml_escape(color) << "\" stroke-width=\"1.2\" d=\"M" << num(x)
          << " " << num(y0) << " L" << num(x) << " " << num(y1) << " M" << num(x - 4) << " " << num(y0) << " L"
          << num(x + 4) << " " << num(y0) << " M" << num(x - 4) << " " << num(y1) << " L" << num(x + 4) << " "
          << num(y1) << "\"/>\n";
      }
    }
    if (p.markers)
      for (std::size_t i : idx)
        o << "<circle cx=\"" << num(sx(s.x[i])) << "\" cy=\"" << num(sy(s.y[i])) << "\" r=\"3.5\" fill=\""
          << xml_escape(color) << "\"/>\n";
    o << "</g>\n";
    legend << "<line x1=\"" << num(lx) << "\" y1=\"" << num(ly) << "\" x2=\"" << num(lx + 24) << "\" y2=\"" << num(ly)
           << "\" stroke=\"" << xml_escape(color) << "\" stroke-width=\"2\"/>\n"
           << "<text x=\"" << num(lx + 30) << "\" y=\"" << num(ly + 4) << "\">" << xml_escape(s.name) << "</text>\n";
    ly += 18;
  }
  o << "<g class=\"legend\">\n" << legend.str() << "</g>\n</svg>\n";
  return o.str();
}

inline void write_svg(const LinePlot& p, const std::filesystem::path& path) {
  distdiff::detail::write_file_atomic(path, render_svg(p), "distdiff::io::write_svg");
}

// A self-contained gnuplot (>= 5) script with the data inline; running it
// writes `output` (its extension picks the terminal: .png pngcairo, else svg).
inline std::string render_gnuplot(const LinePlot& p, const std::string& output) {
  detail::validate_plot(p);
  auto quote = [](const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  };
  std::ostringstream g;
  g << "# generated by distdiff::io::render_gnuplot\n"
    << detail::gp_terminal_line(std::filesystem::path(output).extension() == ".png", p.width, p.height)
    << "set output " << quote(output) << "\n"
    << "set title " << quote(p.title) << "\nset xlabel " << quote(p.x_label) << "\nset ylabel " << quote(p.y_label)
    << "\nset key outside right top\nset grid ytics\n";
  if (!p.x_ticks.empty()) {
    g << "set xtics (";
    for (std::size_t i = 0; i < p.x_ticks.size(); ++i) g << (i ? ", " : "") << detail::tick_label(p.x_ticks[i]);
    g << ")\n";
  }
  if (p.y_min || p.y_max)
    g << "set yrange [" << (p.y_min ? detail::tick_label(*p.y_min) : "*") << ":"
      << (p.y_max ? detail::tick_label(*p.y_max) : "*") << "]\n";
  for (std::size_t k = 0; k < p.series.size(); ++k) {
    const auto& s = p.series[k];
    std::vector<std::size_t> idx(s.x.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return s.x[a] < s.x[b]; });
    g << "$S" << k << " << EOD\n";
    for (std::size_t i : idx) g << s.x[i] << " " << s.y[i] << " " << (s.yerr.empty() ? 0.0 : s.yerr[i]) << "\n";
    g << "EOD\n";
  }
  g << "plot ";
  bool first = true;
  for (std::size_t k = 0; k < p.series.size(); ++k) {
    const auto& s = p.series[k];
    const std::string color = s.color.empty() ? detail::palette()[k % detail::palette().size()] : s.color;
    g << (first ? "" : ", \\\n     ") << "$S" << k << " using 1:2:3 with yerrorlines lw 2 lc rgb '" << color
      << "' title " << quote(s.name);
    first = false;
  }
  for (const auto& r : p.references) {
    g << (first ? "" : ", \\\n     ") << r.y << " with lines dt 2 lc rgb '" << r.color << "' title " << quote(r.name);
    first = false;
  }
  if (first) g << "NaN notitle";
  g << "\n";
  return g.str();
}

// Writes the script to `path`; its output is `path` with the extension .svg
// replaced by "<stem>.gnuplot.svg" so it never overwrites write_svg's file.
inline void write_gnuplot(const LinePlot& p, const std::filesystem::path& path) {
  auto out = path;
  out.replace_extension(".gnuplot.svg");
  distdiff::detail::write_file_atomic(path, render_gnuplot(p, out.filename().string()), "distdiff::io::write_gnuplot");
}

// ------------------------------------------------------- plots from results

// The number after "<key>=" in a method name, e.g. method_parameter("DistDiff M=30 K=3", "M") == 30.
inline std::optional<double> method_parameter(const std::string& method, const std::string& key) {
  const std::regex re("(^|[^A-Za-z0-9_])" + std::regex_replace(key, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                      R"(=([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?))");
  std::smatch m;
  if (!std::regex_search(method, m, re)) return std::nullopt;
  return std::stod(m[2].str());
}

// The method name with its "<key>=<value>" token removed (series names of ablation plots).
inline std::string strip_method_parameter(const std::string& method, const std::string& key) {
  const std::regex re("(^|[^A-Za-z0-9_])" + key + R"(=[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)");
  std::string s = std::regex_replace(method, re, "$1");
  s = std::regex_replace(s, std::regex(R"(\s+)"), " ");
  s = std::regex_replace(s, std::regex(R"(\(\s*\)|\[\s*\])"), "");
  s = std::regex_replace(s, std::regex(R"(^[\s,;]+|[\s,;]+$)"), "");
  return s;
}

struct CurveOptions {
  std::string dataset = "caltech101";
  std::optional<std::string> backbone = "resnet50";
  std::optional<double> expansion;        // ablation plots: keep this factor (e.g. 5)
  std::string metric = "top1_best";
  std::string baseline = "Original";      // drawn as a dashed reference line
  std::vector<std::string> methods;       // series order (others follow by appearance)
  std::function<bool(const ResultRow&)> filter;  // keep rows where true (all when empty)
  std::string title;
  std::map<std::string, std::string> labels = default_labels();
};

namespace detail {
// Rows of the baseline method, and with `zero_as_reference` every row with
// expansion 0 (transformation baselines), become dashed reference lines.
inline LinePlot curve_plot(const std::vector<ResultRow>& rows, const CurveOptions& o,
                           const std::function<std::optional<double>(const ResultRow&)>& x_of,
                           const std::function<std::string(const ResultRow&)>& series_of, bool zero_as_reference) {
  std::vector<std::string> order, ref_order;
  std::map<std::string, std::map<double, std::vector<double>>> data;
  std::map<std::string, std::vector<double>> refs;
  std::set<double> xs;
  for (const auto& r : rows) {
    if (r.dataset != o.dataset || (o.backbone && r.backbone != *o.backbone)) continue;
    if (o.filter && !o.filter(r)) continue;
    if (std::isnan(metric_value(r, o.metric))) continue;  // e.g. a Fréchet-distance row
    if (r.method == o.baseline || (zero_as_reference && r.expansion == 0)) {
      if (std::find(ref_order.begin(), ref_order.end(), r.method) == ref_order.end()) ref_order.push_back(r.method);
      refs[r.method].push_back(metric_value(r, o.metric));
      continue;
    }
    if (o.expansion && std::abs(r.expansion - *o.expansion) > 1e-9) continue;
    const auto x = x_of(r);
    if (!x) continue;
    const auto name = series_of(r);
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
    data[name][*x].push_back(metric_value(r, o.metric));
    xs.insert(*x);
  }
  LinePlot p;
  p.title = o.title;
  p.y_label = "Top-1 accuracy (%)";
  p.x_ticks.assign(xs.begin(), xs.end());
  for (const auto& name : ordered(order, o.methods)) {
    Series s;
    s.name = name;
    for (const auto& [x, vals] : data[name]) {
      const Stat st = summarize(vals);
      s.x.push_back(x);
      s.y.push_back(st.mean);
      s.yerr.push_back(st.std);
    }
    p.series.push_back(std::move(s));
  }
  // The baseline first, then the others in order of appearance; shades of grey.
  static const std::vector<std::string> greys = {"#555555", "#888888", "#aaaaaa", "#333333"};
  std::size_t k = 0;
  for (const auto& name : ordered(ref_order, {o.baseline}))
    p.references.push_back({name, summarize(refs[name]).mean, greys[k++ % greys.size()]});
  return p;
}
}  // namespace detail

// Fig. 6: test accuracy vs expansion factor, one line per method (mean ± std
// over seeds); the baseline method and the methods without synthetic data
// (expansion 0: transformation baselines) as dashed reference lines.
inline LinePlot expansion_plot(const std::vector<ResultRow>& rows, const CurveOptions& o = {}) {
  auto p = detail::curve_plot(
      rows, o, [](const ResultRow& r) { return std::optional<double>(r.expansion); },
      [](const ResultRow& r) { return r.method; }, /*zero_as_reference=*/true);
  p.x_label = "Expansion factor (synthetic images per original image)";
  if (p.title.empty())
    p.title = detail::label({.labels = o.labels}, o.dataset) +
              (o.backbone ? ", " + detail::label({.labels = o.labels}, *o.backbone) : std::string());
  return p;
}

// Ablation curve: test accuracy vs `key`, one series per composition. The
// value is the row's own field (K or M, from its run's run.json); a row
// without it (written before distdiff 0.2) is read from the method name
// ("DistDiff M=30" -> x = 30, series "DistDiff").
inline LinePlot ablation_plot(const std::vector<ResultRow>& rows, const std::string& key, const CurveOptions& o = {}) {
  auto field = [&](const ResultRow& r) -> std::optional<double> {
    if (key == "K" && r.k) return double(*r.k);
    if (key == "M" && r.m && r.steps.find(';') == std::string::npos) return double(*r.m);
    return std::nullopt;
  };
  auto p = detail::curve_plot(
      rows, o,
      [&](const ResultRow& r) {
        if (!r.composition.empty()) return field(r);
        return method_parameter(r.method, key);
      },
      [&](const ResultRow& r) {
        return !r.composition.empty() ? r.composition : strip_method_parameter(r.method, key);
      },
      /*zero_as_reference=*/false);
  p.x_label = key;
  if (p.title.empty()) p.title = "Ablation of " + key + " (" + detail::label({.labels = o.labels}, o.dataset) + ")";
  return p;
}

}  // namespace distdiff::io
