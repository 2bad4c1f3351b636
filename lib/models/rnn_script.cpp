// The RNN's inference path as TorchScript (Seq2SeqModel::define_torchscript):
// encode / start / step, one fixed source whose options are literals. A
// boolean option is an `if True:` / `if False:` the TorchScript compiler
// resolves at compile time, so the branch not taken may name parameters this
// configuration does not have (the GRU has no bridge_cell). Layers are loops
// over lists of the native parameters, which define_torchscript registers
// beside them (the same tensors, saved once). Kept beside rnn.cpp: a change to the
// model's computation is made here too, and the export parity tests
// (tests/test_export.cpp) fail until it is.
#include <torch/script.h>

#include <map>

#include "models/attention.h"
#include "models/rnn.h"
#include "models/script_text.h"
#include "text/tokenizer.h"

namespace s2s {
namespace {

// State: [memory (B, S, M), mask (B, S), keys (B, S, ·), hidden (B, Ld, H),
// cell (B, Ld, H), fed-back attentional state (B, H)]. A slot this
// configuration does not use holds a (B, 0) tensor, so the layout is one.
constexpr const char* kSource = R"TS(
def encode(self, src: Tensor, src_lengths: Tensor) -> List[Tensor]:
    # The packed stack exactly as the native pack_padded_sequence(enforce_sorted=False)
    # + forward_with_packed_input.
    B = src.size(0)
    embedded = torch.embedding(self.src_embedding.weight, src)
    lengths, sorted_indices = torch.sort(src_lengths.cpu().to(${LONG}), -1, True)
    sorted_indices = sorted_indices.to(embedded.device)
    packed_input = embedded.index_select(0, sorted_indices)
    data, batch_sizes = torch._pack_padded_sequence(packed_input, lengths, True)
    unsorted_indices = torch.empty_like(sorted_indices).scatter_(0, sorted_indices, torch.arange(0, sorted_indices.numel(), device=sorted_indices.device))
    max_batch = int(batch_sizes[0].item())
    h0 = torch.zeros([${LE} * ${DIRS}, max_batch, ${H}], dtype=data.dtype, device=data.device)
    summaries: List[Tensor] = []
    if ${LSTM}:
        out_data, hidden, cell = torch.lstm(data, batch_sizes, [h0, torch.zeros_like(h0)], self.encoder_weights, True, ${LE}, 0.0, False, ${BIDIRECTIONAL})
        summaries = [hidden, cell]
    else:
        out_data, hidden = torch.gru(data, batch_sizes, h0, self.encoder_weights, True, ${LE}, 0.0, False, ${BIDIRECTIONAL})
        summaries = [hidden]
    padded, padded_lengths = torch._pad_packed_sequence(out_data, batch_sizes, True, 0.0, src.size(1))
    result = [padded.index_select(0, unsorted_indices), src.ne(${PAD_ID})]
    for summary in summaries:
        # (Le*dirs, B, H) -> (B, Le, dirs*H): both directions of a layer side by side.
        summary = summary.index_select(1, unsorted_indices)
        result.append(summary.view([${LE}, ${DIRS}, B, ${H}]).permute([2, 0, 1, 3]).reshape([B, ${LE}, ${DIRS} * ${H}]))
    return result

def start(self, encoded: List[Tensor]) -> List[Tensor]:
    # Decoder layer l starts from encoder layer min(l + max(Le - Ld, 0), Le - 1)
    # through a tanh bridge: the top layers line up.
    memory = encoded[0]
    unused = memory.new_zeros([memory.size(0), 0])
    layers = torch.clamp_max(torch.arange(${LD}, dtype=${LONG}) + max(${LE} - ${LD}, 0), ${LE} - 1).to(memory.device)
    if ${LUONG_DOT}:
        keys = memory
    elif ${HAS_ATTENTION}:
        keys = torch.linear(memory, self.attention.key_layer.weight)
    else:
        keys = unused
    hidden = torch.tanh(torch.linear(encoded[2].index_select(1, layers), self.bridge_hidden.weight, self.bridge_hidden.bias))
    if ${LSTM}:
        cell = torch.linear(encoded[3].index_select(1, layers), self.bridge_cell.weight, self.bridge_cell.bias)
    else:
        cell = unused
    if ${INPUT_FEEDING}:
        fed = torch.zeros([memory.size(0), ${H}], dtype=memory.dtype, device=memory.device)
    else:
        fed = unused
    return [memory, encoded[1], keys, hidden, cell, fed]

def _run_decoder(self, state: List[Tensor], embedded: Tensor, rest: Optional[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
    # The recurrence for one step, op for op as the native RecurrentStack::step
    # (so both compute the same floats): layer 0's input projection is split into
    # the embedding's part (biases folded in) and the part of the rest of the
    # input (attention context or fed-back state).
    w = self.decoder_weight_ih[0]
    gates = torch.matmul(embedded, w.narrow(1, 0, ${E}).t()) + self.decoder_bias_ih[0]
    if ${LSTM}:
        gates = gates + self.decoder_bias_hh[0]
    if rest is not None:
        gates = torch.addmm(gates, rest, w.narrow(1, w.size(1) - rest.size(1), rest.size(1)).t())
    hiddens: List[Tensor] = []
    cells: List[Tensor] = []
    x = embedded
    for layer in range(${LD}):
        if layer > 0:
            gates = torch.addmm(self.decoder_bias_ih[layer], x, self.decoder_weight_ih[layer].t())
            if ${LSTM}:
                gates = gates + self.decoder_bias_hh[layer]
        h = state[3].select(1, layer)
        if ${LSTM}:
            # Gate order of torch::nn::LSTM: input, forget, cell candidate, output.
            g = torch.addmm(gates, h, self.decoder_weight_hh[layer].t()).chunk(4, 1)
            c = torch.sigmoid(g[1]) * state[4].select(1, layer) + torch.sigmoid(g[0]) * torch.tanh(g[2])
            x = torch.sigmoid(g[3]) * torch.tanh(c)
            cells.append(c)
        else:
            # Gate order of torch::nn::GRU: reset, update, new.
            fh = torch.addmm(self.decoder_bias_hh[layer], h, self.decoder_weight_hh[layer].t()).chunk(3, 1)
            fi = gates.chunk(3, 1)
            reset = torch.sigmoid(fi[0] + fh[0])
            update = torch.sigmoid(fi[1] + fh[1])
            candidate = torch.tanh(fi[2] + reset * fh[2])
            x = candidate + update * (h - candidate)
        hiddens.append(x)
    if ${LSTM}:
        new_cell = torch.stack(cells, 1)
    else:
        new_cell = state[4]
    return x, torch.stack(hiddens, 1), new_cell

def _attend(self, query: Tensor, keys: Tensor, memory: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
    if ${BAHDANAU}:
        energy = torch.tanh(keys + torch.linear(query, self.attention.query_layer.weight).unsqueeze(1))
        scores = torch.linear(energy, self.attention.energy_layer.weight).squeeze(2)
    else:
        scores = torch.bmm(keys, query.unsqueeze(2)).squeeze(2)
    scores = scores.masked_fill(mask.logical_not(), float("-inf"))
    weights = torch.softmax(scores, 1)
    return torch.bmm(weights.unsqueeze(1), memory).squeeze(1), weights

def step_attend(self, state: List[Tensor], tokens: Tensor, position: int) -> Tuple[Tensor, List[Tensor], Tensor]:
    embedded = torch.embedding(self.trg_embedding.weight, tokens)
    new_state = [s for s in state]
    if ${BAHDANAU}:
        # Attend with the previous top-layer state, then update the recurrence.
        context, weights = self._attend(state[3].select(1, ${LD} - 1), state[2], state[0], state[1])
        output, new_hidden, new_cell = self._run_decoder(state, embedded, context)
        hidden = torch.tanh(torch.linear(torch.cat([output, context, embedded], 1), self.attentional.weight, self.attentional.bias))
    elif ${HAS_ATTENTION}:
        # Luong: update the recurrence first, then attend with the new state.
        if ${INPUT_FEEDING}:
            output, new_hidden, new_cell = self._run_decoder(state, embedded, state[5])
        else:
            output, new_hidden, new_cell = self._run_decoder(state, embedded, None)
        context, weights = self._attend(output, state[2], state[0], state[1])
        hidden = torch.tanh(torch.linear(torch.cat([output, context], 1), self.attentional.weight, self.attentional.bias))
        if ${INPUT_FEEDING}:
            new_state[5] = hidden
    else:
        hidden, new_hidden, new_cell = self._run_decoder(state, embedded, None)
        weights = hidden.new_zeros([tokens.size(0), 0])
    new_state[3] = new_hidden
    new_state[4] = new_cell
    # Attention as (B, heads, S): one "head", or none (B, 1, 0) without attention.
    return torch.linear(hidden, self.output.weight, self.output.bias), new_state, weights.unsqueeze(1)
)TS";

// The parameter at dotted `path` below `root`.
torch::Tensor parameter_at(const torch::jit::Module& root, const std::string& path) {
  torch::jit::Module owner = root;
  size_t begin = 0;
  for (size_t dot = path.find('.'); dot != std::string::npos; begin = dot + 1, dot = path.find('.', begin)) {
    owner = owner.attr(path.substr(begin, dot - begin)).toModule();
  }
  return owner.attr(path.substr(begin)).toTensor();
}

// `stack`'s parameters `name`_l0, _l1, ... (and _l0_reverse, ... after each
// layer's forward one when `bidirectional`), as torch::nn::LSTM / GRU name them.
c10::List<torch::Tensor> layer_parameters(const torch::jit::Module& root, const std::string& stack,
                                          const std::vector<std::string>& names, int64_t layers, bool bidirectional) {
  c10::List<torch::Tensor> out;
  for (int64_t l = 0; l < layers; ++l) {
    for (int direction = 0; direction < (bidirectional ? 2 : 1); ++direction) {
      for (const auto& name : names) {
        out.push_back(parameter_at(root, stack + "." + name + "_l" + std::to_string(l) + (direction ? "_reverse" : "")));
      }
    }
  }
  return out;
}

}  // namespace

void RnnSeq2Seq::define_torchscript(torch::jit::Module& root) const {
  const auto& o = options_;
  const auto tensors = c10::ListType::ofTensors();
  // torch.lstm / torch.gru take the flat list in the native order: per layer,
  // per direction, weight_ih, weight_hh, bias_ih, bias_hh.
  root.register_attribute("encoder_weights", tensors,
                          layer_parameters(root, "encoder.rnn", {"weight_ih", "weight_hh", "bias_ih", "bias_hh"},
                                           o.encoder_layers, o.bidirectional));
  for (const char* name : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) {
    root.register_attribute(std::string("decoder_") + name, tensors,
                            layer_parameters(root, "decoder.rnn", {name}, o.decoder_layers, false));
  }
  root.define(fill_script(kSource, {
                                       {"H", std::to_string(o.hidden_dim)},
                                       {"E", std::to_string(o.embed_dim)},
                                       {"LE", std::to_string(o.encoder_layers)},
                                       {"LD", std::to_string(o.decoder_layers)},
                                       {"DIRS", o.bidirectional ? "2" : "1"},
                                       {"BIDIRECTIONAL", script_bool(o.bidirectional)},
                                       {"LSTM", script_bool(o.cell == "lstm")},
                                       {"HAS_ATTENTION", script_bool(attention_kind_ != AttentionKind::none)},
                                       {"BAHDANAU", script_bool(attention_kind_ == AttentionKind::bahdanau)},
                                       {"LUONG_DOT", script_bool(attention_kind_ == AttentionKind::luong_dot)},
                                       {"INPUT_FEEDING", script_bool(feeds_attentional_state())},
                                       {"PAD_ID", std::to_string(SpecialIds::pad)},
                                   }));
}

std::string RnnSeq2Seq::attention_description() const {
  switch (attention_kind_) {
    case AttentionKind::none: return "none";
    case AttentionKind::bahdanau: return "bahdanau";
    case AttentionKind::luong_dot: return "luong-dot";
    case AttentionKind::luong_general: return "luong-general";
  }
  return "none";
}

}  // namespace s2s
