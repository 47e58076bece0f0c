// results_table — render result rows (train_classifier's, and frechet's for
// the FID column) as the paper's tables and figures: mean ± std over seeds,
// rows chosen by the rows' own fields (composition, K, M, steps, prototypes,
// pretrained, epochs), never by a method name. docs/results.md maps every
// paper item to its command.
//
//   results_table --results results.csv                                 # every item the rows hold
//   results_table --results results.csv --results frechet.csv --item 3 --out report/
//   results_table --results results.csv --item fig6 --methods "SD img2img,DistDiff" --out report/
//   results_table --item fig5 --runs gen/k_sweep/K1 --runs gen/k_sweep/K2 --class Coat --out report/
//
// Items: 1, 2, 3 (10 is 3 on DTD), 4, 5, 6, 7, B1, fig4, fig5, fig6, ablation
// plots (--ablation K|M), a generic --pivot. By default every item the rows
// hold (Tables 4-6 with two values or more, Table B.1 only with the baseline
// at a second epoch count, Figure 4 with two backbones or more, Figure 6 with
// two factors or more); an item
// asked for by --item and matched by no row is an error. Files in --out (<ds>: each
// dataset): table1.md/.csv, table2.md, table2_<ds>.csv, table3_<ds>.md/.csv,
// table4_<ds>…, table5_<ds>…, table6_<ds>…, table7_<ds>…, tableB1_<ds>…,
// fig4_<ds>.svg/.png, fig5.svg/.png, fig6_<ds>.svg/.png,
// ablation_<key>_<ds>.svg/.png, pivot.md/.csv. PNGs (and the SVGs of Figures
// 4 and 5) are drawn by gnuplot; without it they are skipped with a note.
#include <CLI/CLI.hpp>

#include <distdiff/data/dataset_aliases.hpp>
#include <distdiff/io/gnuplot.hpp>
#include <distdiff/io/paper_tables.hpp>
#include <distdiff/io/plot.hpp>
#include <distdiff/io/results.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace io = distdiff::io;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string>& item_names() {
  static const std::vector<std::string> n = {"1", "2", "3", "10", "4", "5", "6", "7", "B1", "fig4", "fig5", "fig6"};
  return n;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ','))
    if (!part.empty()) out.push_back(part);
  return out;
}

struct Writer {
  fs::path dir;
  bool png = true;
  bool gnuplot_scripts = false;
  std::vector<std::string> written;

