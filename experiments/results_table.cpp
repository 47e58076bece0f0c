// results_table — render a results CSV (written by train_classifier) as the
// paper's tables (mean ± std over seeds) and plots.
//
//   results_table --results results.csv                      # Tables 1 and 2 on stdout
//   results_table --results results.csv --out report/ --ablation M --ablation K
//   results_table --results results.csv --pivot method,expansion --metric top1_last
//
// Files in --out: table1.md/.csv, table2.md, table2_<dataset>.csv,
// fig6_<dataset>.svg (+ .gp), ablation_<key>_<dataset>.svg (+ .gp), pivot.md/.csv.
#include <CLI/CLI.hpp>

#include <distdiff/io/plot.hpp>
#include <distdiff/io/results.hpp>

#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace io = distdiff::io;

int main(int argc, char** argv) {
  CLI::App app{"Render a results CSV as the paper's tables (mean ± std over seeds) and plots."};
  std::string results = "results.csv", out, metric = "top1_best", baseline = "Original", backbone = "resnet50",
              pivot_spec;
  double expansion = 5;
  int precision = 1;
  bool no_std = false, gnuplot = false;
  std::vector<std::string> ablations;
  app.add_option("--results", results, "results CSV");
  app.add_option("--out", out, "folder for markdown, CSV and SVG files (default: print tables only)");
  app.add_option("--metric", metric, "top1_best|top1_last|seconds");
  app.add_option("--baseline", baseline, "method the gains are relative to");
  app.add_option("--backbone", backbone, "backbone of Table 1 and the plots");
  app.add_option("--expansion", expansion, "expansion factor of Tables 1-2 and ablation plots");
  app.add_option("--precision", precision, "decimals");
  app.add_flag("--no-std", no_std, "means only (Table 1 of the paper shows means)");
  app.add_option("--pivot", pivot_spec, "generic pivot ROW,COL (fields: dataset, method, backbone, expansion, seed, epochs)");
  app.add_option("--ablation", ablations, "parameter read from method names (e.g. M for 'DistDiff M=30'); repeatable");
  app.add_flag("--gnuplot", gnuplot, "also write gnuplot scripts beside the SVGs");
  CLI11_PARSE(app, argc, argv);

  try {
    const auto rows = io::read_results(results);
    if (rows.empty()) throw std::runtime_error("'" + results + "' has no result rows");
    io::PaperTableOptions o;
    o.baseline = baseline;
    o.backbone = backbone;
    o.expansion = expansion;
    o.metric = metric;
    o.markdown.precision = precision;
    o.markdown.show_std = !no_std;
    o.markdown.baseline = baseline;
    const std::filesystem::path dir = out;

    const std::string t1 = io::table1_markdown(rows, o);
    std::string t2 = io::table2_markdown(rows, o);
    std::cout << "Table 1 (" << backbone << ", " << expansion << "x, " << metric << ")\n\n" << t1 << "\n";
    std::cout << "Table 2 (" << expansion << "x, " << metric << ")\n\n" << t2 << "\n";
    if (!out.empty()) {
      io::write_text(dir / "table1.md", t1);
      io::write_text(dir / "table1.csv", io::render_csv(io::table1(rows, o), baseline));
      io::write_text(dir / "table2.md", t2);
      for (const auto& [dataset, table] : io::table2(rows, o))
        io::write_text(dir / ("table2_" + dataset + ".csv"), io::render_csv(table, baseline));
    }

    if (!pivot_spec.empty()) {
      const auto comma = pivot_spec.find(',');
      if (comma == std::string::npos) throw std::invalid_argument("--pivot: expected ROW,COL, got '" + pivot_spec + "'");
      io::PivotOptions p;
      p.row_field = pivot_spec.substr(0, comma);
      p.col_field = pivot_spec.substr(comma + 1);
      p.metric = metric;
      p.row_order = {baseline};
      const auto table = io::pivot(rows, p);
      const std::string md = io::render_markdown(table, o.markdown);
      std::cout << "Pivot " << p.row_field << " x " << p.col_field << "\n\n" << md << "\n";
      if (!out.empty()) {
        io::write_text(dir / "pivot.md", md);
        io::write_text(dir / "pivot.csv", io::render_csv(table, baseline));
      }
    }

    if (!out.empty()) {
      std::set<std::string> datasets;
      for (const auto& r : rows) datasets.insert(r.dataset);
      for (const auto& dataset : datasets) {
        io::CurveOptions c;
        c.dataset = dataset;
        c.backbone = backbone;
        c.metric = metric;
        c.baseline = baseline;
        const auto fig = io::expansion_plot(rows, c);
        if (!fig.series.empty()) {
          io::write_svg(fig, dir / ("fig6_" + dataset + ".svg"));
          if (gnuplot) io::write_gnuplot(fig, dir / ("fig6_" + dataset + ".gp"));
        }
        for (const auto& key : ablations) {
          c.expansion = expansion;
          const auto plot = io::ablation_plot(rows, key, c);
          if (plot.series.empty()) continue;
          io::write_svg(plot, dir / ("ablation_" + key + "_" + dataset + ".svg"));
          if (gnuplot) io::write_gnuplot(plot, dir / ("ablation_" + key + "_" + dataset + ".gp"));
        }
      }
      std::cout << "wrote tables and plots to " << dir.string() << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "results_table: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
