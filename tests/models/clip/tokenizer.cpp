// ClipTokenizer: text cleanup, pre-tokenisation, byte mapping, BPE by rank,
// special tokens, padding/truncation, decoding, errors. Expected segmentations are
// derived by hand from the toy merges in tests/support/clip_test_support.hpp.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "distdiff/models/clip/tokenizer.hpp"
#include "support/clip_test_support.hpp"

using distdiff::models::ClipTokenizer;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

using Strings = std::vector<std::string>;

namespace {
std::int64_t id_of(const ClipTokenizer& t, const std::string& tok) {
  auto id = t.token_id(tok);
  REQUIRE(id.has_value());
  return *id;
}
}  // namespace

TEST_CASE("ClipTokenizer: vocabulary layout and special ids", "[clip][tokenizer]") {
  auto tok = clip_test::toy_tokenizer();
  // 256 bytes + 256 bytes</w> + 16 merges + 2 specials.
  CHECK(tok.vocab_size() == 530);
  CHECK(tok.num_merges() == 16);
  CHECK(tok.start_id == 528);
  CHECK(tok.end_id == 529);
  CHECK(tok.pad_id == 529);
  // Published CLIP ids of single letters: "a" is 64, "a</w>" is 320.
  CHECK(id_of(tok, "a") == 64);
  CHECK(id_of(tok, "a</w>") == 320);

  clip_test::TempDir dir;
  clip_test::write_toy_tokenizer(dir.path, /*with_specials=*/false);
  auto bare = ClipTokenizer::from_dir(dir.path);
  CHECK(bare.start_id == 49406);
  CHECK(bare.end_id == 49407);
  CHECK(bare.pad_id == 49407);
}

TEST_CASE("ClipTokenizer: whitespace cleanup and lower-casing", "[clip][tokenizer]") {
  CHECK(ClipTokenizer::normalize("  A   Photo\tOF\n the   CAT  ") == "a photo of the cat");
  CHECK(ClipTokenizer::normalize("\xC3\x89T\xC3\x89 \xD0\x9C\xD0\x98\xD0\xA0") ==
        "\xC3\xA9t\xC3\xA9 \xD0\xBC\xD0\xB8\xD1\x80");  // ÉTÉ МИР -> été мир
  CHECK(ClipTokenizer::normalize("a\xC2\xA0\xE3\x80\x80" "b") == "a b");  // NBSP + ideographic space
  CHECK(ClipTokenizer::normalize("   ") == "");

  auto tok = clip_test::toy_tokenizer();
  CHECK(tok.encode("  THE   Cat ") == tok.encode("the cat"));
  CHECK(tok.tokenize("Hello HELLO hello") == Strings{"hello</w>", "hello</w>", "hello</w>"});
}

TEST_CASE("ClipTokenizer: pre-tokenisation follows CLIP's pattern", "[clip][tokenizer]") {
  using T = ClipTokenizer;
  CHECK(T::pre_tokenize("it's we're they've i'm we'll he'd don't") ==
        Strings{"it", "'s", "we", "'re", "they", "'ve", "i", "'m", "we", "'ll", "he", "'d", "don", "'t"});
  // Digits are split one by one; runs of other characters stay together.
  CHECK(T::pre_tokenize("cats2024!!") == Strings{"cats", "2", "0", "2", "4", "!!"});
  CHECK(T::pre_tokenize("a, b. (c)") == Strings{"a", ",", "b", ".", "(", "c", ")"});
  // The quote run is greedy: "''s" is "''" then "s"; "'sup" starts with the contraction.
  CHECK(T::pre_tokenize("''s 'sup") == Strings{"''", "s", "'s", "up"});
  CHECK(T::pre_tokenize("a<|endoftext|>b <|startoftext|>") ==
        Strings{"a", "<|endoftext|>", "b", "<|startoftext|>"});
  // Non-ASCII: é is a letter, the em dash is punctuation, ² is a number.
  CHECK(T::pre_tokenize("caf\xC3\xA9\xE2\x80\x94x\xC2\xB2") ==
        Strings{"caf\xC3\xA9", "\xE2\x80\x94", "x", "\xC2\xB2"});
}

