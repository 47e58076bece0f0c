#pragma once
// Umbrella for the data family: datasets, prompts, loaders.
#include "distdiff/data/in_memory.hpp"
#include "distdiff/data/prompt.hpp"
