// The RNN's inference path as TorchScript (Seq2SeqModel::define_torchscript):
// encode / start / step written against the native parameter names
// (self.encoder.rnn.weight_ih_l0, self.attention.key_layer.weight, ...), so the
// export copies the parameters by name. Kept beside rnn.cpp: a change to the
// model's computation is made here too, and the export parity tests
// (tests/test_export.cpp) fail until it is.
#include <torch/script.h>

#include <algorithm>
#include <map>

#include "models/attention.h"
#include "models/rnn.h"
#include "models/script_text.h"
#include "text/tokenizer.h"

namespace s2s {
namespace {

// The flat weight list of a native torch::nn::LSTM / GRU, in its own order:
// per layer, per direction: weight_ih, weight_hh, bias_ih, bias_hh.
std::string rnn_params(const std::string& prefix, int64_t layers, bool bidirectional) {
  std::string out = "[";
  bool first = true;
  for (int64_t l = 0; l < layers; ++l) {
    for (int d = 0; d < (bidirectional ? 2 : 1); ++d) {
      const std::string suffix = "_l" + std::to_string(l) + (d == 1 ? "_reverse" : "");
      for (const char* name : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) {
        if (!first) out += ", ";
        first = false;
        out += prefix + "." + name + suffix;
      }
    }
  }
  return out + "]";
}

std::string rnn_torchscript(const RnnOptions& o) {
  const bool lstm = o.cell == "lstm";
  const AttentionKind kind = parse_attention_kind(o.attention, o.luong_score);
  const bool luong = kind == AttentionKind::luong_dot || kind == AttentionKind::luong_general;
  const bool feeding = luong && o.input_feeding;
  const int64_t dirs = o.bidirectional ? 2 : 1;
  const int64_t H = o.hidden_dim, Le = o.encoder_layers, Ld = o.decoder_layers;

  // State layout: memory, mask, [keys], hidden (B, Ld, H), [cell], [feed].
  int slot = 2;
  const int keys_slot = kind != AttentionKind::none ? slot++ : -1;
  const int hidden_slot = slot++;
  const int cell_slot = lstm ? slot++ : -1;
  const int feed_slot = feeding ? slot++ : -1;

  std::map<std::string, std::string> v = {
      {"H", std::to_string(H)},
      {"LE", std::to_string(Le)},
      {"LD", std::to_string(Ld)},
      {"LAYER_OFFSET", std::to_string(std::max<int64_t>(Le - Ld, 0))},
      {"DIRS", std::to_string(dirs)},
      {"LE_DIRS", std::to_string(Le * dirs)},
      {"M", std::to_string(dirs * H)},
      {"BIDIR", script_bool(o.bidirectional)},
      {"ENC_PARAMS", rnn_params("self.encoder.rnn", Le, o.bidirectional)},
      {"HIDDEN", std::to_string(hidden_slot)},
      {"CELL", std::to_string(cell_slot)},
      {"KEYS", std::to_string(keys_slot)},
      {"FEED", std::to_string(feed_slot)},
  };

  std::string s;
  // ---- encode: the packed bidirectional stack exactly as the native
  // pack_padded_sequence(enforce_sorted=false) + forward_with_packed_input.
  s += R"TS(
def encode(self, src: Tensor, src_lengths: Tensor) -> List[Tensor]:
    B = src.size(0)
    embedded = torch.embedding(self.src_embedding.weight, src)
    lengths, sorted_indices = torch.sort(src_lengths.cpu().to(${LONG}), -1, True)
    sorted_indices = sorted_indices.to(embedded.device)
    packed_input = embedded.index_select(0, sorted_indices)
    data, batch_sizes = torch._pack_padded_sequence(packed_input, lengths, True)
    unsorted_indices = torch.empty_like(sorted_indices).scatter_(0, sorted_indices, torch.arange(0, sorted_indices.numel(), device=sorted_indices.device))
    max_batch = int(batch_sizes[0].item())
    h0 = torch.zeros([${LE_DIRS}, max_batch, ${H}], dtype=data.dtype, device=data.device)
)TS";
  if (lstm) {
    s += R"TS(
    c0 = torch.zeros([${LE_DIRS}, max_batch, ${H}], dtype=data.dtype, device=data.device)
    out_data, hidden, cell = torch.lstm(data, batch_sizes, [h0, c0], ${ENC_PARAMS}, True, ${LE}, 0.0, False, ${BIDIR})
)TS";
  } else {
    s += R"TS(
    out_data, hidden = torch.gru(data, batch_sizes, h0, ${ENC_PARAMS}, True, ${LE}, 0.0, False, ${BIDIR})
)TS";
  }
  s += R"TS(
    padded, padded_lengths = torch._pad_packed_sequence(out_data, batch_sizes, True, 0.0, src.size(1))
    memory = padded.index_select(0, unsorted_indices)
    hidden = hidden.index_select(1, unsorted_indices)
    result = [memory, src.ne(${PAD_ID}), hidden.view([${LE}, ${DIRS}, B, ${H}]).permute([2, 0, 1, 3]).reshape([B, ${LE}, ${M}])]
)TS";
  if (lstm) {
    s += R"TS(
    cell = cell.index_select(1, unsorted_indices)
    result.append(cell.view([${LE}, ${DIRS}, B, ${H}]).permute([2, 0, 1, 3]).reshape([B, ${LE}, ${M}]))
)TS";
  }
  s += "    return result\n";

  // ---- start: decoder layer l starts from encoder layer
  // min(l + max(Le - Ld, 0), Le - 1) through a tanh bridge (top layers line up).
  s += R"TS(