TEST_CASE("ClipTokenizer: BPE merges by rank with </w> word ends", "[clip][tokenizer]") {
  auto tok = clip_test::toy_tokenizer();
  // the: t h e</w> -(t h)-> th e</w> -(th e</w>)-> the</w>
  CHECK(tok.tokenize("the") == Strings{"the</w>"});
  // hello: h e l l o</w> -> he l l o</w> -> he ll o</w> -> hell o</w> -> hello</w>
  CHECK(tok.tokenize("hello") == Strings{"hello</w>"});
  // hell: h e l l</w> -> he l l</w>; "l l</w>" is not the merge "l l".
  CHECK(tok.tokenize("hell") == Strings{"he", "l", "l</w>"});
  // cats: c a t s</w> -> ca t s</w> -> cat s</w> -> cats</w>
  CHECK(tok.tokenize("cats") == Strings{"cats</w>"});
  // catcat: both "c a" merge, then rank 7 (ca t</w>) before rank 8 (ca t): cat cat</w>.
  CHECK(tok.tokenize("catcat") == Strings{"cat", "cat</w>"});
  // photo: p h o t o</w> -> ph o t o</w> -> ph ot o</w> -> phot o</w> -> photo</w>
  CHECK(tok.tokenize("photo") == Strings{"photo</w>"});
  // A single character is its own word end.
  CHECK(tok.tokenize("a") == Strings{"a</w>"});
  // Contraction piece merges as a word of its own.
  CHECK(tok.tokenize("it's") == Strings{"i", "t</w>", "'s</w>"});
  // Same input twice (second time from the cache) gives the same pieces.
  CHECK(tok.tokenize("hello hello") == Strings{"hello</w>", "hello</w>"});
}

TEST_CASE("ClipTokenizer: digits, punctuation and bytes", "[clip][tokenizer]") {
  auto tok = clip_test::toy_tokenizer();
  CHECK(tok.tokenize("2024") == Strings{"2</w>", "0</w>", "2</w>", "4</w>"});
  CHECK(tok.tokenize("hello, cat!!") == Strings{"hello</w>", ",</w>", "cat</w>", "!", "!</w>"});
  // UTF-8 bytes are mapped through byte_to_unicode: é = C3 A9 -> "Ã", "©" (and "c a" merges);
  // the em dash E2 80 94 -> "â" and the unprintable 0x80, 0x94 -> U+0122, U+0136.
  CHECK(tok.tokenize("caf\xC3\xA9") == Strings{"ca", "f", "\xC3\x83", "\xC2\xA9</w>"});
  CHECK(tok.tokenize("a\xE2\x80\x94" "b") ==
        Strings{"a</w>", "\xC3\xA2", "\xC4\xA2", "\xC4\xB6</w>", "b</w>"});
  const auto ids = tok.encode("the cat");
  CHECK(ids == std::vector<std::int64_t>{id_of(tok, "the</w>"), id_of(tok, "cat</w>")});
}

TEST_CASE("ClipTokenizer: batch_encode adds start/end and pads with the end token", "[clip][tokenizer]") {
  auto tok = clip_test::toy_tokenizer();
  auto ids = tok.batch_encode({"a photo of the cat", ""});
  REQUIRE(ids.sizes() == torch::IntArrayRef({2, 77}));
  REQUIRE(ids.scalar_type() == torch::kLong);
  auto a = ids.accessor<std::int64_t, 2>();
  const std::vector<std::int64_t> head{tok.start_id,           id_of(tok, "a</w>"),   id_of(tok, "photo</w>"),
                                       id_of(tok, "of</w>"),   id_of(tok, "the</w>"), id_of(tok, "cat</w>"),
                                       tok.end_id};
  for (std::size_t i = 0; i < head.size(); ++i) CHECK(a[0][i] == head[i]);
  for (int i = 7; i < 77; ++i) CHECK(a[0][i] == tok.end_id);
  CHECK(a[1][0] == tok.start_id);
  for (int i = 1; i < 77; ++i) CHECK(a[1][i] == tok.end_id);

  // Special tokens written in the text map to their own ids.
  CHECK(tok.encode("<|startoftext|>a<|endoftext|>") ==
        std::vector<std::int64_t>{tok.start_id, id_of(tok, "a</w>"), tok.end_id});

  // A different pad token (as in special_tokens_map.json).
  auto tok2 = tok;
  tok2.pad_id = 0;
  auto p = tok2.batch_encode({"a"}, 6);
  CHECK(torch::equal(p, torch::tensor({tok.start_id, id_of(tok, "a</w>"), tok.end_id, 0L, 0L, 0L}).view({1, 6})));
}

TEST_CASE("ClipTokenizer: truncation keeps the end token", "[clip][tokenizer]") {
  auto tok = clip_test::toy_tokenizer();
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "cat ";
  auto ids = tok.batch_encode({long_text});
  auto a = ids.accessor<std::int64_t, 2>();
  CHECK(a[0][0] == tok.start_id);
  for (int i = 1; i < 76; ++i) CHECK(a[0][i] == id_of(tok, "cat</w>"));
  CHECK(a[0][76] == tok.end_id);

  auto short_ids = tok.batch_encode({"the cat"}, 3);
  CHECK(torch::equal(short_ids, torch::tensor({tok.start_id, id_of(tok, "the</w>"), tok.end_id}).view({1, 3})));
  auto bare = tok.batch_encode({"the cat"}, 2);
  CHECK(torch::equal(bare, torch::tensor({tok.start_id, tok.end_id}).view({1, 2})));
}

