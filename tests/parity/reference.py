"""A plain PyTorch reference for the s2s models, trained the way `s2s train` trains.

The Transformer is built from torch.nn.TransformerEncoderLayer /
TransformerDecoderLayer; the attentional RNN from torch.nn.LSTM (encoder) and
torch.nn.LSTMCell (decoder) with Bahdanau attention written here. Everything
around the model copies the s2s trainer's choices so that only the model code
differs: the same token ids (read from the cache `s2s train` wrote into the
corpus directory), the same batches in the same order (s2s_batches.py), Adam
with the same betas and epsilon, the same warmup / inverse-sqrt schedule,
gradient clipping, label-smoothed loss summed over target tokens and divided by
the step's token count, and the same initialisation scheme.

usage (normally called by run_parity.py):
  reference.py --corpus DIR --config CONFIG.json --seed N --out RESULT.json
CONFIG.json is the s2s training config of the paired s2s run. The greedy test
translations go to RESULT.json.hyp.
"""
import argparse
import glob
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s2s_batches  # noqa: E402

PAD, UNK, BOS, EOS = 0, 1, 2, 3


# ---------------------------------------------------------------- data

def read_cache(path):
    """An encoded split as lib/data/dataset.cpp caches it: magic, count,
    dropped, then per pair its line number and both sides as int32 ids."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"S2SCACH1":
        raise ValueError(f"{path}: not an s2s encoded-split cache")
    count, _dropped = struct.unpack_from("<qq", data, 8)
    offset, sources, targets = 24, [], []
    for _ in range(count):
        offset += 8  # line number
        sides = []
        for _side in range(2):
            (length,) = struct.unpack_from("<i", data, offset)
            offset += 4
            sides.append(list(struct.unpack_from(f"<{length}i", data, offset)))
            offset += 4 * length
        sources.append(sides[0])
        targets.append(sides[1])
    return sources, targets


def cached_split(corpus, split):
    paths = sorted(glob.glob(os.path.join(corpus, "cache", split + "-*.bin")), key=os.path.getmtime)
    if not paths:
        raise SystemExit(f"reference: no {corpus}/cache/{split}-*.bin; run s2s train on this corpus first")
    return read_cache(paths[-1])


def pad_rows(rows, prefix=None, suffix=None):
    extra = (prefix is not None) + (suffix is not None)
    width = max(len(r) for r in rows) + extra
    out = torch.full((len(rows), width), PAD, dtype=torch.long)
    for b, row in enumerate(rows):
        full = ([prefix] if prefix is not None else []) + row + ([suffix] if suffix is not None else [])
        out[b, : len(full)] = torch.tensor(full, dtype=torch.long)
    return out


def collate(sources, targets, indices):
    src = pad_rows([sources[i] for i in indices], suffix=EOS)
    lengths = torch.tensor([len(sources[i]) + 1 for i in indices])
    trg_in = pad_rows([targets[i] for i in indices], prefix=BOS)
    trg_out = pad_rows([targets[i] for i in indices], suffix=EOS)
    return src, lengths, trg_in, trg_out


# ---------------------------------------------------------------- Transformer

def sinusoidal_table(positions, d_model):
    position = torch.arange(positions, dtype=torch.float).unsqueeze(1)
    rate = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float) * (-math.log(10000.0) / d_model))
    table = torch.zeros(positions, d_model)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate)
    return table


class ReferenceTransformer(nn.Module):
    def __init__(self, o, vocab):
        super().__init__()
        d = o["d_model"]
        self.d = d
        self.positions_kind = o.get("positions", "sinusoidal")
        pre = o["norm"] == "pre"
        self.embedding = nn.Embedding(vocab, d)  # tie_embeddings "all": source, target and output
        if o["tie_embeddings"] != "all":
            raise SystemExit("reference: only tie_embeddings \"all\" is implemented")
        max_positions = o.get("max_positions", 1024)
        if self.positions_kind == "learned":
            self.learned_positions = nn.Embedding(max_positions, d)
        else:
            self.register_buffer("pe", sinusoidal_table(max_positions, d))
        self.embed_dropout = nn.Dropout(o["dropout"])

        def layer(cls):
            lay = cls(d, o["heads"], o["ff_dim"], dropout=o["dropout"], activation="relu", batch_first=True,
                      norm_first=pre)
            # torch uses one `dropout` for residuals, attention and activations;
            # s2s has three knobs: set the latter two as s2s has them.
            lay.dropout.p = o.get("activation_dropout", 0.0)
            for attention in (getattr(lay, "self_attn", None), getattr(lay, "multihead_attn", None)):
                if attention is not None:
                    attention.dropout = o.get("attention_dropout", 0.0)
            return lay

        self.encoder = nn.TransformerEncoder(layer(nn.TransformerEncoderLayer), o["encoder_layers"],
                                             norm=nn.LayerNorm(d) if pre else None, enable_nested_tensor=False)
        self.decoder = nn.TransformerDecoder(layer(nn.TransformerDecoderLayer), o["decoder_layers"],
                                             norm=nn.LayerNorm(d) if pre else None)
        self.reset_parameters()

    def reset_parameters(self):
        """The s2s scheme: Xavier-uniform for every projection matrix (q, k and
        v each on its own, as s2s has three matrices where torch stacks them),
        zero biases, embeddings N(0, d^-1/2) with the PAD row zeroed."""
        with torch.no_grad():
            for name, p in self.named_parameters():
                if "embedding" in name or "learned_positions" in name:
                    nn.init.normal_(p, 0.0, self.d ** -0.5)
                    if "learned_positions" not in name:
                        p[PAD].zero_()
                elif name.endswith("in_proj_weight"):
                    for chunk in p.chunk(3, 0):
                        nn.init.xavier_uniform_(chunk)
                elif p.dim() == 2:
                    nn.init.xavier_uniform_(p)
                elif "bias" in name:
                    p.zero_()

    def embed(self, ids):
        T = ids.size(1)
        if self.positions_kind == "learned":
            pos = self.learned_positions.weight[:T]  # N(0, d^-1/2), unscaled (as fairseq)
        else:
            pos = self.pe[:T]
        return self.embed_dropout(self.embedding(ids) * math.sqrt(self.d) + pos.unsqueeze(0))

    def encode(self, src, lengths):
        pad = src.eq(PAD)
        return self.encoder(self.embed(src), src_key_padding_mask=pad), pad

    def decode(self, memory, src_pad, trg_in):
        T = trg_in.size(1)
        causal = torch.full((T, T), float("-inf")).triu(1)
        x = self.decoder(self.embed(trg_in), memory, tgt_mask=causal, memory_key_padding_mask=src_pad)
        return x @ self.embedding.weight.t()

    def forward(self, src, lengths, trg_in):
        memory, pad = self.encode(src, lengths)
        return self.decode(memory, pad, trg_in)

    @torch.no_grad()
    def greedy(self, src, lengths, limits):
        memory, pad = self.encode(src, lengths)
        B = src.size(0)
        ys = torch.full((B, 1), BOS, dtype=torch.long)
        done = torch.zeros(B, dtype=torch.bool)
        for step in range(int(limits.max())):
            logits = self.decode(memory, pad, ys)[:, -1]
            logits[:, [PAD, BOS]] = float("-inf")  # never output tokens, as in s2s's search
            nxt = logits.argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, PAD), nxt)
            # at the length limit the hypothesis ends
            ys = torch.cat([ys, nxt.unsqueeze(1)], 1)
            done |= nxt.eq(EOS) | (step + 1 >= limits)
            if bool(done.all()):
                break
        return ys[:, 1:]


# ---------------------------------------------------------------- attentional RNN

class BahdanauAttention(nn.Module):
    """score(s, h_j) = v^T tanh(W_k h_j + W_q s) (Bahdanau et al. 2015)."""

    def __init__(self, query_dim, memory_dim, attention_dim):
        super().__init__()
        self.key_layer = nn.Linear(memory_dim, attention_dim, bias=False)
        self.query_layer = nn.Linear(query_dim, attention_dim, bias=False)
        self.energy_layer = nn.Linear(attention_dim, 1, bias=False)

    def forward(self, query, keys, memory, pad):
        scores = self.energy_layer(torch.tanh(keys + self.query_layer(query).unsqueeze(1))).squeeze(2)
        weights = torch.softmax(scores.masked_fill(pad, float("-inf")), 1)
        return torch.bmm(weights.unsqueeze(1), memory).squeeze(1)


class ReferenceRnn(nn.Module):
    """Bidirectional LSTM encoder, tanh bridge to the decoder's first state, then
    either Bahdanau attention (the LSTM decoder is fed [embedding; context], the
    context attended with the previous decoder state; readout tanh(W[s; c; e]))
    or Luong "general" attention without input feeding (the decoder LSTM reads
    only the embeddings, so it runs as one fused nn.LSTM call over the target;
    each output then attends; readout tanh(W[s; c]))."""

    def __init__(self, o, src_vocab, trg_vocab):
        super().__init__()
        self.luong = o["attention"] == "luong"
        if self.luong and (o.get("luong_score", "general") != "general" or o.get("input_feeding", False)):
            raise SystemExit("reference: Luong attention is implemented with the general score and no input feeding")
        if o["cell"] != "lstm" or o["attention"] not in ("bahdanau", "luong") or not o["bidirectional"]:
            raise SystemExit("reference: only the bidirectional LSTM with Bahdanau or Luong attention is implemented")
        if o["encoder_layers"] != 1 or o["decoder_layers"] != 1:
            raise SystemExit("reference: only 1+1 RNN layers are implemented")
        E, H = o["embed_dim"], o["hidden_dim"]
        self.src_embedding = nn.Embedding(src_vocab, E)
        self.trg_embedding = nn.Embedding(trg_vocab, E)
        self.dropout = nn.Dropout(o["dropout"])
        self.encoder = nn.LSTM(E, H, batch_first=True, bidirectional=True)
        self.bridge_hidden = nn.Linear(2 * H, H)
        self.bridge_cell = nn.Linear(2 * H, H)
        if self.luong:
            self.key_layer = nn.Linear(2 * H, H, bias=False)
            self.decoder = nn.LSTM(E, H, batch_first=True)
            self.attentional = nn.Linear(H + 2 * H, H)
        else:
            self.attention = BahdanauAttention(H, 2 * H, o["attention_dim"])
            self.decoder = nn.LSTMCell(E + 2 * H, H)
            self.attentional = nn.Linear(H + 2 * H + E, H)
        self.output = nn.Linear(H, trg_vocab)
        with torch.no_grad():  # the s2s "xavier" scheme
            for name, p in self.named_parameters():
                if "embedding" in name:
                    nn.init.normal_(p, 0.0, 1.0)
                elif p.dim() >= 2:
                    nn.init.xavier_uniform_(p)
                else:
                    p.zero_()

    def encode(self, src, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(self.dropout(self.src_embedding(src)), lengths,
                                                   batch_first=True, enforce_sorted=False)
        out, (h, c) = self.encoder(packed)
        memory, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        memory = self.dropout(memory)
        both = lambda s: torch.cat([s[0], s[1]], -1)  # (2, B, H) -> (B, 2H), forward then backward
        state = (torch.tanh(self.bridge_hidden(both(h))), self.bridge_cell(both(c)))
        keys = self.key_layer(memory) if self.luong else self.attention.key_layer(memory)
        return memory, keys, src.eq(PAD), state

    def luong_attend(self, outputs, keys, memory, pad):
        """outputs (B, T, H) -> contexts (B, T, 2H)."""
        scores = torch.bmm(outputs, keys.transpose(1, 2)).masked_fill(pad.unsqueeze(1), float("-inf"))
        return torch.bmm(torch.softmax(scores, 2), memory)

    def recur(self, embedded, memory, keys, pad, state):
        if self.luong:
            h, c = state
            out, (h, c) = self.decoder(embedded.unsqueeze(1), (h.unsqueeze(0), c.unsqueeze(0)))
            return self.luong_attend(out, keys, memory, pad).squeeze(1), (h[0], c[0])
        context = self.attention(state[0], keys, memory, pad)
        return context, self.decoder(torch.cat([embedded, context], -1), state)

    def readout(self, h, context, embedded):
        parts = [h, context] if self.luong else [h, context, embedded]
        return self.output(self.dropout(torch.tanh(self.attentional(torch.cat(parts, -1)))))

    def step(self, embedded, memory, keys, pad, state):
        context, state = self.recur(embedded, memory, keys, pad, state)
        return self.readout(state[0], context, embedded), state

    def forward(self, src, lengths, trg_in):
        memory, keys, pad, state = self.encode(src, lengths)
        embedded = self.dropout(self.trg_embedding(trg_in))
        if self.luong:  # one fused LSTM call over the whole target
            outputs, _ = self.decoder(embedded, (state[0].unsqueeze(0), state[1].unsqueeze(0)))
            return self.readout(outputs, self.luong_attend(outputs, keys, memory, pad), embedded)
        hiddens, contexts = [], []
        for t in range(trg_in.size(1)):  # only the recurrence runs step by step
            context, state = self.recur(embedded[:, t], memory, keys, pad, state)
            hiddens.append(state[0])
            contexts.append(context)
        return self.readout(torch.stack(hiddens, 1), torch.stack(contexts, 1), embedded)

    @torch.no_grad()
    def greedy(self, src, lengths, limits):
        memory, keys, pad, state = self.encode(src, lengths)
        B = src.size(0)
        prev = torch.full((B,), BOS, dtype=torch.long)
        done = torch.zeros(B, dtype=torch.bool)
        out = []
        for step in range(int(limits.max())):
            logits, state = self.step(self.trg_embedding(prev), memory, keys, pad, state)
            logits[:, [PAD, BOS]] = float("-inf")  # never output tokens, as in s2s's search
            nxt = torch.where(done, torch.full_like(prev, PAD), logits.argmax(-1))
            out.append(nxt)
            done |= nxt.eq(EOS) | (step + 1 >= limits)
            prev = nxt
            if bool(done.all()):
                break
        return torch.stack(out, 1)


# ---------------------------------------------------------------- model FLOPs

def forward_matmul_flops(m, vocab, B, S, T):
    """Multiply-adds x 2 of every matrix product in one forward pass over a
    padded (B, S) source and (B, T) target batch, counted from the shapes (what
    both systems compute: padding included, element-wise work, softmax and
    embeddings lookups left out). A training step costs three times this: the
    backward pass computes two products for each forward one."""
    if m["architecture"] == "transformer":
        d, ff = m["d_model"], m["ff_dim"]
        encoder = 4 * 2 * B * S * d * d + 2 * 2 * B * S * S * d + 2 * 2 * B * S * d * ff
        decoder = (4 * 2 * B * T * d * d + 2 * 2 * B * T * T * d                        # self-attention
                   + 2 * 2 * B * T * d * d + 2 * 2 * B * S * d * d + 2 * 2 * B * T * S * d  # cross-attention
                   + 2 * 2 * B * T * d * ff)
        return m["encoder_layers"] * encoder + m["decoder_layers"] * decoder + 2 * B * T * d * vocab
    E, H = m["embed_dim"], m["hidden_dim"]
    lstm = lambda steps, inputs: steps * 2 * B * (inputs + H) * 4 * H
    flops = 2 * lstm(S, E) + 2 * 2 * B * 2 * H * H                      # biLSTM encoder, bridges
    if m["attention"] == "luong":
        flops += 2 * B * S * 2 * H * H                                  # keys (W_a h_j)
        flops += lstm(T, E) + 2 * B * T * S * H + 2 * B * T * S * 2 * H  # decoder, scores, contexts
        flops += 2 * B * T * 3 * H * H                                  # readout tanh(W[s; c])
    else:
        A = m["attention_dim"]
        flops += 2 * B * S * 2 * H * A + 2 * B * T * H * A              # keys, queries
        flops += 2 * B * T * S * A + 2 * B * T * S * 2 * H              # energies (v), contexts
        flops += lstm(T, E + 2 * H) + 2 * B * T * (3 * H + E) * H       # decoder, readout tanh(W[s; c; e])
    return flops + 2 * B * T * H * vocab


# ---------------------------------------------------------------- training

def learning_rate(kind, base, warmup, step):
    """lib/train/schedule.cpp for constant and inverse_sqrt."""
    s = max(step, 1)
    multiplier = min(1.0, s / warmup) if warmup > 0 else 1.0
    if kind == "inverse_sqrt" and warmup > 0 and s > warmup:
        multiplier = math.sqrt(warmup / s)
    if kind == "inverse_sqrt" and warmup == 0:
        multiplier = 1.0 / math.sqrt(s)
    return max(1e-6, base * multiplier)


def smoothed_loss(logits, target, epsilon):
    """lib/train/loss.cpp: (1-eps) NLL + eps x mean over the vocabulary, summed over real tokens."""
    log_probs = torch.log_softmax(logits.float(), -1)
    real = target.ne(PAD)
    nll = -log_probs.gather(-1, target.unsqueeze(-1)).squeeze(-1)
    loss = (1.0 - epsilon) * nll + epsilon * (-log_probs.mean(-1))
    return loss[real].sum(), nll[real].sum()


@torch.no_grad()
def dev_loss(model, sources, targets, max_tokens):
    model.eval()
    budget = max(max_tokens, max(s2s_batches.pair_cost(s, t) for s, t in zip(sources, targets)))
    nll, tokens = 0.0, 0
    for indices in s2s_batches.make_batches(sources, targets, budget, 0, 0, shuffle_batches=False):
        src, lengths, trg_in, trg_out = collate(sources, targets, indices)
        nll += smoothed_loss(model(src, lengths, trg_in), trg_out, 0.0)[1].item()
        tokens += int(trg_out.ne(PAD).sum())
    model.train()
    return nll / tokens


def translate_test(model, spm_path, test_src, hyp_path, batch=100):
    """Greedy translations of test_src, detokenised, one per line into hyp_path
    (written to a temporary file, then renamed); returns them."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=spm_path)
    with open(test_src) as f:
        sources = [line.rstrip("\n") for line in f]
    model.eval()
    hypotheses = []
    for start in range(0, len(sources), batch):
        ids = [sp.encode(s) for s in sources[start:start + batch]]
        src = pad_rows(ids, suffix=EOS)
        lengths = torch.tensor([len(i) + 1 for i in ids])
        limits = (1.5 * lengths.double()).long() + 10  # s2s search: a*|src| + b with |src| counting EOS
        out = model.greedy(src, lengths, limits)
        for row in out.tolist():
            row = row[: row.index(EOS)] if EOS in row else row
            hypotheses.append(sp.decode([t for t in row if t != PAD]))
    with open(hyp_path + ".tmp", "w") as f:
        f.write("".join(h + "\n" for h in hypotheses))
    os.replace(hyp_path + ".tmp", hyp_path)
    return hypotheses


