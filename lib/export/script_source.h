#pragma once
// TorchScript source text for exported models, generated per architecture and
// per option set (C++ frontend modules cannot be scripted, so the exporter
// writes the model's computation out as TorchScript and compiles it against
// the copied parameters).
//
// Every exported model has the same methods:
//   encode(src, src_lengths) -> List[Tensor]          [memory, mask, summaries...]
//   start(encoded) -> List[Tensor]                    decoder state, batch on dim 0
//   step(state, tokens, position) -> (logits, state)  one incremental step
//   translate(src, beam, max_len_a, max_len_b) -> List[List[int]]
//       greedy (beam 1) or beam search; each output has at most
//       int(max_len_a * len(its source)) + max_len_b tokens
//   translate_scored(src, beam, max_len_a, max_len_b, length_penalty) -> (tokens, scores)
//   forward(src, src_lengths) -> Tensor               greedy, padded ids (EOS then PAD)
// The searches mirror lib/search/search.cpp step for step, so an exported
// model gives the same tokens as the native one.
#include <string>

#include "models/rnn.h"
#include "models/transformer.h"

namespace s2s::exporting {

// The search methods shared by both architectures (they only call
// self.encode / self.start / self.step).
// `length_norm`: gnmt | average | none, fixed in the exported search (search/search.h).
std::string search_source(double max_length_a, int64_t max_length_b, const std::string& length_norm = "gnmt");

// Top-level methods of an RNN model. Parameter paths follow the native
// module's names (self.encoder.rnn.weight_ih_l0, self.attention.key_layer.weight, ...).
std::string rnn_source(const RnnOptions& options);

// Methods defined on each Transformer layer submodule (encoder layers: encode;
// decoder layers: project_cross and step), then the top-level methods.
std::string transformer_layer_source(const TransformerOptions& options, bool decoder);
std::string transformer_source(const TransformerOptions& options, const std::vector<std::string>& encoder_layers,
                               const std::vector<std::string>& decoder_layers);

}  // namespace s2s::exporting