  void text(const std::string& name, const std::string& content) {
    if (dir.empty()) return;
    io::write_text(dir / name, content);
    written.push_back(name);
  }
  void png_note_once() {
    static bool said = false;
    if (!said) std::cerr << "note: gnuplot not found (Debian: apt install gnuplot-nox): PNGs and Figures 4/5 skipped\n";
    said = true;
  }
  // A line plot: own SVG always, PNG through gnuplot.
  void line(const std::string& stem, const io::LinePlot& p) {
    if (dir.empty()) return;
    io::write_svg(p, dir / (stem + ".svg"));
    written.push_back(stem + ".svg");
    if (gnuplot_scripts) io::write_gnuplot(p, dir / (stem + ".gp"));
    if (!png) return;
    if (!io::gnuplot_available()) return png_note_once();
    io::write_plot(p, dir / (stem + ".png"));
    written.push_back(stem + ".png");
  }
  // Bars and scatter: SVG and PNG through gnuplot.
  template <class Plot>
  bool drawn(const std::string& stem, const Plot& p) {
    if (dir.empty()) return true;
    if (!io::gnuplot_available()) {
      png_note_once();
      return false;
    }
    io::write_plot(p, dir / (stem + ".svg"));
    written.push_back(stem + ".svg");
    if (png) {
      io::write_plot(p, dir / (stem + ".png"));
      written.push_back(stem + ".png");
    }
    return true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Render result rows as the paper's tables (mean ± std over seeds) and figures."};
  std::vector<std::string> results_files, items, ablations, runs, datasets, fixed;
  std::string out, metric = "top1_best", baseline = "Original", backbone, pivot_spec, methods, composition = "distdiff",
                   class_name;
  double expansion = 5;
  std::optional<std::int64_t> epochs;
  int precision = 1;
  bool no_std = false, gnuplot = false, no_png = false;
  app.add_option("--results", results_files, "results CSV (repeatable: train_classifier's and frechet's rows)");
  app.add_option("--out", out, "folder for markdown, CSV, SVG and PNG files (default: print tables only)");
  app.add_option("--item", items,
                 "paper item(s): 1 2 3 10 4 5 6 7 B1 fig4 fig5 fig6 (repeatable; default: every item the rows hold)");
  app.add_option("--dataset", datasets, "dataset(s) of the per-dataset items (default: every dataset in the rows)");
  app.add_option("--metric", metric, "top1_best|top1_last|seconds");
  app.add_option("--baseline", baseline, "the un-expanded method (gains are relative to it)");
  app.add_option("--backbone", backbone, "backbone of Tables 1, 3-6 and Figure 6 (default: the one most rows have)");
  app.add_option("--expansion", expansion, "expansion factor of the tables (rows with other factors: Figure 6)");
  app.add_option("--epochs", epochs, "epoch count of the tables (default: the one most from-scratch rows have)");
  app.add_option("--composition", composition, "the composition swept in Tables 4-6")->capture_default_str();
  app.add_option("--fix", fixed, "hold a key of Tables 3-6 at a value, e.g. K=3 (default: the sweep's own)");
  app.add_option("--methods", methods, "Figures 4 and 6: the methods drawn, comma-separated (default: all)");
  app.add_option("--runs", runs, "Figure 5: expansion run folders, one panel each (e.g. a K sweep's K1..K4)");
  app.add_option("--class", class_name, "Figure 5: the class shown (default: the first)");
  app.add_option("--precision", precision, "decimals");
  app.add_flag("--no-std", no_std, "means only (Table 1 of the paper shows means)");
  app.add_flag("--no-png", no_png, "SVG only (no gnuplot run)");
  app.add_option("--pivot", pivot_spec,
                 "generic pivot ROW,COL (fields: dataset, method, composition, backbone, pretrained, expansion, K, "
                 "M, steps, prototypes, seed, epochs)");
  app.add_option("--ablation", ablations, "accuracy vs K or M, one line per composition (repeatable)");
  app.add_flag("--gnuplot", gnuplot, "also write gnuplot scripts beside the line plots' SVGs");
  CLI11_PARSE(app, argc, argv);

  try {
    for (const auto& i : items)
      if (std::find(item_names().begin(), item_names().end(), i) == item_names().end())
        throw std::invalid_argument("--item: unknown item '" + i + "' (known: 1 2 3 10 4 5 6 7 B1 fig4 fig5 fig6)");
    for (const auto& k : ablations)
      if (k != "K" && k != "M") throw std::invalid_argument("--ablation: K or M, got '" + k + "'");
    std::map<std::string, std::string> fix;
    for (const auto& f : fixed) {
      const auto eq = f.find('=');
      const auto key = f.substr(0, eq);
      if (eq == std::string::npos || (key != "K" && key != "M" && key != "steps"))
        throw std::invalid_argument("--fix: expected K=VALUE, M=VALUE or steps=VALUE, got '" + f + "'");
      fix[key] = f.substr(eq + 1);
    }
    const bool all_items = items.empty();
    auto wants = [&](const std::string& i) { return all_items || std::count(items.begin(), items.end(), i) > 0; };
    if (!all_items && wants("fig5") && runs.empty())
      throw std::invalid_argument("--item fig5 needs the run folders: --runs DIR (repeatable, e.g. a K sweep)");
    const bool only_fig5 = !items.empty() && std::all_of(items.begin(), items.end(), [](auto& i) { return i == "fig5"; });
    if (results_files.empty() && !only_fig5) results_files.push_back("results.csv");

    std::vector<io::ResultRow> rows;
    for (const auto& f : results_files) {
      auto more = io::read_results(f);
      rows.insert(rows.end(), more.begin(), more.end());
    }
    if (!only_fig5 && rows.empty()) throw std::runtime_error("no result rows in the --results files");
    for (auto& d : datasets) {
      const auto canonical = distdiff::canonical_dataset_name(d);
      if (canonical != d) std::cerr << "note: --dataset " << d << " is read as " << canonical << "\n";
      d = canonical;
      if (std::none_of(rows.begin(), rows.end(), [&](const io::ResultRow& r) { return r.dataset == d; }))
        throw std::invalid_argument("--dataset " + d + ": no result row has this dataset");
    }
    if (datasets.empty()) {
      std::set<std::string> seen;
      for (const auto& r : rows)
        if (seen.insert(r.dataset).second) datasets.push_back(r.dataset);
    }
    if (backbone.empty()) {  // the backbone most accuracy rows have
      std::map<std::string, std::size_t> n;
      for (const auto& r : rows)
        if (r.has_accuracy()) ++n[r.backbone];
      std::size_t most = 0;
      for (const auto& [b, c] : n)
        if (c > most) backbone = b, most = c;
    }

    Writer w{.dir = out, .png = !no_png, .gnuplot_scripts = gnuplot};
    std::vector<std::string> empty_requested;

    if (!rows.empty() && (wants("1") || wants("2"))) {
      io::PaperTableOptions o;
      o.baseline = baseline;
      o.backbone = backbone;
      o.expansion = expansion;
      o.epochs = epochs;
      o.metric = metric;
      o.markdown.precision = precision;
      o.markdown.show_std = !no_std;
      o.markdown.baseline = baseline;
      if (wants("1")) {
        const auto t1 = io::table1(rows, o);
        if (t1.rows.empty()) {
          empty_requested.push_back("1");
        } else {
          const std::string md = io::table1_markdown(rows, o);
          std::cout << "Table 1 (" << backbone << ", " << expansion << "x, " << metric << ")\n\n" << md << "\n";
          w.text("table1.md", md);
          w.text("table1.csv", io::render_csv(t1, baseline));
        }
      }
      if (wants("2")) {
        const std::string md = io::table2_markdown(rows, o);
        std::cout << "Table 2 (" << expansion << "x, " << metric << ")\n\n" << md << "\n";
        w.text("table2.md", md);
        for (const auto& [dataset, table] : io::table2(rows, o))
          w.text("table2_" + dataset + ".csv", io::render_csv(table, baseline));
      }
    }

    for (const auto& dataset : datasets) {
      io::SelectOptions s;
      s.dataset = dataset;
      s.expansion = expansion;
      s.backbone = backbone;
      s.epochs = epochs;
      s.metric = metric;
      s.composition = composition;
      s.baseline = baseline;
      s.fixed = fix;
      s.precision = precision;
      const std::string label = io::detail::label({}, dataset);
      // Without --item, a sweep of one value (Tables 4-6 of a run that swept nothing) is not written.
      auto emit = [&](const std::string& item, const std::string& stem, const std::string& title,
                      const io::PaperItem& t, std::size_t least = 1) {
        if (t.empty || (all_items && t.entries < least)) {
          if (!all_items) empty_requested.push_back(item + " (" + dataset + ")");
          return;
        }
        std::cout << title << " — " << label << "\n\n" << t.markdown << "\n";
        w.text(stem + "_" + dataset + ".md", t.markdown);
        w.text(stem + "_" + dataset + ".csv", t.csv);
      };
      if (wants("3") || wants("10"))
        emit(wants("3") ? "3" : "10", "table3", "Table 3 / 10: hierarchical prototypes (accuracy, FID)",
             io::table3(rows, s));
      if (wants("4")) emit("4", "table4", "Table 4: optimisation step M", io::sweep_table(rows, "M", s), 2);
      if (wants("5")) emit("5", "table5", "Table 5: number of group prototypes K", io::sweep_table(rows, "K", s), 2);
      if (wants("6")) emit("6", "table6", "Table 6: several optimisation steps", io::table6(rows, s), 2);
      if (wants("7")) emit("7", "table7", "Table 7: fine-tuning a pretrained backbone", io::table7(rows, s));
      if (wants("B1")) emit("B1", "tableB1", "Table B.1: the original set trained longer", io::table_b1(rows, s));
      if (wants("fig4")) {
        const auto p = io::figure4(rows, s, split_list(methods));
        if (p.groups.empty() || (all_items && p.groups.size() < 2)) {
          if (!all_items) empty_requested.push_back("fig4 (" + dataset + ")");
        } else if (w.drawn("fig4_" + dataset, p))
          std::cout << "Figure 4 — " << label << ": " << p.groups.size() << " backbone(s), " << p.series.size()
                    << " method(s)\n";
      }
      if (wants("fig6")) {
        auto one = s;
        one.expansion.reset();
        const auto p = io::figure6(rows, one, split_list(methods));
        if (p.series.empty() || (all_items && p.x_ticks.size() < 2)) {
          if (!all_items) empty_requested.push_back("fig6 (" + dataset + ")");
        } else {
          w.line("fig6_" + dataset, p);
          std::cout << "Figure 6 — " << label << ": " << p.series.size() << " method(s) over " << p.x_ticks.size()
                    << " expansion factor(s)\n";
        }
      }
      for (const auto& key : ablations) {
        io::CurveOptions c;
        c.dataset = dataset;
        c.backbone = backbone;
        c.metric = metric;
        c.baseline = baseline;
        c.expansion = expansion;
        const auto plot = io::ablation_plot(rows, key, c);
        if (!plot.series.empty()) w.line("ablation_" + key + "_" + dataset, plot);
      }
    }

    if (wants("fig5") && !runs.empty()) {
      std::vector<fs::path> folders(runs.begin(), runs.end());
      const auto fig = io::figure5(folders, class_name);
      if (w.drawn("fig5", fig)) std::cout << "Figure 5: " << fig.panels.size() << " panel(s)\n";
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
      io::MarkdownOptions mo;
      mo.precision = precision;
      mo.show_std = !no_std;
      mo.baseline = baseline;
      const std::string md = io::render_markdown(table, mo);
      std::cout << "Pivot " << p.row_field << " x " << p.col_field << "\n\n" << md << "\n";
      w.text("pivot.md", md);
      w.text("pivot.csv", io::render_csv(table, baseline));
    }

    if (!empty_requested.empty()) {
      std::string list;
      for (const auto& e : empty_requested) list += (list.empty() ? "" : ", ") + e;
      throw std::runtime_error(
          "no rows for: " + list +
          " (Tables 3-6 need rows from expansion runs with run.json \"keys\" (distdiff >= 0.2); Table 3's FID "
          "column, frechet's rows; Table 7, rows trained with --pretrained; Figure 4, several backbones; "
          "docs/results.md lists each item's command)");
    }
    if (!out.empty()) std::cout << "wrote " << w.written.size() << " file(s) to " << out << "\n";
  } catch (const std::exception& e) {
    std::cerr << "results_table: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
