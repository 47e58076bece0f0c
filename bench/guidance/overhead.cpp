// Guidance overhead: the time of a plain img2img sample and of the same sample
// with DistDiff guidance, and their ratio, measured in one run with Google
// Benchmark. The repetitions of the two variants are randomly interleaved
// (--benchmark_enable_random_interleaving, on unless given), so load that
// comes and goes on a shared machine falls on both alike; the summary gives
// each variant's median with its quartiles and the ratio of the medians with
// the range the quartiles allow.
//
//   ./build/bin/bench_guidance_overhead                      # tiny architectures, 64x64, 15 repetitions
//   ./build/bin/bench_guidance_overhead --repeats 11 --threads 1
//   ./build/bin/bench_guidance_overhead --full --image-size 128 --steps 10
//   ./build/bin/bench_guidance_overhead --full --image-size 512 --device cuda --dtype fp16
// Google Benchmark's own flags (--benchmark_format=json, --benchmark_out=FILE, ...) pass through.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "distdiff/distdiff.hpp"

namespace {

// Collects the time of every repetition, per benchmark name, while printing as usual.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs)
      if (r.run_type == Run::RT_Iteration && r.iterations > 0)
        seconds[r.run_name.function_name].push_back(r.real_accumulated_time / double(r.iterations));
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, std::vector<double>> seconds;
};

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace distdiff;
  // Random interleaving on unless the command line says otherwise.
  std::vector<char*> args(argv, argv + argc);
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  if (std::none_of(args.begin(), args.end(), [](const char* a) {
        return std::string(a).rfind("--benchmark_enable_random_interleaving", 0) == 0;
      }))
    args.insert(args.begin() + 1, interleave.data());
  int bargc = static_cast<int>(args.size());
  benchmark::Initialize(&bargc, args.data());

  CLI::App app{"DistDiff guidance overhead benchmark (plain img2img vs DistDiff guided, interleaved)"};
  bool full = false;
  std::int64_t image_size = 64, steps = 50, batch = 1, repeats = 15;
  std::string device = "cpu", dtype = "fp32";
  int threads = 0;
  app.add_flag("--full", full, "full SD v1-4 + CLIP ViT-B/32 architectures (random weights, same FLOPs)");
  app.add_option("--image-size", image_size)->capture_default_str();
  app.add_option("--steps", steps, "DDIM steps")->capture_default_str();
  app.add_option("--batch", batch)->capture_default_str();
  app.add_option("--repeats", repeats, "repetitions of each variant")->capture_default_str()->check(CLI::Range(2, 1000));
  app.add_option("--device", device)->capture_default_str();
  app.add_option("--dtype", dtype)->capture_default_str();
  app.add_option("--threads", threads);
  CLI11_PARSE(app, bargc, args.data());
  set_cpu_threads(threads);
  const auto rt = parse_runtime(device, dtype);
  const auto t_build = std::chrono::steady_clock::now();
  const auto cfgs = full ? models::ModelConfigs::sd_v1_4() : models::ModelConfigs{};
  const auto models = models::tiny_random_models(rt, 0, cfgs);
  std::printf("models: %s architectures, random weights, built in %.1f s; %s %s, %s\n",
              full ? "SD v1-4 + CLIP ViT-B/32" : "tiny",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t_build).count(),
              rt.device.str().c_str(), c10::toString(rt.dtype), describe_cpu_threads().c_str());

  GuidanceConfig g;
  g.num_inference_steps = steps;
  g.measure_energy = false;
  Prototypes protos;
  const auto D = models.features.feature_dim();
  namespace F = torch::nn::functional;
  protos.class_level = F::normalize(torch::randn({2, D}), F::NormalizeFuncOptions().dim(1));
  protos.group_level = F::normalize(torch::randn({2, 3, D}), F::NormalizeFuncOptions().dim(2));
  Paper guided;
  guided.schedule.m = std::min<std::int64_t>(30, steps * 6 / 10);
  GuidedSampler with(guided, models, protos, g);
  GuidedSampler without(PlainImg2Img{}, models, protos, g);
  GuidedBatch b;
  b.images = torch::rand({batch, 3, image_size, image_size}) * 2 - 1;
  b.labels = torch::zeros({batch}, torch::kLong);
  b.prompts.assign(std::size_t(batch), "a photo of a circle.");
  auto sync = [&] {
    if (rt.device.is_cuda()) torch::cuda::synchronize();
  };
  // Warm-up outside the timed repetitions (allocator, first-call dispatch).
  without.run(b);
  with.run(b);
  sync();

  auto add = [&](const char* name, auto& sampler) {
    benchmark::RegisterBenchmark(name, [&](benchmark::State& st) {
      for (auto _ : st) {
        benchmark::DoNotOptimize(sampler.run(b).images);
        sync();
      }
    })->Iterations(1)->Repetitions(static_cast<int>(repeats))->UseRealTime()->Unit(benchmark::kMillisecond);
  };
  add("plain_img2img", without);
  add("distdiff_guided", with);
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const auto& plain = reporter.seconds["plain_img2img"];
  const auto& dist = reporter.seconds["distdiff_guided"];
  if (plain.size() < 2 || dist.size() < 2) {
    std::fprintf(stderr, "not enough repetitions ran (a --benchmark_filter left a variant out?)\n");
    return 1;
  }
  std::printf("\nimage %lldx%lld, %lld DDIM steps (strength 0.9), batch %lld, M=%lld look-ahead 2, %zu repetitions each, interleaved\n",
              (long long)image_size, (long long)image_size, (long long)steps, (long long)batch,
              (long long)guided.schedule.m, plain.size());
  auto row = [&](const char* name, const std::vector<double>& v) {
    std::printf("%-16s: median %8.3f s/batch  [q25 %.3f, q75 %.3f, min %.3f, max %.3f]  %7.3f images/s\n", name,
                quantile(v, 0.5), quantile(v, 0.25), quantile(v, 0.75), quantile(v, 0.0), quantile(v, 1.0),
                double(batch) / quantile(v, 0.5));
  };
  row("plain img2img", plain);
  row("DistDiff guided", dist);
  std::printf("guidance overhead ratio (guided / plain, medians): %.3f  [quartile range %.3f .. %.3f]\n",
              quantile(dist, 0.5) / quantile(plain, 0.5), quantile(dist, 0.25) / quantile(plain, 0.75),
              quantile(dist, 0.75) / quantile(plain, 0.25));
  return 0;
}
