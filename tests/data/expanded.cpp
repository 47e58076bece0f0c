#include <catch2/catch.hpp>

#include <distdiff/data/expanded.hpp>
#include <distdiff/data/in_memory.hpp>

#include "support/temp_dir.hpp"
#include "support/data_writers.hpp"

namespace fs = std::filesystem;
using distdiff::test::error_of;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
distdiff::InMemoryDataset original() {
  distdiff::InMemoryDataset ds;
  ds.dataset_name = "toy";
  ds.classes = {"cat", "hot_dog"};
  ds.prompt_template = "a photo of a {}.";
  ds.add(distdiff::test::solid(1), 0, "real0");
  ds.add(distdiff::test::solid(2), 1, "real1");
  ds.add(distdiff::test::solid(3), 1, "real2");
  return ds;
}

std::string line(const std::string& cls, int label, int seed_index, int i, const std::string& energy = "0.5") {
  return R"({"file": ")" + cls + "/" + std::to_string(seed_index) + "_" + std::to_string(i) + R"(.png", "label": )" +
         std::to_string(label) + R"(, "class": ")" + cls + R"(", "seed_index": )" + std::to_string(seed_index) +
         R"(, "sample": )" + std::to_string(i) + R"(, "seed_source": "real)" + std::to_string(seed_index) +
         R"(", "random_seed": 42, "composition": "DistDiff<...>", "energy_before": )" + energy +
         R"(, "energy_after": null})";
}

// The generator's output: 3 images with pixel values 100, 101, 102.
fs::path make_out(const fs::path& out) {
  distdiff::write_png(out / "hot_dog/1_0.png", distdiff::test::solid(100));
  distdiff::write_png(out / "hot_dog/1_1.png", distdiff::test::solid(101));
  distdiff::write_png(out / "cat/0_0.png", distdiff::test::solid(102));
  distdiff::test::write_text(out / "manifest.jsonl",
                             line("hot_dog", 1, 1, 0) + "\n" + line("hot_dog", 1, 1, 1, "null") + "\n\n" + line("cat", 0, 0, 0) + "\n");
  return out;
}
}  // namespace

TEST_CASE("ExpandedDataset: original samples followed by the manifest's images", "[data][expanded]") {
  distdiff::test::TempDir tmp("data-expanded");
  const fs::path out = make_out(tmp / "out");
  distdiff::ExpandedDataset expanded(original(), out);
  STATIC_REQUIRE(distdiff::LabelledDataset<decltype(expanded)>);
  REQUIRE(expanded.size() == 6);
  CHECK(expanded.name() == "toy+generated");
  CHECK(expanded.class_names() == std::vector<std::string>{"cat", "hot_dog"});
  const std::vector<std::int64_t> labels{0, 1, 1, 1, 1, 0};
  const std::vector<int> pixel{1, 2, 3, 100, 101, 102};
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(expanded.label(i) == labels[i]);
    CHECK(int(expanded.load(i).pixels[0]) == pixel[i]);
  }
  CHECK(expanded.source(0) == "real0");
  CHECK(fs::path(expanded.source(5)) == out / "cat/0_0.png");
  CHECK(expanded.prompt(1) == "a photo of a hot dog.");
  CHECK(expanded.generated_entry(0) == nullptr);
  const auto* e = expanded.generated_entry(4);
  REQUIRE(e != nullptr);
  CHECK(e->seed_index == 1);
  CHECK(e->sample == 1);
  CHECK(e->seed_source == "real1");
  CHECK(e->random_seed == 42);
  CHECK(e->composition == "DistDiff<...>");
  CHECK(!e->energy_before.has_value());
  CHECK(expanded.generated()[0].energy_before == Approx(0.5));
  CHECK(e->line == 2);
  CHECK(expanded.generated()[2].line == 4);
  CHECK(expanded.generated()[0].raw.at("composition") == "DistDiff<...>");

  auto gen = distdiff::generated_only(original(), out);
  REQUIRE(gen.size() == 3);
  CHECK(gen.label(2) == 0);
  CHECK(int(gen.load(0).pixels[0]) == 100);
  CHECK(gen.name() == "toy:generated_only");
  CHECK_THROWS_AS(gen.load(3), std::out_of_range);
}

