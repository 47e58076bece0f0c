#pragma once
// Umbrella for the prototype family (paper §4.1): class-level and group-level
// prototype strategies, their composition and their file format.
#include "distdiff/prototypes/agglomerative.hpp"
#include "distdiff/prototypes/build.hpp"
#include "distdiff/prototypes/class_mean.hpp"
#include "distdiff/prototypes/io.hpp"
#include "distdiff/prototypes/kmeans.hpp"
#include "distdiff/prototypes/projection.hpp"
