#pragma once
// Umbrella for CLIP: tokenizer, text and vision towers, CLIPModel, preprocessing,
// weight loading, and the SD text conditioner.
#include "distdiff/models/clip/clip_model.hpp"
#include "distdiff/models/clip/config.hpp"
#include "distdiff/models/clip/init.hpp"
#include "distdiff/models/clip/io.hpp"
#include "distdiff/models/clip/text_model.hpp"
#include "distdiff/models/clip/tokenizer.hpp"
#include "distdiff/models/clip/transformer.hpp"
#include "distdiff/models/clip/vision_model.hpp"
#include "distdiff/models/clip_text_conditioner.hpp"
