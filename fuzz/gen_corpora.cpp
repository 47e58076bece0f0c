// Writes the seed corpora of the manifest, image, results and config fuzzers
// into <dir>/<target>/: valid inputs made with the library's own writers, plus
// a few near misses. Run by fuzz/run.sh.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "distdiff/io/image_io.hpp"
#include "distdiff/io/results.hpp"
#include "distdiff/models/clip/config.hpp"
#include "distdiff/models/unet/config.hpp"
#include "distdiff/models/vae/config.hpp"
#include "distdiff/pipeline/manifest.hpp"

namespace fs = std::filesystem;
using namespace distdiff;
using namespace distdiff::io;

namespace {
void put(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}
std::string str(const std::vector<std::uint8_t>& v) { return {v.begin(), v.end()}; }
}  // namespace

int main(int argc, char** argv) {
  const fs::path out = argc > 1 ? argv[1] : "seeds";

  // manifest.jsonl
  ManifestEntry e;
  e.file = "circle/0_1.png";
  e.class_name = "circle";
  e.label = 0;
  e.seed_index = 0;
  e.sample = 1;
  e.seed_source = "shapes/0";
  e.prompt = "a photo of a circle.";
  e.random_seed = 1234567890123ULL;
  e.batch = 3;
  e.composition = "distdiff [class=class-mean]";
  e.method = "distdiff";
  e.energy_before = 0.93;
  e.energy_after = 0.71;
  e.guided_timesteps = {621, 601};
  const std::string line = e.to_json().dump();
  ManifestEntry f = e;
  f.nonfinite.push_back({621, 0, "energy", "kept the unguided latent"});
  f.energy_before.reset();
  f.energy_after.reset();
  const std::string line2 = f.to_json().dump();
  put(out / "manifest", "one", line + "\n");
  put(out / "manifest", "two_nonfinite", line + "\n" + line2 + "\n");
  put(out / "manifest", "torn", line + "\n" + line2.substr(0, line2.size() / 2));
  put(out / "manifest", "minimal", "{\"file\":\"a/b.png\",\"class\":\"a\",\"label\":0}\n");

  // images: the first byte picks the channels (0, 1, 3, 4)
  for (int c : {1, 3, 4}) {
    Image img(5, 3, c);
    for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = std::uint8_t(i * 37);
    put(out / "image", "png" + std::to_string(c), std::string(1, char(c == 1 ? 1 : c == 3 ? 2 : 3)) + str(encode_png(img)));
    put(out / "image", "jpeg" + std::to_string(c), std::string(1, char(2)) + str(encode_jpeg(img, 80)));
    std::vector<std::uint8_t> bmp;
    stbi_write_bmp_to_func(&distdiff::detail::append_bytes, &bmp, img.width, img.height, img.channels, img.pixels.data());
    put(out / "image", "bmp" + std::to_string(c), std::string(1, char(0)) + str(bmp));
  }
  {  // a zero-length IDAT chunk before the image data (stb 2.27 copied it from a null pointer)
    std::string png = str(encode_png(Image(4, 2, 3)));
    png.insert(png.find("IDAT") - 4, std::string("\0\0\0\0IDAT\x35\xAF\x06\x1E", 12));
    put(out / "image", "png_empty_idat", std::string(1, char(2)) + png);
  }

  // results CSV
  ResultRow r;
  r.dataset = "caltech101";
  r.method = "DistDiff";
  r.backbone = "resnet50";
  r.expansion = 5;
  r.seed = 2;
  r.top1_best = 83.25;
  r.top1_last = 82.5;
  r.epochs = 100;
  r.seconds = 1234.5;
  r.timestamp = "2026-01-02T03:04:05Z";
  ResultRow q = r;
  q.method = "a, \"quoted\" method";
  q.expansion = 0;
  const std::string header = io::detail::header_line() + "\n";
  put(out / "results", "one", header + to_csv_line(r) + "\n");
  put(out / "results", "quoted", header + to_csv_line(r) + "\r\n" + to_csv_line(q) + "\n\n");
  put(out / "results", "header", header);

  // model configs: the first byte picks the reader (0 VAE, 1 UNet, 2 CLIP text, 3 CLIP vision, 4 CLIP model)
  using namespace distdiff::models;
  put(out / "config", "vae", std::string(1, char(0)) + VaeConfig::sd_v1_4().to_json().dump());
  put(out / "config", "vae_tiny", std::string(1, char(0)) + VaeConfig::tiny().to_json().dump());
  put(out / "config", "unet", std::string(1, char(1)) + UNetConfig::sd_v1_4().to_json().dump());
  put(out / "config", "unet_tiny", std::string(1, char(1)) + UNetConfig::tiny().to_json().dump());
  put(out / "config", "clip_text", std::string(1, char(2)) + ClipTextConfig::sd_v1_4_text().to_json().dump());
  put(out / "config", "clip_vision", std::string(1, char(3)) + ClipVisionConfig::tiny().to_json().dump());
  put(out / "config", "clip_model", std::string(1, char(4)) + ClipModelConfig::vit_b_32().to_json().dump());
  put(out / "config", "clip_model_tiny", std::string(1, char(4)) + ClipModelConfig::tiny().to_json().dump());
  return 0;
}
