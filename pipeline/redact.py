"""Mask the names of private individuals (residents, victims, beneficiaries) in exports and
digests; named officials of organisations stay (`--redact-persons`).

Reports name private people in a few fixed ways, which the genre's vocabulary
(`data/persons.yaml`) describes: after a role (村民张凤彩, 小额贷款户杨光彩), with a
pseudonym mark (张林娟(化名)), by surname and kinship (陈外婆, 张大姐), or as a speaker
(刘仕群说). A name that stands after an official title anywhere in the document
(市妇联主席顾卫卫) is an official's and is never masked. Masking keeps the surname and the
length (杨光彩 -> 杨某某; 陈外婆 -> 某外婆), so character offsets stay valid.
"""
from __future__ import annotations

import functools

import re
from dataclasses import dataclass, field
from typing import Optional

from pipeline.datafiles import load_yaml



@dataclass(frozen=True)
class _Vocab:
    name: re.Pattern          # surname + 1-2 characters
    after_private: re.Pattern
    after_official: re.Pattern
    kinship: re.Pattern
    before_marks: re.Pattern
    stop_chars: frozenset
    mask: str


@functools.lru_cache(maxsize=1)
def vocabulary() -> _Vocab:
    data = load_yaml("pipeline", "data/persons.yaml")
    singles = "".join(data["surnames"].split())
    surname = "(?:" + "|".join(map(re.escape, data["compound_surnames"])) + f"|[{singles}])"
    given = r"[\u4e00-\u9fff]{1,2}"
    alt = lambda words: "|".join(sorted(map(re.escape, words), key=len, reverse=True))
    return _Vocab(
        name=re.compile(surname + given),
        after_private=re.compile(f"(?:{alt(data['private_roles'])})(?={surname})"),
        after_official=re.compile(f"(?:{alt(data['official_titles'])})(?={surname})"),
        kinship=re.compile(f"{surname}(?:{alt(data['kinship_words'])})"),
        before_marks=re.compile(f"(?={alt(data['pseudonym_marks'] + data['speech_words'])})"),
        stop_chars=frozenset(data["name_stop_chars"]),
        mask=data["mask"],
    )


def _name_at(text: str, i: int) -> Optional[str]:
    """The person name starting at `i` (surname + a one- or two-character given name), or
    None where the characters are an ordinary word (妇女权益, 律师妈妈团)."""
    from pipeline.segment import is_word

    v = vocabulary()
    m = v.name.match(text, i)
    if not m:
        return None
    name = m.group(0)
    if is_word(name[:2]) or (i > 0 and is_word(text[i - 1:i + 1])):
        return None
    if len(name) >= 3:
        # a two-character name when the third character starts a word or is a function word
        # ("黄娟当即…", "沈梅总会…", "赵群鼓励…")
        third = i + len(name) - 1
        if text[third] in v.stop_chars or is_word(text[third:third + 2]):
            name = name[:-1]
    return name


_CLAUSE_START = set("，,。;；:：“”\"'‘’() \n、")


@dataclass
class People:
    """Private and official names found in one document."""

    private: set[str] = field(default_factory=set)
    officials: set[str] = field(default_factory=set)
    kin: set[str] = field(default_factory=set)   # 陈外婆, 张大姐


def find_people(text: str) -> People:
    """The names of private individuals and of officials in a document's text."""
    v = vocabulary()
    people = People()
    for m in v.after_official.finditer(text):
        name = _name_at(text, m.end())
        if name:
            people.officials.add(name)
    for m in v.after_private.finditer(text):
        name = _name_at(text, m.end())
        if name:
            people.private.add(name)
    from pipeline.segment import is_word
    for m in v.kinship.finditer(text):
        if not (m.start() > 0 and is_word(text[m.start() - 1:m.start() + 1])):
            people.kin.add(m.group(0))
    for m in v.before_marks.finditer(text):
        i = m.start()
        for n in (3, 2, 4):  # the name ending right before the mark, at the start of a clause
            j = i - n
            if j >= 0 and (j == 0 or text[j - 1] in _CLAUSE_START):
                name = _name_at(text, j)
                if name and j + len(name) == i:
                    people.private.add(name)
                    break
    people.private -= people.officials
    return people


def mask_name(name: str) -> str:
    v = vocabulary()
    return name[0] + v.mask * (len(name) - 1)


def redact(text: Optional[str], people: People) -> Optional[str]:
    """`text` with the private names of `people` masked (same length)."""
    if not text or not (people.private or people.kin):
        return text
    v = vocabulary()
    replacements = {n: mask_name(n) for n in people.private}
    replacements.update({k: v.mask + k[1:] for k in people.kin})
    pattern = re.compile("|".join(sorted(map(re.escape, replacements), key=len, reverse=True)))
    return pattern.sub(lambda m: replacements[m.group(0)], text)


class Redactor:
    """Masks private names in the records of a practices database, document by document."""

    def __init__(self, conn):
        self.conn = conn
        self._people: dict[str, People] = {}

    def people(self, doc_id: str) -> People:
        if doc_id not in self._people:
            row = self.conn.execute("SELECT text FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
            self._people[doc_id] = find_people(row[0] if row else "")
        return self._people[doc_id]

    def text(self, doc_id: str, text: Optional[str]) -> Optional[str]:
        return redact(text, self.people(doc_id))

    def practice(self, p):
        """A copy of a schemas.Practice with names masked in every free-text field."""
        people = self.people(p.doc_id)
        r = lambda s: redact(s, people)
        return p.model_copy(update={
            "activity": r(p.activity),
            "evidence": [e.model_copy(update={"text": r(e.text)}) for e in p.evidence],
            "indicators": [c.model_copy(update={"sentence": r(c.sentence), "object": r(c.object)}) for c in p.indicators],
            "outcomes": [o.model_copy(update={"text": r(o.text), "sentence": r(o.sentence)}) for o in p.outcomes],
        })
