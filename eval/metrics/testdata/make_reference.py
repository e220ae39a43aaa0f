"""Writes the reference outputs the metric tests compare against (test-time data only; nothing runs this at run time).

Produced with Debian 12 packages: python3-nltk 3.8, python3-sklearn 1.2.1, python3-scipy 1.10.1, numpy 1.24, the
word list of `wamerican` 2020.12.07 (/usr/share/dict/words), and `rouge_score` 0.0.4 (google-research `rouge/`
tokenize.py, rouge_scorer.py, scoring.py, importable as the `rouge_score` package).

    python3 eval/metrics/testdata/make_reference.py   # from the repository root; rewrites the JSON files here

The inputs are drawn with fixed seeds and the files are passed through `deno fmt` (as the repository keeps them), so
a rerun with the same versions reproduces them byte for byte.
"""

import json
import math
import os
import random
import subprocess

import numpy as np
from nltk.stem.porter import PorterStemmer
from rouge_score import rouge_scorer
from scipy import stats
from sklearn import metrics

HERE = os.path.dirname(os.path.abspath(__file__))
MODES = ["NLTK_EXTENSIONS", "MARTIN_EXTENSIONS", "ORIGINAL_ALGORITHM"]

# Every suffix the Porter rules test, so that synthetic words reach every rule in every mode.
SUFFIXES = (
    "sses ies ss s eed ied ed ing at bl iz y ational tional enci anci izer bli abli alli entli eli ousli ization "
    "ation ator alism iveness fulness ousness aliti iviti biliti fulli logi icate ative alize iciti ical ful ness al "
    "ance ence er ic able ible ant ement ment ent ion sion tion ou ism ate iti ous ive ize e ll"
).split()


def dictionary_words():
    with open("/usr/share/dict/words", encoding="utf-8") as f:
        return [w.strip() for w in f if w.strip().isascii() and w.strip().isalpha()]


def porter_cases(rng):
    words = dictionary_words()
    picked = [w.lower() for w in words[::29]]
    stems = ["".join(rng.choice("bcdfghjklmnprstvwxyzaeiouy") for _ in range(rng.randint(1, 6))) for _ in range(40)]
    synthetic = [rng.choice(stems) + suffix for suffix in SUFFIXES for _ in range(12)]
    special = [
        "caresses", "ponies", "ties", "caress", "cats", "feed", "agreed", "plastered", "bled", "motoring", "sing",
        "conflated", "troubled", "sized", "hopping", "tanned", "falling", "hissing", "fizzed", "failing", "filing",
        "happy", "sky", "relational", "conditional", "rational", "valenci", "hesitanci", "digitizer", "conformabli",
        "radicalli", "differentli", "vileli", "analogousli", "vietnamization", "predication", "operator", "feudalism",
        "decisiveness", "hopefulness", "callousness", "formaliti", "sensitiviti", "sensibiliti", "triplicate",
        "formative", "formalize", "electriciti", "electrical", "hopeful", "goodness", "revival", "allowance",
        "inference", "airliner", "gyroscopic", "adjustable", "defensible", "irritant", "replacement", "adjustment",
        "dependent", "adoption", "homologou", "communism", "activate", "angulariti", "homologous", "effective",
        "bowdlerize", "probate", "rate", "cease", "controll", "roll", "generalizations", "generously", "dying",
        "lying", "tying", "skies", "news", "innings", "outings", "cannings", "howe", "proceed", "exceed", "succeed",
        "dies", "flies", "tried", "spied", "died", "enjoy", "spy", "fly", "this", "says", "oing", "aed", "a", "ab",
        "abc", "y", "yy", "ied", "ies", "eed", "ing", "ed", "1990s", "covid19", "3rd", "2000", "mp3s", "aaa", "eeee",
        "syzygy", "toy", "oats", "trees", "ivy", "troubles", "private", "oaten", "orrery", "archaeology",
        "anthropologies", "fully", "beautifulli", "Dying", "CARESSES", "Relational",
    ]
    out = []
    seen = set()
    for w in special + picked + synthetic:
        if w not in seen:
            seen.add(w)
            out.append(w)
    result = {"words": out}
    for mode in MODES:
        stemmer = PorterStemmer(mode)
        result[mode] = [stemmer.stem(w) for w in out]
    return result


def sentence(rng, vocab, lo, hi):
    words = [rng.choice(vocab) for _ in range(rng.randint(lo, hi))]
    text = " ".join(words)
    if rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    return text + rng.choice([".", "!", "?", "", " ...", "'s."])


