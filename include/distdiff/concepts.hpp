#pragma once
// Umbrella for every concept family.
#include "distdiff/concepts/component.hpp"
#include "distdiff/concepts/dataset.hpp"
#include "distdiff/concepts/energy.hpp"
#include "distdiff/concepts/features.hpp"
#include "distdiff/concepts/models.hpp"
#include "distdiff/concepts/preprocess.hpp"
#include "distdiff/concepts/prototypes.hpp"
#include "distdiff/concepts/sampler.hpp"
#include "distdiff/concepts/schedule.hpp"
#include "distdiff/concepts/augment.hpp"
#include "distdiff/concepts/transform.hpp"
#include "distdiff/concepts/update.hpp"
