#include <catch2/catch.hpp>

#include <distdiff/data/in_memory.hpp>

using distdiff::Image;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("InMemoryDataset models LabelledDataset", "[data][in_memory]") {
  STATIC_REQUIRE(distdiff::LabelledDataset<distdiff::InMemoryDataset>);
  STATIC_REQUIRE_FALSE(distdiff::LabelledDataset<Image>);
  distdiff::InMemoryDataset ds;
  CHECK(ds.name() == "in_memory");
  ds.dataset_name = "toy";
  ds.classes = {"cat", "hot_dog"};
  ds.add(Image(2, 2, 3), 1, "a.png");
  ds.add(Image(3, 1, 1), 0);
  REQUIRE(ds.size() == 2);
  CHECK(ds.label(0) == 1);
  CHECK(ds.load(1).width == 3);
  CHECK(ds.source(0) == "a.png");
  CHECK(ds.source(1) == "memory:1");
  CHECK(ds.prompt(1) == "a photo of a hot dog.");
  ds.prompt_template = "{} texture.";
  CHECK(ds.prompt(0) == "cat texture.");
  CHECK(ds.name() == "toy");
  CHECK_THROWS_AS(ds.add(Image(1, 1, 3), 2), std::invalid_argument);
  CHECK_THROWS_AS(ds.add(Image(), 0), std::invalid_argument);
  CHECK_THROWS_AS(ds.load(2), std::out_of_range);
  CHECK_THROWS_AS(ds.prompt(-1), std::out_of_range);
  ds.labels.push_back(0);
  CHECK_THROWS_AS(ds.size(), std::logic_error);
}

}  // namespace DISTDIFF_UNITY_ID
