// The Transformer's inference path as TorchScript (Seq2SeqModel::define_torchscript):
// fixed sources (every layer's methods, a decoder layer's, the model's) whose
// options are literals. A boolean option is an
// `if True:` / `if False:` the TorchScript compiler resolves at compile time,
// so the branch not taken may name parameters this configuration does not
// have (post-norm has no encoder_norm). The layers of a stack share one class
// (the export names classes by path, list indices replaced by "layer"): its
// methods (encoder: encode; decoder: project_cross, step; a decoder layer
// also gets an encode it never calls) are defined once, and the model loops
// over lists of the layer objects. Kept beside transformer.cpp: a
// change to the model's computation is made here too, and the export parity
// tests (tests/test_export.cpp) fail until it is.
#include <torch/script.h>

#include <cmath>
#include <map>

#include "models/script_text.h"
#include "models/transformer.h"
#include "text/tokenizer.h"

namespace s2s {
namespace {

// The methods of every layer (an encoder layer's encode is among them: it
// names only what both kinds of layer have); a decoder layer adds
// kDecoderLayerSource.
constexpr const char* kLayerSource = R"TS(
def _split(self, x: Tensor) -> Tensor:
    return x.view([x.size(0), x.size(1), ${HEADS}, ${HEAD_DIM}]).transpose(1, 2)

def _ff(self, x: Tensor) -> Tensor:
    return torch.linear(torch.relu(torch.linear(x, self.ff_in.weight, self.ff_in.bias)), self.ff_out.weight, self.ff_out.bias)

def _norm(self, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    return torch.layer_norm(x, [${D}], weight, bias, 1e-05)

def _self_keys(self, x: Tensor) -> Tensor:
    return self._split(torch.linear(x, self.self_attention.key.weight, self.self_attention.key.bias))

def _self_values(self, x: Tensor) -> Tensor:
    return self._split(torch.linear(x, self.self_attention.value.weight, self.self_attention.value.bias))

def _self_attend(self, query: Tensor, keys: Tensor, values: Tensor, bias: Optional[Tensor]) -> Tensor:
    B = query.size(0)
    T = query.size(1)
    q = self._split(torch.linear(query, self.self_attention.query.weight, self.self_attention.query.bias)) * ${SCALE}
    scores = torch.matmul(q, keys.transpose(2, 3))
    if bias is not None:
        scores = scores + bias
    context = torch.matmul(torch.softmax(scores, -1), values)
    return torch.linear(context.transpose(1, 2).reshape([B, T, ${D}]), self.self_attention.out.weight, self.self_attention.out.bias)

def encode(self, x: Tensor, bias: Tensor) -> Tensor:
    if ${PRE_NORM}:
        y = self._norm(x, self.self_norm.weight, self.self_norm.bias)
        h = x + self._self_attend(y, self._self_keys(y), self._self_values(y), bias)
        return h + self._ff(self._norm(h, self.ff_norm.weight, self.ff_norm.bias))
    else:
        h = self._norm(x + self._self_attend(x, self._self_keys(x), self._self_values(x), bias), self.self_norm.weight, self.self_norm.bias)
        return self._norm(h + self._ff(h), self.ff_norm.weight, self.ff_norm.bias)
)TS";

constexpr const char* kDecoderLayerSource = R"TS(
def _cross_attend(self, query: Tensor, keys: Tensor, values: Tensor, bias: Tensor) -> Tuple[Tensor, Tensor]:
    B = query.size(0)
    T = query.size(1)
    q = self._split(torch.linear(query, self.cross_attention.query.weight, self.cross_attention.query.bias)) * ${SCALE}
    probabilities = torch.softmax(torch.matmul(q, keys.transpose(2, 3)) + bias, -1)
    context = torch.matmul(probabilities, values)
    return torch.linear(context.transpose(1, 2).reshape([B, T, ${D}]), self.cross_attention.out.weight, self.cross_attention.out.bias), probabilities

def project_cross(self, memory: Tensor) -> Tuple[Tensor, Tensor]:
    keys = self._split(torch.linear(memory, self.cross_attention.key.weight, self.cross_attention.key.bias))
    values = self._split(torch.linear(memory, self.cross_attention.value.weight, self.cross_attention.value.bias))
    return keys, values

def step(self, x: Tensor, self_keys: Tensor, self_values: Tensor, cross_keys: Tensor, cross_values: Tensor, cross_bias: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    if ${PRE_NORM}:
        y = self._norm(x, self.self_norm.weight, self.self_norm.bias)
        keys = torch.cat([self_keys, self._self_keys(y)], 2)
        values = torch.cat([self_values, self._self_values(y)], 2)
        h = x + self._self_attend(y, keys, values, None)
        attended, weights = self._cross_attend(self._norm(h, self.cross_norm.weight, self.cross_norm.bias), cross_keys, cross_values, cross_bias)
        h = h + attended
        h = h + self._ff(self._norm(h, self.ff_norm.weight, self.ff_norm.bias))
    else:
        keys = torch.cat([self_keys, self._self_keys(x)], 2)
        values = torch.cat([self_values, self._self_values(x)], 2)
        h = self._norm(x + self._self_attend(x, keys, values, None), self.self_norm.weight, self.self_norm.bias)
        attended, weights = self._cross_attend(h, cross_keys, cross_values, cross_bias)
        h = self._norm(h + attended, self.cross_norm.weight, self.cross_norm.bias)
        h = self._norm(h + self._ff(h), self.ff_norm.weight, self.ff_norm.bias)
    return h, keys, values, weights
)TS";

// State: [cross-attention bias (B, 1, 1, S), then per decoder layer: its
// self-attention keys and values so far (B, H, t, D/H), its cross-attention
// keys and values (B, H, S, D/H)].
constexpr const char* kModelSource = R"TS(
def _embed(self, table: Tensor, ids: Tensor, offset: int) -> Tensor:
    T = ids.size(1)
    assert offset + T <= ${MAX_POSITIONS}, "sequence of " + str(offset + T) + " tokens exceeds model.max_positions (${MAX_POSITIONS})"
    positions = self.positions.narrow(0, offset, T).unsqueeze(0)
    return torch.embedding(table, ids) * ${EMBED_SCALE} + positions

def _target_table(self) -> Tensor:
    if ${TIE_ALL}:
        return self.src_embedding.weight
    else:
        return self.trg_embedding.weight

def _padding_bias(self, mask: Tensor, dtype: int) -> Tensor:
    bias = torch.zeros(mask.size(), dtype=dtype, device=mask.device)
    return bias.masked_fill(mask.logical_not(), float("-inf")).unsqueeze(1).unsqueeze(1)

def encode(self, src: Tensor, src_lengths: Tensor) -> List[Tensor]:
    mask = src.ne(${PAD_ID})
    bias = self._padding_bias(mask, self.positions.dtype)
    x = self._embed(self.src_embedding.weight, src, 0)
    for layer in self.encoder_stack:
        x = layer.encode(x, bias)
    if ${PRE_NORM}:
        x = torch.layer_norm(x, [${D}], self.encoder_norm.weight, self.encoder_norm.bias, 1e-05)
    return [x, mask]

def start(self, encoded: List[Tensor]) -> List[Tensor]:
    memory = encoded[0]
    empty = torch.zeros([memory.size(0), ${HEADS}, 0, ${HEAD_DIM}], dtype=memory.dtype, device=memory.device)
    state = [self._padding_bias(encoded[1], memory.dtype)]
    for layer in self.decoder_stack:
        keys, values = layer.project_cross(memory)
        state += [empty, empty, keys, values]
    return state

def step_attend(self, state: List[Tensor], tokens: Tensor, position: int) -> Tuple[Tensor, List[Tensor], Tensor]:
    table = self._target_table()
    x = self._embed(table, tokens.unsqueeze(1), position)
    cross_bias = state[0]
    new_state = [cross_bias]
    weights = cross_bias
    at = 1
    for layer in self.decoder_stack:
        x, keys, values, weights = layer.step(x, state[at], state[at + 1], state[at + 2], state[at + 3], cross_bias)
        new_state += [keys, values, state[at + 2], state[at + 3]]
        at += 4
    if ${PRE_NORM}:
        x = torch.layer_norm(x, [${D}], self.decoder_norm.weight, self.decoder_norm.bias, 1e-05)
    x = x.squeeze(1)
    # The last layer's cross-attention (B, H, 1, S) as (B, H, S), as the native step keeps it.
    if ${TIE_NONE}:
        return torch.linear(x, self.output.weight, self.output.bias), new_state, weights.squeeze(2)
    else:
        return torch.matmul(x, table.t()), new_state, weights.squeeze(2)
)TS";

// The layer objects of ModuleList `name` (attributes _0, _1, ...) as a list
// attribute `stack` of their shared class; their methods are defined once,
// on the first.
void register_stack(torch::jit::Module& root, const std::string& name, const std::string& stack, int64_t layers,
                    const std::string& source) {
  auto list = root.attr(name).toModule();
  auto first = list.attr("_0").toModule();
  first.define(source);
  c10::List<c10::IValue> objects(first.type());
  for (int64_t i = 0; i < layers; ++i) objects.push_back(list.attr("_" + std::to_string(i)).toModule()._ivalue());
  root.register_attribute(stack, c10::ListType::create(first.type()), objects);
}

}  // namespace

