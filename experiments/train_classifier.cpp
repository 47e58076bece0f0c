// train_classifier — train a classifier on an original or expanded dataset,
// evaluate it after every epoch, and append the result to a results CSV
// (paper §5.2: SGD momentum 0.9, weight decay 1e-4, LR 0.1 with cosine decay,
// 100 epochs, best test top-1 reported, seeds 1, 2, 3).
//
//   train_classifier --dataset caltech101 --root data/caltech101
//       --expanded out/caltech-distdiff --method-name DistDiff
//       --backbone resnet50 --epochs 100 --batch-size 128 --seed 1
//       --results results.csv --checkpoint-dir runs/caltech-distdiff-r50-s1
//
// The seed images of a small-world expansion, the same 10-shot draw:
//
//   train_classifier --dataset fashion_mnist --pool target --shots 10 --shot-seed 1
//       --expanded out/distdiff-s1 --backbone resnet_tiny --image-size 32 --resize 32 --epochs 30
//
// The dataset options are the expansion tools' (pipeline/dataset_options.hpp);
// the test split gets the same --classes and --shift.
//
// A killed run started again with the same --checkpoint-dir continues from
// the last completed epoch; the results row is appended once training finishes.
#include <CLI/CLI.hpp>

#include <distdiff/data.hpp>
#include <distdiff/data/any.hpp>
#include <distdiff/pipeline/dataset_options.hpp>
#include <distdiff/io/results.hpp>
#include <distdiff/io/run_folder.hpp>
#include <distdiff/train.hpp>
#include <distdiff/train/loader_source.hpp>

#include <cmath>
#include <iostream>
#include <map>
#include <optional>
#include <string>

namespace tr = distdiff::train;
namespace aug = distdiff::augment;

