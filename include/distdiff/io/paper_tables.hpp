#pragma once
// The paper's ablation tables and figures from result rows (io/results.hpp),
// chosen by the rows' fields — composition, K, M, steps, prototypes,
// pretrained, epochs, fid — never by a method name:
//
//   Table 3 / 10  prototypes ablation: p_c, p_g, accuracy, FID     table3(rows, {.dataset = "dtd"})
//   Table 4       accuracy vs M                                    sweep_table(rows, "M", {...})
//   Table 5       accuracy vs K                                    sweep_table(rows, "K", {...})
//   Table 6       multi-step strategies                            table6(rows, {...})
//   Table 7       fine-tuning a pretrained backbone                table7(rows, {...})
//   Table B.1     the original set trained longer                  table_b1(rows, {...})
//   Figure 4      accuracy per backbone, grouped bars              figure4(rows, {...})
//   Figure 5      samples and prototypes on the PCA plane, per K    figure5({"runs/K1", "runs/K2"}, "Coat")
//   Figure 6      accuracy vs expansion factor (method filter)     figure6(rows, {...}, {"Original", "DistDiff"})
//
// Each table comes as a PaperItem: markdown in the paper's layout and a CSV
// of the same cells (mean, std, n). Which rows a table takes:
// - always: the dataset, from-scratch rows (Table 7: pretrained rows), and
//   for accuracies the common epoch count (the one most from-scratch rows
//   have; Table B.1 shows the others);
// - a sweep over one key (M, K, steps) holds the other keys at the value
//   that occurs with the most values of the swept key (the sweep's fixed
//   value): Table 5's K sweep then leaves out Table 4's M sweep, and the
//   reverse. SelectOptions::fixed overrides it ({"K", "3"}).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/io/gnuplot.hpp"
#include "distdiff/io/results.hpp"

