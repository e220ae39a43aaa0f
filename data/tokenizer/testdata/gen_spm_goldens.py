"""Generate spm_goldens.jsonl: ids from the `sentencepiece` library for random strings (raw SentencePiece encoding).

Run: python3 data/tokenizer/testdata/gen_spm_goldens.py <fixtures>/spm-2k/spiece.model > data/tokenizer/testdata/spm_goldens.jsonl
(needs the sentencepiece Python package; Debian: python3-sentencepiece).
"""
import json
import random
import sys

import sentencepiece as spm

sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
rng = random.Random(20240601)
pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size()) if not sp.is_control(i) and not sp.is_unknown(i)]
words = [p.replace("\u2581", "") for p in pieces if len(p.replace("\u2581", "")) > 0]

EXOTIC = (
    list("\t\n\r\u00a0\u3000\u2009\u200b\u0085\u1680\u2028\u00ad\ufeff\u0000\u0007\u007f")  # spaces and controls
    + list("éèêëàâäôöûüçñÉÀÖØßåæœ")  # composed Latin
    + ["e\u0301", "a\u0308", "o\u0302\u0323", "n\u0303", "\u0301", "A\u030a"]  # decomposed / lone combining marks
    + list("ＡＢＣａｂｃ０１２３！？～（）")  # full-width
    + list("ﬁﬂﬀﬃ½¼²³™℃№…‥")  # compatibility forms
    + list("日本語中文한국어กขคабвгдαβγ")  # other scripts
    + ["🤗", "🚀", "👍🏽", "👨\u200d👩\u200d👧", "🇩🇪", "©", "®", "\u2581", "\u2047", "\ufffd"]
    + ["<s>", "</s>", "<pad>", "<unk>", "<extra_id_0>"]
    + list(".,;:!?'\"()[]{}-_/\\@#$%^&*+=<>|~`")
)


def rand_text(n_tokens):
    out = []
    for _ in range(n_tokens):
        r = rng.random()
        if r < 0.55:
            out.append(rng.choice(words))
        elif r < 0.75:
            out.append(" " * rng.choice([1, 1, 1, 2, 3]))
        elif r < 0.9:
            out.append(rng.choice(EXOTIC))
        else:
            out.append(rng.choice(words).upper() if rng.random() < 0.5 else str(rng.randint(0, 10**6)))
    return "".join(out)


texts = [rand_text(rng.randint(1, 40)) for _ in range(1200)]
texts += [rand_text(rng.randint(1500, 2000)) for _ in range(2)]  # long inputs: float32 path scores grow large
# JSON Lines (one object per line; first line names the generator), which formatters leave compact.
print(json.dumps({"generator": "sentencepiece " + spm.__version__}))
for t in texts:
    ids = sp.encode(t)
    print(json.dumps({"text": t, "ids": ids, "decoded": sp.decode(ids)}, ensure_ascii=False))
