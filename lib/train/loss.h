#pragma once
#include <torch/torch.h>

namespace s2s {

struct LossSums {
  torch::Tensor loss;  // scalar: label-smoothed loss summed over real target tokens
  torch::Tensor nll;   // scalar: plain negative log-likelihood, summed (for perplexity)
};

// Label-smoothed cross-entropy (Szegedy et al. 2016): the target keeps
// 1 - epsilon of the mass and epsilon is spread uniformly over the vocabulary.
// logits (B, T, V), target (B, T); PAD positions contribute nothing. Sums, not
// means: the caller divides by the token count of the whole (accumulated) step.
LossSums label_smoothed_loss(const torch::Tensor& logits, const torch::Tensor& target, double epsilon);

}  // namespace s2s
