#include "export/script_source.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "models/attention.h"
#include "text/tokenizer.h"

namespace s2s::exporting {
namespace {

// A double as a TorchScript literal that parses back to the same value.
std::string literal(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  std::string s = buffer;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

// Replaces every ${KEY} in `text`.
std::string fill(std::string text, std::map<std::string, std::string> values) {
  // Without Python, TorchScript source names dtypes by their ScalarType codes.
  values["LONG"] = std::to_string(static_cast<int>(torch::kLong));
  values["DOUBLE"] = std::to_string(static_cast<int>(torch::kDouble));
  for (const auto& [key, value] : values) {
    const std::string pattern = "${" + key + "}";
    for (size_t at = text.find(pattern); at != std::string::npos; at = text.find(pattern, at + value.size())) {
      text.replace(at, pattern.size(), value);
    }
  }
  return text;
}

std::string bool_literal(bool b) { return b ? "True" : "False"; }

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

}  // namespace

std::string search_source(double max_length_a, int64_t max_length_b, const std::string& length_norm) {
  static const char* kSource = R"TS(
def _length_normalized(self, log_prob: float, length: int, alpha: float) -> float:
    norm = "${LENGTH_NORM}"
    if alpha == 0.0 or norm == "none":
        return log_prob
    if norm == "average":
        return log_prob / (float(length) ** alpha)
    return log_prob / (((5.0 + float(length)) / 6.0) ** alpha)

def _device(self) -> Device:
    return self.src_embedding.weight.device

def _collate(self, src: List[List[int]]) -> Tuple[Tensor, Tensor]:
    width = 0
    for row in src:
        assert len(row) > 0, "translate: every source needs at least one token (its EOS, id ${EOS})"
        width = max(width, len(row))
    ids = torch.full([len(src), width], ${PAD}, dtype=${LONG})
    lengths: List[int] = []
    for b in range(len(src)):
        row = src[b]
        ids[b, 0:len(row)] = torch.tensor(row, dtype=${LONG})
        lengths.append(len(row))
    return ids.to(self._device()), torch.tensor(lengths, dtype=${LONG}).to(self._device())

def _output_limits(self, src_lengths: Tensor, max_len_a: float, max_len_b: int) -> List[int]:
    lengths: List[int] = src_lengths.cpu().to(${LONG}).tolist()
    limits: List[int] = []
    for length in lengths:
        limits.append(int(max_len_a * float(length)) + max_len_b)
    return limits

def _greedy(self, src: Tensor, src_lengths: Tensor, max_len_a: float, max_len_b: int, alpha: float) -> Tuple[List[List[int]], List[float]]:
    B = src.size(0)
    limits = self._output_limits(src_lengths, max_len_a, max_len_b)
    encoded = self.encode(src, src_lengths)
    state = self.start(encoded)
    tokens = torch.full([B], ${BOS}, dtype=${LONG}, device=src.device)
    outputs: List[List[int]] = []
    log_probs: List[float] = []
    done: List[bool] = []
    remaining = B
    for b in range(B):
        row: List[int] = []
        outputs.append(row)
        log_probs.append(0.0)
        done.append(limits[b] <= 0)
        if done[b]:
            remaining -= 1
    t = 0
    while remaining > 0:
        logits, state = self.step(state, tokens, t)
        best, best_ids = torch.log_softmax(logits, -1).max(-1)
        tokens = best_ids
        ids: List[int] = best_ids.cpu().tolist()
        values: List[float] = best.cpu().to(${DOUBLE}).tolist()
        for b in range(B):
            if not done[b]:
                log_probs[b] += values[b]
                ended = ids[b] == ${EOS}
                if not ended:
                    outputs[b].append(ids[b])
                if ended or t + 1 >= limits[b]:
                    done[b] = True
                    remaining -= 1
        t += 1
    scores: List[float] = []
    for b in range(B):
        scores.append(self._length_normalized(log_probs[b], len(outputs[b]) + 1, alpha))
    return outputs, scores

# Inserts into the best K ended paths (best first); an equal score goes after those already there.
def _keep_best(self, best_tokens: List[List[int]], best_scores: List[float], tokens: List[int], score: float, K: int) -> None:
    at = 0
    while at < len(best_scores) and best_scores[at] >= score:
        at += 1
    if at < K:
        best_tokens.insert(at, tokens)
        best_scores.insert(at, score)
        if len(best_scores) > K:
            best_tokens.pop()
            best_scores.pop()

def _beam(self, src: Tensor, src_lengths: Tensor, K: int, max_len_a: float, max_len_b: int, alpha: float) -> Tuple[List[List[int]], List[float]]:
    B = src.size(0)
    device = src.device
    limits = self._output_limits(src_lengths, max_len_a, max_len_b)
    encoded_single = self.encode(src, src_lengths)
    expand = torch.arange(B, dtype=${LONG}, device=device).repeat_interleave(K)
    encoded = [e.index_select(0, expand) for e in encoded_single]
    state = self.start(encoded)
    minus_inf = float("-inf")
    plus_inf = float("inf")
    beam_tokens: List[List[List[int]]] = []
    beam_scores: List[List[float]] = []
    fin_tokens: List[List[List[int]]] = []
    fin_scores: List[List[float]] = []
    done: List[bool] = []
    all_done = True
    for b in range(B):
        empty: List[int] = []
        beam_tokens.append([empty])
        beam_scores.append([0.0])
        no_tokens: List[List[int]] = []
        no_scores: List[float] = []
        fin_tokens.append(no_tokens)
        fin_scores.append(no_scores)
        done.append(limits[b] <= 0)
        if done[b]:
            self._keep_best(fin_tokens[b], fin_scores[b], empty, self._length_normalized(0.0, 1, alpha), K)
        else:
            all_done = False
    tokens = torch.full([B * K], ${BOS}, dtype=${LONG}, device=device)
    t = 0
    while not all_done:
        logits, state = self.step(state, tokens, t)
        log_probs = torch.log_softmax(logits, -1).to(${DOUBLE})
        V = log_probs.size(1)
        base: List[float] = []
        for r in range(B * K):
            base.append(minus_inf)
        for b in range(B):
            if not done[b]:
                for k in range(len(beam_scores[b])):
                    base[b * K + k] = beam_scores[b][k]
        base_tensor = torch.tensor(base, dtype=${DOUBLE}).to(log_probs.device)
        total = (log_probs + base_tensor.unsqueeze(1)).view([B, K * V])
        take = min(2 * K, K * V)
        top_scores, top_ids = total.topk(take, 1)
        score_at: List[List[float]] = top_scores.cpu().tolist()
        id_at: List[List[int]] = top_ids.cpu().tolist()
        parent_rows: List[int] = []
        next_tokens: List[int] = []
        for r in range(B * K):
            parent_rows.append(0)
            next_tokens.append(${PAD})
        next_beam_tokens: List[List[List[int]]] = []
        next_beam_scores: List[List[float]] = []
        for b in range(B):
            live_tokens: List[List[int]] = []
            live_scores: List[float] = []
            if not done[b]:
                j = 0
                while j < take and len(live_scores) < K:
                    score = score_at[b][j]
                    if score != score or score == minus_inf or score == plus_inf:
                        break
                    flat = id_at[b][j]
                    k = flat // V
                    token = flat % V
                    child = beam_tokens[b][k].copy()
                    if token == ${EOS}:
                        self._keep_best(fin_tokens[b], fin_scores[b], child, self._length_normalized(score, len(child) + 1, alpha), K)
                    else:
                        child.append(token)
                        row = b * K + len(live_scores)
                        parent_rows[row] = b * K + k
                        next_tokens[row] = token
                        live_tokens.append(child)
                        live_scores.append(score)
                    j += 1
                if len(live_scores) == 0:
                    done[b] = True
                elif t + 1 >= limits[b]:
                    # Paths cut by the length limit compete with the finished ones.
                    for k in range(len(live_scores)):
                        self._keep_best(fin_tokens[b], fin_scores[b], live_tokens[k], self._length_normalized(live_scores[k], len(live_tokens[k]) + 1, alpha), K)
                    live_tokens.clear()
                    live_scores.clear()
                    done[b] = True
                elif len(fin_scores[b]) >= K:
                    # Done when the best live path, ended now, would not enter the best K (as in lib/search/search.cpp).
                    if self._length_normalized(live_scores[0], len(live_tokens[0]) + 1, alpha) <= fin_scores[b][K - 1]:
                        done[b] = True
            next_beam_tokens.append(live_tokens)
            next_beam_scores.append(live_scores)
        beam_tokens = next_beam_tokens
        beam_scores = next_beam_scores
        all_done = True
        for b in range(B):
            if not done[b]:
                all_done = False
        if all_done:
            break
        parent_index = torch.tensor(parent_rows, dtype=${LONG}).to(device)
        state = [s.index_select(0, parent_index) for s in state]
        tokens = torch.tensor(next_tokens, dtype=${LONG}).to(device)
        t += 1
    outputs: List[List[int]] = []
    scores: List[float] = []
    for b in range(B):
        if len(fin_scores[b]) == 0:
            nothing: List[int] = []
            outputs.append(nothing)
            scores.append(minus_inf)
        else:
            outputs.append(fin_tokens[b][0])
            scores.append(fin_scores[b][0])
    return outputs, scores

def search(self, src: Tensor, src_lengths: Tensor, beam: int, max_len_a: float, max_len_b: int, length_penalty: float) -> Tuple[List[List[int]], List[float]]:
    assert beam >= 1, "beam size must be at least 1"
    # The parameters are stored without requires_grad, so no autograd graph is built.
    if beam == 1:
        return self._greedy(src, src_lengths, max_len_a, max_len_b, length_penalty)
    return self._beam(src, src_lengths, beam, max_len_a, max_len_b, length_penalty)

def translate_scored(self, src: List[List[int]], beam: int, max_len_a: float, max_len_b: int, length_penalty: float) -> Tuple[List[List[int]], List[float]]:
    if len(src) == 0:
        no_outputs: List[List[int]] = []
        no_scores: List[float] = []
        return no_outputs, no_scores
    ids, lengths = self._collate(src)
    return self.search(ids, lengths, beam, max_len_a, max_len_b, length_penalty)

def translate(self, src: List[List[int]], beam: int, max_len_a: float, max_len_b: int) -> List[List[int]]:
    outputs, scores = self.translate_scored(src, beam, max_len_a, max_len_b, 1.0)
    return outputs

def forward(self, src: Tensor, src_lengths: Tensor) -> Tensor:
    B = src.size(0)
    outputs, scores = self.search(src, src_lengths, 1, ${MAX_A}, ${MAX_B}, 1.0)
    width = 1
    for row in outputs:
        width = max(width, len(row) + 1)
    result = torch.full([B, width], ${PAD}, dtype=${LONG})
    for b in range(B):
        row = outputs[b]
        if len(row) > 0:
            result[b, 0:len(row)] = torch.tensor(row, dtype=${LONG})
        result[b, len(row)] = ${EOS}
    return result.to(src.device)
)TS";
  return fill(kSource, {{"PAD", std::to_string(SpecialIds::pad)},
                        {"BOS", std::to_string(SpecialIds::bos)},
                        {"EOS", std::to_string(SpecialIds::eos)},
                        {"MAX_A", literal(max_length_a)},
                        {"MAX_B", std::to_string(max_length_b)},
                        {"LENGTH_NORM", length_norm}});
}

// ------------------------------------------------------------------ RNN

std::string rnn_source(const RnnOptions& o) {
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
      {"BIDIR", bool_literal(o.bidirectional)},
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
def step(self, state: List[Tensor], tokens: Tensor, position: int) -> Tuple[Tensor, List[Tensor]]:
    embedded = torch.embedding(self.trg_embedding.weight, tokens)
    new_state = [s for s in state]
)TS";
  switch (kind) {
    case AttentionKind::none:
      s += R"TS(
    hidden, new_hidden, new_cell = self._run_decoder(state, embedded)
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
  s += "    return torch.linear(hidden, self.output.weight, self.output.bias), new_state\n";
  v["PAD_ID"] = std::to_string(SpecialIds::pad);
  return fill(s, v);
}

// ------------------------------------------------------------------ Transformer

std::string transformer_layer_source(const TransformerOptions& o, bool decoder) {
  const int64_t head_dim = o.d_model / o.heads;
  std::map<std::string, std::string> v = {
      {"D", std::to_string(o.d_model)},
      {"HEADS", std::to_string(o.heads)},
      {"HD", std::to_string(head_dim)},
      {"SCALE", literal(1.0 / std::sqrt(static_cast<double>(head_dim)))},
  };
  std::string s = R"TS(
def _split(self, x: Tensor) -> Tensor:
    return x.view([x.size(0), x.size(1), ${HEADS}, ${HD}]).transpose(1, 2)

def _ff(self, x: Tensor) -> Tensor:
    return torch.linear(torch.relu(torch.linear(x, self.ff_in.weight, self.ff_in.bias)), self.ff_out.weight, self.ff_out.bias)

def _self_attend(self, query: Tensor, keys: Tensor, values: Tensor, bias: Optional[Tensor]) -> Tensor:
    B = query.size(0)
    T = query.size(1)
    q = self._split(torch.linear(query, self.self_attention.query.weight, self.self_attention.query.bias)) * ${SCALE}
    scores = torch.matmul(q, keys.transpose(2, 3))
    if bias is not None:
        scores = scores + bias
    probabilities = torch.softmax(scores, -1)
    context = torch.matmul(probabilities, values)
    return torch.linear(context.transpose(1, 2).reshape([B, T, ${D}]), self.self_attention.out.weight, self.self_attention.out.bias)

def _self_keys(self, x: Tensor) -> Tensor:
    return self._split(torch.linear(x, self.self_attention.key.weight, self.self_attention.key.bias))

def _self_values(self, x: Tensor) -> Tensor:
    return self._split(torch.linear(x, self.self_attention.value.weight, self.self_attention.value.bias))

def _norm(self, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    return torch.layer_norm(x, [${D}], weight, bias, 1e-05)
)TS";
  const bool pre = o.norm == "pre";
  if (!decoder) {
    s += pre ? R"TS(
def encode(self, x: Tensor, bias: Tensor) -> Tensor:
    y = self._norm(x, self.self_norm.weight, self.self_norm.bias)
    h = x + self._self_attend(y, self._self_keys(y), self._self_values(y), bias)
    return h + self._ff(self._norm(h, self.ff_norm.weight, self.ff_norm.bias))
)TS"
             : R"TS(
def encode(self, x: Tensor, bias: Tensor) -> Tensor:
    h = self._norm(x + self._self_attend(x, self._self_keys(x), self._self_values(x), bias), self.self_norm.weight, self.self_norm.bias)
    return self._norm(h + self._ff(h), self.ff_norm.weight, self.ff_norm.bias)
)TS";
    return fill(s, v);
  }
  s += R"TS(