namespace distdiff::io {

struct PaperItem {
  std::string markdown;
  std::string csv;
  bool empty = true;        // no row matched: nothing to write
  std::size_t entries = 0;  // cells of a sweep (Tables 4, 5), rows of the others
};

struct SelectOptions {
  std::string dataset;                      // required
  std::optional<double> expansion = 5;      // synthetic rows with this factor (none: any)
  std::optional<std::string> backbone;      // none: any
  std::optional<std::int64_t> epochs;       // accuracy rows with this epoch count (none: the common one)
  std::string metric = "top1_best";
  std::string composition = "distdiff";     // Tables 4-6: the swept composition
  std::string baseline = "Original";        // Table 7, B.1, Figures 4 and 6: the un-expanded method
  std::map<std::string, std::string> fixed; // Tables 3-6: a key's fixed value ("K" -> "3")
  int precision = 1;
  std::map<std::string, std::string> labels = default_labels();
};

namespace detail {

inline std::string name_of(const SelectOptions& o, const std::string& id) {
  const auto it = o.labels.find(id);
  return it == o.labels.end() ? id : it->second;
}

inline bool factor_matches(const ResultRow& r, const SelectOptions& o) {
  return !o.expansion || r.expansion == 0 || std::abs(r.expansion - *o.expansion) < 1e-9;
}

// Rows of the dataset (and backbone), from scratch unless `pretrained`; accuracy
// rows at the common (or given) epoch count; Fréchet rows (no accuracy) when `with_fid`.
inline std::vector<ResultRow> select_rows(const std::vector<ResultRow>& rows, const SelectOptions& o,
                                          bool pretrained = false, bool with_fid = false) {
  const auto epochs = o.epochs.value_or(common_epochs(rows, o.dataset));
  std::vector<ResultRow> out;
  for (const auto& r : rows) {
    if (r.dataset != o.dataset || r.pretrained != pretrained || !factor_matches(r, o)) continue;
    if (r.has_accuracy()) {
      if ((o.backbone && r.backbone != *o.backbone) || (!pretrained && r.epochs != epochs)) continue;
    } else if (!with_fid || !r.fid) {
      continue;
    }
    out.push_back(r);
  }
  return out;
}

// The value of `key` that occurs with the most distinct values of `swept`
// (ties: the most rows); "" when no row has the key.
inline std::string fixed_value(const std::vector<ResultRow>& rows, const std::string& key, const std::string& swept) {
  std::map<std::string, std::set<std::string>> with;
  std::map<std::string, std::size_t> count;
  for (const auto& r : rows) {
    const auto v = field_value(r, key);
    if (v.empty()) continue;
    with[v].insert(field_value(r, swept));
    ++count[v];
  }
  std::string best;
  for (const auto& [v, s] : with)
    if (best.empty() || s.size() > with[best].size() || (s.size() == with[best].size() && count[v] > count[best]))
      best = v;
  return best;
}

// Keeps the rows whose `key` is the fixed value (or absent: a row without K
// is not part of a K sweep).
inline std::vector<ResultRow> hold(const std::vector<ResultRow>& rows, const std::string& key,
                                   const std::string& swept, const SelectOptions& o) {
  const auto it = o.fixed.find(key);
  const auto value = it != o.fixed.end() ? it->second : fixed_value(rows, key, swept);
  std::vector<ResultRow> out;
  for (const auto& r : rows) {
    const auto v = field_value(r, key);
    if (v.empty() || v == value) out.push_back(r);
  }
  return out;
}

inline std::string cell(const Stat& s, int precision, bool with_std = true) {
  if (s.n == 0) return "–";
  return with_std && s.n > 1 ? fixed(s.mean, precision) + " ± " + fixed(s.std, precision) : fixed(s.mean, precision);
}

inline std::string csv_cells(const Stat& s) {
  if (s.n == 0) return ",,0";
  return format_number(s.mean, "%.6g") + "," + format_number(s.std, "%.6g") + "," + std::to_string(s.n);
}

inline std::vector<double> metric_values(const std::vector<ResultRow>& rows, const std::string& metric) {
  std::vector<double> v;
  for (const auto& r : rows)
    if (const double x = metric_value(r, metric); !std::isnan(x)) v.push_back(x);
  return v;
}

// Sorts values numerically when all are numbers.
inline void sort_values(std::vector<std::string>& values) {
  const bool numeric = std::all_of(values.begin(), values.end(), [](const std::string& v) {
    char* end = nullptr;
    (void)std::strtod(v.c_str(), &end);
    return !v.empty() && end == v.c_str() + v.size();
  });
  if (numeric)
    std::sort(values.begin(), values.end(), [](const auto& a, const auto& b) { return std::stod(a) < std::stod(b); });
  else
    std::sort(values.begin(), values.end());
}

inline std::string steps_label(const std::string& steps) {
  if (steps.empty()) return "no guided step";
  const auto n = std::count(steps.begin(), steps.end(), ';') + 1;
  std::string list = steps;
  std::replace(list.begin(), list.end(), ';', ',');
  return std::to_string(n) + (n == 1 ? " step (" : " steps (") + list + ")";
}

}  // namespace detail

// Table 3 (and Table 10 on another dataset): one row per prototypes setting —
// none (the transform alone), class, group, class + group — with accuracy
// (mean ± std over seeds) and the Fréchet distance of the expanded sets (FID).
// Rows: the guided runs (non-empty `prototypes`), at the fixed steps and K.
inline PaperItem table3(const std::vector<ResultRow>& all, const SelectOptions& o) {
  using namespace detail;
  std::vector<ResultRow> rows;
  for (const auto& r : select_rows(all, o, false, true))
    if (!r.prototypes.empty() && r.composition != "" && r.expansion != 0) rows.push_back(r);
  rows = hold(hold(rows, "steps", "prototypes", o), "K", "prototypes", o);
  PaperItem item;
  std::ostringstream md, csv;
  md << "| p_c | p_g | Accuracy ↑ | FID ↓ |\n|:---:|:---:|---:|---:|\n";
  csv << "prototypes,class,group,accuracy_mean,accuracy_std,accuracy_n,fid_mean,fid_std,fid_n\n";
  for (const std::string kind : {"none", "class", "group", "class+group"}) {
    std::vector<ResultRow> of;
    for (const auto& r : rows)
      if (r.prototypes == kind) of.push_back(r);
    if (of.empty()) continue;
    item.empty = false;
    ++item.entries;
    const bool c = kind == "class" || kind == "class+group", g = kind == "group" || kind == "class+group";
    const auto acc = summarize(metric_values(of, o.metric)), fid = summarize(metric_values(of, "fid"));
    md << "| " << (c ? "✓" : "") << " | " << (g ? "✓" : "") << " | " << cell(acc, o.precision) << " | "
       << cell(fid, o.precision, false) << " |\n";
    csv << kind << "," << c << "," << g << "," << csv_cells(acc) << "," << csv_cells(fid) << "\n";
  }
  item.markdown = md.str();
  item.csv = csv.str();
  return item;
}

// Tables 4 and 5: accuracy of the composition against one key ("M" or "K"),
// the paper's horizontal layout. Single-step runs only; the other key fixed.
inline PaperItem sweep_table(const std::vector<ResultRow>& all, const std::string& key, const SelectOptions& o) {
  using namespace detail;
  if (key != "M" && key != "K") throw std::invalid_argument("sweep_table: the key is M or K, got '" + key + "'");
  std::vector<ResultRow> rows;
  for (const auto& r : select_rows(all, o))
    if (r.composition == o.composition && !field_value(r, key).empty() &&
        r.steps.find(';') == std::string::npos)
      rows.push_back(r);
  rows = hold(rows, key == "M" ? "K" : "M", key, o);
  std::map<std::string, std::vector<ResultRow>> by;
  for (const auto& r : rows) by[field_value(r, key)].push_back(r);
  std::vector<std::string> values;
  for (const auto& [v, _] : by) values.push_back(v);
  sort_values(values);
  PaperItem item;
  item.empty = values.empty();
  item.entries = values.size();
  std::ostringstream md, csv;
  md << "| " << key << " |";
  for (const auto& v : values) md << " " << v << " |";
  md << "\n|---|";
  for (std::size_t i = 0; i < values.size(); ++i) md << "---:|";
  md << "\n| Accuracy |";
  csv << key << ",accuracy_mean,accuracy_std,accuracy_n\n";
  for (const auto& v : values) {
    const auto s = summarize(metric_values(by[v], o.metric));
    md << " " << cell(s, o.precision) << " |";
    csv << v << "," << csv_cells(s) << "\n";
  }
  md << "\n";
  item.markdown = md.str();
  item.csv = csv.str();
  return item;
}

// Table 6: guidance at several steps. One row per (composition, steps): the
// swept composition's single step first, then every other composition with
// more than one step (consecutive-steps: Strategy 1, spread-steps: Strategy 2),
// K held fixed.
inline PaperItem table6(const std::vector<ResultRow>& all, const SelectOptions& o) {
  using namespace detail;
  std::vector<ResultRow> rows;
  for (const auto& r : select_rows(all, o))
    if (!r.steps.empty() && !r.prototypes.empty() && r.prototypes != "none" &&
        (r.composition == o.composition || r.steps.find(';') != std::string::npos))
      rows.push_back(r);
  rows = hold(rows, "K", "steps", o);
  // The swept composition's own row: its most common single step (Table 4's M is a sweep of it).
  std::map<std::string, std::size_t> single;
  for (const auto& r : rows)
    if (r.composition == o.composition && r.steps.find(';') == std::string::npos) ++single[r.steps];
  std::string one;
  for (const auto& [s, n] : single)
    if (one.empty() || n > single[one]) one = s;
  std::vector<std::pair<std::string, std::string>> keys;  // (composition, steps), in order
  std::map<std::pair<std::string, std::string>, std::vector<ResultRow>> by;
  for (const auto& r : rows) {
    if (r.composition == o.composition && r.steps.find(';') == std::string::npos && r.steps != one) continue;
    const std::pair key{r.composition, r.steps};
    if (!by.count(key)) keys.push_back(key);
    by[key].push_back(r);
  }
  std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
    const bool ma = a.first == o.composition, mb = b.first == o.composition;
    if (ma != mb) return ma;
    if (a.first != b.first) return a.first < b.first;
    return std::count(a.second.begin(), a.second.end(), ';') < std::count(b.second.begin(), b.second.end(), ';');
  });
  PaperItem item;
  item.empty = keys.empty();
  item.entries = keys.size();
  std::ostringstream md, csv;
  md << "| Strategy | Steps | Accuracy (%) |\n|---|---|---:|\n";
  csv << "composition,steps,accuracy_mean,accuracy_std,accuracy_n\n";
  for (const auto& k : keys) {
    const auto s = summarize(metric_values(by[k], o.metric));
    md << "| " << md_escape(name_of(o, k.first)) << " | " << steps_label(k.second) << " | "
       << cell(s, o.precision) << " |\n";
    csv << csv_escape(k.first) << "," << csv_escape(k.second) << "," << csv_cells(s) << "\n";
  }
  item.markdown = md.str();
  item.csv = csv.str();
  return item;
}

