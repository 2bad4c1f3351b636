#!/usr/bin/python3
"""Join two SWORD `mod2imp -s` exports on the verse key, clean and split them.

Usage: bible_join.py ES_IMP EN_IMP OUTDIR [EN2_IMP]

Reads the Spanish and English exports (UTF-8, `$$$Book C:V` key lines each
followed by the verse text), keeps real verses (verse number > 0) whose both
sides are non-empty after cleaning, and writes into OUTDIR (which must exist):

  {train,dev,test}.{es,en}   one verse per line
  keys.{train,dev,test}      the verse key of each line, e.g. "Genesis 1:1"
  {dev,test}.en2             with EN2_IMP (the World English Bible): a second English
                             reference for the same verses, cleaned the same way; a
                             verse that EN2 lacks (or leaves empty) is an empty line

The split rule, in canonical (KJV versification) order of the kept pairs,
counting from i = 0:  i % 31 == 0 -> test,  i % 31 == 1 -> dev,  else train.

Standard library only; the output is a pure function of the two exports.
"""
import re
import sys

SPLIT_MODULUS = 31
KEY_RE = re.compile(r"^(.+) (\d+):(\d+)$")
TAG_RE = re.compile(r"\s*<[^<>]*>")                  # Strong's tags <H2416>, <G3113>, any markup
USFM_RE = re.compile(r"\\\+?[a-z]+[0-9]*\*?[ ]?")    # leftover USFM markers such as "\nd "
SPACE_RE = re.compile(r"\s+")
# A chapter-initial drop cap in the Spanish text: "EN el principio", "Y FUERON acabados",
# "¿HASTA cuándo": an all-capital word of two or more letters at the start of the verse,
# possibly after "Y " or an opening "¡"/"¿".
DROP_CAP_RE = re.compile(r"^((?:Y )?[¡¿]?)([^\W\d_]{2,})(?=[\s,;:.!?]|$)")


def parse_imp(path):
    """Returns (keys in file order, {key: text}); text lines of one entry are joined."""
    order, text = [], {}
    key = None
    with open(path, encoding="utf-8", errors="strict") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if line.startswith("$$$"):
                key = line[3:].strip()
                if key in text:
                    sys.exit(f"bible_join: {path}:{lineno}: duplicate key {key!r}")
                order.append(key)
                text[key] = []
            elif key is not None:
                text[key].append(line)
    return order, {k: " ".join(v) for k, v in text.items()}


def clean(s, spanish):
    s = TAG_RE.sub("", s)
    s = USFM_RE.sub("", s)
    s = s.replace("\u00b6", " ")       # pilcrow paragraph marks (KJV)
    s = s.replace("\ufeff", " ").replace("\u00a0", " ")
    s = SPACE_RE.sub(" ", s).strip()
    if spanish:
        m = DROP_CAP_RE.match(s)
        if m and m.group(2).isupper():
            lead, w = m.group(1), m.group(2)
            w = w.lower() if lead.startswith("Y ") else w[0] + w[1:].lower()
            s = lead + w + s[m.end():]
    return s


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: bible_join.py ES_IMP EN_IMP OUTDIR [EN2_IMP]")
    es_path, en_path, out = sys.argv[1:4]
    es_order, es = parse_imp(es_path)
    en_order, en = parse_imp(en_path)
    en2 = parse_imp(sys.argv[4])[1] if len(sys.argv) == 5 else None

    stats = {"keys": 0, "non_verse": 0, "empty_es": 0, "empty_en": 0, "missing_es": 0, "missing_en": 0}
    pairs = []
    for key in en_order:                      # canonical order = the English export's order
        m = KEY_RE.match(key)
        if not m or int(m.group(3)) == 0:     # module/testament/book/chapter headings
            stats["non_verse"] += 1
            continue
        stats["keys"] += 1
        if key not in es:
            stats["missing_es"] += 1
            continue
        s, e = clean(es[key], True), clean(en[key], False)
        if not s:
            stats["empty_es"] += 1
        if not e:
            stats["empty_en"] += 1
        if s and e:
            pairs.append((key, s, e))
    stats["missing_en"] = sum(1 for k in es_order if k not in en and KEY_RE.match(k) and not k.endswith(":0"))

    splits = {"train": [], "dev": [], "test": []}
    for i, p in enumerate(pairs):
        r = i % SPLIT_MODULUS
        splits["test" if r == 0 else "dev" if r == 1 else "train"].append(p)

    for name, rows in splits.items():
        for suffix, col in (("keys", 0), ("es", 1), ("en", 2)):
            fname = f"{out}/keys.{name}" if suffix == "keys" else f"{out}/{name}.{suffix}"
            with open(fname, "w", encoding="utf-8", newline="\n") as f:
                for row in rows:
                    f.write(row[col] + "\n")
    if en2 is not None:
        for name in ("dev", "test"):
            missing = 0
            with open(f"{out}/{name}.en2", "w", encoding="utf-8", newline="\n") as f:
                for key, _, _ in splits[name]:
                    text = clean(en2.get(key, ""), False)
                    missing += 0 if text else 1
                    f.write(text + "\n")
            print(f"second English reference, {name}: {len(splits[name]) - missing} verses, "
                  f"{missing} missing (empty lines)")

    print(f"verse keys: {stats['keys']}  (headings skipped: {stats['non_verse']})")
    print(f"dropped: empty Spanish {stats['empty_es']}, empty English {stats['empty_en']}, "
          f"key missing in Spanish {stats['missing_es']}, key missing in English {stats['missing_en']}")
    print(f"pairs kept: {len(pairs)}")
    print(f"{'split':<6} {'pairs':>6} {'avg es words':>13} {'avg en words':>13} {'max es':>7} {'max en':>7}")
    for name, rows in splits.items():
        n = len(rows)
        es_w = [len(r[1].split()) for r in rows]
        en_w = [len(r[2].split()) for r in rows]
        avg = lambda v: sum(v) / len(v) if v else 0.0
        print(f"{name:<6} {n:>6} {avg(es_w):>13.2f} {avg(en_w):>13.2f} "
              f"{max(es_w, default=0):>7} {max(en_w, default=0):>7}")


if __name__ == "__main__":
    main()