def _cross_attend(self, query: Tensor, keys: Tensor, values: Tensor, bias: Tensor) -> Tensor:
    B = query.size(0)
    T = query.size(1)
    q = self._split(torch.linear(query, self.cross_attention.query.weight, self.cross_attention.query.bias)) * ${SCALE}
    scores = torch.matmul(q, keys.transpose(2, 3)) + bias
    probabilities = torch.softmax(scores, -1)
    context = torch.matmul(probabilities, values)
    return torch.linear(context.transpose(1, 2).reshape([B, T, ${D}]), self.cross_attention.out.weight, self.cross_attention.out.bias)

def project_cross(self, memory: Tensor) -> Tuple[Tensor, Tensor]:
    keys = self._split(torch.linear(memory, self.cross_attention.key.weight, self.cross_attention.key.bias))
    values = self._split(torch.linear(memory, self.cross_attention.value.weight, self.cross_attention.value.bias))
    return keys, values
)TS";
  s += pre ? R"TS(
def step(self, x: Tensor, self_keys: Tensor, self_values: Tensor, cross_keys: Tensor, cross_values: Tensor, cross_bias: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    y = self._norm(x, self.self_norm.weight, self.self_norm.bias)
    keys = torch.cat([self_keys, self._self_keys(y)], 2)
    values = torch.cat([self_values, self._self_values(y)], 2)
    h = x + self._self_attend(y, keys, values, None)
    h = h + self._cross_attend(self._norm(h, self.cross_norm.weight, self.cross_norm.bias), cross_keys, cross_values, cross_bias)
    h = h + self._ff(self._norm(h, self.ff_norm.weight, self.ff_norm.bias))
    return h, keys, values
)TS"
           : R"TS(
