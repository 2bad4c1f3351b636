// The Transformer's inference path as TorchScript (Seq2SeqModel::define_torchscript):
// per-layer methods (encoder layers: encode; decoder layers: project_cross and
// step) defined on each layer's submodule, then the top-level encode / start /
// step. Kept beside transformer.cpp: a change to the model's computation is
// made here too, and the export parity tests (tests/test_export.cpp) fail
// until it is.
#include <torch/script.h>

#include <cmath>
#include <map>

#include "models/script_text.h"
#include "models/transformer.h"
#include "text/tokenizer.h"

namespace s2s {
namespace {

std::string layer_torchscript(const TransformerOptions& o, bool decoder) {
  const int64_t head_dim = o.d_model / o.heads;
  std::map<std::string, std::string> v = {
      {"D", std::to_string(o.d_model)},
      {"HEADS", std::to_string(o.heads)},
      {"HD", std::to_string(head_dim)},
      {"SCALE", script_literal(1.0 / std::sqrt(static_cast<double>(head_dim)))},
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
    return fill_script(s, v);
  }
  s += R"TS(
def _cross_attend(self, query: Tensor, keys: Tensor, values: Tensor, bias: Tensor) -> Tuple[Tensor, Tensor]:
    B = query.size(0)
    T = query.size(1)
    q = self._split(torch.linear(query, self.cross_attention.query.weight, self.cross_attention.query.bias)) * ${SCALE}
    scores = torch.matmul(q, keys.transpose(2, 3)) + bias
    probabilities = torch.softmax(scores, -1)
    context = torch.matmul(probabilities, values)
    return torch.linear(context.transpose(1, 2).reshape([B, T, ${D}]), self.cross_attention.out.weight, self.cross_attention.out.bias), probabilities

def project_cross(self, memory: Tensor) -> Tuple[Tensor, Tensor]:
    keys = self._split(torch.linear(memory, self.cross_attention.key.weight, self.cross_attention.key.bias))
    values = self._split(torch.linear(memory, self.cross_attention.value.weight, self.cross_attention.value.bias))
    return keys, values
)TS";
  s += pre ? R"TS(
def step(self, x: Tensor, self_keys: Tensor, self_values: Tensor, cross_keys: Tensor, cross_values: Tensor, cross_bias: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    y = self._norm(x, self.self_norm.weight, self.self_norm.bias)
    keys = torch.cat([self_keys, self._self_keys(y)], 2)
    values = torch.cat([self_values, self._self_values(y)], 2)
    h = x + self._self_attend(y, keys, values, None)
    attended, weights = self._cross_attend(self._norm(h, self.cross_norm.weight, self.cross_norm.bias), cross_keys, cross_values, cross_bias)
    h = h + attended
    h = h + self._ff(self._norm(h, self.ff_norm.weight, self.ff_norm.bias))
    return h, keys, values, weights
)TS"
           : R"TS(
def step(self, x: Tensor, self_keys: Tensor, self_values: Tensor, cross_keys: Tensor, cross_values: Tensor, cross_bias: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    keys = torch.cat([self_keys, self._self_keys(x)], 2)
    values = torch.cat([self_values, self._self_values(x)], 2)
    h = self._norm(x + self._self_attend(x, keys, values, None), self.self_norm.weight, self.self_norm.bias)
    attended, weights = self._cross_attend(h, cross_keys, cross_values, cross_bias)
    h = self._norm(h + attended, self.cross_norm.weight, self.cross_norm.bias)
    h = self._norm(h + self._ff(h), self.ff_norm.weight, self.ff_norm.bias)
    return h, keys, values, weights
)TS";
  return fill_script(s, v);
}

std::string transformer_torchscript(const TransformerOptions& o, const std::vector<std::string>& encoder_layers,
                                   const std::vector<std::string>& decoder_layers) {
  const bool pre = o.norm == "pre";
  const std::string target_table = o.tie_embeddings == "all" ? "self.src_embedding.weight" : "self.trg_embedding.weight";
  std::map<std::string, std::string> v = {
      {"D", std::to_string(o.d_model)},
      {"HEADS", std::to_string(o.heads)},
      {"HD", std::to_string(o.d_model / o.heads)},
      {"EMBED_SCALE", script_literal(std::sqrt(static_cast<double>(o.d_model)))},
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

def step_attend(self, state: List[Tensor], tokens: Tensor, position: int) -> Tuple[Tensor, List[Tensor], Tensor]:
    x = self._embed(${TRG_TABLE}, tokens.unsqueeze(1), position)
    cross_bias = state[0]
    new_state = [cross_bias]
)TS";
  for (size_t i = 0; i < decoder_layers.size(); ++i) {
    const size_t base = 1 + 4 * i;
    auto at = [&](size_t k) { return "state[" + std::to_string(base + k) + "]"; };
    s += "    x, keys, values, weights = self." + decoder_layers[i] + ".step(x, " + at(0) + ", " + at(1) + ", " + at(2) + ", " +
         at(3) + ", cross_bias)\n";
    s += "    new_state += [keys, values, " + at(2) + ", " + at(3) + "]\n";
  }
  if (pre) s += "    x = torch.layer_norm(x, [${D}], self.decoder_norm.weight, self.decoder_norm.bias, 1e-05)\n";
  s += "    x = x.squeeze(1)\n";
  // The last layer's cross-attention (B, H, 1, S) as (B, H, S), as the native step keeps it.
  if (o.tie_embeddings == "none") {
    s += "    return torch.linear(x, self.output.weight, self.output.bias), new_state, weights.squeeze(2)\n";
  } else {
    s += "    return torch.matmul(x, ${TRG_TABLE}.t()), new_state, weights.squeeze(2)\n";
  }
  return fill_script(s, v);
}

}  // namespace

void Transformer::define_torchscript(torch::jit::Module& root) const {
  const auto& o = options_;
  std::vector<std::string> encoder_layers, decoder_layers;
  for (int64_t i = 0; i < o.encoder_layers; ++i) {
    encoder_layers.push_back("encoder_layers._" + std::to_string(i));
    root.attr("encoder_layers").toModule().attr("_" + std::to_string(i)).toModule().define(layer_torchscript(o, false));
  }
  for (int64_t i = 0; i < o.decoder_layers; ++i) {
    decoder_layers.push_back("decoder_layers._" + std::to_string(i));
    root.attr("decoder_layers").toModule().attr("_" + std::to_string(i)).toModule().define(layer_torchscript(o, true));
  }
  root.define(transformer_torchscript(o, encoder_layers, decoder_layers));
}

}  // namespace s2s
