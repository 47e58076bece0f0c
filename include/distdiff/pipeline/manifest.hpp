#pragma once
// The manifest types moved to io/manifest.hpp (below data/ and pipeline/);
// this header keeps existing includes working.
#include "distdiff/io/manifest.hpp"