def rouge_cases(rng):
    words = dictionary_words()
    base = [w for w in words[::211] if len(w) > 2][:120]
    inflected = []
    for w in base:
        inflected += [w, w + "s", w + "ing", w + "ed", w.upper(), w + "'s"]
    vocab = inflected + ["the", "a", "of", "in", "on", "2020", "u.s.", "co-op", "naïve", "café", "—", "$5", "(x)"]
    cases = [
        ("The quick brown fox jumps over the lazy dog", "The quick brown dog jumps on the log."),
        ("testing one two", "testing"),
        ("testing one two", ""),
        ("testing one two", "testing one"),
        ("testing one two", "testing two"),
        ("w1 w2 w3 w4 w5", "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5"),
        ("w1 w2 w3 w4 w5", "/"),
        ("", "w1"),
        ("", ""),
        ("a a a b", "a b b b"),
        ("Élan vital — déjà vu!\n\nNaïve café.", "elan vital deja vu\nnaive cafe"),
        ("one two\n\nthree four\n", "\none two three\nfour"),
        ("the cat the cat the cat", "the cat\nthe cat\nthe dog"),
    ]
    for _ in range(160):
        target = "\n".join(sentence(rng, vocab, 1, 14) for _ in range(rng.randint(1, 4)))
        if rng.random() < 0.5:
            # Prediction sharing part of the target, to get non-trivial overlaps.
            tokens = target.replace("\n", " \n ").split(" ")
            kept = [t for t in tokens if rng.random() < 0.7]
            extra = [rng.choice(vocab) for _ in range(rng.randint(0, 5))]
            for e in extra:
                kept.insert(rng.randint(0, len(kept)), e)
            prediction = " ".join(kept)
        else:
            prediction = "\n".join(sentence(rng, vocab, 1, 14) for _ in range(rng.randint(1, 3)))
        cases.append((target, prediction))
    types = ["rouge1", "rouge2", "rouge3", "rougeL", "rougeLsum"]
    out = []
    for stem in (False, True):
        scorer = rouge_scorer.RougeScorer(types, use_stemmer=stem)
        for target, prediction in cases:
            scores = scorer.score(target, prediction)
            out.append({
                "target": target,
                "prediction": prediction,
                "use_stemmer": stem,
                "scores": {t: [scores[t].precision, scores[t].recall, scores[t].fmeasure] for t in types},
            })
    return out


def nan_to_none(x):
    x = float(x)
    return None if math.isnan(x) else x


def classification_cases(rng):
    cases = []
    for n in [2, 3, 5, 10, 40, 200]:
        for trial in range(4):
            refs = [rng.randint(0, 1) for _ in range(n)]
            preds = [rng.choice([0, 1, 1, 0, -1] if trial % 2 else [0, 1]) for _ in range(n)]
            if trial == 3:
                preds = [1] * n  # constant predictions
            fixed = np.array(preds)
            invalid = (fixed != 0) & (fixed != 1)
            fixed[invalid] = 1 - np.array(refs)[invalid]  # f1_score_with_invalid's replacement
            cases.append({
                "references": refs,
                "predictions": preds,
                "accuracy": float(np.mean(np.array(preds) == np.array(refs))),
                "mcc": float(metrics.matthews_corrcoef(refs, preds)),
                "f1_with_invalid": float(metrics.f1_score(refs, fixed, zero_division=0)),
            })
    # Three classes (MNLI-like labels with an invalid -1): MCC in its multiclass form.
    for n in [6, 30, 150]:
        refs = [rng.randint(0, 2) for _ in range(n)]
        preds = [rng.choice([0, 1, 2, 2, -1]) for _ in range(n)]
        cases.append({
            "references": refs,
            "predictions": preds,
            "accuracy": float(np.mean(np.array(preds) == np.array(refs))),
            "mcc": float(metrics.matthews_corrcoef(refs, preds)),
        })
    return cases


def correlation_cases(rng):
    cases = []
    for n in [2, 3, 4, 10, 50, 300]:
        for kind in ["continuous", "ties", "constant", "anti"]:
            x = [round(rng.uniform(0, 5), 3) for _ in range(n)]
            if kind == "ties":
                x = [round(round(v * 5) / 5, 1) for v in x]
                y = [round(min(5, max(0, v + rng.choice([-0.4, -0.2, 0, 0, 0.2]))), 1) for v in x]
            elif kind == "constant":
                y = [2.4] * n
            elif kind == "anti":
                y = [5 - v + rng.uniform(-0.5, 0.5) for v in x]
            else:
                y = [v + rng.gauss(0, 1) for v in x]
            cases.append({
                "x": x,
                "y": y,
                "pearson": nan_to_none(stats.pearsonr(x, y)[0]),
                "spearman": nan_to_none(stats.spearmanr(x, y)[0]),
                "ranks_y": [float(r) for r in stats.rankdata(y)],
            })
    return cases


def main():
    rng = random.Random(20220315)
    outputs = {
        "porter_nltk.json": porter_cases(rng),
        "rouge_score.json": rouge_cases(rng),
        "sklearn_scipy.json": {"classification": classification_cases(rng), "correlation": correlation_cases(rng)},
    }
    paths = []
    for name, data in outputs.items():
        paths.append(os.path.join(HERE, name))
        with open(paths[-1], "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
    subprocess.run(["deno", "fmt", "--quiet", *paths], check=True)


if __name__ == "__main__":
    main()
