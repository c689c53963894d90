"""Segment stage: jieba, with the federation user dictionary (the spaCy tokenizer over it is
`pipeline.tokenizer`; this module does not import spaCy, so that the clean stage, which asks
`is_word`, runs without it).

The segmenter is jieba-next when it is installed (a maintained fork of jieba with the same
dictionary and algorithm — prefix DAG, max-probability route, HMM for unknown words — whose
DAG, route and HMM run in Rust, 4-5x faster), else jieba itself; `ENGINE` says which.
On the dev documents the two cut the same words but at one place (an unknown two-character
name the HMM joins in one and not in the other).

jieba keeps its prefix dictionary in a marshal cache that it reads with `marshal.load`
on a file object, which takes about 1.5 s here; reading the bytes first and calling
`marshal.loads` takes 0.35 s. `dictionary()` builds the tokenizer once per process,
with the user dictionary folded in, and caches it under `cache_dir()`, packed as the words in
one string and their frequencies in one array (0.29-0.33 s to load instead of 0.38-0.39 s).
"""
from __future__ import annotations

import functools
import hashlib
import logging
import marshal
import os
import tempfile
from array import array
from operator import itemgetter
from pathlib import Path

try:
    import jieba_next as jieba
except ImportError:  # pragma: no cover - the pure-Python original: the same words, slower
    import jieba
from pipeline.datafiles import user_dictionary_text

(getattr(jieba, "set_log_level", None) or jieba.setLogLevel)(logging.WARNING)  # jieba-next renamed it
ENGINE = f"{jieba.__name__.replace('_', '-')} {jieba.__version__}"


def cache_dir() -> Path:
    """Where derived caches live: $FEDREPORTS_CACHE, else ~/.cache/fedreports, else a temp dir."""
    for candidate in (os.environ.get("FEDREPORTS_CACHE"), Path.home() / ".cache" / "fedreports",
                      Path(tempfile.gettempdir()) / "fedreports-cache"):
        if not candidate:
            continue
        path = Path(candidate)
        try:
            path.mkdir(parents=True, exist_ok=True)
            if os.access(path, os.W_OK):
                return path
        except OSError:
            continue
    raise RuntimeError("no writable cache directory; set FEDREPORTS_CACHE")


def user_words() -> list[tuple[str, int | None, str | None]]:
    """(word, freq, tag) entries of the federation user dictionary."""
    out = []
    for line in user_dictionary_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[2] if len(parts) > 2 else None
        out.append((parts[0], freq, tag))
    return out


def _main_dictionary() -> Path:
    """The dictionary file bundled with the segmenter."""
    with jieba.Tokenizer().get_dict_file() as f:
        return Path(f.name)


def _cached(name: str, build, *key_parts):
    """`build()`'s value, kept as a marshal file under `cache_dir()` keyed by the segmenter's
    version and dictionary file and `key_parts`; built and written (atomically) when missing."""
    main = _main_dictionary()
    parts = (jieba.__version__, main.stat().st_size, main.stat().st_mtime, *key_parts)
    key = hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]
    cache = cache_dir() / f"{name}-{key}.marshal"
    try:
        return marshal.loads(cache.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        value = build()
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(value))
        os.replace(tmp, cache)
        return value


@functools.lru_cache(maxsize=1)
def dictionary() -> jieba.Tokenizer:
    """The process-wide jieba tokenizer with the federation words added."""
    return load_dictionary()


def load_dictionary() -> jieba.Tokenizer:
    """A new jieba tokenizer with the federation words added, its prefix dictionary read from
    the cache (built and cached when missing)."""
    tok = jieba.Tokenizer()

    def build():
        tok.initialize()
        for word, freq, tag in user_words():
            tok.add_word(word, freq, tag)
        return tok.FREQ, tok.total

    # kept packed (see the module's docstring): faster to load than a marshalled dict of
    # 500,000 entries, in every process that segments
    words, freqs, tok.total = _cached("jieba-packed", lambda: _pack(*build()), user_dictionary_text())
    tok.FREQ = dict(zip(words.split("\n"), array("q", freqs)))
    tok.initialized = True
    return tok


def _pack(freq: dict, total: int) -> tuple[str, bytes, int]:
    """jieba's prefix dictionary as (words joined by newlines, frequencies as int64 bytes, total);
    `dict(zip(words.split("\\n"), array("q", freqs)))` is the same dictionary, in the same order."""
    words = "\n".join(freq)
    if words.count("\n") != len(freq) - 1:
        raise ValueError("a dictionary word contains a line break")
    return words, array("q", freq.values()).tobytes(), total


