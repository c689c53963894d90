"""Places and the main region: the administrative units of mainland China a report names.

Components (registered on import):

| component       | requires              | assigns                                  |
|-----------------|-----------------------|------------------------------------------|
| fed_places      | doc._.sentences       | doc._.places (list[Place]), doc.spans["places"] (label = level) |
| fed_main_region | doc._.places          | doc._.main_region (RegionRef or None)    |

How places are found (`find_places`):
1. Every province, city, county and township name, short form and former name of the
   gazetteer (`extractors.gazetteer`) is matched; forms written after an anonymising mark
   (x县, XX省, 某市) are dropped. Word lists live in `data/places.yaml`.
2. Official names and short forms that keep their suffix (怒江州, 贡山县, 奉化市) count as
   named; a form inside a longer one does not (沙县 in 长沙县, 科尔沁 in 科尔沁左翼后旗), and
   a two-character name must start a word (示范县 is not 范县). Names shared by several
   units (鼓楼区, 仁和镇) are resolved by the unit written right before them (施甸县仁和镇)
   or by the units named elsewhere; otherwise the name is kept without code and path
   rather than guessed.
3. A bare short form (贡山, 昭通, 兰州) must be a whole jieba word (清水湾 is not 清水县) and
   have evidence: the unit is named in full, an organisation word follows (永善妇联,
   南通日报), or it chains with its parent (青海西宁); or — unless it is an everyday word
   (比如, 富裕, 和平) — it is above a unit named in full (兰州 for 西固区), below a named
   parent (吉林省 … 长春), after a word of motion (赴晋江), or a province. Inside a quoted
   name ("四川篇") it needs the organisation word.
4. Townships and villages must start after punctuation, an opener word (在, 走访 …) or
   another place (茨开镇 is not 开镇; 知子罗村 is not 罗村), or at a word start within the
   counties the document names. Villages are looked up only in those counties (decoded
   on demand); common names (幸福社区) need their township right before them. A township
   or village missing from the gazetteer is taken when it follows its county or township
   (茨开镇幸福社区), stands in a list or sentence with one that was found, or — a 街道 —
   stands after an opener in a document about a county; the tail of a listed name is that
   name (月亮乡 for 石月亮乡), a 街道 whose stem is a listed 镇 sits in its county.
5. Overlaps are settled by covering the most text with whole names; of two names that
   cross, the one starting inside a jieba word loses (青海西宁 is 青海 + 西宁, not 海西;
   上海城市 is not 海城市).

The main region (`choose_main_region`): the federation named in the title (永善妇联 ->
永善县); else None when the reporting federation is anonymised (x县妇联) or written only
by its level (县妇联) with no county named; else the best score of federations named in the
body (visiting delegations, seen from the host, left out), the 来源 organisation, mentions
and references by level (该镇, 全县, 区妇联), the finer unit winning a tie.

Other engineers' helpers:
    place_near(doc, offset) -> RegionRef | None
        the finest place mentioned in the sentence of `offset` (nearest before it, else
        after it), else the document's main region: where a programme at `offset` runs.
    gazetteer.resolve(name, within=None) -> RegionRef | None  (see extractors.gazetteer)
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Optional

from spacy.attrs import IDX, LENGTH
from spacy.language import Language
from spacy.tokens import Doc

from extractors import gazetteer as gz
from extractors.spans import doc_text, set_spans
from pipeline.segment import is_word, segment
from extractors.gazetteer import BARE, CITY, COUNTY, FULL, LEVELS, OLD, OLD_BARE, PROVINCE, SHORT, TOWNSHIP, VILLAGE
from schemas import Mention, Place, RegionRef

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# a quoted name (“四川篇”, “美丽胶州示范户”), not quoted speech: short, without sentence marks
_QUOTES = re.compile(r"“[^“”\n,,。!?!?;;:]{1,16}”|「[^「」\n,,。!?!?;;:]{1,16}」|『[^『』\n,,。!?!?;;:]{1,16}』")
_MAX_VILLAGE_STEM = 8


@dataclass
class _Cand:
    start: int
    end: int
    level: int
    name: str
    uid: int = -1        # unit id when resolved
    parent: int = -1     # for a unit without id (village, unlisted township): the unit above
    kind: int = FULL
    weight: int = 0      # tie-break among overlapping readings: higher wins
    options: tuple = ()  # the units it may be, while unresolved


class _Rules:
    """The word lists of data/places.yaml, compiled once."""

    def __init__(self) -> None:
        voc = gz.vocabulary()
        self.township_suffixes = tuple(voc["township_suffixes"])
        self.village_suffixes = tuple(voc["village_suffixes"])
        self.org_suffixes = tuple(sorted(voc["org_suffixes"], key=len, reverse=True))
        self.fed_words = tuple(voc["federation_words"])
        self.anonymised = set(voc["anonymised_marks"])
        self.openers1 = {w for w in voc["place_openers"] if len(w) == 1}
        self.openers = {w for w in voc["place_openers"] if len(w) > 1}
        self.opener_lengths = sorted({len(w) for w in self.openers})
        self.generic_stems = set(voc["generic_stems"])
        self.common_aliases = set(voc["common_word_aliases"])
        self.prepositions = set(voc["place_prepositions"])
        self.name_continuations = set(voc["name_continuations"])
        self.preposition_lengths = sorted({len(w) for w in self.prepositions})
        self.stop_chars = set(voc["oov_stop_chars"])
        self.unlisted_max_stem_freq = int(voc["unlisted_max_stem_freq"])
        self.visitor = tuple(voc["visitor_marks"])
        self.level_ref_of = {w: suf for suf, words in voc["level_references"].items() for w in words}
        self.level_ref_re = re.compile("|".join(map(re.escape, sorted(self.level_ref_of, key=len, reverse=True))))
        self.township_re = re.compile("|".join(map(re.escape, sorted(self.township_suffixes, key=len, reverse=True))))
        self.village_re = re.compile("|".join(map(re.escape, sorted(self.village_suffixes, key=len, reverse=True))))
        infixes = sorted(voc["federation_infixes"], key=len, reverse=True)
        self.fed_re = re.compile(r"(?:%s)?(?:%s)" % ("|".join(map(re.escape, infixes)),
                                                     "|".join(map(re.escape, self.fed_words))))
        marks = re.escape(voc["anonymised_marks"])
        self.anon_fed_re = re.compile(r"[%s]{1,2}[省市县区州旗盟镇乡]?(?:%s)" % (marks, "|".join(self.fed_words)))

    def suffix_of(self, name: str) -> Optional[str]:
        for suf in self.township_suffixes + self.village_suffixes:
            if name.endswith(suf):
                return suf
        return None


@functools.lru_cache(maxsize=1)
def rules() -> _Rules:
    return _Rules()


def _word_char(c: str) -> bool:
    return c.isalnum() or bool(_CJK.match(c))


class _Doc:
    """Per-document state of the search (never kept beyond one call)."""

    def __init__(self, text: str, tokens, sentences: Optional[list[tuple[int, int]]]) -> None:
        self.text = text
        self.g = gz.load()
        self.r = rules()
        self.tokens = tokens
        self.sentence_starts = [a for a, _ in sentences] if sentences else [0]
        self.accepted: list[_Cand] = []
        self.ends: dict[int, list[_Cand]] = {}
        self.covered = bytearray(len(text) + 1)
        self.quoted = [(m.start(), m.end()) for m in _QUOTES.finditer(text)]
        self.quote_starts = [a for a, _ in self.quoted]
        self._sentences_cache: Optional[tuple] = None

    # -- helpers
    def accept(self, c: _Cand) -> None:
        self.accepted.append(c)
        self.ends.setdefault(c.end, []).append(c)
        self.covered[c.start:c.end] = b"\x01" * (c.end - c.start)

    def before(self, start: int) -> list[_Cand]:
        return self.ends.get(start, [])

    def opens(self, i: int, after_unit: str = "") -> bool:
        """May a township or village name start at offset i? Yes at the start, after
        punctuation, another place or an opener word (在, 走访 …); `after_unit` lists
        characters that may also precede (the suffix of a unit the text garbled)."""
        if i <= 0 or i in self.ends:
            return True
        c = self.text[i - 1]
        if not _word_char(c) or c in self.r.openers1 or c in after_unit:
            return True
        return any(self.text[i - n:i] in self.r.openers for n in self.r.opener_lengths if i >= n)

    def _bounds(self) -> Optional[tuple[set[int], set[int]]]:
        if self.tokens is None:
            return None
        return self.tokens.get() if hasattr(self.tokens, "get") else self.tokens

    def token_start(self, i: int) -> bool:
        b = self._bounds()
        return b is None or i in b[0]

    def aligned(self, start: int, end: int) -> bool:
        b = self._bounds()
        return b is None or (start in b[0] and end in b[1])

    def in_quotes(self, start: int, end: int) -> bool:
        # quotes never overlap: only the last one opening before `start` can hold the span
        i = bisect.bisect_left(self.quote_starts, start) - 1
        if i < 0:
            return False
        a, b = self.quoted[i]
        return a < start and end < b and (b - a - 2) > (end - start)

    def org_follows(self, end: int) -> bool:
        return self.text.startswith(self.r.org_suffixes, end)

    def anonymised(self, start: int) -> bool:
        return start > 0 and self.text[start - 1] in self.r.anonymised

    def sentence_of(self, i: int) -> int:
        return bisect.bisect_right(self.sentence_starts, i)

    # -- stages
    def run(self) -> list[_Cand]:
        g, text = self.g, self.text
        raw = []
        for start, end, fid in g.matches(text):
            if not self.anonymised(start):
                raw.append((start, end, g.targets(fid)))
        units = [c for c in raw if c[2][0][0] < g.n_units]
        towns = [c for c in raw if c[2][0][0] >= g.n_units]
        strong = [(s, e, [(u, k) for u, k in t if k in (FULL, SHORT, OLD)]) for s, e, t in units]
        strong = [c for c in strong if c[2]]
        spans = self._span_index(strong)
        strong = [c for c in strong if not self._inside(c, spans) and self._stem_ok(c)]
        spans = self._span_index(strong)
        weak = [(s, e, [(u, k) for u, k in t if k in (BARE, OLD_BARE)]) for s, e, t in units]
        weak = [c for c in weak if c[2] and not self._inside(c, spans)]

        named = self._resolve_strong(strong)
        self._bare(weak, named)
        self._townships(towns, named)
        counties = self._counties()
        self._unlisted(counties, TOWNSHIP)
        self._villages(counties)
        self._unlisted(counties, VILLAGE)
        return self._cover()

    @staticmethod
    def _span_index(cands) -> tuple[dict[int, list[int]], int]:
        """Ends of the candidates by start, and the longest length."""
        by_start: dict[int, list[int]] = {}
        for s, e, _ in cands:
            by_start.setdefault(s, []).append(e)
        return by_start, max((e - s for s, e, _ in cands), default=0)

    @staticmethod
    def _inside(c, index) -> bool:
        """Is candidate c strictly inside one of the indexed spans?"""
        s, e, _ = c
        by_start, longest = index
        for st in range(max(0, e - longest), s + 1):
            for oe in by_start.get(st, ()):
                if oe >= e and oe - st > e - s:
                    return True
        return False

    def _stem_ok(self, c) -> bool:
        """A two-character official name (任县, 云县) must start a word: 担任县委 is not 任县."""
        s, e, _ = c
        return e - s > 2 or self.opens(s)

    def _context_score(self, uid: int, named: set[int]) -> int:
        g = self.g
        score = 0
        for n in named:
            if n == uid:
                continue
            if g.is_within(uid, n):
                score += {PROVINCE: 1, CITY: 2, COUNTY: 3}.get(g.level(n), 4)
            elif g.is_within(n, uid):
                score += 1
            elif g.parent(uid) == g.parent(n) and g.level(uid) > PROVINCE:
                score += 1   # a sibling: 鼓楼区、仓山区 are both of 福州市
        return score

    def _pick(self, ids: list[int], start: int, named: set[int]) -> tuple[Optional[int], str]:
        """One of the units written the same way, and what decided: "adjacent" (the unit
        written right before holds it), "context" (units named elsewhere), "unique" (there
        is only one); (None, "") when nothing decides."""
        g = self.g
        ids = sorted(set(ids))
        for c in self.before(start):
            up = c.uid if c.uid >= 0 else c.parent
            if up < 0:
                continue
            inside = [u for u in ids if u != up and g.is_within(u, up)]
            if len(inside) == 1:
                return inside[0], "adjacent"
            if inside:
                ids = inside
        scores = sorted(((self._context_score(u, named), u) for u in ids), reverse=True)
        if scores[0][0] > 0 and (len(scores) == 1 or scores[0][0] > scores[1][0]):
            return scores[0][1], "context"
        if len(ids) == 1:
            return ids[0], "unique"
        return None, ""

    def _resolve_strong(self, strong) -> set[int]:
        g = self.g
        named = {t[0][0] for _, _, t in strong if len({u for u, _ in t}) == 1}
        pending = []
        for s, e, t in sorted(strong):
            if len({u for u, _ in t}) == 1:
                u, k = t[0]
                self.accept(_Cand(s, e, g.level(u), g.name(u), uid=u, kind=k, weight=3))
            else:
                pending.append((s, e, t))
        for s, e, t in pending:
            u, _ = self._pick([u for u, _ in t], s, named)
            if u is not None:
                named.add(u)
                self.accept(_Cand(s, e, g.level(u), g.name(u), uid=u, kind=t[0][1], weight=3))
            else:
                names = {g.name(u) for u, _ in t}
                levels = {g.level(u) for u, _ in t}
                if len(names) == 1 and len(levels) == 1:   # 鼓楼区 of an unknown city: no code
                    self.accept(_Cand(s, e, levels.pop(), names.pop(), kind=t[0][1], weight=2))
        return named

    def _bare(self, weak, named: set[int]) -> None:
        """Accept the bare short forms (贡山, 兰州, 云南) that have evidence of naming a unit."""
        g, text = self.g, self.text
        above_named = {a for n in named for a in g.ancestors(n)}
        starts: dict[int, list[int]] = {}
        for c in self.accepted:
            if c.uid >= 0:
                starts.setdefault(c.start, []).append(c.uid)
        # provinces first, so that 云南昭通 and 吉林…长春 find 云南 and 吉林 accepted
        order = sorted(weak, key=lambda c: (min(g.level(u) for u, _ in c[2]), c[0]))
        for s, e, t in order:
            if not self.aligned(s, e) or text[e:e + 1] in self.r.name_continuations:
                continue   # 永清镇, 皋兰路: the start of a longer name
            quoted = self.in_quotes(s, e)
            org = self.org_follows(e)
            if quoted and not org:
                continue
            common = text[s:e] in self.r.common_aliases
            located = any(text[s - n:s] in self.r.prepositions for n in self.r.preposition_lengths if s >= n)
            present = {c.uid for c in self.accepted if c.uid >= 0}
            prev = [c.uid for c in self.before(s) if c.uid >= 0]
            nxt = starts.get(e, [])
            ok = []
            for u in sorted({u for u, _ in t}):
                chain = (any(p != u and g.is_within(u, p) for p in prev)
                         or any(n != u and g.is_within(n, u) for n in nxt))
                strong = u in named or org or chain
                weak_ok = (u in above_named or g.level(u) == PROVINCE or located
                           or (g.level(u) in (CITY, COUNTY) and g.parent(u) in present))
                if strong or (weak_ok and not common):
                    ok.append(u)
            if not ok:
                continue
            u, how = self._pick(ok, s, named)
            if how not in ("adjacent", "context", "unique"):
                top = [x for x in ok if all(o == x or g.is_within(o, x) for o in ok)]   # 长沙 -> 长沙市
                provinces = [x for x in ok if g.level(x) == PROVINCE]
                u = top[0] if top else (provinces[0] if len(provinces) == 1 else None)
            if u is not None:
                self.accept(_Cand(s, e, g.level(u), g.name(u), uid=u, kind=BARE, weight=1))
                starts.setdefault(s, []).append(u)

    def _stem(self, name: str) -> str:
        suf = self.r.suffix_of(name)
        return name[: -len(suf)] if suf else name

    def _townships(self, towns, named: set[int]) -> None:
        g, r = self.g, self.r
        for s, e, t in sorted(towns):
            ids = [u for u, _ in t]
            stem = self._stem(self.text[s:e])
            u, how = self._pick(ids, s, named)
            if u is None and any(k == FULL for _, k in t):
                # 城关镇 of no county named here: an official 城关镇, not 城关回族镇 written short
                t = [(x, k) for x, k in t if k == FULL]
                ids = [x for x, _ in t]
                u, how = self._pick(ids, s, named)
            local = how in ("adjacent", "context")
            if how != "adjacent" and (len(stem) < 2 or stem in r.generic_stems):
                continue
            if not (self.opens(s, "区县市州旗") or (local and self.token_start(s))):
                continue
            if u is not None:
                self.accept(_Cand(s, e, TOWNSHIP, g.name(u), uid=u, kind=t[0][1], weight=3))
            else:
                names = {g.name(x) for x in ids}
                if len(names) == 1:   # one of several 仁和镇, none near a unit named here
                    self.accept(_Cand(s, e, TOWNSHIP, names.pop(), kind=t[0][1], weight=2, options=tuple(ids)))
        self._colocate()

    def _colocate(self) -> None:
        """Townships of common names (黄华镇, 团结乡) written together resolve each other:
        the one county that holds two or more of them is theirs."""
        g = self.g
        pending = [c for c in self.accepted if c.level == TOWNSHIP and c.uid < 0 and c.options]
        if len({c.name for c in pending}) < 2:
            return
        held: dict[int, set[str]] = {}
        for c in pending:
            for tid in c.options:
                held.setdefault(g.parent(tid), set()).add(c.name)
        ranked = sorted(held.items(), key=lambda kv: len(kv[1]), reverse=True)
        county, names = ranked[0]
        if len(names) < 2 or (len(ranked) > 1 and len(ranked[1][1]) == len(names)):
            return
        for c in pending:
            inside = [tid for tid in c.options if g.parent(tid) == county]
            if len(inside) == 1:
                c.uid, c.name, c.weight, c.options = inside[0], g.name(inside[0]), 3, ()

    def _counties(self) -> list[int]:
        """The units whose villages are searched: the counties named, those of the
        townships found, and all counties of a city named without any of its counties."""
        g = self.g
        out: set[int] = set()
        for c in self.accepted:
            if c.uid < 0:
                continue
            if c.level == TOWNSHIP:
                out.add(g.parent(c.uid))
            elif c.level == COUNTY or (c.level == CITY and g.townships(c.uid)):
                out.add(c.uid)
        written: dict[int, int] = {}
        for c in self.accepted:
            if c.uid >= 0 and c.level == CITY:
                written[c.uid] = written.get(c.uid, 0) + 1
        for city, n in written.items():
            # a city the document is about (written twice or more) and none of whose
            # counties it names: its villages may be written without their county
            if n >= 2 and not any(g.is_within(o, city) for o in out):
                under = g.counties_under(city)
                if len(under) <= 40:
                    out.update(under)
        return sorted(out)

    def _villages(self, counties: list[int]) -> None:
        g, r, text = self.g, self.r, self.text
        if not counties:
            return
        books = [g.villages(cty) for cty in counties]
        for m in r.village_re.finditer(text):
            p, q = m.start(), m.end()
            if self.covered[p]:
                continue
            run = 0   # the name stays inside the run of Chinese characters before the suffix
            while run < _MAX_VILLAGE_STEM and p - run > 0 and _CJK.match(text[p - run - 1]):
                run += 1
            for L in range(run, 0, -1):
                s = p - L
                name = text[s:q]
                tids = [tid for book in books if name in book for tid in book[name]]
                if not tids:
                    continue
                if any(self.covered[s:p]):
                    break
                adjacent = None   # the village's township, when its township or county is written right before
                for c in self.before(s):
                    up = c.uid if c.uid >= 0 else c.parent
                    under = [tid for tid in tids if up >= 0 and g.is_within(tid, up)]
                    if len(under) == 1:
                        adjacent = under[0]
                        break
                stem = name[: -len(m.group(0))]
                if adjacent is None and (len(stem) < 2 or stem in r.generic_stems):
                    break
                if adjacent is None and not (self.opens(s, "区县市州旗镇乡道") or self.token_start(s)):
                    break
                parent = adjacent if adjacent is not None else (tids[0] if len(set(tids)) == 1 else -1)
                self.accept(_Cand(s, q, VILLAGE, name, parent=parent, weight=3 if parent >= 0 else 2))
                break

    def _unlisted(self, counties: list[int], level: int) -> None:
        """Townships or villages the gazetteer does not list (new 街道, 社区 of relocation
        sites): right after their county or township (茨开镇幸福社区), in a 、-list or a
        sentence with one that was found, or — a 街道 — after an opener in a document
        about a county."""
        g, r, text = self.g, self.r, self.text
        pattern = r.township_re if level == TOWNSHIP else r.village_re
        local = any(c.level in (COUNTY, TOWNSHIP) and c.uid >= 0 for c in self.accepted)
        for m in pattern.finditer(text):
            p, q = m.start(), m.end()
            suf = m.group(0)
            if p < 2 or self.covered[p] or self.covered[q - 1] or self.covered[p - 1] or not _CJK.match(text[p - 1]):
                continue
            if suf == "乡" and text.startswith("镇", q):   # 乡镇
                continue
            found = None
            for L in range(2, 6):
                s = p - L
                if s < 0:
                    break
                stem = text[s:p]
                if (not all(_CJK.match(ch) for ch in stem) or any(ch in r.stop_chars for ch in stem)
                        or self.covered[s] or self.anonymised(s)
                        or stem[-1] in r.openers1 or any(stem[i:i + n] in r.openers
                                                         for n in r.opener_lengths for i in range(len(stem) - n + 1))):
                    break   # 深入街道, 走进社区: a verb and its object
                parent = self._unit_before(s, level)
                if parent >= 0:   # 茨开镇幸福社区: right under its township, even a common name
                    found = (s, parent)
                    break
                if stem in r.generic_stems or stem[-1] + suf in r.generic_stems:
                    break   # 文明乡村, 广大农村: the suffix ends a common word
                if not self.opens(s):
                    continue
                if _common_phrase(stem, r.unlisted_max_stem_freq):
                    continue   # 加强街道, 落实责任街道: common words, not a name
                if self._listed_with(s, q, level) or (suf == "街道" and local):
                    found = (s, -1)
                    break
            if not found:
                continue
            s, parent = found
            name = text[s:q]
            if self.in_quotes(s, q) or (s > 0 and text[s - 1] in "“「『\"" and text[q:q + 1] in "”」』\""):
                continue   # “网红村”: a nickname, not a unit
            if parent < 0 and level == TOWNSHIP:
                stem = name[: -len(suf)]
                # renamed 镇 -> 街道 (溪洛渡街道 for 溪洛渡镇) in a county named here
                hits = [tid for cty in counties for tid in g.township_stems(cty).get(stem, [])]
                if len(hits) == 1:
                    parent = g.parent(hits[0])
                else:
                    # the tail of one listed township's name (月亮乡 for 石月亮乡): that township
                    tails = [tid for cty in counties for tid in g.townships(cty)
                             if g.name(tid).endswith(name) and len(g.name(tid)) > len(name)]
                    if len(tails) == 1:
                        self.accept(_Cand(s, q, level, g.name(tails[0]), uid=tails[0], weight=1))
                        continue
            self.accept(_Cand(s, q, level, name, parent=parent, weight=1))

    def _unit_before(self, s: int, level: int) -> int:
        """The unit written right before offset s that can hold a unit of `level` directly
        (a county or city for a township, a township for a village); -1 if none."""
        for c in self.before(s):
            up = c.uid if c.uid >= 0 else c.parent if c.level == TOWNSHIP else -1
            if up < 0:
                continue
            if level == TOWNSHIP and c.level in (COUNTY, CITY):
                return up
            if level == VILLAGE and c.level == TOWNSHIP:
                return c.uid if c.uid >= 0 else -2 if c.parent < 0 else c.parent
        return -1

    def _listed_with(self, s: int, q: int, level: int) -> bool:
        """Does the name at [s, q) stand in a 、-list or a sentence with a place of the same
        level that the gazetteer lists?"""
        text = self.text
        if s > 0 and text[s - 1] == "、" and any(c.level == level for c in self.ends.get(s - 1, [])):
            return True
        if q < len(text) and text[q] == "、" and any(c.start == q + 1 and c.level == level for c in self.accepted):
            return True
        return self.sentence_of(s) in self._found_sentences(level)

    def _found_sentences(self, level: int) -> set[int]:
        key = (level, len(self.accepted))
        if self._sentences_cache is None or self._sentences_cache[0] != key:
            found = {self.sentence_of(c.start) for c in self.accepted if c.level == level and c.weight >= 2}
            self._sentences_cache = (key, found)
        return self._sentences_cache[1]

    def _cover(self) -> list[_Cand]:
        """The non-overlapping readings that cover the most text with whole names; of two
        names that cross, one starting inside a jieba word loses (上海城市 is 上海, not
        海城市; 青海西宁 is not 海西)."""
        cands = sorted(self.accepted, key=lambda c: (c.start, c.end))
        if not cands:
            return []
        drop = set()
        for i, a in enumerate(cands):
            for b in cands[i + 1:]:
                if b.start >= a.end:
                    break
                if b.end > a.end:   # a and b cross
                    sa, sb = self.token_start(a.start), self.token_start(b.start)
                    if sa and not sb:
                        drop.add(id(b))
                    elif sb and not sa:
                        drop.add(id(a))
        cands = sorted((c for c in cands if id(c) not in drop), key=lambda c: (c.end, c.start))
        ends = [c.end for c in cands]
        best = [(0, 0, 0)] * (len(cands) + 1)   # (covered, -pieces, weight)
        choice = [False] * (len(cands) + 1)
        for i, c in enumerate(cands, 1):
            j = bisect.bisect_right(ends, c.start, 0, i - 1)
            b = best[j]
            take = (b[0] + c.end - c.start, b[1] - 1, b[2] + c.weight)
            if take > best[i - 1]:
                best[i], choice[i] = take, True
            else:
                best[i] = best[i - 1]
        out, i = [], len(cands)
        while i > 0:
            if choice[i]:
                c = cands[i - 1]
                out.append(c)
                i = bisect.bisect_right(ends, c.start, 0, i - 1)
            else:
                i -= 1
        return sorted(out, key=lambda c: c.start)


def _places_from(cands: list[_Cand], text: str) -> list[Place]:
    g = gz.load()
    groups: dict[tuple, dict] = {}
    order: list[tuple] = []
    for c in cands:
        if c.uid >= 0:
            key: tuple = ("u", c.uid)
        else:
            key = ("n", c.level, c.name, c.parent)
        if key not in groups:
            groups[key] = {"cand": c, "mentions": []}
            order.append(key)
        groups[key]["mentions"].append(Mention(text=text[c.start:c.end], start=c.start, end=c.end))
    # a name written once after its county and once alone is one place
    for key in list(order):
        if key[0] == "n" and key[3] == -1:
            same = [k for k in order if k != key and groups[k]["cand"].name == key[2]
                    and groups[k]["cand"].level == key[1]]
            if len(same) == 1:
                groups[same[0]]["mentions"].extend(groups[key]["mentions"])
                order.remove(key)
    places = []
    for key in order:
        c = groups[key]["cand"]
        mentions = sorted(groups[key]["mentions"], key=lambda m: m.start)
        if c.uid >= 0:
            places.append(Place(name=g.name(c.uid), level=LEVELS[c.level], adcode=g.adcode(c.uid),
                                path=g.path(c.uid), mentions=mentions))
        else:
            path = g.path(c.parent) + [c.name] if c.parent >= 0 else []
            places.append(Place(name=c.name, level=LEVELS[c.level], adcode=None, path=path, mentions=mentions))
    return places


def find_places(text: str, tokens=None, sentences: Optional[list[tuple[int, int]]] = None) -> list[Place]:
    """Places named in `text`, each with its mentions (offsets into `text`). `tokens`:
    the (start offsets, end offsets) of its jieba words, or an object whose get()
    returns them, so that bare short forms can be checked for being whole words
    (without it every offset counts as a word boundary); `sentences`: (start, end) pairs."""
    if not text:
        return []
    cands = _Doc(text, tokens, sentences).run()
    return _places_from(cands, text)


def _common_phrase(stem: str, min_freq: int) -> bool:
    """Is `stem` made only of frequent words of the dictionary (落实+责任, 加强)?"""
    words = segment(stem)
    return all(len(w) >= 2 and is_word(w, min_freq) for w in words)


class _LazyBounds:
    """Token start and end offsets of a doc, computed on first use."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.sets: Optional[tuple[set[int], set[int]]] = None

    def get(self) -> tuple[set[int], set[int]]:
        if self.sets is None:
            doc = self.doc
            if not len(doc):
                self.sets = (set(), set())
            else:
                arr = doc.to_array([IDX, LENGTH])
                self.sets = (set(arr[:, 0].tolist()), set((arr[:, 0] + arr[:, 1]).tolist()))
        return self.sets


