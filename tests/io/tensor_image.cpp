#include <catch2/catch.hpp>

#include <distdiff/io/tensor_image.hpp>

#include <cstdint>

using distdiff::Image;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("to_tensor: layout, range and grey expansion", "[io][tensor]") {
  Image img(4, 3, 3);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x)
      for (int c = 0; c < 3; ++c) img.at(x, y, c) = static_cast<std::uint8_t>(x * 60 + y * 5 + c);
  const torch::Tensor t = distdiff::to_tensor(img);
  REQUIRE(t.sizes() == torch::IntArrayRef({3, 3, 4}));
  REQUIRE(t.scalar_type() == torch::kFloat32);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x)
      for (int c = 0; c < 3; ++c) REQUIRE(t[c][y][x].item<float>() == Approx(img.at(x, y, c) / 255.0f));

  Image grey(2, 2, 1);
  grey.pixels = {0, 51, 102, 255};
  const torch::Tensor g = distdiff::to_tensor(grey);
  REQUIRE(g.sizes() == torch::IntArrayRef({3, 2, 2}));
  CHECK(torch::equal(g[0], g[1]));
  CHECK(torch::equal(g[0], g[2]));
  CHECK(g[0][1][0].item<float>() == Approx(0.4f));

  Image rgba(1, 1, 4);
  rgba.pixels = {10, 20, 30, 40};
  CHECK(distdiff::to_tensor(rgba).sizes() == torch::IntArrayRef({3, 1, 1}));
}

TEST_CASE("to_image inverts to_tensor exactly and clamps/rounds", "[io][tensor]") {
  Image img(5, 2, 3);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i * 25);
  CHECK(distdiff::to_image(distdiff::to_tensor(img)).pixels == img.pixels);

  torch::Tensor x = torch::tensor({-0.5f, 0.0f, 0.5f / 255, 1.6f / 255, 1.0f, 2.0f}).reshape({1, 2, 3});
  const Image out = distdiff::to_image(x);
  REQUIRE(out.channels == 1);
  REQUIRE(out.width == 3);
  REQUIRE(out.height == 2);
  CHECK(out.pixels == std::vector<std::uint8_t>{0, 0, 0, 2, 255, 255});  // 0.5 rounds to even
  CHECK(distdiff::to_image(x.to(torch::kFloat64)).pixels == out.pixels);

  CHECK_THROWS_AS(distdiff::to_image(torch::zeros({2, 3, 3})), std::invalid_argument);
  CHECK_THROWS_AS(distdiff::to_image(torch::zeros({3, 3})), std::invalid_argument);
  CHECK_THROWS_AS(distdiff::to_image(torch::zeros({3, 3, 3}, torch::kInt64)), std::invalid_argument);
}

TEST_CASE("batch conversions", "[io][tensor]") {
  std::vector<Image> imgs;
  for (int i = 0; i < 3; ++i) {
    Image a(3, 2, 3);
    for (auto& p : a.pixels) p = static_cast<std::uint8_t>(i * 70 + 5);
    imgs.push_back(a);
  }
  const torch::Tensor b = distdiff::to_tensor(imgs);
  REQUIRE(b.sizes() == torch::IntArrayRef({3, 3, 2, 3}));
  const auto back = distdiff::to_images(b);
  REQUIRE(back.size() == 3);
  for (int i = 0; i < 3; ++i) CHECK(back[i].pixels == imgs[i].pixels);
  imgs.push_back(Image(2, 2, 3));
  CHECK_THROWS_AS(distdiff::to_tensor(imgs), std::invalid_argument);
  CHECK_THROWS_AS(distdiff::to_tensor(std::vector<Image>{}), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
