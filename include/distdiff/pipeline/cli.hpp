#pragma once
// expand_main — the command-line tool behind every experiment .cpp:
//
//     int main(int argc, char** argv) {
//       return distdiff::expand_main(argc, argv, distdiff::paper(), "DistDiff (paper defaults)");
//     }
//
// compare_main — several compositions (of different types) in one binary,
// every variant run with identical seeds, augmentations and noise per image
// into <out>/<variant>/ (`--variant NAME` runs one, `--list` names them):
//
//     return distdiff::compare_main(argc, argv, "Prototype strategies",
//                                   distdiff::variant("paper", distdiff::paper()),
//                                   distdiff::variant("kmeans", distdiff::Preset<distdiff::KMeansPrototypes>{}));
//
// The command line's numbers go to the component that reads them: --K to the
// group strategy, --M and --lookahead to the schedule, --rho to the update
// rule, --eps to the transform. A number the composition cannot take is an
// error, never dropped.
//
// Without --sd/--clip it runs the real architectures at tiny sizes with random
// weights on a procedural dataset (the quickstart); with them it is the real
// tool. `--help` lists every option.
#include <CLI/CLI.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/transform.hpp>
#include <boost/hana/tuple.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <functional>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "distdiff/composition/bind.hpp"
#include "distdiff/composition/named.hpp"
#include "distdiff/core/threads.hpp"
#include "distdiff/data/any.hpp"
#include "distdiff/eval/zero_shot.hpp"
#include "distdiff/models/clip/clip_model.hpp"
#include "distdiff/models/clip/io.hpp"
#include "distdiff/models/small_world.hpp"
#include "distdiff/models/stable_diffusion.hpp"
#include "distdiff/pipeline/dataset_options.hpp"
#include "distdiff/pipeline/expand.hpp"

