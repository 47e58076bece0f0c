// Architectures: torchvision's parameter counts and state-dict names.
#include <catch2/catch.hpp>

#include <distdiff/train/classifier.hpp>

#include <map>
#include <set>
#include <string>

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

using distdiff::train::Classifier;
using distdiff::train::make_classifier;
using distdiff::train::parameter_count;

std::map<std::string, std::vector<std::int64_t>> shapes(const Classifier& c) {
  std::map<std::string, std::vector<std::int64_t>> out;
  for (const auto& item : c.module().named_parameters()) out[item.key()] = item.value().sizes().vec();
  for (const auto& item : c.module().named_buffers()) out[item.key()] = item.value().sizes().vec();
  return out;
}

}  // namespace

TEST_CASE("parameter counts equal torchvision's published numbers", "[train][models]") {
  torch::NoGradGuard no_grad;
  // torchvision.models.*(num_classes=1000): sum(p.numel() for p in m.parameters())
  CHECK(parameter_count(make_classifier("resnet50", 1000)) == 25'557'032);
  CHECK(parameter_count(make_classifier("resnext50_32x4d", 1000)) == 25'028'904);
  CHECK(parameter_count(make_classifier("wide_resnet50_2", 1000)) == 68'883'240);
  CHECK(parameter_count(make_classifier("mobilenet_v2", 1000)) == 3'504'872);
}

TEST_CASE("ResNet-50 state dict uses torchvision's names and shapes", "[train][models]") {
  torch::NoGradGuard no_grad;
  auto net = make_classifier("resnet50", 1000);
  const auto s = shapes(net);
  // 53 convolutions + 53 BatchNorms (weight, bias) + fc (weight, bias) = 161
  // parameters; 53 x 3 BatchNorm buffers = 159: 320 entries, as torchvision.
  CHECK(net.module().named_parameters().size() == 161);
  CHECK(s.size() == 320);
  using V = std::vector<std::int64_t>;
  CHECK(s.at("conv1.weight") == V{64, 3, 7, 7});
  CHECK(s.at("bn1.running_mean") == V{64});
  CHECK(s.at("bn1.num_batches_tracked") == V{});
  CHECK(s.at("layer1.0.conv1.weight") == V{64, 64, 1, 1});
  CHECK(s.at("layer1.0.downsample.0.weight") == V{256, 64, 1, 1});
  CHECK(s.at("layer1.0.downsample.1.running_var") == V{256});
  CHECK(s.at("layer2.0.conv2.weight") == V{128, 128, 3, 3});
  CHECK(s.at("layer3.5.bn3.weight") == V{1024});
  CHECK(s.at("layer4.2.conv3.weight") == V{2048, 512, 1, 1});
  CHECK(s.count("layer4.3.conv1.weight") == 0);
  CHECK(s.count("layer1.1.downsample.0.weight") == 0);
  CHECK(s.at("fc.weight") == V{1000, 2048});
  CHECK(s.at("fc.bias") == V{1000});
}

TEST_CASE("ResNeXt and WideResNet widen the grouped 3x3 convolution", "[train][models]") {
  torch::NoGradGuard no_grad;
  using V = std::vector<std::int64_t>;
  const auto x = shapes(make_classifier("resnext50_32x4d", 10));
  CHECK(x.at("layer1.0.conv2.weight") == V{128, 4, 3, 3});  // 32 groups of 4 channels
  CHECK(x.at("layer4.0.conv2.weight") == V{1024, 32, 3, 3});
  CHECK(x.at("fc.weight") == V{10, 2048});
  const auto w = shapes(make_classifier("wide_resnet50_2", 10));
  CHECK(w.at("layer1.0.conv2.weight") == V{128, 128, 3, 3});
  CHECK(w.at("layer4.2.conv1.weight") == V{1024, 2048, 1, 1});
}