namespace detail {
// One "Accuracy" row with a column per method (the baseline first, gains over it in parentheses).
inline PaperItem method_columns(const std::vector<ResultRow>& rows, const SelectOptions& o) {
  std::vector<std::string> methods;
  std::map<std::string, std::vector<ResultRow>> by;
  for (const auto& r : rows) {
    if (!by.count(r.method)) methods.push_back(r.method);
    by[r.method].push_back(r);
  }
  methods = ordered(methods, {o.baseline});
  PaperItem item;
  item.empty = methods.empty();
  item.entries = methods.size();
  const auto base = by.count(o.baseline) ? summarize(metric_values(by[o.baseline], o.metric)) : Stat{};
  std::ostringstream md, csv;
  md << "| Method |";
  for (const auto& m : methods) md << " " << md_escape(name_of(o, m)) << " |";
  md << "\n|---|";
  for (std::size_t i = 0; i < methods.size(); ++i) md << "---:|";
  md << "\n| Accuracy (%) |";
  csv << "method,accuracy_mean,accuracy_std,accuracy_n,gain\n";
  for (const auto& m : methods) {
    const auto s = summarize(metric_values(by[m], o.metric));
    md << " " << cell(s, o.precision);
    const bool gain = m != o.baseline && base.n > 0 && s.n > 0;
    if (gain) md << " (" << signed_fixed(s.mean - base.mean, o.precision) << ")";
    md << " |";
    csv << csv_escape(m) << "," << csv_cells(s) << "," << (gain ? format_number(s.mean - base.mean, "%.6g") : "")
        << "\n";
  }
  md << "\n";
  item.markdown = md.str();
  item.csv = csv.str();
  return item;
}
}  // namespace detail