def exact_match(hypotheses, test_trg):
    with open(test_trg) as f:
        references = [line.rstrip("\n") for line in f]
    if len(hypotheses) != len(references):
        raise SystemExit(f"reference: {len(hypotheses)} translations for {len(references)} lines of {test_trg}")
    return sum(h == r for h, r in zip(hypotheses, references)) / len(references)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--config", required=True, help="the s2s training config (JSON) of the paired run")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: the forward pass under CPU autocast, as s2s's train.precision=bf16")
    ap.add_argument("--speed-only", action="store_true",
                    help="train only: no dev loss or test decoding (for tests/bench/precision_speed.sh)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    with open(args.config) as f:
        config = json.load(f)
    # s2s defaults for keys a hand-written config may leave out (lib/models, lib/run/run_config.cpp)
    if config["model"]["architecture"] == "transformer":
        m = {"norm": "pre", "tie_embeddings": "all", "max_positions": 1024, "positions": "sinusoidal",
             "attention_dropout": 0.0, "activation_dropout": 0.0, "dropout": 0.1}
    else:
        m = {"cell": "lstm", "bidirectional": True, "attention": "bahdanau", "dropout": 0.2}
    m.update(config["model"])
    t = {"schedule": "inverse_sqrt", "warmup_steps": 400, "label_smoothing": 0.1, "clip_norm": 1.0}
    t.update(config["train"])
    max_steps, eval_every = t["max_steps"], config["eval"]["every_steps"]
    max_tokens = config["data"]["max_tokens"]
    sources, targets = cached_split(args.corpus, "train")
    dev_sources, dev_targets = cached_split(args.corpus, "dev")
    spm_path = os.path.join(args.corpus, "spm.model")
    import sentencepiece as spm

    vocab = spm.SentencePieceProcessor(model_file=spm_path).get_piece_size()
    if m["architecture"] == "transformer":
        model = ReferenceTransformer(m, vocab)
    else:
        model = ReferenceRnn(m, vocab, vocab)
    optimizer = torch.optim.Adam(model.parameters(), lr=t["learning_rate"], betas=(t.get("beta1", 0.9), t.get("beta2", 0.98)),
                                 eps=1e-9)
    smoothing = t["label_smoothing"]
    step, epoch, curve = 0, 0, []
    target_tokens, model_flops = 0, 0
    bf16 = args.precision == "bf16"
    started = time.time()
    train_seconds = 0.0
    model.train()
    while step < max_steps:
        for indices in s2s_batches.make_batches(sources, targets, max_tokens, args.seed, epoch):
            t0 = time.time()
            src, lengths, trg_in, trg_out = collate(sources, targets, indices)
            tokens = sum(len(targets[i]) + 1 for i in indices)
            target_tokens += tokens
            model_flops += 3 * forward_matmul_flops(m, vocab, src.size(0), src.size(1), trg_in.size(1))
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(src, lengths, trg_in)
            loss, _ = smoothed_loss(logits.float(), trg_out, smoothing)
            (loss / tokens).backward()
            if t.get("clip_norm", 1.0) > 0:
                nn.utils.clip_grad_norm_(model.parameters(), t.get("clip_norm", 1.0))
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(t["schedule"], t["learning_rate"], t["warmup_steps"], step + 1)
            optimizer.step()
            optimizer.zero_grad()
            step += 1
            train_seconds += time.time() - t0
            if eval_every > 0 and step % eval_every == 0 and not args.speed_only:
                curve.append({"step": step, "dev_loss": dev_loss(model, dev_sources, dev_targets, max_tokens)})
            if step >= max_steps:
                break
        epoch += 1
    match = None
    if not args.speed_only:
        if not curve or curve[-1]["step"] != step:
            curve.append({"step": step, "dev_loss": dev_loss(model, dev_sources, dev_targets, max_tokens)})
        hypotheses = translate_test(model, spm_path, os.path.join(args.corpus, "test.src"), args.out + ".hyp")
        match = exact_match(hypotheses, os.path.join(args.corpus, "test.trg"))
    result = {"implementation": "reference", "seed": args.seed, "curve": curve, "exact_match": match,
              "precision": args.precision, "steps": step, "target_tokens": target_tokens,
              "target_tokens_per_second": target_tokens / train_seconds if train_seconds > 0 else 0.0,
              "model_flops": model_flops,
              "model_gflops_per_second": model_flops / train_seconds / 1e9 if train_seconds > 0 else 0.0,
              "train_seconds": train_seconds, "wall_seconds": time.time() - started,
              "parameters": sum(p.numel() for p in model.parameters())}
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
