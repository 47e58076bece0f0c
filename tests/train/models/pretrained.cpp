// Fine-tuning: pretrained weights load by name; a head of another size is skipped.
#include <catch2/catch.hpp>

#include <distdiff/models/weights/state_dict.hpp>
#include <distdiff/train/pretrained.hpp>

#include <cstdlib>
#include <filesystem>
#include <random>

namespace fs = std::filesystem;
using namespace distdiff::train;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
fs::path temp_file(const std::string& name) {
  const char* env = std::getenv("DISTDIFF_TEST_TMP");
  std::random_device rd;
  const fs::path dir = (env ? fs::path(env) : fs::temp_directory_path()) / ("train-pretrained-" + std::to_string(rd()));
  fs::create_directories(dir);
  return dir / name;
}
}  // namespace

TEST_CASE("load_pretrained loads every tensor by name, skipping a mismatched head", "[train][pretrained]") {
  torch::manual_seed(4);
  auto source = make_classifier("resnext_tiny", 10);
  {  // make buffers non-trivial, as in a trained network
    torch::NoGradGuard ng;
    for (auto& item : source.module().named_buffers())
      if (item.key().find("running_mean") != std::string::npos) item.value().uniform_(-1, 1);
  }
  const auto file = temp_file("imagenet.safetensors");
  distdiff::models::save_module(source.module(), file);
  const auto src = distdiff::models::state_dict(source.module());

  SECTION("same number of classes: everything, head included") {
    auto net = make_classifier("resnext_tiny", 10);
    const auto report = load_pretrained(net, file);
    CHECK(report.loaded.size() == src.size());
    for (const auto& [name, t] : distdiff::models::state_dict(net.module())) CHECK(torch::equal(t, src.at(name)));
  }
  SECTION("other number of classes: body loaded, fresh head kept") {
    auto net = make_classifier("resnext_tiny", 4);
    const auto head_before = net.module().named_parameters()["fc.weight"].clone();
    const auto report = load_pretrained(net, file);
    CHECK(report.loaded.size() == src.size() - 2);
    CHECK(report.ignored.size() == 2);
    for (const auto& [name, t] : distdiff::models::state_dict(net.module())) {
      INFO(name);
      if (net.is_head(name)) continue;
      CHECK(torch::equal(t, src.at(name)));
    }
    CHECK(torch::equal(net.module().named_parameters()["fc.weight"], head_before));
    auto strict_head = make_classifier("resnext_tiny", 4);
    CHECK_THROWS_WITH(load_pretrained(strict_head, file, {.replace_mismatched_head = false}),
                      Catch::Contains("different number of classes"));
  }
  SECTION("weights of another architecture are refused before anything is copied") {
    auto net = make_classifier("resnet_tiny", 10);
    const auto before = distdiff::models::state_dict(net.module());
    // Same names, other widths: the shape check refuses it.
    CHECK_THROWS_WITH(load_pretrained(net, file), Catch::Contains("shape mismatch"));
    for (const auto& [name, t] : distdiff::models::state_dict(net.module())) CHECK(torch::equal(t, before.at(name)));
    auto mobile = make_classifier("mobilenet_v2_tiny", 10);
    const auto mobile_before = distdiff::models::state_dict(mobile.module());
    CHECK_THROWS_WITH(load_pretrained(mobile, file), Catch::Contains("do not fit") && Catch::Contains("missing") &&
                                                         Catch::Contains("unexpected"));
    for (const auto& [name, t] : distdiff::models::state_dict(mobile.module()))
      CHECK(torch::equal(t, mobile_before.at(name)));
    CHECK_THROWS_WITH(load_pretrained(net, file.parent_path() / "none.safetensors"), Catch::Contains("no weights file"));
  }
  fs::remove_all(file.parent_path());
}

}  // namespace DISTDIFF_UNITY_ID