// Table 7: fine-tuned from pretrained weights (rows with pretrained = 1), one
// column per method, gains over the baseline.
inline PaperItem table7(const std::vector<ResultRow>& all, const SelectOptions& o) {
  return detail::method_columns(detail::select_rows(all, o, /*pretrained=*/true), o);
}

// Table B.1: the baseline trained for every epoch count it has, beside the
// other methods at the common epoch count (from scratch).
inline PaperItem table_b1(const std::vector<ResultRow>& all, const SelectOptions& o) {
  using namespace detail;
  std::vector<ResultRow> rows = select_rows(all, o);
  for (const auto& r : all)
    if (r.dataset == o.dataset && !r.pretrained && r.has_accuracy() && r.method == o.baseline &&
        (!o.backbone || r.backbone == *o.backbone) && r.epochs != o.epochs.value_or(common_epochs(all, o.dataset)))
      rows.push_back(r);
  std::vector<std::pair<std::string, std::int64_t>> keys;
  std::map<std::pair<std::string, std::int64_t>, std::vector<ResultRow>> by;
  for (const auto& r : rows) {
    if (r.method != o.baseline && r.expansion == 0) continue;  // transformation baselines: Table 1
    const std::pair key{r.method, r.epochs};
    if (!by.count(key)) keys.push_back(key);
    by[key].push_back(r);
  }
  std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
    const bool ba = a.first == o.baseline, bb = b.first == o.baseline;
    if (ba != bb) return ba;
    return ba ? a.second < b.second : false;
  });
  // Without the baseline at a second epoch count there is nothing to show.
  const auto baseline_counts = std::count_if(keys.begin(), keys.end(), [&](auto& k) { return k.first == o.baseline; });
  PaperItem item;
  item.empty = baseline_counts < 2;
  item.entries = keys.size();
  std::ostringstream md, csv;
  md << "| Method | Epochs | Accuracy (%) |\n|---|---:|---:|\n";
  csv << "method,epochs,accuracy_mean,accuracy_std,accuracy_n\n";
  for (const auto& k : keys) {
    const auto s = summarize(metric_values(by[k], o.metric));
    md << "| " << md_escape(name_of(o, k.first)) << " | " << k.second << " | "
       << cell(s, o.precision) << " |\n";
    csv << csv_escape(k.first) << "," << k.second << "," << csv_cells(s) << "\n";
  }
  item.markdown = md.str();
  item.csv = csv.str();
  return item;
}

