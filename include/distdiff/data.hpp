#pragma once
// Umbrella for the data family: datasets, prompts, loaders.
#include "distdiff/data/caltech101.hpp"
#include "distdiff/data/cifar100.hpp"
#include "distdiff/data/dtd.hpp"
#include "distdiff/data/fashion_mnist.hpp"
#include "distdiff/data/image_folder.hpp"
#include "distdiff/data/in_memory.hpp"
#include "distdiff/data/oxford_flowers.hpp"
#include "distdiff/data/oxford_pets.hpp"
#include "distdiff/data/prompt.hpp"
#include "distdiff/data/published.hpp"
#include "distdiff/data/split.hpp"
#include "distdiff/data/stanford_cars.hpp"
