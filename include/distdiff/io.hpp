#pragma once
// Umbrella for the io family: image files, tensor conversions, grids, result
// tables and plots.
#include "distdiff/io/gnuplot.hpp"
#include "distdiff/io/grid.hpp"
#include "distdiff/io/image_io.hpp"
#include "distdiff/io/manifest.hpp"
#include "distdiff/io/paper_tables.hpp"
#include "distdiff/io/plot.hpp"
#include "distdiff/io/results.hpp"
#include "distdiff/io/tensor_image.hpp"