namespace {

struct Args {
  distdiff::DatasetChoice data;
  std::string expanded;
  std::optional<double> expansion;
  std::string method;
  std::string backbone = "resnet50";
  std::string pretrained;
  std::string augment = "none";
  std::int64_t epochs = 100;
  std::int64_t batch_size = 128;
  double lr = 0.1;
  std::string lr_decay = "cosine-per-epoch";
  bool nesterov = false;
  double weight_decay = 1e-4;
  std::uint64_t seed = 1;
  std::int64_t image_size = 224;
  std::int64_t resize = 0;
  std::string results = "results.csv";
  std::string checkpoint_dir;
  std::string device = "auto";
  int threads = 0;
  int loader_threads = 4;
  bool top5 = false;
  std::int64_t eval_every = 1;
  std::optional<std::int64_t> stop_after;
  std::string save_weights;
};

// The default method name of an expanded training set: its run's composition
// (run.json "keys"), else the folder's name.
std::string expanded_method_name(const std::filesystem::path& expanded) {
  distdiff::io::ResultRow probe;
  if (distdiff::fill_result_keys(probe, expanded) && !probe.composition.empty()) return probe.composition;
  return std::filesystem::weakly_canonical(expanded).filename().string();
}

template <class Transform>
tr::TrainResult train_with(const Args& a, tr::Classifier& net, const tr::TrainConfig& cfg,
                           const distdiff::AnyDataset& train, const distdiff::AnyDataset& test, Transform transform,
                           std::function<void(Transform&, const tr::EpochInfo&)> prepare = {}) {
  distdiff::BatchLoader train_loader(train, std::move(transform));
  train_loader.batch_size = static_cast<std::size_t>(a.batch_size);
  train_loader.shuffle = true;
  train_loader.num_threads = a.loader_threads;
  distdiff::BatchLoader test_loader(test, aug::paper_test_transform(a.image_size, a.resize));
  test_loader.batch_size = static_cast<std::size_t>(a.batch_size);
  test_loader.shuffle = false;
  test_loader.num_threads = a.loader_threads;

  tr::Trainer trainer(net, cfg);
  trainer.on_epoch = [](const tr::EpochStats& s) { std::cerr << tr::format_progress(s) << std::endl; };
  return trainer.fit(tr::loader_source(train_loader, std::move(prepare)), tr::loader_source(test_loader));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Train a classifier on an original or expanded dataset and append the result to a results CSV."};
  Args a;
  distdiff::add_dataset_options(app, a.data);
  app.get_option("--dataset")->required();
  app.add_option("--expanded", a.expanded, "generator output folder (manifest.jsonl) added to the training set");
  app.add_option("--expansion", a.expansion,
                 "expansion factor for the results row (default: generated / original images, 0 without --expanded)");
  app.add_option("--method-name", a.method,
                 "method name for the results row (default: the --expanded run's composition, else "
                 "Original / Cutout / GridMask / RandAugment)");
  app.add_option("--backbone", a.backbone, "resnet50|resnext50_32x4d|wide_resnet50_2|mobilenet_v2 (or *_tiny)");
  app.add_option("--pretrained", a.pretrained, "torchvision weights (safetensors) to fine-tune from");
  app.add_option("--augment", a.augment, "transformation baseline: none|cutout|gridmask|randaugment");
  app.add_option("--epochs", a.epochs, "epochs (also the cosine period)");
  app.add_option("--batch-size", a.batch_size, "batch size");
  app.add_option("--lr", a.lr, "initial learning rate");
  app.add_option("--lr-decay", a.lr_decay, "cosine-per-epoch|cosine-per-iteration|constant");
  app.add_flag("--nesterov", a.nesterov, "Nesterov momentum");
  app.add_option("--weight-decay", a.weight_decay, "weight decay");
  app.add_option("--seed", a.seed, "seed (initial weights, data order, augmentation)");
  app.add_option("--image-size", a.image_size, "training crop size (224 in the paper)");
  app.add_option("--resize", a.resize, "shorter side before cropping (default: image-size * 256 / 224)");
  app.add_option("--results", a.results, "results CSV to append to");
  app.add_option("--checkpoint-dir", a.checkpoint_dir, "checkpoint folder (resumes when it holds a checkpoint)");
  app.add_option("--device", a.device, "auto|cpu|cuda");
  app.add_option("--threads", a.threads, "LibTorch intra-op threads (0: leave)");
  app.add_option("--loader-threads", a.loader_threads, "image decoding/augmentation threads");
  app.add_flag("--top5", a.top5, "also evaluate top-5");
  app.add_option("--eval-every", a.eval_every, "evaluate on the test split every N epochs (and after the last)")
      ->capture_default_str();
  app.add_option("--save-weights", a.save_weights,
                 "write the trained weights (after the last epoch) as a safetensors state dict, torchvision names: "
                 "the --pretrained of a later run (Table 7: pretrain on a large split, fine-tune on the few shots)");
  app.add_option("--stop-after", a.stop_after, "stop after this many epochs in this invocation (resume later)");
  CLI11_PARSE(app, argc, argv);

  try {
    distdiff::set_cpu_threads(a.threads);
    std::cerr << "cpu: " << distdiff::describe_cpu_threads() << "\n";
    distdiff::resolve_dataset_alias(a.data, std::cerr);
    if (a.resize == 0) a.resize = static_cast<std::int64_t>(std::lround(double(a.image_size) * 256.0 / 224.0));
    distdiff::AnyDataset original = distdiff::open_seed_dataset(a.data);
    distdiff::AnyDataset test = distdiff::open_test_dataset(a.data);
    distdiff::AnyDataset train = original;
    double expansion = 0;
    if (!a.expanded.empty()) {
      distdiff::ExpandedDataset<distdiff::AnyDataset> expanded(original, a.expanded);
      expansion = std::round(100.0 * double(expanded.generated().size()) / double(original.size())) / 100.0;
      train = expanded;
    }
    if (a.expansion) expansion = *a.expansion;
    if (a.method.empty()) {
      static const std::map<std::string, std::string> baseline_names = {
          {"none", "Original"}, {"cutout", "Cutout"}, {"gridmask", "GridMask"}, {"randaugment", "RandAugment"}};
      const auto b = baseline_names.find(a.augment);
      a.method = !a.expanded.empty() ? expanded_method_name(a.expanded)
                 : b != baseline_names.end() ? b->second
                                             : a.augment;
    }
    // An image folder is named after its root folder (data/birds -> "birds").
    const std::string dataset_id = a.data.id();
    const auto num_classes = static_cast<std::int64_t>(original.class_names().size());
    std::cerr << "train: " << train.size() << " images (" << original.size() << " original, expansion " << expansion
              << "), test: " << test.size() << ", classes: " << num_classes << "\n";

    tr::TrainConfig cfg;
    cfg.epochs = a.epochs;
    cfg.lr = a.lr;
    cfg.lr_decay = tr::parse_lr_decay(a.lr_decay);
    cfg.nesterov = a.nesterov;
    cfg.weight_decay = a.weight_decay;
    cfg.seed = a.seed;
    cfg.top5 = a.top5;
    cfg.eval_every = a.eval_every;
    cfg.num_threads = a.threads;
    cfg.checkpoint_dir = a.checkpoint_dir;
    cfg.stop_after = a.stop_after;
    cfg.data_settings = {{"dataset", a.data.kind},   {"root", a.data.root.string()},
                         {"data", a.data.describe()},
                         {"expanded", a.expanded},   {"augment", a.augment},
                         {"batch_size", a.batch_size}, {"image_size", a.image_size},
                         {"resize", a.resize},       {"pretrained", a.pretrained}};
    if (a.device == "auto")
      cfg.device = torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    else if (a.device == "cpu" || a.device == "cuda")
      cfg.device = torch::Device(a.device);
    else
      throw std::invalid_argument("--device: expected auto, cpu or cuda, got '" + a.device + "'");

    torch::manual_seed(a.seed);
    tr::Classifier net = tr::make_classifier(a.backbone, num_classes);
    if (!a.pretrained.empty()) {
      const auto report = tr::load_pretrained(net, a.pretrained);
      std::cerr << "pretrained: " << report.summary() << "\n";
    }

    tr::TrainResult r;
    if (a.augment == "none") {
      r = train_with(a, net, cfg, train, test, aug::paper_train_transform(a.image_size, a.resize));
    } else if (a.augment == "cutout") {
      r = train_with(a, net, cfg, train, test,
                     aug::paper_train_transform_with(aug::Cutout::for_image_size(a.image_size), a.image_size, a.resize));
    } else if (a.augment == "gridmask") {
      using T = aug::PaperTrainTransformWith<aug::GridMask>;
      r = train_with<T>(a, net, cfg, train, test,
                        aug::paper_train_transform_with(aug::GridMask::for_image_size(a.image_size), a.image_size,
                                                        a.resize),
                        [](T& t, const tr::EpochInfo& e) {
                          t.template get<aug::GridMask>().set_epoch_ramp(static_cast<int>(e.epoch));
                        });
    } else if (a.augment == "randaugment") {
      r = train_with(a, net, cfg, train, test,
                     aug::paper_train_transform_with(aug::RandAugment{}, a.image_size, a.resize));
    } else {
      throw std::invalid_argument("--augment: expected none, cutout, gridmask or randaugment, got '" + a.augment + "'");
    }

    std::cout << "best top-1 " << r.best_top1 << "% (epoch " << r.best_epoch << "), last top-1 " << r.last_top1
              << "%, " << r.epochs_done << "/" << a.epochs << " epochs, " << tr::format_duration(r.seconds) << "\n";
    if (r.finished && !a.save_weights.empty()) {
      if (const auto dir = std::filesystem::path(a.save_weights).parent_path(); !dir.empty())
        std::filesystem::create_directories(dir);
      distdiff::models::save_safetensors(a.save_weights, distdiff::models::state_dict(net.module()),
                                         {{"format", "pt"}, {"backbone", a.backbone}});
      std::cout << "weights written to " << a.save_weights << "\n";
    }
    if (r.finished && r.resumed_from >= a.epochs) {
      std::cout << "the checkpoint holds a finished run: its results row was written when it finished\n";
      return 0;
    }
    if (!r.finished) {
      std::cout << "stopped before the last epoch: no results row written (run again to resume)\n";
      return 0;
    }
    distdiff::io::ResultRow row;
    row.dataset = dataset_id;
    row.method = a.method;
    row.backbone = a.backbone;
    row.expansion = expansion;
    row.seed = a.seed;
    row.top1_best = r.best_top1;
    row.top1_last = r.last_top1;
    row.epochs = r.epochs_done;
    row.seconds = r.seconds;
    row.pretrained = !a.pretrained.empty();
    // composition, K, M, steps, prototypes: what the expansion run was (its run.json "keys").
    if (!a.expanded.empty() && !distdiff::fill_result_keys(row, a.expanded))
      std::cerr << "note: " << a.expanded << " has no run.json \"keys\" (a run from before distdiff 0.2, or not "
                   "an expansion run): the row has no composition, K, M or steps\n";
    distdiff::io::append_result(a.results, row);
    std::cout << "appended to " << a.results << "\n";
  } catch (const std::exception& e) {
    std::cerr << "train_classifier: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
