#!/usr/bin/python3
"""Translate with a model exported by `s2s export`, using only PyTorch and
SentencePiece (Debian: apt-get install python3-torch python3-sentencepiece).

    translate_exported.py model.pt [--beam N] [--input FILE] [SENTENCE ...]

Sentences come from the command line, from --input, or from stdin, one per
line; translations go to stdout, one per line. Batching and the output length
limit follow `s2s translate`, so both print the same lines.
"""
import argparse
import json
import sys

import sentencepiece
import torch


def load(path):
    extra = {"metadata.json": "", "spm.model": "", "spm.src.model": "", "spm.trg.model": ""}
    model = torch.jit.load(path, map_location="cpu", _extra_files=extra)
    metadata = json.loads(extra["metadata.json"])
    if metadata.get("format") != "s2s-export":
        raise SystemExit(f"{path} was not written by s2s export")

    def processor(name):
        sp = sentencepiece.SentencePieceProcessor()
        sp.LoadFromSerializedProto(extra[name] if isinstance(extra[name], bytes) else extra[name].encode("latin-1"))
        return sp

    if extra["spm.model"]:
        source = target = processor("spm.model")
    else:
        source, target = processor("spm.src.model"), processor("spm.trg.model")
    return model, metadata, source, target


def translate(model, metadata, source, target, lines, beam=5, batch_tokens=2000):
    eos = metadata["special_ids"]["eos"]
    limit_a = metadata["search"]["max_length_a"]
    limit_b = metadata["search"]["max_length_b"]
    results = [""] * len(lines)
    encoded = {i: source.EncodeAsIds(line) for i, line in enumerate(lines) if line.strip(" \t\r")}
    # Longest first, in batches under a token budget, as `s2s translate` does.
    order = sorted(encoded, key=lambda i: -len(encoded[i]))
    start = 0
    while start < len(order):
        longest = len(encoded[order[start]]) + 1
        count = min(max(1, batch_tokens // (longest * beam)), len(order) - start)
        batch = order[start:start + count]
        outputs = model.translate([encoded[i] + [eos] for i in batch], beam, limit_a, limit_b)
        for i, ids in zip(batch, outputs):
            results[i] = target.DecodeIds(ids)
        start += count
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("sentences", nargs="*")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--input")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model, metadata, source, target = load(args.model)
    if args.sentences:
        lines = args.sentences
    else:
        stream = open(args.input, encoding="utf-8") if args.input else sys.stdin
        lines = [line.rstrip("\n").rstrip("\r") for line in stream]
    for line in translate(model, metadata, source, target, lines, beam=args.beam):
        print(line)


if __name__ == "__main__":
    main()