TEST_CASE("ExpandedDataset: manifest errors name the line", "[data][expanded]") {
  distdiff::test::TempDir tmp("data-expanded-bad");
  const fs::path out = make_out(tmp / "out");
  auto err = [&] { return error_of([&] { distdiff::ExpandedDataset<distdiff::InMemoryDataset>(original(), out); }); };

  distdiff::test::write_text(out / "manifest.jsonl", line("dog", 1, 0, 0) + "\n");
  CHECK_THAT(err(), Catch::Contains("line 1") && Catch::Contains("class 'dog' is not a class of 'toy'"));
  distdiff::test::write_text(out / "manifest.jsonl", line("cat", 0, 0, 0) + "\n" + line("cat", 1, 0, 0) + "\n");
  CHECK_THAT(err(), Catch::Contains("line 2") && Catch::Contains("label 1 but class 'cat' is label 0"));
  distdiff::test::write_text(out / "manifest.jsonl", line("cat", 0, 7, 0) + "\n");
  CHECK_THAT(err(), Catch::Contains("missing") && Catch::Contains("7_0.png"));
  distdiff::test::write_text(out / "manifest.jsonl", "{\"file\": \"cat/0_0.png\", \"label\": 0\n");
  CHECK_THAT(err(), Catch::Contains("line 1") && Catch::Contains("invalid JSON"));
  distdiff::test::write_text(out / "manifest.jsonl", "{\"file\": \"cat/0_0.png\", \"label\": 0}\n");
  CHECK_THAT(err(), Catch::Contains("missing field \"class\""));
  distdiff::test::write_text(out / "manifest.jsonl", "{\"file\": \"cat/0_0.png\", \"label\": \"0\", \"class\": \"cat\"}\n");
  CHECK_THAT(err(), Catch::Contains("wrong type"));
  distdiff::test::write_text(out / "manifest.jsonl", "{\"file\": \"cat/0_0.png\", \"label\": 0.9, \"class\": \"cat\"}\n");
  CHECK_THAT(err(), Catch::Contains("line 1") && Catch::Contains("field \"label\""));
  distdiff::test::write_text(out / "manifest.jsonl", line("cat", 0, 0, 0) + "\n" +
                                                         "{\"file\": \"cat/0_0.png\", \"label\": 1, \"label\": 0, \"class\": \"cat\"}\n");
  CHECK_THAT(err(), Catch::Contains("line 2") && Catch::Contains("duplicate key \"label\""));
  // Outside the folder: lexically, and through a symbolic link to an existing file.
  distdiff::write_png(tmp / "outside.png", distdiff::test::solid(7));
  distdiff::test::write_text(out / "manifest.jsonl", "{\"file\": \"../outside.png\", \"label\": 0, \"class\": \"cat\"}\n");
  CHECK_THAT(err(), Catch::Contains("line 1") && Catch::Contains("inside the output folder"));
  fs::create_directory_symlink(tmp.path, out / "cat" / "up");
  distdiff::test::write_text(out / "manifest.jsonl", "{\"file\": \"cat/up/outside.png\", \"label\": 0, \"class\": \"cat\"}\n");
  CHECK_THAT(err(), Catch::Contains("line 1") && Catch::Contains("outside.png") && Catch::Contains("resolves to") &&
                        Catch::Contains("outside"));
  fs::remove(out / "manifest.jsonl");
  CHECK_THAT(err(), Catch::Contains("missing manifest") && Catch::Contains("manifest.jsonl"));
  CHECK_THAT(error_of([&] { distdiff::generated_only(original(), tmp / "nowhere"); }), Catch::Contains("nowhere"));
}

