#include "export/search_script.h"

#include <map>

#include "models/script_text.h"
#include "text/tokenizer.h"

namespace s2s::exporting {

std::string search_source(double max_length_a, int64_t max_length_b, const std::string& length_norm) {
  static const char* kSource = R"TS(
def step(self, state: List[Tensor], tokens: Tensor, position: int) -> Tuple[Tensor, List[Tensor]]:
    logits, new_state, attention = self.step_attend(state, tokens, position)
    return logits, new_state

# PAD and BOS are never output tokens (as lib/search/search.cpp: forbid_non_output_tokens).
def _output_log_probs(self, logits: Tensor) -> Tensor:
    log_probs = torch.log_softmax(logits, -1)
    log_probs.select(1, ${PAD}).fill_(float("-inf"))
    log_probs.select(1, ${BOS}).fill_(float("-inf"))
    return log_probs

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
        best, best_ids = self._output_log_probs(logits).max(-1)
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
        log_probs = self._output_log_probs(logits).to(${DOUBLE})
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
  return fill_script(kSource, {{"PAD", std::to_string(SpecialIds::pad)},
                        {"BOS", std::to_string(SpecialIds::bos)},
                        {"EOS", std::to_string(SpecialIds::eos)},
                        {"MAX_A", script_literal(max_length_a)},
                        {"MAX_B", std::to_string(max_length_b)},
                        {"LENGTH_NORM", length_norm}});
}

}  // namespace s2s::exporting