@functools.lru_cache(maxsize=8)
def words_tagged(tag: str) -> frozenset:
    """Words of jieba's bundled dictionary with part-of-speech `tag` (e.g. "v" for verbs),
    cached beside the dictionary (scanning the 5 MB file takes 0.13 s per process)."""
    import re

    def build():
        text = _main_dictionary().read_text(encoding="utf-8")
        return re.findall(rf"^(\S+) \d+ {re.escape(tag)}\r?$", text, re.M)

    return frozenset(_cached("jieba-tag", build, tag))


def is_word(s: str, min_freq: int = 1) -> bool:
    """Is `s` a word of the segmentation dictionary (with at least `min_freq`)?"""
    return dictionary().FREQ.get(s, 0) >= min_freq


def segment(text: str) -> list[str]:
    """jieba segmentation with the federation dictionary (precise mode, HMM on)."""
    return _cutter()(text)


@functools.lru_cache(maxsize=1)
def _cutter():
    """`dictionary().cut` as a function returning a list. With jieba-next, the same algorithm
    written as one loop over its Rust route (no generator per block and per word: about half
    of the segment stage's time was jieba-next's Python around the route); `tests/test_segment.py`
    checks it against `cut`. Elsewhere, or should jieba-next's internals change, `cut` itself."""
    tok = dictionary()
    try:
        from jieba_next import finalseg
        from jieba_next._patterns import re_han_default, re_skip_default
        tok._ensure_rust_prefix()
        if tok._rust_prefix is None:
            raise AttributeError("no Rust prefix dictionary")
    except (ImportError, AttributeError):
        return lambda text: list(tok.cut(text))
    han_split, han_match = re_han_default.split, re_han_default.match
    skip_split, skip_match = re_skip_default.split, re_skip_default.match
    hmm_cut, freq = finalseg.cut, tok.FREQ

    def cut(text: str) -> list[str]:
        if tok._rust_prefix is None:   # jieba-next drops it when a word is added
            tok._ensure_rust_prefix()
        route_of = tok._rust_prefix.get_dag_and_calc
        out: list[str] = []
        add, add_all = out.append, out.extend

        def flush(run: str) -> None:   # single characters in a row: known as one word, or HMM
            if len(run) == 1:
                add(run)
            elif not freq.get(run):
                add_all(hmm_cut(run))
            else:
                add_all(run)

        for block in han_split(text):
            if not block:
                continue
            if han_match(block):
                route = route_of(block)
                x, n, run = 0, len(block), -1
                while x < n:
                    y = route[x] + 1
                    if y - x == 1:
                        if run < 0:
                            run = x
                    else:
                        if run >= 0:
                            flush(block[run:x])
                            run = -1
                        add(block[x:y])
                    x = y
                if run >= 0:
                    flush(block[run:])
            else:
                for piece in skip_split(block):
                    if skip_match(piece):
                        add(piece)
                    else:
                        add_all(piece)
        return out

    return cut


def search_tokens(words) -> list[tuple[int, int, str]]:
    """(start, end, word) of search-mode segmentation, in jieba's `cut_for_search` order,
    derived from the precise-mode `words` of a text without segmenting it again: a word
    longer than two characters is preceded by its 2- and 3-character sub-words found in the
    dictionary."""
    out, pos = [], 0
    for w in words:
        n = len(w)
        if n > 2:
            out.extend((pos + a, pos + b, sub) for a, b, sub in _sub_words(w))
        out.append((pos, pos + n, w))
        pos += n
    return out


def bounds_of(tokens: list[tuple[int, int, str]]) -> set[int]:
    """`search_boundaries` from the `search_tokens` of the same words (made once, used twice)."""
    bounds = {0}
    bounds.update(map(itemgetter(0), tokens))
    bounds.update(map(itemgetter(1), tokens))
    return bounds


def search_boundaries(words) -> set[int]:
    """Word boundaries of search-mode segmentation (see `search_tokens`)."""
    bounds, pos = {0}, 0
    for w in words:
        n = len(w)
        if n > 2:
            bounds.update(pos + b for b in _sub_bounds(w))
        pos += n
        bounds.add(pos)
    return bounds


@functools.lru_cache(maxsize=65536)
def _sub_words(w: str) -> tuple[tuple[int, int, str], ...]:
    """The dictionary's 2- and 3-character words inside `w` (offsets into `w`), in
    `cut_for_search` order; words recur, so each is looked up once per process."""
    freq = dictionary().FREQ
    return tuple((i, i + k, w[i:i + k]) for k in (2, 3) if len(w) > k
                 for i in range(len(w) - k + 1) if freq.get(w[i:i + k]))


@functools.lru_cache(maxsize=65536)
def _sub_bounds(w: str) -> frozenset[int]:
    return frozenset(x for a, b, _ in _sub_words(w) for x in (a, b))


def segment_for_search(text: str) -> list[str]:
    """Search-mode segmentation (long words also yield their dictionary sub-words), for FTS."""
    return list(dictionary().cut_for_search(text))