def start(self, encoded: List[Tensor]) -> List[Tensor]:
    memory = encoded[0]
    layers = torch.clamp_max(torch.arange(${LD}, dtype=${LONG}) + ${LAYER_OFFSET}, ${LE} - 1).to(memory.device)
    state = [memory, encoded[1]]
)TS";
  if (kind == AttentionKind::bahdanau || kind == AttentionKind::luong_general) {
    s += "    state.append(torch.linear(memory, self.attention.key_layer.weight))\n";
  } else if (kind == AttentionKind::luong_dot) {
    s += "    state.append(memory)\n";
  }
  s += "    state.append(torch.tanh(torch.linear(encoded[2].index_select(1, layers), self.bridge_hidden.weight, "
       "self.bridge_hidden.bias)))\n";
  if (lstm) {
    s += "    state.append(torch.linear(encoded[3].index_select(1, layers), self.bridge_cell.weight, "
         "self.bridge_cell.bias))\n";
  }
  if (feeding) s += "    state.append(torch.zeros([memory.size(0), ${H}], dtype=memory.dtype, device=memory.device))\n";
  s += "    return state\n";

  // ---- the decoder recurrence for one step, op for op as the native
  // RecurrentStack::step (so both compute the same floats): layer 0's input
  // projection is split into the embedding's part (biases folded in) and the
  // part of the rest of the input (attention context or fed-back state).
  const bool has_rest = kind == AttentionKind::bahdanau || feeding;
  v["E"] = std::to_string(o.embed_dim);
  v["REST"] = std::to_string(kind == AttentionKind::bahdanau ? dirs * H : H);
  s += std::string("\ndef _run_decoder(self, state: List[Tensor], embedded: Tensor") +
       (has_rest ? ", rest: Tensor" : "") + ") -> Tuple[Tensor, Tensor, Tensor]:\n";
  s += "    w = self.decoder.rnn.weight_ih_l0\n";
  s += std::string("    gates = torch.matmul(embedded, w.narrow(1, 0, ${E}).t()) + self.decoder.rnn.bias_ih_l0") +
       (lstm ? " + self.decoder.rnn.bias_hh_l0\n" : "\n");
  if (has_rest) s += "    gates = torch.addmm(gates, rest, w.narrow(1, w.size(1) - ${REST}, ${REST}).t())\n";
  s += "    hiddens: List[Tensor] = []\n    cells: List[Tensor] = []\n";
  for (int64_t layer = 0; layer < Ld; ++layer) {
    const std::string l = std::to_string(layer), p = "self.decoder.rnn.";
    if (layer > 0) {
      s += "    gates = torch.addmm(" + p + "bias_ih_l" + l + ", x, " + p + "weight_ih_l" + l + ".t())\n";
      if (lstm) s += "    gates = gates + " + p + "bias_hh_l" + l + "\n";
    }
    s += "    h = state[${HIDDEN}].select(1, " + l + ")\n";
    if (lstm) {
      s += "    g = torch.addmm(gates, h, " + p + "weight_hh_l" + l + ".t()).chunk(4, 1)\n";
      s += "    c = torch.sigmoid(g[1]) * state[${CELL}].select(1, " + l + ") + torch.sigmoid(g[0]) * torch.tanh(g[2])\n";
      s += "    x = torch.sigmoid(g[3]) * torch.tanh(c)\n    cells.append(c)\n";
    } else {
      s += "    fh = torch.addmm(" + p + "bias_hh_l" + l + ", h, " + p + "weight_hh_l" + l + ".t()).chunk(3, 1)\n";
      s += "    fi = gates.chunk(3, 1)\n";
      s += "    reset = torch.sigmoid(fi[0] + fh[0])\n    update = torch.sigmoid(fi[1] + fh[1])\n";
      s += "    candidate = torch.tanh(fi[2] + reset * fh[2])\n";
      s += "    x = candidate + update * (h - candidate)\n";
    }
    s += "    hiddens.append(x)\n";
  }
  if (Ld == 1) {
    s += "    new_hidden = hiddens[0].unsqueeze(1)\n";
    s += lstm ? "    new_cell = cells[0].unsqueeze(1)\n" : "    new_cell = new_hidden\n";
  } else {
    s += "    new_hidden = torch.stack(hiddens, 1)\n";
    s += lstm ? "    new_cell = torch.stack(cells, 1)\n" : "    new_cell = new_hidden\n";
  }
  s += "    return x, new_hidden, new_cell\n";

  // ---- attention: scores, masked softmax, context.
  if (kind != AttentionKind::none) {
    s += R"TS(
def _attend(self, query: Tensor, keys: Tensor, memory: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
)TS";
    if (kind == AttentionKind::bahdanau) {
      s += R"TS(
    energy = torch.tanh(keys + torch.linear(query, self.attention.query_layer.weight).unsqueeze(1))
    scores = torch.linear(energy, self.attention.energy_layer.weight).squeeze(2)
)TS";
    } else {
      s += "    scores = torch.bmm(keys, query.unsqueeze(2)).squeeze(2)\n";
    }
    s += R"TS(
    scores = scores.masked_fill(mask.logical_not(), float("-inf"))
    weights = torch.softmax(scores, 1)
    context = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)
    return context, weights
)TS";
  }

  // ---- step
  s += R"TS(