@Language.component("fed_places", requires=["doc._.sentences"], assigns=["doc._.places", "doc.spans"])
def fed_places(doc: Doc) -> Doc:
    """Set doc._.places (list[Place]) and doc.spans["places"] (label = level)."""
    text = doc_text(doc)
    places = find_places(text, _LazyBounds(doc), doc._.sentences)
    doc._.places = places
    set_spans(doc, "places", [(m.start, m.end, p.level) for p in places for m in p.mentions])
    return doc


# ---------------------------------------------------------------------------- main region

def _ref(p: Place) -> RegionRef:
    return RegionRef(name=p.name, adcode=p.adcode, level=p.level, path=p.path)


def _fed_org_end(text: str, end: int) -> Optional[int]:
    """End of 妇联/妇女联合会 when a federation's name continues at `end` (大姚县数智妇联)."""
    m = rules().fed_re.match(text, end)
    return m.end() if m else None


def _is_visitor(text: str, org_end: int, sentence_end: int) -> bool:
    window = text[org_end:min(sentence_end, org_end + 25)]
    return any(w in window for w in rules().visitor)


def choose_main_region(text: str, places: list[Place], sentences: Optional[list[tuple[int, int]]] = None,
                       title: Optional[str] = None, organisation: Optional[str] = None) -> Optional[RegionRef]:
    """The unit whose federation (or organisation) the document is mainly about: the
    federation named in the title; else None when the reporting federation is anonymised
    (x县妇联); else the place scoring best on federations named in the body (visiting
    delegations left out), the 来源 organisation, mentions and references by level (该镇,
    全县, 区妇联 …), the finer unit winning a tie."""
    r = rules()
    sent_ends = [e for _, e in sentences] if sentences else [len(text)]

    def sentence_end(i: int) -> int:
        k = bisect.bisect_right(sent_ends, i)
        return sent_ends[k] if k < len(sent_ends) else len(text)

    mention_starts = sorted(m.start for p in places for m in p.mentions)
    orgs = []   # (start, place index, visitor)
    for i, p in enumerate(places):
        for m in p.mentions:
            oe = _fed_org_end(text, m.end)
            if oe is None:
                continue
            k = bisect.bisect_left(mention_starts, m.end)
            if k < len(mention_starts) and mention_starts[k] < oe:
                continue   # 长沙市长沙县妇联: the federation of 长沙县, not of 长沙市
            orgs.append((m.start, i, _is_visitor(text, oe, sentence_end(oe))))
    orgs.sort()
    title_end = len(title) if title and text.startswith(title) else 0
    in_title = [o for o in orgs if o[0] < title_end]
    if in_title:
        return _ref(places[in_title[0][1]])
    if title and not title_end:
        ref = _org_region(title)
        if ref:
            return ref
    hosts = [o for o in orgs if not o[2]]
    anon = r.anon_fed_re.search(text)
    if anon and (not hosts or anon.start() < hosts[0][0]):
        return None
    score = [float(len(p.mentions)) for p in places]
    for k, (_, i, _) in enumerate(hosts):
        score[i] += 3 + (2 if k == 0 else 0)
    org_ref = _org_region(organisation) if organisation else None
    if org_ref:
        for i, p in enumerate(places):
            if p.name == org_ref.name:
                score[i] += 4
    refs: dict[str, int] = {}
    for m in r.level_ref_re.finditer(text):
        suf = r.level_ref_of[m.group(0)]
        refs[suf] = refs.get(suf, 0) + 1
    for i, p in enumerate(places):
        for suf, n in refs.items():
            if p.name.endswith(suf):
                score[i] += min(n, 6)
    candidates = [i for i, p in enumerate(places) if p.level != "village"]
    if not candidates:
        return org_ref
    if not hosts and not org_ref:
        # the report's own federation is written only by its level (县妇联) and no unit of
        # that level is named: its unit is unknowable (a city it visits is not it)
        # (市妇联, 省妇联 are as often the federations above the report's own)
        # (乡镇妇联, 市、县妇联 are plurals: other federations, not the report's own)
        fed_levels = set()
        for m in r.level_ref_re.finditer(text):
            w, suf = m.group(0), r.level_ref_of[m.group(0)]
            if (w.endswith(r.fed_words) and suf in ("县", "区", "旗", "镇", "乡", "街道")
                    and not (m.start() > 0 and text[m.start() - 1] in "乡镇县市区省州旗街、(（")):
                fed_levels.add(suf)
        if fed_levels and not any(places[i].name.endswith(tuple(fed_levels)) for i in candidates):
            return _unit_above(places, fed_levels)
    rank = {lv: k for k, lv in enumerate(LEVELS)}
    best = max(candidates, key=lambda i: (score[i], rank[places[i].level], -places[i].mentions[0].start))
    return _ref(places[best])


