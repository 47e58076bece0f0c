// Guidance overhead: the time of a plain img2img sample and of the same sample
// with DistDiff guidance, and their ratio, measured in one run (ratios are
// robust on shared machines; absolute times are not).
//
//   ./build/bin/bench_guidance_overhead                 # tiny architectures, 64x64
//   ./build/bin/bench_guidance_overhead --full --image-size 128 --steps 10
//   ./build/bin/bench_guidance_overhead --full --image-size 512 --device cuda --dtype fp16
#include <chrono>
#include <cstdio>

#include "distdiff/distdiff.hpp"

int main(int argc, char** argv) {
  using namespace distdiff;
  CLI::App app{"DistDiff guidance overhead benchmark"};
  bool full = false;
  std::int64_t image_size = 64, steps = 50, batch = 1, repeats = 3;
  std::string device = "cpu", dtype = "fp32";
  int threads = 0;
  app.add_flag("--full", full, "full SD v1-4 + CLIP ViT-B/32 architectures (random weights, same FLOPs)");
  app.add_option("--image-size", image_size)->capture_default_str();
  app.add_option("--steps", steps, "DDIM steps")->capture_default_str();
  app.add_option("--batch", batch)->capture_default_str();
  app.add_option("--repeats", repeats)->capture_default_str();
  app.add_option("--device", device)->capture_default_str();
  app.add_option("--dtype", dtype)->capture_default_str();
  app.add_option("--threads", threads);
  CLI11_PARSE(app, argc, argv);
  set_cpu_threads(threads);
  const auto rt = parse_runtime(device, dtype);
  const auto t_build = std::chrono::steady_clock::now();
  const auto cfgs = full ? models::ModelConfigs::sd_v1_4() : models::ModelConfigs{};
  const auto models = models::tiny_random_models(rt, 0, cfgs);
  std::printf("models: %s architectures, random weights, built in %.1f s; %s %s, %d threads\n",
              full ? "SD v1-4 + CLIP ViT-B/32" : "tiny", 
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t_build).count(),
              rt.device.str().c_str(), c10::toString(rt.dtype), at::get_num_threads());

  GuidanceConfig g;
  g.num_inference_steps = steps;
  g.measure_energy = false;
  Prototypes protos;
  const auto D = models.features.feature_dim();
  protos.class_level = torch::nn::functional::normalize(torch::randn({2, D}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  protos.group_level = torch::nn::functional::normalize(torch::randn({2, 3, D}), torch::nn::functional::NormalizeFuncOptions().dim(2));
  Paper guided;
  guided.schedule.m = std::min<std::int64_t>(30, steps * 6 / 10);
  GuidedSampler with(guided, models, protos, g);
  GuidedSampler without(PlainImg2Img{}, models, protos, g);
  GuidedBatch b;
  b.images = torch::rand({batch, 3, image_size, image_size}) * 2 - 1;
  b.labels = torch::zeros({batch}, torch::kLong);
  b.prompts.assign(std::size_t(batch), "a photo of a circle.");
  auto time = [&](auto& sampler) {
    sampler.run(b);  // warm-up
    if (rt.device.is_cuda()) torch::cuda::synchronize();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::int64_t r = 0; r < repeats; ++r) sampler.run(b);
    if (rt.device.is_cuda()) torch::cuda::synchronize();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / double(repeats);
  };
  const double plain = time(without);
  const double dist = time(with);
  std::printf("image %lldx%lld, %lld DDIM steps (strength 0.9), batch %lld, M=%lld look-ahead 2\n",
              (long long)image_size, (long long)image_size, (long long)steps, (long long)batch, (long long)guided.schedule.m);
  std::printf("plain img2img   : %8.3f s/batch  %7.3f images/s\n", plain, double(batch) / plain);
  std::printf("DistDiff guided : %8.3f s/batch  %7.3f images/s\n", dist, double(batch) / dist);
  std::printf("guidance overhead ratio (guided / plain): %.3f\n", dist / plain);
  return 0;
}