// Figure 4: accuracy per backbone (groups), one bar per method (from scratch,
// the common epoch count), mean ± std over seeds.
// `methods`: the methods drawn (the baseline always; all when empty).
inline BarPlot figure4(const std::vector<ResultRow>& all, SelectOptions o, const std::vector<std::string>& only = {},
                       const std::vector<std::string>& backbone_order = {"resnet50", "resnext50_32x4d",
                                                                         "wide_resnet50_2", "mobilenet_v2"}) {
  using namespace detail;
  o.backbone.reset();
  const auto rows = select_rows(all, o);
  std::vector<std::string> backbones, methods;
  std::map<std::pair<std::string, std::string>, std::vector<double>> v;
  for (const auto& r : rows) {
    if (r.method != o.baseline && r.expansion == 0) continue;  // transformation baselines
    if (!only.empty() && r.method != o.baseline && std::find(only.begin(), only.end(), r.method) == only.end())
      continue;
    if (std::find(backbones.begin(), backbones.end(), r.backbone) == backbones.end()) backbones.push_back(r.backbone);
    if (std::find(methods.begin(), methods.end(), r.method) == methods.end()) methods.push_back(r.method);
    v[{r.method, r.backbone}].push_back(metric_value(r, o.metric));
  }
  backbones = ordered(backbones, backbone_order);
  methods = ordered(methods, {o.baseline});
  BarPlot p;
  p.title = name_of(o, o.dataset) + ": backbones trained from scratch";
  p.x_label = "Backbone";
  p.y_label = "Top-1 accuracy (%)";
  for (const auto& b : backbones) p.groups.push_back(name_of(o, b));
  for (const auto& m : methods) {
    BarSeries s;
    s.name = name_of(o, m);
    for (const auto& b : backbones) {
      const auto st = summarize(v[{m, b}]);
      s.y.push_back(st.n ? st.mean : std::nan(""));
      s.yerr.push_back(st.std);
    }
    p.series.push_back(std::move(s));
  }
  return p;
}

// Figure 6: accuracy vs expansion factor, one line per method in `methods`
// (all when empty); from scratch, the common epoch count.
inline LinePlot figure6(const std::vector<ResultRow>& all, const SelectOptions& o,
                        const std::vector<std::string>& methods = {}) {
  CurveOptions c;
  c.dataset = o.dataset;
  c.backbone = o.backbone;
  c.metric = o.metric;
  c.baseline = o.baseline;
  c.methods = methods;
  c.labels = o.labels;
  const auto epochs = o.epochs.value_or(detail::common_epochs(all, o.dataset));
  c.filter = [&](const ResultRow& r) {
    return !r.pretrained && r.has_accuracy() && r.epochs == epochs &&
           (methods.empty() || r.method == o.baseline ||
            std::find(methods.begin(), methods.end(), r.method) != methods.end());
  };
  return expansion_plot(all, c);
}

