#pragma once
// The include of an experiment that expands a dataset: compositions (slots,
// components, named compositions), the expansion pipeline and its command
// line (expand_main), the models it loads and the datasets it reads. Training,
// evaluation (FID) and result tables are in distdiff/train.hpp,
// distdiff/eval.hpp and distdiff/io.hpp; distdiff/distdiff.hpp has everything.
#include "distdiff/composition/bind.hpp"
#include "distdiff/composition/check.hpp"
#include "distdiff/composition/differs_in.hpp"
#include "distdiff/composition/distdiff.hpp"
#include "distdiff/composition/named.hpp"
#include "distdiff/composition/preset.hpp"
#include "distdiff/concepts.hpp"
#include "distdiff/core/threads.hpp"
#include "distdiff/energy.hpp"
#include "distdiff/features.hpp"
#include "distdiff/pipeline/cli.hpp"
#include "distdiff/pipeline/expand.hpp"
#include "distdiff/prototypes.hpp"
#include "distdiff/schedule.hpp"
#include "distdiff/transform.hpp"
#include "distdiff/update.hpp"
