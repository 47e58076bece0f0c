// CLIP contrastive pretraining (pretrain/clip_contrastive.hpp) on a tiny
// synthetic slice: the loss goes down, and the saved folders load through the
// published-layout loaders with the same outputs.
#include <catch2/catch.hpp>

#include <distdiff/models/clip/io.hpp>
#include <distdiff/models/stable_diffusion.hpp>
#include <distdiff/pretrain/captions.hpp>
#include <distdiff/pretrain/clip_contrastive.hpp>

#include <cmath>
#include <numeric>

#include "support/pretrain_data.hpp"
#include "support/temp_dir.hpp"

namespace pt = distdiff::pretrain;
namespace dm = distdiff::models;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

double mean_of(const std::vector<pt::StepLog>& curve, std::size_t begin, std::size_t end) {
  double s = 0;
  for (auto i = begin; i < end; ++i) s += curve[i].loss;
  return s / double(end - begin);
}

}  // namespace

TEST_CASE("train_clip lowers the contrastive loss on a tiny slice; folders round-trip", "[pretrain][clip]") {
  const auto ds = distdiff::test::quadrant_dataset(16);
  const auto images = pt::load_image_tensors(ds, {}, 32);
  const auto captions = pt::make_caption_table(ds, {});
  const auto tones = pt::image_tones(images, captions.num_tones());
  auto cfg = dm::ClipModelConfig::tiny(514);
  auto clip = pt::make_seeded<dm::ClipModel>(1, cfg);
  pt::init_clip_for_training(*clip, 1);
  const auto tok = dm::byte_level_tokenizer();
  pt::ClipTrainConfig tc;
  tc.max_steps = 100;
  tc.batch_size = 16;
  tc.lr = 3e-3;
  tc.warmup_steps = 5;
  tc.log_every = 1;
  std::int64_t calls = 0;
  const auto report = pt::train_clip(clip, tok, images, tones, captions, tc, [&](const pt::StepLog&) { ++calls; });
  REQUIRE(report.curve.size() == 100);
  CHECK(calls == 100);
  CHECK(report.steps == 100);
  const double first = mean_of(report.curve, 0, 10), last = mean_of(report.curve, 90, 100);
  INFO("loss " << first << " -> " << last);
  CHECK(last < 0.85 * first);
  CHECK(clip->logit_scale.exp().item<double>() <= 100.0 + 1e-6);

  std::vector<std::string> prompts;
  for (std::int64_t c = 0; c < 4; ++c) prompts.push_back(ds.prompt(c));
  const auto zs = pt::zero_shot(clip, tok, images, prompts);
  CHECK(zs.images == 64);
  CHECK(zs.per_class.size() == 4);
  CHECK(zs.top1 >= 0.0);
  CHECK(zs.top1 <= 100.0);

  distdiff::test::TempDir dir("pretrain-clip");
  pt::save_clip_folders(clip, dir / "text_encoder", dir / "clip", dir / "clip_model");
  pt::write_byte_level_tokenizer(dir / "tokenizer");
  torch::NoGradGuard no_grad;
  const auto ids = tok.batch_encode({"a photo of a boat.", ""});
  auto text = dm::load_clip_text_model(dir / "text_encoder");
  CHECK(torch::allclose(text->forward(ids).last_hidden_state, clip->text_model->forward(ids).last_hidden_state));
  auto vision = dm::load_clip_vision_model(dir / "clip");
  const auto x = images.range01(0, 4);
  CHECK(torch::allclose(vision->image_embeds(x), clip->image_embeds(x)));
  auto full = dm::load_clip_model(dir / "clip_model");
  CHECK(torch::allclose(full->logit_scale, clip->logit_scale));
  const auto reread = dm::ClipTokenizer::from_dir(dir / "tokenizer");
  CHECK(torch::equal(reread.batch_encode({"a photo of a bag."}), tok.batch_encode({"a photo of a bag."})));
}

TEST_CASE("the contrastive loss treats repeated captions as positives", "[pretrain][clip]") {
  // Two images, one caption each; perfect alignment -> loss near 0.
  auto logits = torch::tensor({{10.0, -10.0}, {-10.0, 10.0}});
  CHECK(pt::detail::clip_contrastive_loss(logits, torch::tensor({3, 4})).item<double>() < 1e-6);
  // The same caption twice: the two columns tie; the loss is at its floor log 2 and its
  // gradient is zero (CLIP's hard targets would push the identical pair apart).
  auto tied = torch::tensor({{5.0, 5.0}, {5.0, 5.0}}, torch::requires_grad());
  auto loss = pt::detail::clip_contrastive_loss(tied, torch::tensor({3, 3}));
  CHECK(loss.item<double>() == Approx(std::log(2.0)));
  loss.backward();
  CHECK(tied.grad().abs().max().item<double>() < 1e-6);
}

}  // namespace DISTDIFF_UNITY_ID