TEST_CASE("ExpandedDataset: resumed generator runs", "[data][expanded]") {
  distdiff::test::TempDir tmp("data-expanded-resume");
  const fs::path out = make_out(tmp / "out");
  // hot_dog/1_1.png regenerated on resume (listed again with another seed), then a torn last line.
  const std::string again = R"({"file": "hot_dog/1_1.png", "label": 1, "class": "hot_dog", "seed_index": 1, "sample": 1, )"
                            R"("random_seed": 18446744073709551615, "energy_after": 0.25})";
  distdiff::test::write_text(out / "manifest.jsonl", line("hot_dog", 1, 1, 0) + "\n" + line("hot_dog", 1, 1, 1) + "\n" +
                                                         line("cat", 0, 0, 0) + "\n" + again + "\n" +
                                                         R"({"file": "cat/0_1.png", "lab)");
  auto gen = distdiff::generated_only(original(), out);
  REQUIRE(gen.size() == 3);
  const auto& e = gen.generated()[1];
  CHECK(e.file == "hot_dog/1_1.png");
  CHECK(e.path == out / "hot_dog/1_1.png");
  CHECK(e.line == 4);
  CHECK(e.random_seed == 18446744073709551615ULL);
  CHECK(e.energy_after == Approx(0.25));
  CHECK(gen.label(2) == 0);
  // The same torn text followed by a newline is a malformed line, not a torn write.
  distdiff::test::write_text(out / "manifest.jsonl", line("cat", 0, 0, 0) + "\n" + R"({"file": "cat/0_1.png", "lab)" + "\n");
  CHECK_THAT(error_of([&] { distdiff::generated_only(original(), out); }), Catch::Contains("line 2") && Catch::Contains("invalid JSON"));
}

TEST_CASE("ExpandedDataset reads what the generator's append_manifest wrote", "[data][expanded][manifest]") {
  distdiff::test::TempDir tmp("data-expanded-generator");
  const fs::path out = tmp / "out";
  std::vector<distdiff::ManifestEntry> written(2);
  written[0].file = "cat/0_0.png";
  written[0].class_name = "cat";
  written[0].label = 0;
  written[0].seed_index = 0;
  written[0].sample = 0;
  written[0].prompt = "a photo of a cat.";
  written[0].random_seed = 7;
  written[0].batch = 3;
  written[0].method = "distdiff";
  written[0].energy_before = 0.75;
  written[0].energy_after = 0.5;
  written[0].guided_timesteps = {621};
  written[1] = written[0];
  written[1].file = "hot_dog/1_4.png";
  written[1].class_name = "hot_dog";
  written[1].label = 1;
  written[1].seed_index = 1;
  written[1].sample = 4;
  written[1].energy_before.reset();
  written[1].energy_after.reset();
  written[1].guided_timesteps.clear();
  distdiff::write_png(out / "cat/0_0.png", distdiff::test::solid(50));
  distdiff::write_png(out / "hot_dog/1_4.png", distdiff::test::solid(60));
  distdiff::append_manifest(out / "manifest.jsonl", written);

  auto gen = distdiff::generated_only(original(), out);
  REQUIRE(gen.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& e = gen.generated()[i];
    const auto& w = written[i];
    CHECK(e.file == w.file);
    CHECK(e.path == out / w.file);
    CHECK(e.class_name == w.class_name);
    CHECK(e.label == w.label);
    CHECK(e.seed_index == w.seed_index);
    CHECK(e.sample == w.sample);
    CHECK(e.prompt == w.prompt);
    CHECK(e.random_seed == w.random_seed);
    CHECK(e.batch == w.batch);
    CHECK(e.method == w.method);
    CHECK(e.energy_before == w.energy_before);
    CHECK(e.energy_after == w.energy_after);
    CHECK(e.guided_timesteps == w.guided_timesteps);
    CHECK(e.line == i + 1);
    CHECK(gen.label(i) == w.label);
  }
  CHECK(int(gen.load(1).pixels[0]) == 60);
}

}  // namespace DISTDIFF_UNITY_ID