// Figure 5: for one class, the real samples (dots, coloured by their nearest
// group prototype), the class prototype (cross) and the K group prototypes
// (stars) on the first two principal components of the class's features, one
// panel per run (a K sweep: K = 1..4), read from each run's
// prototypes_2d.csv (written by expand). Panels are ordered by K. The class
// is named as in the run's manifest; empty: the first class.
inline ScatterFigure figure5(const std::vector<std::filesystem::path>& runs, std::string class_name = {}) {
  struct Panel {
    std::int64_t k = 0;
    ScatterPanel panel;
  };
  std::vector<Panel> panels;
  for (const auto& run : runs) {
    const auto path = run / "prototypes_2d.csv";
    std::ifstream in(path);
    if (!in)
      throw std::runtime_error(path.string() + ": missing (a run of a composition that reads prototypes writes it; "
                               "runs from before distdiff 0.2 do not)");
    const auto records = detail::csv_records(in);
    if (records.empty() || records.front().second != "kind,label,class,group,x,y,cx,cy")
      throw std::runtime_error(path.string() +
                               ": not a prototype map (expected the header kind,label,class,group,x,y,cx,cy)");
    std::map<std::int64_t, ScatterSet> samples, groups;
    ScatterSet centre;
    centre.name = "class prototype";
    centre.marker = Marker::cross;
    centre.size = 3;
    centre.color = "#000000";
    std::int64_t k = 0;
    bool found = false;
    for (std::size_t i = 1; i < records.size(); ++i) {
      const std::string where = path.string() + " line " + std::to_string(records[i].first);
      const auto f = detail::csv_split(records[i].second, where);
      if (f.size() != 8) throw std::runtime_error(where + ": " + std::to_string(f.size()) + " fields, expected 8");
      if (class_name.empty()) class_name = f[2];
      if (f[2] != class_name) continue;
      found = true;
      const auto g = detail::parse_number<std::int64_t>(f[3], where, "group");
      // The class's own plane (cx, cy), where its groups spread out.
      const auto x = detail::parse_number<double>(f[6], where, "cx"), y = detail::parse_number<double>(f[7], where, "cy");
      const auto color = g >= 0 ? detail::palette()[std::size_t(g) % detail::palette().size()] : std::string("#555555");
      if (f[0] == "sample") {
        auto& set = samples[g];
        set.color = color;
        set.x.push_back(x);
        set.y.push_back(y);
      } else if (f[0] == "class") {
        centre.x.push_back(x);
        centre.y.push_back(y);
      } else if (f[0] == "group") {
        auto& set = groups[g];
        set.name = g == 0 ? "group prototypes" : "";
        set.marker = Marker::star;
        set.size = 3;
        set.color = color;
        set.x.push_back(x);
        set.y.push_back(y);
        k = std::max(k, g + 1);
      } else {
        throw std::runtime_error(where + ": unknown kind '" + f[0] + "' (sample, class or group)");
      }
    }
    if (!found) throw std::runtime_error(path.string() + ": no class '" + class_name + "'");
    Panel p;
    p.k = k;
    p.panel.title = k ? "K = " + std::to_string(k) : run.filename().string() + " (no group prototypes)";
    p.panel.x_label = "PC 1 of the class";
    p.panel.y_label = "PC 2 of the class";
    for (auto& [g, set] : samples) {
      set.name = g == samples.begin()->first ? "samples" : "";
      p.panel.sets.push_back(set);
    }
    p.panel.sets.push_back(centre);
    for (auto& [g, set] : groups) p.panel.sets.push_back(set);
    panels.push_back(std::move(p));
  }
  std::stable_sort(panels.begin(), panels.end(), [](const Panel& a, const Panel& b) { return a.k < b.k; });
  ScatterFigure fig;
  fig.title = "Group prototypes and samples of '" + class_name + "' (the class's first two principal components)";
  for (auto& p : panels) fig.panels.push_back(std::move(p.panel));
  return fig;
}

}  // namespace distdiff::io
