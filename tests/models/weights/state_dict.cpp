// State dicts: names, strict/non-strict loading, renames, dtype conversion,
// folders and shard indexes.
#include <catch2/catch.hpp>

#include "distdiff/models/weights/state_dict.hpp"
#include "support/temp_dir.hpp"

#include <fstream>

using namespace distdiff::models;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

torch::nn::Sequential small_net() {
  namespace nn = torch::nn;
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(3, 4, 3).padding(1)), nn::BatchNorm2d(4),
                        nn::ReLU(), nn::Flatten(), nn::Linear(4 * 5 * 5, 3),
                        nn::Linear(nn::LinearOptions(3, 2).bias(false)));
}

// A net whose buffers are not at their defaults: a few training-mode passes.
torch::nn::Sequential trained_net(std::uint64_t seed) {
  torch::manual_seed(seed);
  auto net = small_net();
  net->train();
  torch::NoGradGuard no_grad;
  for (int i = 0; i < 3; ++i) net->forward(torch::randn({4, 3, 5, 5}) * 2 + 1);
  net->eval();
  return net;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("state_dict: PyTorch names of parameters and buffers", "[weights][state_dict]") {
  auto net = small_net();
  const auto sd = state_dict(*net);
  std::vector<std::string> names;
  for (const auto& [k, v] : sd) names.push_back(k);
  REQUIRE(names == std::vector<std::string>{"0.bias", "0.weight", "1.bias", "1.num_batches_tracked",
                                             "1.running_mean", "1.running_var", "1.weight",
                                             "4.bias", "4.weight", "5.weight"});
  // The tensors alias the module's storage.
  REQUIRE(sd.at("0.weight").data_ptr() == net[0]->as<torch::nn::Conv2d>()->weight.data_ptr());
  REQUIRE_FALSE(sd.at("0.weight").requires_grad());
}

TEST_CASE("state_dict: save_module then load_module reproduces outputs", "[weights][state_dict]") {
  distdiff::test::TempDir dir;
  auto original = trained_net(1);
  const auto path = dir / "net.safetensors";
  save_module(*original, path, {{"format", "pt"}});
  REQUIRE(SafetensorsFile::open(path).header().metadata.at("format") == "pt");

  auto copy = trained_net(2);
  const torch::Tensor x = torch::randn({2, 3, 5, 5});
  REQUIRE_FALSE(torch::allclose(copy->forward(x), original->forward(x)));
  const LoadReport report = load_module(*copy, path);
  REQUIRE(report.loaded.size() == 10);
  REQUIRE(report.missing.empty());
  REQUIRE(report.unexpected.empty());
  REQUIRE(report.summary() == "loaded 10 tensors");
  REQUIRE(torch::equal(copy->forward(x), original->forward(x)));
  const auto a = state_dict(*original);
  const auto b = state_dict(*copy);
  for (const auto& [k, v] : a) {
    INFO(k);
    REQUIRE(torch::equal(v, b.at(k)));
    REQUIRE(b.at(k).scalar_type() == v.scalar_type());
  }
  REQUIRE(b.at("1.num_batches_tracked").item<std::int64_t>() == 3);
  // Parameters still require grad and stay trainable after loading.
  REQUIRE(copy[0]->as<torch::nn::Conv2d>()->weight.requires_grad());
}

TEST_CASE("state_dict: missing, unexpected and shape mismatch", "[weights][state_dict]") {
  auto source = state_dict(*trained_net(1));

  SECTION("missing (strict) is one error; nothing is copied") {
    auto net = trained_net(2);
    const auto before = state_dict(*net).at("0.bias").clone();
    auto sd = source;
    sd.erase("1.running_var");
    sd.erase("5.weight");
    const std::string msg = error_of([&] { load_state_dict(*net, sd); });
    REQUIRE_THAT(msg, StartsWith("load_state_dict (strict): 2 missing: 1.running_var, 5.weight"));
    REQUIRE(torch::equal(state_dict(*net).at("0.bias"), before));

    LoadOptions lenient;
    lenient.strict = false;
    const auto report = load_state_dict(*net, sd, lenient);
    REQUIRE(report.missing == std::vector<std::string>{"1.running_var", "5.weight"});
    REQUIRE(report.loaded.size() == 8);
    REQUIRE(torch::equal(state_dict(*net).at("0.bias"), source.at("0.bias")));
    REQUIRE_THAT(report.summary(), Contains("missing 2: 1.running_var, 5.weight"));
  }
  SECTION("unexpected and missing together give one error") {
    auto net = small_net();
    auto sd = source;
    sd["extra.weight"] = torch::ones({1});
    sd.erase("4.bias");
    const std::string msg = error_of([&] { load_state_dict(*net, sd); });
    REQUIRE_THAT(msg, Contains("1 missing: 4.bias") && Contains("1 unexpected: extra.weight"));
  }
  SECTION("long lists are cut after 10 names") {
    auto net = small_net();
    std::map<std::string, torch::Tensor> sd;
    for (int i = 0; i < 25; ++i) sd["junk." + std::to_string(100 + i)] = torch::ones({1});
    const std::string msg = error_of([&] { load_state_dict(*net, sd); });
    REQUIRE_THAT(msg, Contains("25 unexpected: junk.100,") && Contains("junk.109, ... (15 more)") &&
                          Contains("10 missing") && Contains("(0 matched)"));
    REQUIRE_FALSE(Contains("junk.110").match(msg));
  }
  SECTION("shape mismatch names the key and both shapes") {
    auto net = small_net();
    auto sd = source;
    sd["4.weight"] = torch::zeros({3, 99});
    LoadOptions lenient;
    lenient.strict = false;
    const std::string msg = error_of([&] { load_state_dict(*net, sd, lenient); });
    REQUIRE(msg == "load_state_dict: '4.weight': shape mismatch: given [3, 99], module expects [3, 100]");
  }
  SECTION("undefined tensors are rejected") {
    auto net = small_net();
    auto sd = source;
    sd["0.bias"] = torch::Tensor();
    REQUIRE_THAT(error_of([&] { load_state_dict(*net, sd); }), Contains("'0.bias': tensor is undefined"));
  }
}

TEST_CASE("state_dict: rename and ignore_unexpected", "[weights][state_dict]") {
  auto original = trained_net(1);
  const auto source = state_dict(*original);
  std::map<std::string, torch::Tensor> prefixed;
  for (const auto& [k, v] : source) prefixed["model." + k] = v;
  prefixed["model.position_ids"] = torch::arange(5);
  prefixed["aux.head.weight"] = torch::ones({2});
  prefixed["aux.head.bias"] = torch::ones({2});

  auto net = trained_net(2);
  LoadOptions opts;
  opts.rename = [](const std::string& k) {
    if (k.rfind("aux.", 0) == 0) return k;  // left as is: unexpected unless ignored
    return k.substr(std::string("model.").size());
  };
  REQUIRE_THAT(error_of([&] { load_state_dict(*net, prefixed, opts); }),
               Contains("3 unexpected: aux.head.bias, aux.head.weight, model.position_ids (as position_ids)"));

  opts.ignore_unexpected = {"position_ids", "aux."};  // one exact name (after renaming), one prefix
  const auto report = load_state_dict(*net, prefixed, opts);
  REQUIRE(report.loaded.size() == 10);
  REQUIRE(report.unexpected.empty());
  REQUIRE(report.ignored.size() == 3);
  const torch::Tensor x = torch::randn({1, 3, 5, 5});
  REQUIRE(torch::equal(net->forward(x), original->forward(x)));

  // A prefix pattern must end in '.', so "aux" alone matches nothing.
  opts.ignore_unexpected = {"position_ids", "aux"};
  REQUIRE_THAT(error_of([&] { load_state_dict(*net, prefixed, opts); }), Contains("2 unexpected"));

  // rename returning "" drops a tensor.
  LoadOptions drop;
  drop.rename = [](const std::string& k) { return k == "0.bias" ? std::string() : k; };
  drop.strict = false;
  auto sd = source;
  const auto r = load_state_dict(*net, sd, drop);
  REQUIRE(r.ignored == std::vector<std::string>{"0.bias"});
  REQUIRE(r.missing == std::vector<std::string>{"0.bias"});

  // Two names landing on one slot is an error.
  LoadOptions collide;
  collide.rename = [](const std::string& k) { return k == "1.bias" ? std::string("0.bias") : k; };
  REQUIRE_THAT(error_of([&] { load_state_dict(*net, sd, collide); }),
               Contains("'0.bias' and '1.bias' both map to '0.bias'"));
}

TEST_CASE("state_dict: F16 file into an fp32 module", "[weights][state_dict]") {
  distdiff::test::TempDir dir;
  auto original = trained_net(1);
  std::map<std::string, torch::Tensor> half;
  for (const auto& [k, v] : state_dict(*original)) {
    half[k] = v.is_floating_point() ? v.to(torch::kFloat16) : v;
  }
  const auto path = dir / "half.safetensors";
  save_safetensors(path, half);
  REQUIRE(SafetensorsFile::open(path).tensor("0.weight").scalar_type() == torch::kFloat16);

  auto net = trained_net(2);
  load_module(*net, path);
  const auto loaded = state_dict(*net);
  for (const auto& [k, v] : half) {
    INFO(k);
    REQUIRE(loaded.at(k).scalar_type() == state_dict(*original).at(k).scalar_type());
    // Exactly the fp16 values, widened.
    REQUIRE(torch::equal(loaded.at(k), v.to(loaded.at(k).scalar_type())));
  }
  const torch::Tensor x = torch::randn({2, 3, 5, 5});
  REQUIRE(torch::allclose(net->forward(x), original->forward(x), 1e-2, 1e-2));

  // And back: an fp32 file into a double module converts too.
  auto wide = small_net();
  wide->to(torch::kFloat64);
  save_module(*original, dir / "f32.safetensors");
  load_module(*wide, dir / "f32.safetensors");
  REQUIRE(state_dict(*wide).at("4.weight").scalar_type() == torch::kFloat64);
  REQUIRE(torch::equal(state_dict(*wide).at("4.weight").to(torch::kFloat32),
                       state_dict(*original).at("4.weight")));
}

TEST_CASE("state_dict: load_module finds weights in folders and shard indexes",
          "[weights][state_dict]") {
  distdiff::test::TempDir dir;
  auto original = trained_net(1);
  const auto source = state_dict(*original);
  const torch::Tensor x = torch::randn({1, 3, 5, 5});
  const torch::Tensor expected = original->forward(x);

  for (const std::string name : {"model.safetensors", "diffusion_pytorch_model.safetensors",
                                 "diffusion_pytorch_model.fp16.safetensors"}) {
    INFO(name);
    const auto folder = dir / ("f_" + name);
    std::filesystem::create_directories(folder);
    save_module(*original, folder / name);
    auto net = trained_net(2);
    load_module(*net, folder);
    REQUIRE(torch::equal(net->forward(x), expected));
  }

  // model.safetensors wins over the fp16 variant.
  {
    const auto folder = dir / "both";
    std::filesystem::create_directories(folder);
    save_module(*original, folder / "model.safetensors");
    save_module(*trained_net(3), folder / "diffusion_pytorch_model.fp16.safetensors");
    auto net = trained_net(2);
    load_module(*net, folder);
    REQUIRE(torch::equal(net->forward(x), expected));
  }

  // Two shards and an index.
  const auto sharded = dir / "sharded";
  std::filesystem::create_directories(sharded);
  std::map<std::string, torch::Tensor> first, second;
  nlohmann::json index;
  index["metadata"] = {{"total_size", 0}};
  for (const auto& [k, v] : source) {
    const bool in_first = k.front() == '0' || k.front() == '1';
    (in_first ? first : second)[k] = v;
    index["weight_map"][k] = in_first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  save_safetensors(sharded / "model-00001-of-00002.safetensors", first);
  save_safetensors(sharded / "model-00002-of-00002.safetensors", second);
  std::ofstream(sharded / "model.safetensors.index.json") << index.dump(2);
  {
    auto net = trained_net(2);
    load_module(*net, sharded);
    REQUIRE(torch::equal(net->forward(x), expected));
    auto net2 = trained_net(2);
    load_module(*net2, sharded / "model.safetensors.index.json");
    REQUIRE(torch::equal(net2->forward(x), expected));
  }
  // An index that lists a tensor its shard lacks.
  index["weight_map"]["4.weight"] = "model-00001-of-00002.safetensors";
  std::ofstream(sharded / "model.safetensors.index.json") << index.dump(2);
  REQUIRE_THAT(error_of([&] { auto n = small_net(); load_module(*n, sharded); }),
               Contains("lists '4.weight' in model-00001-of-00002.safetensors, which lacks it"));
  index["weight_map"]["4.weight"] = "../escape.safetensors";
  std::ofstream(sharded / "model.safetensors.index.json") << index.dump(2);
  REQUIRE_THAT(error_of([&] { auto n = small_net(); load_module(*n, sharded); }),
               Contains("must be a plain file name"));

  // Errors name what was looked for.
  const auto empty = dir / "empty";
  std::filesystem::create_directories(empty);
  auto net = small_net();
  REQUIRE_THAT(error_of([&] { load_module(*net, empty); }),
               StartsWith(empty.string() + ": no weights found; looked for model.safetensors") &&
                   Contains("*.safetensors.index.json"));
  REQUIRE_THAT(error_of([&] { load_module(*net, dir / "nope"); }),
               Contains("nope: no such file or folder"));
  // Strict errors from a file name the file.
  auto partial = source;
  partial.erase("0.weight");
  save_safetensors(dir / "partial.safetensors", partial);
  REQUIRE_THAT(error_of([&] { load_module(*net, dir / "partial.safetensors"); }),
               StartsWith((dir / "partial.safetensors").string() + ": load_state_dict (strict): 1 missing: 0.weight"));
}

}  // namespace DISTDIFF_UNITY_ID
