// Prototype files: round trip, metadata, renormalisation on load, errors.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "distdiff/prototypes.hpp"
#include "support/temp_dir.hpp"

using namespace distdiff;
namespace fs = std::filesystem;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

using distdiff::test::TempDir;

Prototypes sample_prototypes() {
  auto gen = at::detail::createCPUGenerator(8);
  const auto features = torch::randn({24, 5}, gen, torch::kFloat32);
  const auto labels = torch::arange(24, torch::kLong).remainder(4);
  return build_prototypes(ClassMean{}, AgglomerativeGroups<>{}, features, labels, 4);
}

}  // namespace

TEST_CASE("prototype files round-trip tensors and metadata", "[prototypes][io]") {
  TempDir tmp;
  const auto p = sample_prototypes();
  const PrototypeInfo info{ClassMean{}.name(), AgglomerativeGroups<>{}.name(), "clip-vit-b32",
                           {{"dataset", "caltech101"}}};
  const auto file = tmp.path / "protos.safetensors";
  save_prototypes(file, p, info);

  const auto back = load_prototypes(file);
  CHECK(torch::equal(back.class_level, p.class_level));
  CHECK(torch::equal(back.group_level, p.group_level));
  CHECK(back.class_level.scalar_type() == torch::kFloat32);

  const auto got = read_prototype_info(file);
  CHECK(got.class_strategy == "class-mean");
  CHECK(got.group_strategy == "agglomerative-average");
  CHECK(got.feature_extractor == "clip-vit-b32");
  CHECK(got.extra == std::map<std::string, std::string>{{"dataset", "caltech101"}});

  const auto meta = models::SafetensorsFile::open(file).header().metadata;
  CHECK(meta.at("groups") == "3");
  CHECK(meta.at("num_classes") == "4");
  CHECK(meta.at("feature_dim") == "5");
  CHECK(meta.at("format") == "distdiff-prototypes");

  // no temporary files left behind
  CHECK(std::distance(fs::directory_iterator(tmp.path), fs::directory_iterator()) == 1);
}

TEST_CASE("prototype files: class level only, renormalisation on load", "[prototypes][io]") {
  TempDir tmp;
  Prototypes p;
  p.class_level = torch::tensor({{3.0, 4.0}, {0.0, 2.0}}, torch::kFloat64);
  const auto file = tmp.path / "class_only.safetensors";
  save_prototypes(file, p);
  auto back = load_prototypes(file);
  CHECK_FALSE(back.group_level.defined());
  CHECK(torch::equal(back.class_level, p.class_level));
  CHECK(models::SafetensorsFile::open(file).header().metadata.at("groups") == "0");
  back = load_prototypes(file, /*renormalize=*/true);
  CHECK(torch::allclose(back.class_level, torch::tensor({{0.6, 0.8}, {0.0, 1.0}}, torch::kFloat64)));
}

TEST_CASE("prototype files: errors name the file and the problem", "[prototypes][io]") {
  TempDir tmp;
  const auto file = tmp.path / "p.safetensors";
  CHECK_THROWS_WITH(save_prototypes(file, Prototypes{}), Catch::Contains("p.safetensors") &&
                                                            Catch::Contains("class_level prototypes are undefined"));
  Prototypes bad = sample_prototypes();
  bad.group_level = bad.group_level.slice(2, 0, 3);
  CHECK_THROWS_WITH(save_prototypes(file, bad), Catch::Contains("does not match class_level"));
  CHECK_FALSE(fs::exists(file));

  CHECK_THROWS_WITH(load_prototypes(tmp.path / "missing.safetensors"), Catch::Contains("missing.safetensors"));

  const auto other = tmp.path / "other.safetensors";
  models::save_safetensors(other, {{"weight", torch::zeros({2, 2})}});
  CHECK_THROWS_WITH(load_prototypes(other), Catch::Contains("no tensor named \"class_level\""));

  const auto wrong = tmp.path / "wrong.safetensors";
  models::save_safetensors(wrong, {{"class_level", torch::zeros({2, 3})}, {"group_level", torch::zeros({2, 2, 4})}});
  CHECK_THROWS_WITH(load_prototypes(wrong), Catch::Contains("corrupt prototype file"));

  const auto lying = tmp.path / "lying.safetensors";
  models::save_safetensors(lying, {{"class_level", torch::zeros({2, 3})}}, {{"groups", "3"}});
  CHECK_THROWS_WITH(load_prototypes(lying), Catch::Contains("groups = 3"));

  const auto garbage = tmp.path / "garbage.safetensors";
  std::ofstream(garbage) << "not a safetensors file";
  CHECK_THROWS_WITH(load_prototypes(garbage), Catch::Contains("garbage.safetensors"));
}

}  // namespace DISTDIFF_UNITY_ID
