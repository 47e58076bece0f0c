#pragma once
// The record of a pretraining run in its output folder:
//   training_log.txt  human-readable: command line, seed, versions, settings,
//                     per-epoch losses, timings, evaluation results (appended)
//   losses.csv        stage,step,steps,epoch,loss,lr,seconds: the logged loss
//                     curve points; a stage trained again replaces its rows
//   losses.svg        one panel per stage (io/plot.hpp), drawn from losses.csv
//
//   distdiff::pretrain::TrainingLog log("models/small_world");
//   log.line("seed 0");
//   log.replace_stage_curve("clip", report.curve);
//   log.render_svg();
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/detail/atomic_write.hpp"
#include "distdiff/io/plot.hpp"
#include "distdiff/pretrain/training_loop.hpp"

namespace distdiff::pretrain {

// One-line progress report: "unet  step 1200/6000  epoch 3/15  loss 0.0812  lr 4.1e-04  412 samples/s  ETA 11m40s".
inline std::string format_step(const StepLog& s) {
  auto dur = [](double sec) {
    char b[32];
    const long long t = sec < 0 ? 0 : static_cast<long long>(sec + 0.5);
    if (t >= 3600) std::snprintf(b, sizeof b, "%lldh%02lldm", t / 3600, (t % 3600) / 60);
    else if (t >= 60) std::snprintf(b, sizeof b, "%lldm%02llds", t / 60, t % 60);
    else std::snprintf(b, sizeof b, "%llds", t);
    return std::string(b);
  };
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-5s step %lld/%lld  epoch %lld/%lld  loss %.5f  lr %.2e  %.0f samples/s  elapsed %s  ETA %s",
                s.stage.c_str(), (long long)s.step, (long long)s.steps, (long long)s.epoch, (long long)s.epochs,
                s.loss, s.lr, s.samples_per_second, dur(s.seconds).c_str(), dur(s.eta_seconds).c_str());
  return buf;
}

class TrainingLog {
 public:
  explicit TrainingLog(std::filesystem::path dir) : dir_(std::move(dir)) { std::filesystem::create_directories(dir_); }

  std::filesystem::path text_path() const { return dir_ / "training_log.txt"; }
  std::filesystem::path csv_path() const { return dir_ / "losses.csv"; }
  std::filesystem::path svg_path() const { return dir_ / "losses.svg"; }

  // Appends one line to training_log.txt.
  void line(const std::string& text) const {
    std::ofstream out(text_path(), std::ios::app);
    if (!out) throw std::runtime_error("TrainingLog: cannot append to " + text_path().string());
    out << text << "\n";
  }

  // Replaces the rows of `stage` in losses.csv by `curve`.
  void replace_stage_curve(const std::string& stage, const std::vector<StepLog>& curve) const {
    std::vector<std::string> keep;
    {
      std::ifstream in(csv_path());
      std::string row;
      bool header = true;
      while (std::getline(in, row)) {
        if (header) {
          header = false;
          continue;
        }
        if (row.rfind(stage + ",", 0) != 0 && !row.empty()) keep.push_back(row);
      }
    }
    std::ostringstream o;
    o << "stage,step,steps,epoch,loss,lr,seconds\n";
    for (const auto& r : keep) o << r << "\n";
    char buf[256];
    for (const auto& s : curve) {
      std::snprintf(buf, sizeof buf, "%s,%lld,%lld,%lld,%.8g,%.6g,%.3f\n", s.stage.c_str(), (long long)s.step,
                    (long long)s.steps, (long long)s.epoch, s.loss, s.lr, s.seconds);
      o << buf;
    }
    distdiff::detail::write_file_atomic(csv_path(), o.str(), "TrainingLog");
  }

  // losses.svg: one panel per stage found in losses.csv (in the order clip, vae, unet, others).
  void render_svg() const {
    std::map<std::string, io::Series> series;
    std::ifstream in(csv_path());
    std::string row;
    bool header = true;
    while (std::getline(in, row)) {
      if (header) {
        header = false;
        continue;
      }
      std::vector<std::string> f;
      std::stringstream ss(row);
      for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
      if (f.size() < 5) continue;
      auto& s = series[f[0]];
      s.name = f[0];
      s.x.push_back(std::stod(f[1]));
      s.y.push_back(std::stod(f[4]));
    }
    std::vector<std::string> order;
    for (const char* k : {"clip", "vae", "unet"})
      if (series.count(k)) order.push_back(k);
    for (const auto& [k, v] : series)
      if (std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
    const std::map<std::string, std::string> titles{
        {"clip", "CLIP: symmetric InfoNCE"}, {"vae", "VAE: reconstruction + KL"}, {"unet", "UNet: epsilon MSE"}};
    const int w = 720, h = 300;
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w
      << "\" height=\"" << h * int(std::max<std::size_t>(1, order.size())) << "\">\n";
    for (std::size_t i = 0; i < order.size(); ++i) {
      io::LinePlot p;
      p.title = titles.count(order[i]) ? titles.at(order[i]) : order[i];
      p.x_label = "step";
      p.y_label = "loss";
      p.width = w;
      p.height = h;
      p.markers = false;
      p.series.push_back(series.at(order[i]));
      std::string svg = io::render_svg(p);
      if (svg.rfind("<?xml", 0) == 0) svg = svg.substr(svg.find('\n') + 1);
      svg.replace(0, 4, "<svg x=\"0\" y=\"" + std::to_string(int(i) * h) + "\"");
      o << svg;
    }
    o << "</svg>\n";
    distdiff::detail::write_file_atomic(svg_path(), o.str(), "TrainingLog");
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace distdiff::pretrain
