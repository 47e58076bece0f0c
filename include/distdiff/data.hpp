#pragma once
// Umbrella for the data family: datasets, prompts, loaders.
#include "distdiff/data/fashion_mnist.hpp"
#include "distdiff/data/image_folder.hpp"
#include "distdiff/data/in_memory.hpp"
#include "distdiff/data/prompt.hpp"
#include "distdiff/data/published.hpp"
#include "distdiff/data/split.hpp"