def step_attend(self, state: List[Tensor], tokens: Tensor, position: int) -> Tuple[Tensor, List[Tensor], Tensor]:
    embedded = torch.embedding(self.trg_embedding.weight, tokens)
    new_state = [s for s in state]
)TS";
  switch (kind) {
    case AttentionKind::none:
      s += R"TS(
    hidden, new_hidden, new_cell = self._run_decoder(state, embedded)
    weights = hidden.new_zeros([tokens.size(0), 0])
)TS";
      break;
    case AttentionKind::bahdanau:
      s += R"TS(
    query = state[${HIDDEN}].select(1, ${LD} - 1)
    context, weights = self._attend(query, state[${KEYS}], state[0], state[1])
    output, new_hidden, new_cell = self._run_decoder(state, embedded, context)
    hidden = torch.tanh(torch.linear(torch.cat([output, context, embedded], 1), self.attentional.weight, self.attentional.bias))
)TS";
      break;
    case AttentionKind::luong_dot:
    case AttentionKind::luong_general:
      s += feeding ? "    output, new_hidden, new_cell = self._run_decoder(state, embedded, state[${FEED}])\n"
                   : "    output, new_hidden, new_cell = self._run_decoder(state, embedded)\n";
      s += R"TS(
    context, weights = self._attend(output, state[${KEYS}], state[0], state[1])
    hidden = torch.tanh(torch.linear(torch.cat([output, context], 1), self.attentional.weight, self.attentional.bias))
)TS";
      if (feeding) s += "    new_state[${FEED}] = hidden\n";
      break;
  }
  s += "    new_state[${HIDDEN}] = new_hidden\n";
  if (lstm) s += "    new_state[${CELL}] = new_cell\n";
  // Attention as (B, heads, S): one "head", or none (B, 0) without attention.
  s += "    return torch.linear(hidden, self.output.weight, self.output.bias), new_state, weights.unsqueeze(1)\n";
  v["PAD_ID"] = std::to_string(SpecialIds::pad);
  return fill_script(s, v);
}

}  // namespace

void RnnSeq2Seq::define_torchscript(torch::jit::Module& root) const { root.define(rnn_torchscript(options_)); }

std::string RnnSeq2Seq::attention_description() const {
  switch (parse_attention_kind(options_.attention, options_.luong_score)) {
    case AttentionKind::none: return "none";
    case AttentionKind::bahdanau: return "bahdanau";
    case AttentionKind::luong_dot: return "luong-dot";
    case AttentionKind::luong_general: return "luong-general";
  }
  return "none";
}

}  // namespace s2s
