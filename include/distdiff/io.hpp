#pragma once
// Umbrella for the io family: image files, tensor conversions, grids.
#include "distdiff/io/grid.hpp"
#include "distdiff/io/image_io.hpp"
#include "distdiff/io/tensor_image.hpp"
