#pragma once
// The search methods of an exported model, as TorchScript source. The model
// defines its own inference path (Seq2SeqModel::define_torchscript):
//   encode(src, src_lengths) -> List[Tensor]      [memory (B,S,M), mask (B,S), summaries...]
//   start(encoded) -> List[Tensor]                decoder state, batch on dim 0
//   step_attend(state, tokens, position) -> (logits (B,V), state, attention (B,H,S))
//       one incremental step; attention is the cross-attention per head (the
//       RNN: one head), or (B,1,0) for a model without attention
// and these methods only call it, so they are the same for every architecture:
//   step(state, tokens, position) -> (logits, state)   step_attend without the attention
//   translate(src, beam, max_len_a, max_len_b) -> List[List[int]]
//       greedy (beam 1) or beam search; each output has at most
//       int(max_len_a * len(its source)) + max_len_b tokens
//   translate_scored(src, beam, max_len_a, max_len_b, length_penalty) -> (tokens, scores)
//   forward(src, src_lengths) -> Tensor               greedy, padded ids (EOS then PAD)
// They mirror lib/search/search.cpp step for step, so an exported model gives
// the same tokens as the native one from Python; the C++ side decodes an export
// with lib/search itself (export/scripted_model.h).
#include <cstdint>
#include <string>

namespace s2s::exporting {

// `length_norm`: gnmt | average | none, fixed in the exported search (search/search.h);
// max_length_a / max_length_b: the output limit of `forward`.
std::string search_source(double max_length_a, int64_t max_length_b, const std::string& length_norm = "gnmt");

}  // namespace s2s::exporting
