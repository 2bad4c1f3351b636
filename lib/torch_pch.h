// Precompiled header for the LibTorch-heavy translation units: parsing
// <torch/torch.h> dominates their compile time.
#pragma once
#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
