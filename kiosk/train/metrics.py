"""Text metrics for the training report: chrF, BLEU and a repetition check, written here.

Why not sacrebleu: these are a few dozen lines, and the report only compares two models on the
same references, so exact agreement with a reference implementation's tokeniser is not needed.
chrF is character n-gram F-beta (n = 1..6, beta = 2, spaces removed), which suits Korean where
word-level BLEU punishes every particle; BLEU is corpus-level 4-gram BLEU with brevity penalty
on whitespace words (sentence punctuation split off).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence


def _char_ngrams(text: str, n: int) -> Counter[str]:
    chars = "".join(text.split())
    return Counter(chars[i:i + n] for i in range(len(chars) - n + 1))


def chrf(hypotheses: Sequence[str], references: Sequence[str], order: int = 6,
         beta: float = 2.0) -> float:
    """Corpus chrF (0-100): n-gram statistics summed over all sentences, then averaged over n."""
    scores = []
    for n in range(1, order + 1):
        match = hyp_total = ref_total = 0
        for hyp, ref in zip(hypotheses, references, strict=True):
            h, r = _char_ngrams(hyp, n), _char_ngrams(ref, n)
            match += sum((h & r).values())
            hyp_total += sum(h.values())
            ref_total += sum(r.values())
        if hyp_total == 0 or ref_total == 0:
            continue
        precision, recall = match / hyp_total, match / ref_total
        if precision + recall == 0:
            scores.append(0.0)
            continue
        scores.append((1 + beta**2) * precision * recall / (beta**2 * precision + recall))
    return 100 * sum(scores) / len(scores) if scores else 0.0


def _words(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text.lower())


def bleu(hypotheses: Sequence[str], references: Sequence[str], order: int = 4) -> float:
    """Corpus BLEU (0-100) with one reference per hypothesis and add-one smoothing for n > 1."""
    matches = [0] * order
    totals = [0] * order
    hyp_len = ref_len = 0
    for hyp, ref in zip(hypotheses, references, strict=True):
        h, r = _words(hyp), _words(ref)
        hyp_len += len(h)
        ref_len += len(r)
        for n in range(1, order + 1):
            hc = Counter(tuple(h[i:i + n]) for i in range(len(h) - n + 1))
            rc = Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
            matches[n - 1] += sum((hc & rc).values())
            totals[n - 1] += sum(hc.values())
    if hyp_len == 0 or matches[0] == 0:
        return 0.0
    logs = [math.log(matches[0] / totals[0])]
    logs += [math.log((matches[n] + 1) / (totals[n] + 1)) for n in range(1, order)]
    brevity = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return 100 * brevity * math.exp(sum(logs) / order)


def repeats(text: str, n: int = 3) -> bool:
    """A word n-gram said twice: the loop a small model falls into."""
    words = re.findall(r"\w+", text.lower())
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    return len(grams) != len(set(grams))