def step(self, x: Tensor, self_keys: Tensor, self_values: Tensor, cross_keys: Tensor, cross_values: Tensor, cross_bias: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    keys = torch.cat([self_keys, self._self_keys(x)], 2)
    values = torch.cat([self_values, self._self_values(x)], 2)
    h = self._norm(x + self._self_attend(x, keys, values, None), self.self_norm.weight, self.self_norm.bias)
    h = self._norm(h + self._cross_attend(h, cross_keys, cross_values, cross_bias), self.cross_norm.weight, self.cross_norm.bias)
    h = self._norm(h + self._ff(h), self.ff_norm.weight, self.ff_norm.bias)
    return h, keys, values
)TS";
  return fill(s, v);
}

std::string transformer_source(const TransformerOptions& o, const std::vector<std::string>& encoder_layers,
                               const std::vector<std::string>& decoder_layers) {
  const bool pre = o.norm == "pre";
  const std::string target_table = o.tie_embeddings == "all" ? "self.src_embedding.weight" : "self.trg_embedding.weight";
  std::map<std::string, std::string> v = {
      {"D", std::to_string(o.d_model)},
      {"HEADS", std::to_string(o.heads)},
      {"HD", std::to_string(o.d_model / o.heads)},
      {"EMBED_SCALE", literal(std::sqrt(static_cast<double>(o.d_model)))},
      {"MAX_POS", std::to_string(o.max_positions)},
      {"TRG_TABLE", target_table},
      {"PAD_ID", std::to_string(SpecialIds::pad)},
  };
  std::string s = R"TS(
def _embed(self, table: Tensor, ids: Tensor, offset: int) -> Tensor:
    T = ids.size(1)
    assert offset + T <= ${MAX_POS}, "sequence of " + str(offset + T) + " tokens exceeds model.max_positions (${MAX_POS})"
    positions = self.positions.narrow(0, offset, T).unsqueeze(0)
    return torch.embedding(table, ids) * ${EMBED_SCALE} + positions

def _padding_bias(self, mask: Tensor, dtype: int) -> Tensor:
    bias = torch.zeros(mask.size(), dtype=dtype, device=mask.device)
    return bias.masked_fill(mask.logical_not(), float("-inf")).unsqueeze(1).unsqueeze(1)

def encode(self, src: Tensor, src_lengths: Tensor) -> List[Tensor]:
    mask = src.ne(${PAD_ID})
    bias = self._padding_bias(mask, self.positions.dtype)
    x = self._embed(self.src_embedding.weight, src, 0)
)TS";
  for (const auto& layer : encoder_layers) s += "    x = self." + layer + ".encode(x, bias)\n";
  if (pre) s += "    x = torch.layer_norm(x, [${D}], self.encoder_norm.weight, self.encoder_norm.bias, 1e-05)\n";
  s += R"TS(
    return [x, mask]

