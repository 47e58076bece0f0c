#pragma once
// Umbrella for the train family: classifiers with torchvision's names
// (ResNet-50, ResNeXt-50 32x4d, WideResNet-50-2, MobileNetV2), pretrained
// loading for fine-tuning, the SGD + cosine training loop with exact
// checkpoint/resume, and metrics. Results tables and plots: io/results.hpp,
// io/plot.hpp. Guide: docs/training.md.
#include "distdiff/train/batches.hpp"
#include "distdiff/train/checkpoint.hpp"
#include "distdiff/train/classifier.hpp"
#include "distdiff/train/lr_schedule.hpp"
#include "distdiff/train/metrics.hpp"
#include "distdiff/train/mobilenet_v2.hpp"
#include "distdiff/train/pretrained.hpp"
#include "distdiff/train/progress.hpp"
#include "distdiff/train/resnet.hpp"
#include "distdiff/train/sgd.hpp"
#include "distdiff/train/trainer.hpp"
