#include "train/loss.h"

#include "text/tokenizer.h"

namespace s2s {

LossSums label_smoothed_loss(const torch::Tensor& logits, const torch::Tensor& target, double epsilon) {
  auto log_probs = torch::log_softmax(logits.to(torch::kFloat), -1);  // (B, T, V)
  auto real = target.ne(SpecialIds::pad);                            // (B, T)
  auto nll = -log_probs.gather(-1, target.unsqueeze(-1)).squeeze(-1); // (B, T)
  auto uniform = -log_probs.mean(-1);                                 // (B, T)
  auto loss = (1.0 - epsilon) * nll + epsilon * uniform;
  return {loss.masked_select(real).sum(), nll.masked_select(real).sum()};
}

}  // namespace s2s