namespace distdiff {

// --device: auto | cpu | cuda | cuda:N. Without an index, a process with a
// node-local rank (mpirun, torchrun, srun: pipeline/shard.hpp) takes
// cuda:<local rank mod visible GPUs>, so the ranks of one node share its GPUs.
inline RuntimeOptions parse_runtime(const std::string& device, const std::string& dtype, std::int64_t local_rank = -1) {
  RuntimeOptions rt = device == "auto" ? RuntimeOptions::best_available() : RuntimeOptions{};
  const bool indexed = device.rfind("cuda:", 0) == 0;
  if (device == "cuda" || indexed) {
    if (!torch::cuda::is_available())
      throw std::invalid_argument("--device " + device + ": this LibTorch has no CUDA or no GPU is visible");
    std::int64_t index = 0;
    if (indexed) {
      const auto text = device.substr(5);
      if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
        throw std::invalid_argument("--device " + device + ": expected cuda:<GPU number>");
      index = std::stoll(text);
      if (index >= std::int64_t(torch::cuda::device_count()))
        throw std::invalid_argument("--device " + device + ": only " + std::to_string(torch::cuda::device_count()) +
                                    " GPU(s) are visible");
    }
    rt.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
    rt.dtype = torch::kFloat16;
  } else if (device != "cpu" && device != "auto") {
    throw std::invalid_argument("--device must be auto, cpu, cuda or cuda:N");
  }
  if (!indexed && rt.device.is_cuda() && local_rank >= 0)
    rt.device = torch::Device(torch::kCUDA,
                              static_cast<c10::DeviceIndex>(local_rank % std::int64_t(torch::cuda::device_count())));
  if (dtype == "fp32") rt.dtype = torch::kFloat32;
  else if (dtype == "bf16") rt.dtype = torch::kBFloat16;
  else if (dtype == "fp16") {
    if (rt.device.is_cpu()) throw std::invalid_argument("--dtype fp16 needs CUDA (CPU lacks Half kernels): use fp32 or bf16");
    rt.dtype = torch::kFloat16;
  } else if (dtype != "auto") throw std::invalid_argument("--dtype must be auto, fp32, bf16 or fp16");
  return rt;
}

// CLIP text embeddings (text tower + projection) of one prompt per class, from
// the CLIPModel in clip_dir (its tokenizer files beside it), or a random tiny
// CLIP when clip_dir is empty.
inline torch::Tensor class_text_embeddings(const std::vector<std::string>& prompts,
                                           const std::filesystem::path& clip_dir, const RuntimeOptions& rt,
                                           std::int64_t feature_dim, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  models::ClipModel clip{nullptr};
  models::ClipTokenizer tok;
  if (clip_dir.empty()) {
    auto cfg = models::ClipModelConfig::tiny();
    cfg.projection_dim = feature_dim;
    clip = models::ClipModel(cfg);
    models::init_clip_weights(*clip, seed + 4);
    tok = models::byte_level_tokenizer();
  } else {
    clip = models::load_clip_model(clip_dir, rt);
    tok = models::ClipTokenizer::from_dir(clip_dir);
  }
  clip->to(rt.device, models::clip_compute_dtype(rt));
  return clip->text_embeds(tok.batch_encode(prompts).to(rt.device)).to(torch::kFloat32);
}

// Class text features for zero-shot energy terms (GIF-SD): "This is a photo of a {class}".
template <class Features>
torch::Tensor class_text_features(const std::vector<std::string>& classes, const std::filesystem::path& clip_dir,
                                  const RuntimeOptions& rt, std::int64_t feature_dim, std::uint64_t seed) {
  std::vector<std::string> prompts;
  for (const auto& c : classes) prompts.push_back(format_prompt("This is a photo of a {}", c));
  return class_text_embeddings(prompts, clip_dir, rt, feature_dim, seed);
}

// One run of a sweep over one composition type: a name (its output
// subfolder) and a change to the method.
template <class Method>
struct Variant {
  std::string name;
  std::function<void(Method&)> apply;
};

// One named, configured composition of a multi-type comparison.
template <class Method>
struct NamedPreset {
  std::string name;
  Preset<Method> preset;
  std::function<void(Method&)> apply = {};   // applied after the command line's numbers
};

template <class Method>
NamedPreset<Method> variant(std::string name, Preset<Method> preset, std::function<void(Method&)> apply = {}) {
  return {std::move(name), std::move(preset), std::move(apply)};
}

namespace detail {

// The options every expansion tool shares.
struct ExpandCli {
  std::filesystem::path sd_dir, clip_dir;
  DatasetChoice data_choice;
  ExpandConfig cfg;
  GuidanceConfig guidance;
  std::string device = "auto", dtype = "auto";
  int threads = 0;
  std::optional<std::int64_t> k, lookahead;
  std::optional<std::string> m;
  std::optional<double> rho, eps;
  bool fresh = false, tiny_random = false, no_agreement = false, list = false;
  std::vector<std::string> variants;
  std::string shard = "auto";     // i/n, or auto: the launcher's (pipeline/shard.hpp)
  std::string spread = "images";  // what the shards split: images (units of each run) or variants
};

inline void add_expand_options(CLI::App& app, ExpandCli& o, bool with_variants) {
  auto& cfg = o.cfg;
  auto& g = o.guidance;
  cfg.output_dir = "out";
  app.add_option("--sd", o.sd_dir, "diffusers Stable Diffusion v1-4 folder (unet/, vae/, text_encoder/, tokenizer/); "
                                   "default: the shipped small world's (models/small_world/sd)");
  app.add_option("--clip", o.clip_dir, "transformers CLIP folder (config.json, model.safetensors); "
                                       "default: the shipped small world's (models/small_world/clip)");
  app.add_flag("--tiny-random", o.tiny_random,
               "SD v1-4 / CLIP architectures at tiny sizes with RANDOM weights (tests, smoke runs; default "
               "dataset: shapes)");
  add_dataset_options(app, o.data_choice,
                      "default: fashion_mnist's target pool, 2 per class; shapes with --tiny-random");
  app.add_option("--out", cfg.output_dir, with_variants ? "output folder (one subfolder per variant)" : "output folder")
      ->capture_default_str();
  app.add_option("--factor", cfg.expansion_factor, "generated images per seed image")->capture_default_str();
  app.add_option("--batch-size", cfg.batch_size, "images per guided batch")->capture_default_str();
  app.add_option("--image-size", cfg.image_size, "generation size (default: the models' native size, SD v1-4 512, "
                                                 "the small world 32; 32 with --tiny-random)");
  app.add_option("--max-seeds", cfg.max_seed_images, "expand only the first N images");
  app.add_option("--seed", cfg.seed, "random seed of the run")->capture_default_str();
  app.add_option("--grid", cfg.grid_seeds, "rows of grid.png (0: none)")->capture_default_str();
  app.add_flag("--no-seed-augment", [&cfg](std::int64_t) { cfg.augment_seed = false; }, "no rotation/flip of the seed image");
  app.add_flag("--fresh", o.fresh, "refuse to resume an existing run in --out");
  app.add_flag("--no-class-agreement", o.no_agreement, "skip the zero-shot class agreement of the summary");
  app.add_option("--steps", g.num_inference_steps, "DDIM steps")->capture_default_str();
  app.add_option("--strength", g.strength, "img2img strength")->capture_default_str();
  app.add_option("--scale", g.guidance_scale, "classifier-free guidance scale")->capture_default_str();
  app.add_option("--iterations", g.iterations, "optimisation iterations per guided step")->capture_default_str();
  app.add_option("--rho", o.rho, "step size ρ of the update rule (default: the rule's; signed step 0.1)");
  app.add_option("--eps", o.eps, "radius ε of the transform's ball (default: the transform's; 0.8)");
  app.add_option("--K", o.k, "group prototypes per class (the group strategy's K)");
  app.add_option("--M", o.m, "optimisation step(s): M for single-step schedules, e.g. 30; a list for "
                             "multi-step ones, e.g. 30,31 (consecutive) or 30,15,0 (spread)");
  app.add_option("--lookahead", o.lookahead, "look-ahead DDIM steps L of the guided step (the schedule's)");
  app.add_option("--device", o.device, "auto | cpu | cuda")->capture_default_str();
  app.add_option("--dtype", o.dtype, "auto | fp32 | bf16 | fp16")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (default: DISTDIFF_NUM_THREADS or all cores)");
  app.add_option("--shard", o.shard,
                 "this process' shard i/n of the work (auto: from mpirun, srun, a Slurm job array or "
                 "RANK/WORLD_SIZE; none found: all of it)")
      ->capture_default_str();
  if (with_variants) {
    app.add_option("--spread", o.spread,
                   "what the shards split: images (every variant's images, shared) or variants (each shard runs "
                   "whole variants: variant j on shard j mod n)")
        ->check(CLI::IsMember({"images", "variants"}))
        ->capture_default_str();
    app.add_option("--variant", o.variants, "run only this variant (repeat for several; default: all)");
    app.add_flag("--list", o.list, "print the variants' names, one per line, and exit");
  }
}

inline std::vector<std::int64_t> parse_step_list(const std::string& text) {
  std::vector<std::int64_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      std::size_t used = 0;
      out.push_back(std::stoll(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw std::invalid_argument("--M: '" + text + "' is not a comma-separated list of DDIM indices");
    }
  }
  if (out.empty()) throw std::invalid_argument("--M: no step given");
  return out;
}

// Applies the command line's component numbers to one composition. Returns the
// (slot, member) pairs it set, so a variant that changes one of them again is
// caught. `why_not` collects, per flag, why this composition cannot take it.
template <class Method>
std::vector<std::pair<std::string, std::string>> apply_cli_numbers(Method& method, const ExpandCli& o,
                                                                   std::vector<std::string>& why_not) {
  std::vector<std::pair<std::string, std::string>> set;
  const std::string who = "'" + std::string(Method::label) + "'";
  // Without a guided step (plain img2img) no prototype, transform or update is used.
  if (method.schedule.steps().empty()) {
    for (const auto& [given, flag] : {std::pair{bool(o.k), "--K"}, std::pair{bool(o.rho), "--rho"},
                                      std::pair{bool(o.eps), "--eps"}, std::pair{bool(o.m), "--M"},
                                      std::pair{bool(o.lookahead), "--lookahead"}})
      if (given) why_not.push_back(std::string(flag) + ": " + who + " guides no step (schedule " + method.schedule.name() + ")");
    return set;
  }
  if (o.k) {
    if constexpr (requires { method.group_prototypes.k; }) {
      if constexpr (Method::energy_type::reads_group_prototypes) {
        method.group_prototypes.k = *o.k;
        set.emplace_back("group_prototypes", "k");
      } else {
        why_not.push_back("--K: " + who + " reads no group prototypes (energy " + method.energy.name() + ")");
      }
    } else {
      why_not.push_back("--K: the group strategy '" + method.group_prototypes.name() + "' of " + who + " has no K");
    }
  }
  if (o.m) {
    if constexpr (requires { method.schedule.set_steps(std::vector<std::int64_t>{}); }) {
      method.schedule.set_steps(parse_step_list(*o.m));
      set.emplace_back("schedule", "*");
    } else {
      why_not.push_back("--M: the schedule '" + method.schedule.name() + "' of " + who + " has no optimisation step");
    }
  }
  if (o.lookahead) {
    if constexpr (requires { method.schedule.look_ahead; }) {
      method.schedule.look_ahead = *o.lookahead;
      set.emplace_back("schedule", "look_ahead");
    } else {
      why_not.push_back("--lookahead: the schedule '" + method.schedule.name() + "' of " + who + " has no look-ahead");
    }
  }
  if (o.rho) {
    if constexpr (Method::energy_type::size == 0) {
      why_not.push_back("--rho: " + who + " optimises nothing (its energy has no term)");
    } else if constexpr (requires { method.update.rho; }) {
      method.update.rho = *o.rho;
      set.emplace_back("update", "rho");
    } else {
      why_not.push_back("--rho: the update rule '" + method.update.name() + "' of " + who + " has no step size");
    }
  }
  if (o.eps) {
    if constexpr (requires { method.transform.epsilon; }) {
      method.transform.epsilon = *o.eps;
      set.emplace_back("transform", "epsilon");
    } else {
      why_not.push_back("--eps: the transform '" + method.transform.name() + "' of " + who + " has no epsilon");
    }
  }
  return set;
}

// A variant's own change must not overwrite a number given on the command line.
template <class Method>
void check_variant_keeps(const Method& before, const Method& after,
                         const std::vector<std::pair<std::string, std::string>>& cli_set, const std::string& variant) {
  const auto b = before.params(), a = after.params();
  for (const auto& [slot, key] : cli_set) {
    const bool changed = key == "*" ? b[slot] != a[slot] : b[slot]["params"][key] != a[slot]["params"][key];
    if (changed)
      throw std::invalid_argument("variant '" + variant + "' sets the " + slot + " number that the command line gave (" +
                                  slot + (key == "*" ? std::string() : "." + key) +
                                  "); drop the flag or run another variant");
  }
}

// Few seed images per class: K groups need K images per class.
template <class Method>
void fit_k_to_small_seed_sets(Method& method, const ExpandCli& o, bool real) {
  if constexpr (requires { method.group_prototypes.k; }) {
    if constexpr (Method::energy_type::reads_group_prototypes) {
      const auto& d = o.data_choice;
      if (method.schedule.steps().empty()) return;  // plain img2img reads no prototypes
      if (o.k || !((!real && d.kind == "shapes") || (d.shots > 0 && d.shots < 3))) return;
      const std::int64_t small_k = d.shots > 0 ? std::min<std::int64_t>(2, d.shots) : 2;
      if (method.group_prototypes.k > small_k) {
        std::cerr << "  K = " << small_k << " group prototypes per class for " << Method::label
                  << " (the seed set has " << (d.shots > 0 ? std::to_string(d.shots) : std::string("few"))
                  << " images per class; --K to change)\n";
        method.group_prototypes.k = small_k;
      }
    }
  }
}

}  // namespace detail

// The core of expand_main and compare_main: groups of variants, one group per
// composition type (a Boost.Hana tuple of std::vector<NamedPreset<M>>).
// `named` false: one unnamed run straight into --out.
template <class... Methods>
int run_variants_main(int argc, char** argv, const std::string& title,
                      boost::hana::tuple<std::vector<NamedPreset<Methods>>...> groups, bool named) {
  namespace hana = boost::hana;
  // Every composition is checked before any component is touched.
  (detail::report_composition<Methods>(), ...);
  if constexpr (!(detail::composition_valid<Methods> && ...)) {
    return 2;
  } else {
    CLI::App app{title + " — distribution-aware data expansion (distdiff)"};
    detail::ExpandCli o;
    // The help shows the first variant's sampler numbers; each variant keeps
    // its own preset's, except where the command line gives one.
    bool first_seen = false;
    hana::for_each(groups, [&](const auto& group) {
      if (!first_seen && !group.empty()) {
        o.guidance = group.front().preset.guidance;
        first_seen = true;
      }
    });
    add_expand_options(app, o, named);
    auto* merge_cmd = app.add_subcommand(
        "merge", "check that every shard of the run in --out finished (with the same settings) and write its "
                 "manifest.jsonl, manifest.csv, grid.png and run.json summary; give the run's dataset options");
    merge_cmd->fallthrough();
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return app.exit(e);
    }

    try {
      // Names, selection.
      std::vector<std::string> names;
      hana::for_each(groups, [&](const auto& group) {
        for (const auto& v : group) names.push_back(v.name);
      });
      for (std::size_t i = 0; i < names.size(); ++i)
        for (std::size_t j = i + 1; j < names.size(); ++j)
          if (names[i] == names[j]) throw std::logic_error("two variants are named '" + names[i] + "'");
      if (o.list) {
        for (const auto& n : names) std::printf("%s\n", n.c_str());
        return 0;
      }
      for (const auto& v : o.variants)
        if (std::find(names.begin(), names.end(), v) == names.end()) {
          std::string all;
          for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
          throw std::invalid_argument("--variant " + v + ": no such variant (" + all + "; --list prints them)");
        }
      auto selected = [&](const std::string& n) {
        return o.variants.empty() || std::find(o.variants.begin(), o.variants.end(), n) != o.variants.end();
      };

      set_cpu_threads(o.threads);
      std::cerr << "cpu: " << describe_cpu_threads() << "\n";
      const Shard launch = resolve_shard(o.shard);
      if (launch.sharded() || launch.source != "none") std::cerr << "launch: " << launch.describe() << "\n";
      // --spread variants: this shard runs whole variants (the j-th selected on shard j mod n), each unsplit.
      std::set<std::string> here;
      std::size_t position = 0;
      for (const auto& n : names)
        if (selected(n) && (o.spread != "variants" || *merge_cmd || launch.owns(std::int64_t(position++))))
          here.insert(n);
      auto on_this_shard = [&](const std::string& n) { return here.count(n) > 0; };
      auto& cfg = o.cfg;
      auto& sd_dir = o.sd_dir;
      auto& clip_dir = o.clip_dir;
      auto& data_choice = o.data_choice;
      if (o.tiny_random && (!sd_dir.empty() || !clip_dir.empty()))
        throw std::invalid_argument("--tiny-random uses no weights: drop --sd / --clip, or drop --tiny-random");
      if (!sd_dir.empty() != !clip_dir.empty())
        throw std::invalid_argument("give both --sd <stable diffusion folder> and --clip <clip folder>");
      if (!o.tiny_random && sd_dir.empty()) {
        const auto world = models::find_small_world();
        if (!world)
          throw std::invalid_argument(
              "no models: pass --sd and --clip (e.g. SD v1-4 and CLIP ViT-B/32 folders), or --tiny-random for "
              "random-weight tiny models; the shipped small world (models/small_world) was not found here "
              "(run from the distdiff folder or set DISTDIFF_SMALL_WORLD)");
        sd_dir = world->sd;
        clip_dir = world->clip;
        std::cerr << "models: the small world in " << world->root.string() << "\n";
      }
      const bool real = !o.tiny_random;
      resolve_dataset_alias(data_choice, std::cerr);
      if (app.count("--dataset") == 0) {   // the default workload
        data_choice.kind = o.tiny_random ? "shapes" : "fashion_mnist";
        if (!o.tiny_random) {
          if (app.count("--pool") == 0) data_choice.pool = "target";
          if (app.count("--shots") == 0) data_choice.shots = 2;
        }
      }
      const auto rt = parse_runtime(o.device, o.dtype, launch.local_rank);
      const DdimConfig scheduler_config = real ? models::load_scheduler_config(sd_dir) : DdimConfig{};

      // Every selected variant's composition, configured, before any model is loaded:
      // a flag that no selected composition can take fails here.
      std::vector<std::string> why_not;
      std::size_t n_selected = 0, n_taking_all = 0;
      auto configured = hana::transform(groups, [&](const auto& group) {
        using NP = typename std::remove_cvref_t<decltype(group)>::value_type;
        std::vector<NP> out;
        for (const auto& v : group) {
          if (!on_this_shard(v.name)) continue;
          NP c = v;
          std::vector<std::string> mine;
          const auto set = detail::apply_cli_numbers(c.preset.method, o, mine);
          // Before the variant's own change: a variant that sets K keeps it
          // (and K larger than a class is then one clear error).
          detail::fit_k_to_small_seed_sets(c.preset.method, o, real);
          if (c.apply) {
            const auto before = c.preset.method;
            c.apply(c.preset.method);
            detail::check_variant_keeps(before, c.preset.method, set, v.name);
          }
          if constexpr (requires(DdimConfig d) { c.preset.method.scheduler.configure(d); })
            if (real) c.preset.method.scheduler.configure(scheduler_config);
          // The sampler numbers given on the command line apply to every variant.
          auto& vg = c.preset.guidance;
          if (app.count("--steps")) vg.num_inference_steps = o.guidance.num_inference_steps;
          if (app.count("--strength")) vg.strength = o.guidance.strength;
          if (app.count("--scale")) vg.guidance_scale = o.guidance.guidance_scale;
          if (app.count("--iterations")) vg.iterations = o.guidance.iterations;
          ++n_selected;
          n_taking_all += mine.empty();
          for (auto& w : mine) why_not.push_back((named ? "variant " + v.name + ": " : std::string()) + w);
          out.push_back(std::move(c));
        }
        return out;
      });
      if (!why_not.empty()) {
        std::string all;
        for (const auto& w : why_not) all += "\n  " + w;
        if (n_taking_all == 0 || !named)
          throw std::invalid_argument("a command-line number that the composition cannot take:" + all);
        std::cerr << "note: not every variant takes every number given:" << all << "\n";
      }

      if (app.count("--image-size") == 0 && !real) cfg.image_size = 32;
      if (app.count("--batch-size") == 0 && !real) cfg.batch_size = cfg.expansion_factor;
      cfg.resume = !o.fresh;
      cfg.shard = o.spread == "variants" ? Shard{.local_rank = launch.local_rank} : launch;
      if (n_selected == 0) {
        std::printf("%s: no variant on this shard (%lld variants over %lld shards)\n", launch.describe().c_str(),
                    (long long)position, (long long)launch.count);
        return 0;
      }

      const auto t0 = std::chrono::steady_clock::now();
      auto data = open_seed_dataset(data_choice);
      std::cerr << title << "\n  dataset: " << data_choice.describe() << " (" << data.class_names().size()
                << " classes, " << data.size() << " images)\n";
      if (*merge_cmd) {  // no models: the shards' outputs only
        std::vector<std::string> folders;
        hana::for_each(configured, [&](const auto& group) {
          for (const auto& v : group) folders.push_back(v.name);
        });
        for (const auto& name : folders) {
          const auto dir = named ? cfg.output_dir / name : cfg.output_dir;
          const detail::FileLock lock(RunPaths{dir}.lock(), "merge");
          const auto r = merge_run(dir, data, cfg.grid_seeds);
          std::printf("merged %s: %lld images from %lld shard(s) into manifest.jsonl, manifest.csv%s, run.json\n",
                      dir.string().c_str(), (long long)r.images_present, (long long)r.shards,
                      cfg.grid_seeds > 0 ? ", grid.png" : "");
        }
        return 0;
      }
      auto models = real ? models::load_stable_diffusion(sd_dir, clip_dir, rt) : models::tiny_random_models(rt, cfg.seed);
      // The models' native size: the UNet's latent size times the VAE's downsampling (SD v1-4: 64 x 8 = 512).
      if (app.count("--image-size") == 0 && real)
        cfg.image_size = models.denoiser.config().sample_size * models.encoder.downsample_factor();
      // Batches: the reference's one image for full-size models; networks with a
      // small latent (the small world's 8x8) leave the CPU idle at one image per
      // batch (2x faster at 10 on 2 cores; the energies are per image, summed).
      if (app.count("--batch-size") == 0 && real && models.denoiser.config().sample_size <= 16)
        cfg.batch_size = 2 * cfg.expansion_factor;
      std::cerr << "  settings: x" << cfg.expansion_factor << ", " << cfg.image_size << "px, device "
                << rt.device.str() << " " << c10::toString(rt.dtype) << "\n";
      if (real) {
        cfg.extra_provenance = {{"sd", std::filesystem::absolute(sd_dir).string()},
                                {"clip", std::filesystem::absolute(clip_dir).string()},
                                {"data", data_choice.describe()}};
      } else {
        cfg.extra_provenance = {{"models", "tiny random (SD v1-4 / CLIP architectures, random weights)"},
                                {"data", data_choice.describe()}};
        std::cerr << "  models: SD v1-4 and CLIP ViT-B/32 architectures at tiny sizes with RANDOM weights.\n"
                     "          They exercise every code path but produce no meaningful pictures;\n"
                     "          pass --sd and --clip to use the published weights.\n";
      }

      // With real weights: how many generated images the CLIP of --clip still
      // assigns to their seed's class (zero-shot), next to the same share on the
      // seed images. Needs a full CLIPModel folder (text tower + tokenizer).
      torch::Tensor class_text, gif_text;
      ClassAgreement seed_agreement;
      if (real && !o.no_agreement) {
        try {
          std::vector<std::string> prompts;
          for (std::size_t k = 0; k < data.class_names().size(); ++k)
            prompts.push_back(data.prompt(static_cast<std::int64_t>(k)));
          class_text = class_text_embeddings(prompts, clip_dir, rt, models.features.feature_dim(), cfg.seed);
          seed_agreement = dataset_class_agreement(models.features, class_text, data, cfg.image_size,
                                                   cfg.max_seed_images >= 0 ? std::size_t(cfg.max_seed_images) : 0);
        } catch (const std::exception& e) {
          class_text = torch::Tensor();
          std::cerr << "  class agreement: not measured (" << e.what() << ")\n";
        }
      }

      auto run_one = [&](const auto& method, const GuidanceConfig& guidance, const std::string& name) {
        using Method = std::remove_cvref_t<decltype(method)>;
        ExpandConfig c = cfg;
        c.guidance = guidance;
        if (named) c.output_dir = cfg.output_dir / name;
        if constexpr (Method::energy_type::needs_text_features) {
          if (!gif_text.defined())
            gif_text = class_text_features<decltype(models.features)>(data.class_names(), clip_dir, rt,
                                                                      models.features.feature_dim(), cfg.seed);
          c.class_text_features = gif_text;
        }
        std::cerr << (named ? "\n== " + name + ": " : std::string("  composition: ")) << method.describe() << "\n"
                  << "  sampler: " << guidance.num_inference_steps << " DDIM steps, strength " << guidance.strength
                  << ", CFG " << guidance.guidance_scale << ", " << guidance.iterations << " iteration(s)\n";
        const auto t1 = std::chrono::steady_clock::now();
        const auto report = expand(method, models, data, c);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
        std::printf("\n%s%s: %lld images written to %s", std::string(Method::label).c_str(),
                    named ? (" [" + name + "]").c_str() : "", (long long)report.images_generated,
                    c.output_dir.string().c_str());
        if (report.images_skipped) std::printf(" (%lld already there, resumed)", (long long)report.images_skipped);
        std::printf("\n  time: %.1f s (prototypes %.1f s), %.2f generated images/s\n", secs, report.prototype_seconds,
                    report.images_generated
                        ? double(report.images_generated) / std::max(1e-9, report.seconds - report.prototype_seconds)
                        : 0.0);
        if (report.mean_energy_before) {
          const double b = *report.mean_energy_before, a = *report.mean_energy_after;
          std::printf("  energy before -> after the first guided step (mean over the generated images): %.4f -> "
                      "%.4f (%+.2f%%)\n",
                      b, a, b != 0 ? 100.0 * (a - b) / std::abs(b) : 0.0);
        }
        if (!report.merged) {
          std::printf("  %s: its images are done; the last shard to finish writes the run's manifest.jsonl, "
                      "manifest.csv and grid.png (or: the same command with `merge`)\n",
                      c.shard.describe().c_str());
          return;
        }
        if (class_text.defined()) {
          const auto gen = generated_class_agreement(models.features, class_text, c.output_dir, data.class_names(),
                                                     c.image_size);
          std::printf("  class agreement (zero-shot, --clip's text tower on the dataset's prompts): %.1f%% of %lld "
                      "generated images keep their seed image's class (seed images: %.1f%% of %lld)\n",
                      100.0 * gen.share(), (long long)gen.images, 100.0 * seed_agreement.share(),
                      (long long)seed_agreement.images);
        }
        if (report.images_nonfinite_total)
          std::printf("  guidance: %lld images met a NaN or an infinity and kept the unguided latent of that step "
                      "(manifest field \"nonfinite\")\n",
                      (long long)report.images_nonfinite_total);
        std::printf("  outputs: %s/<class>/<seed>_<i>.png, manifest.jsonl, manifest.csv, run.json%s\n",
                    c.output_dir.string().c_str(), c.grid_seeds > 0 ? ", grid.png" : "");
      };
      hana::for_each(configured, [&](const auto& group) {
        for (const auto& v : group) run_one(v.preset.method, v.preset.guidance, v.name);
      });
      if (named && n_selected > 1)
        std::printf("\npaired comparison: build/bin/compare %s/<variant> ... --out <folder>\n",
                    cfg.output_dir.string().c_str());
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("total time: %.1f s\n", secs);
      if (!real) std::printf("  note: random weights — the images are not meaningful pictures.\n");
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 1;
    }
  }
}

// One composition; with runtime variants (the paper's Tables 4-6 vary M, K and
// the step list), every variant runs in turn into <out>/<variant name>/, and
// `--variant` / `--list` select and name them.
template <class Method>
int expand_main(int argc, char** argv, Preset<Method> preset, const std::string& title,
                const std::vector<Variant<Method>>& variants = {}) {
  std::vector<NamedPreset<Method>> group;
  if (variants.empty()) {
    group.push_back({"", preset, {}});
  } else {
    for (const auto& v : variants) group.push_back({v.name, preset, v.apply});
  }
  return run_variants_main(argc, argv, title, boost::hana::make_tuple(std::move(group)), !variants.empty());
}

// Several compositions, possibly of different types, in one binary: each
// variant(name, preset) runs into <out>/<name>/ with identical seeds,
// augmentations and per-image noise, so their outputs pair image by image
// (the compare tool reads them).
template <class... Methods>
int compare_main(int argc, char** argv, const std::string& title, NamedPreset<Methods>... variants) {
  return run_variants_main(argc, argv, title,
                           boost::hana::make_tuple(std::vector<NamedPreset<Methods>>{std::move(variants)}...), true);
}

}  // namespace distdiff