def _unit_above(places: list[Place], suffixes: set[str]) -> Optional[RegionRef]:
    """The one unit with one of `suffixes` (县, 镇 …) above the places named, from their
    paths (县妇联在黄华镇开展… -> the county of 黄华镇); None when there is not exactly one."""
    g = gz.load()
    found = set()
    for p in places:
        for k, name in enumerate(p.path[:-1]):
            if name.endswith(tuple(suffixes)):
                found.add(tuple(p.path[:k + 1]))
    if len(found) != 1:
        return None
    uid = None
    for name in found.pop():
        uid = g.resolve_id(name, uid)
        if uid is None:
            return None
    return g.region(uid)


def _org_region(org: str) -> Optional[RegionRef]:
    """The unit of a federation named in a title or a 来源 line (成都市妇女联合会)."""
    places = find_places(org)
    for p in places:
        for m in p.mentions:
            if _fed_org_end(org, m.end) is not None and p.path:
                return _ref(p)
    return None


@Language.component("fed_main_region", requires=["doc._.places"], assigns=["doc._.main_region"])
def fed_main_region(doc: Doc) -> Doc:
    """Set doc._.main_region (RegionRef or None)."""
    text = doc_text(doc)
    doc._.main_region = choose_main_region(text, doc._.places or [], doc._.sentences,
                                           doc._.title, doc._.organisation)
    return doc


def place_near(doc: Doc, offset: int) -> Optional[RegionRef]:
    """The finest place mentioned in the sentence holding `offset` (the nearest mention
    before it, else the nearest after it), else the main region; None when neither."""
    from extractors.sentences import sentence_at
    s, e = sentence_at(doc, offset)
    rank = {lv: k for k, lv in enumerate(LEVELS)}
    best = None
    for p in doc._.places or []:
        for m in p.mentions:
            if s <= m.start < e:
                dist = offset - m.start if m.start <= offset else (e - s) + (m.start - offset)
                key = (-rank[p.level], dist)
                if best is None or key < best[0]:
                    best = (key, p)
    if best:
        return _ref(best[1])
    return doc._.main_region