TEST_CASE("MobileNetV2 state dict uses torchvision's names and shapes", "[train][models]") {
  torch::NoGradGuard no_grad;
  auto net = make_classifier("mobilenet_v2", 1000);
  const auto s = shapes(net);
  // 52 convolutions, 52 BatchNorms, classifier.1: 158 parameters, 314 entries.
  CHECK(net.module().named_parameters().size() == 158);
  CHECK(s.size() == 314);
  using V = std::vector<std::int64_t>;
  CHECK(s.at("features.0.0.weight") == V{32, 3, 3, 3});
  CHECK(s.at("features.0.1.running_mean") == V{32});
  CHECK(s.at("features.1.conv.0.0.weight") == V{32, 1, 3, 3});  // depthwise, expand ratio 1
  CHECK(s.at("features.1.conv.1.weight") == V{16, 32, 1, 1});
  CHECK(s.at("features.1.conv.2.weight") == V{16});
  CHECK(s.at("features.2.conv.0.0.weight") == V{96, 16, 1, 1});
  CHECK(s.at("features.2.conv.1.0.weight") == V{96, 1, 3, 3});
  CHECK(s.at("features.2.conv.2.weight") == V{24, 96, 1, 1});
  CHECK(s.at("features.2.conv.3.num_batches_tracked") == V{});
  CHECK(s.at("features.17.conv.2.weight") == V{320, 960, 1, 1});
  CHECK(s.at("features.18.0.weight") == V{1280, 320, 1, 1});
  CHECK(s.at("classifier.1.weight") == V{1000, 1280});
  CHECK(s.count("classifier.0.weight") == 0);
}

TEST_CASE("every backbone maps images to logits; heads are named", "[train][models]") {
  torch::manual_seed(0);
  for (const std::string name : {"resnet_tiny", "resnext_tiny", "wide_resnet_tiny", "mobilenet_v2_tiny"}) {
    auto net = make_classifier(name, 7);
    net.eval();
    torch::NoGradGuard no_grad;
    const auto logits = net.forward(torch::randn({2, 3, 32, 32}));
    CHECK(logits.sizes() == torch::IntArrayRef({2, 7}));
    CHECK(torch::isfinite(logits).all().item<bool>());
    std::set<std::string> head;
    for (const auto& item : net.module().named_parameters())
      if (net.is_head(item.key())) head.insert(item.key());
    const std::string prefix = name == "mobilenet_v2_tiny" ? "classifier.1." : "fc.";
    CHECK(head == std::set<std::string>{prefix + "bias", prefix + "weight"});
  }
  // Full-size networks run on small inputs too (adaptive pooling).
  torch::NoGradGuard no_grad;
  auto big = make_classifier("mobilenet_v2", 5);
  big.eval();
  CHECK(big.forward(torch::randn({1, 3, 64, 64})).sizes() == torch::IntArrayRef({1, 5}));
}

TEST_CASE("initialisation follows torchvision", "[train][models]") {
  torch::manual_seed(1);
  torch::NoGradGuard no_grad;
  auto net = make_classifier("resnet50", 1000);
  auto p = net.module().named_parameters();
  // kaiming_normal_(fan_out, relu): std = sqrt(2 / (out_channels * k * k)).
  const auto w = p["layer4.0.conv2.weight"];  // [512, 512, 3, 3]
  CHECK(w.std().item<double>() == Approx(std::sqrt(2.0 / (512 * 9))).epsilon(0.01));
  CHECK(w.mean().item<double>() == Approx(0).margin(1e-3));
  CHECK(p["layer2.1.bn2.weight"].eq(1).all().item<bool>());
  CHECK(p["layer2.1.bn2.bias"].eq(0).all().item<bool>());
  auto m = make_classifier("mobilenet_v2", 1000);
  auto q = m.module().named_parameters();
  CHECK(q["classifier.1.weight"].std().item<double>() == Approx(0.01).epsilon(0.02));
  CHECK(q["classifier.1.bias"].eq(0).all().item<bool>());
}

TEST_CASE("bad names and configurations are rejected clearly", "[train][models]") {
  CHECK_THROWS_WITH(make_classifier("resnet51", 10), Catch::Contains("unknown backbone 'resnet51'") &&
                                                         Catch::Contains("resnext50_32x4d"));
  CHECK_THROWS_WITH(make_classifier("resnet50", 0), Catch::Contains("num_classes"));
  auto cfg = distdiff::train::ResNetConfig::tiny(3);
  cfg.layers = {1, 1};
  CHECK_THROWS_WITH(distdiff::train::ResNet(cfg), Catch::Contains("equal length"));
  cfg = distdiff::train::ResNetConfig::tiny(3, 3, 64);  // width 8*3 = 24 -> fine
  CHECK_NOTHROW(distdiff::train::ResNet(cfg));
  cfg = distdiff::train::ResNetConfig::tiny(3, 1, 4);  // width 8*4/64 = 0
  CHECK_THROWS_WITH(distdiff::train::ResNet(cfg), Catch::Contains("bottleneck width"));
  CHECK_THROWS(Classifier().forward(torch::zeros({1, 3, 8, 8})));
}

}  // namespace DISTDIFF_UNITY_ID