TEST_CASE("ClipTokenizer: decode inverts encode", "[clip][tokenizer]") {
  auto tok = clip_test::toy_tokenizer();
  for (std::string text : {"a photo of the cat", "hello world", "catcat hell", "caf\xC3\xA9 na\xC3\xAFve"})
    CHECK(tok.decode(tok.encode(text)) == text);
  // Upper case and extra spaces come back normalised; digits and punctuation as separate words.
  CHECK(tok.decode(tok.encode("  The  CAT ")) == "the cat");
  CHECK(tok.decode(tok.encode("cats 42!")) == "cats 4 2 !");
  // Padded batch rows: special tokens kept or skipped.
  auto row = tok.batch_encode({"the cat"}, 6)[0];
  CHECK(tok.decode(row) == "<|startoftext|>the cat <|endoftext|><|endoftext|><|endoftext|>");
  CHECK(tok.decode(row, /*skip_special_tokens=*/true) == "the cat");
}

TEST_CASE("ClipTokenizer: pieces missing from the vocabulary become <|endoftext|>", "[clip][tokenizer]") {
  nlohmann::json vocab = {{"a</w>", 0}, {"<|startoftext|>", 1}, {"<|endoftext|>", 2}};
  clip_test::TempDir dir;
  clip_test::write_text(dir.path / "vocab.json", vocab.dump());
  clip_test::write_text(dir.path / "merges.txt", "#version: 0.2\n");
  auto tok = ClipTokenizer::from_dir(dir.path);
  CHECK(tok.encode("a b a") == std::vector<std::int64_t>{0, 2, 0});
}

TEST_CASE("ClipTokenizer: special_tokens_map.json sets the pad token", "[clip][tokenizer]") {
  clip_test::TempDir dir;
  clip_test::write_toy_tokenizer(dir.path);
  clip_test::write_text(dir.path / "special_tokens_map.json",
                        R"({"pad_token": {"content": "!", "lstrip": false}, "eos_token": "<|endoftext|>"})");
  auto tok = ClipTokenizer::from_dir(dir.path);
  CHECK(tok.pad_id == 0);  // "!" is the first byte symbol
  CHECK(tok.end_id == 529);
  auto ids = tok.batch_encode({"a"}, 5);
  CHECK(torch::equal(ids, torch::tensor({528L, 320L, 529L, 0L, 0L}).view({1, 5})));
}

TEST_CASE("ClipTokenizer: errors name the problem", "[clip][tokenizer]") {
  clip_test::TempDir dir;
  CHECK_THROWS_WITH(ClipTokenizer::from_dir(dir.path / "missing"), Catch::Contains("does not exist"));
  CHECK_THROWS_WITH(ClipTokenizer::from_dir(dir.path), Catch::Contains("vocab.json"));

  clip_test::write_text(dir.path / "vocab.json", "{not json");
  clip_test::write_text(dir.path / "merges.txt", "#version: 0.2\na b\n");
  CHECK_THROWS_WITH(ClipTokenizer::from_dir(dir.path), Catch::Contains("not valid JSON"));

  clip_test::write_text(dir.path / "vocab.json", R"({"a": "zero"})");
  CHECK_THROWS_WITH(ClipTokenizer::from_dir(dir.path), Catch::Contains("not an integer"));

  clip_test::write_text(dir.path / "vocab.json", R"({"a": 0, "b": 0})");
  CHECK_THROWS_WITH(ClipTokenizer::from_dir(dir.path), Catch::Contains("used twice"));

  clip_test::write_text(dir.path / "vocab.json", R"({"a": 0, "b": 1})");
  clip_test::write_text(dir.path / "merges.txt", "#version: 0.2\na b c\n");
  CHECK_THROWS_WITH(ClipTokenizer::from_dir(dir.path), Catch::Contains("line 2"));

  auto tok = clip_test::toy_tokenizer();
  CHECK_THROWS_WITH(tok.encode("bad \xC3( utf8"), Catch::Contains("invalid UTF-8 at byte 4"));
  CHECK_THROWS_AS(tok.decode(std::vector<std::int64_t>{100000}), std::out_of_range);
  CHECK_THROWS_AS(tok.batch_encode({"a"}, 1), std::invalid_argument);
  CHECK_THROWS_AS(ClipTokenizer{}.encode("a"), std::logic_error);
}

}  // namespace DISTDIFF_UNITY_ID