def start(self, encoded: List[Tensor]) -> List[Tensor]:
    memory = encoded[0]
    empty = torch.zeros([memory.size(0), ${HEADS}, 0, ${HD}], dtype=memory.dtype, device=memory.device)
    state = [self._padding_bias(encoded[1], memory.dtype)]
)TS";
  for (const auto& layer : decoder_layers) {
    s += "    keys, values = self." + layer + ".project_cross(memory)\n";
    s += "    state += [empty, empty, keys, values]\n";
  }
  s += R"TS(
    return state

def step(self, state: List[Tensor], tokens: Tensor, position: int) -> Tuple[Tensor, List[Tensor]]:
    x = self._embed(${TRG_TABLE}, tokens.unsqueeze(1), position)
    cross_bias = state[0]
    new_state = [cross_bias]
)TS";
  for (size_t i = 0; i < decoder_layers.size(); ++i) {
    const size_t base = 1 + 4 * i;
    auto at = [&](size_t k) { return "state[" + std::to_string(base + k) + "]"; };
    s += "    x, keys, values = self." + decoder_layers[i] + ".step(x, " + at(0) + ", " + at(1) + ", " + at(2) + ", " +
         at(3) + ", cross_bias)\n";
    s += "    new_state += [keys, values, " + at(2) + ", " + at(3) + "]\n";
  }
  if (pre) s += "    x = torch.layer_norm(x, [${D}], self.decoder_norm.weight, self.decoder_norm.bias, 1e-05)\n";
  s += "    x = x.squeeze(1)\n";
  if (o.tie_embeddings == "none") {
    s += "    return torch.linear(x, self.output.weight, self.output.bias), new_state\n";
  } else {
    s += "    return torch.matmul(x, ${TRG_TABLE}.t()), new_state\n";
  }
  return fill(s, v);
}

}  // namespace s2s::exporting