void Transformer::define_torchscript(torch::jit::Module& root) const {
  const auto& o = options_;
  const int64_t head_dim = o.d_model / o.heads;
  const std::map<std::string, std::string> options = {
      {"D", std::to_string(o.d_model)},
      {"HEADS", std::to_string(o.heads)},
      {"HEAD_DIM", std::to_string(head_dim)},
      {"SCALE", script_literal(1.0 / std::sqrt(static_cast<double>(head_dim)))},
      {"EMBED_SCALE", script_literal(std::sqrt(static_cast<double>(o.d_model)))},
      {"MAX_POSITIONS", std::to_string(o.max_positions)},
      {"PRE_NORM", script_bool(o.norm == "pre")},
      {"TIE_ALL", script_bool(o.tie_embeddings == "all")},
      {"TIE_NONE", script_bool(o.tie_embeddings == "none")},
      {"PAD_ID", std::to_string(SpecialIds::pad)},
  };
  const std::string layer = fill_script(kLayerSource, options);
  register_stack(root, "encoder_layers", "encoder_stack", o.encoder_layers, layer);
  register_stack(root, "decoder_layers", "decoder_stack", o.decoder_layers, layer + fill_script(kDecoderLayerSource, options));
  root.define(fill_script(kModelSource, options));
}

}  // namespace s2s
