"""Every record fedreports writes, described once.

`documents.jsonl` holds one `Article` per line, `manifest.jsonl` one `ManifestEntry`
per input file; the SQLite tables of `practices.db` are derived from the same models
(see `pipeline.store`). `python -m schemas` prints the JSON Schema of both files.

Character offsets (`start`, `end`) always index `Article.text`, end exclusive.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["province", "city", "county", "township", "village"]
Status = Literal["ok", "partial", "failed"]
OutcomeType = Literal["honour", "promotion", "media", "result"]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Mention(Record):
    """One place in the text where an entity is written."""

    text: str = Field(description="the form as written in Article.text")
    start: int = Field(description="offset of the first character in Article.text")
    end: int = Field(description="offset after the last character (exclusive)")


class RegionRef(Record):
    """An administrative unit referred to by another record."""

    name: str = Field(description="official full name, e.g. 怒江傈僳族自治州")
    adcode: Optional[str] = Field(None, description="6-digit GB/T 2260 code; null below county level or when unknown")
    level: Optional[Level] = None
    path: list[str] = Field(default_factory=list, description="official names from province down to this unit")


class Place(Record):
    """An administrative unit of mainland China named in the article body."""

    name: str = Field(description="official full name (贡山县 -> 贡山独龙族怒族自治县)")
    level: Level
    adcode: Optional[str] = Field(None, description="6 digits for county level and above, else null")
    path: list[str] = Field(default_factory=list, description="official names from province down to this unit")
    mentions: list[Mention] = Field(default_factory=list)


class Programme(Record):
    """A named campaign, project, brand, mechanism, platform, service post or working method."""

    name: str = Field(description="fullest natural name, without quote marks")
    key: str = Field(description="normalised key: the same programme in other documents has the same key")
    aliases: list[str] = Field(default_factory=list, description="other forms used for it in this article")
    region: Optional[RegionRef] = Field(None, description="finest unit that runs it")
    mentions: list[Mention] = Field(default_factory=list)


class Count(Record):
    """A number with a measure word: 2.6万余名 -> 26000 名, approx."""

    text: str = Field(description="exact substring of Article.text, with approximation marks and unit")
    value: float = Field(description="plain number, 万/亿 applied, money in 元")
    unit: str = Field(description="measure word without 万/亿 and approximation marks (万元 -> 元)")
    approx: bool = Field(False, description="余/多/近/逾/超/约/以上/左右 …")
    object: Optional[str] = Field(None, description="what is counted: 妇女, 家庭, 创业贷款 …")
    action: Optional[str] = Field(None, description="the verb governing it: 培训, 走访, 帮助 …")
    start: int
    end: int
    sentence: str = Field(description="the sentence the count stands in")


class Outcome(Record):
    """A result of the work: an honour, adoption by a higher level, media coverage, a quantified result."""

    type: OutcomeType
    name: Optional[str] = Field(None, description="title of the honour (honours only)")
    text: str = Field(description="the evidence as written")
    by: Optional[str] = Field(None, description="awarding, adopting or reporting body where stated")
    start: int
    end: int
    sentence: str = ""


class Evidence(Record):
    text: str
    start: int
    end: int


class Practice(Record):
    """Who did what, where, with what numbers and results, with the evidence."""

    id: str
    doc_id: str
    source: str
    organisation: Optional[str] = Field(None, description="acting organisation, e.g. 慈溪市妇联")
    region: Optional[RegionRef] = None
    programme: Optional[str] = Field(None, description="programme name when the practice is a named programme")
    programme_key: Optional[str] = None
    activity: str = Field(description="what was done, in a short phrase from the text")
    themes: list[str] = Field(default_factory=list)
    indicators: list[Count] = Field(default_factory=list)
    outcomes: list[Outcome] = Field(default_factory=list)
    year: Optional[int] = None
    evidence: list[Evidence] = Field(default_factory=list)


class Article(Record):
    """One article of an input file (a newspaper page may hold several)."""

    doc_id: str = Field(description="stable id: hash of the source path and article index")
    source: str = Field(description="input path as given")
    article: int = Field(description="index of the article in the file, from 0")
    relevant: bool = Field(description="is it about women's federation work?")
    title: Optional[str] = None
    published: Optional[str] = Field(None, description="ISO date (or YYYY-MM, YYYY) or null")
    organisation: Optional[str] = Field(None, description="source organisation named in a 来源 line")
    text: str = Field(description="cleaned, simplified text; all offsets refer to it")
    printed: Optional[str] = Field(None, description="the same text before traditional->simplified conversion, same length; null when identical")
    flags: list[str] = Field(default_factory=list, description="warnings about the text, e.g. garbled runs")
    main_region: Optional[RegionRef] = None
    places: list[Place] = Field(default_factory=list)
    programmes: list[Programme] = Field(default_factory=list)
    counts: list[Count] = Field(default_factory=list)
    outcomes: list[Outcome] = Field(default_factory=list)
    practices: list[Practice] = Field(default_factory=list)


class ManifestEntry(Record):
    """What happened to one input file."""

    source: str
    status: Status
    reason: Optional[str] = Field(None, description="one line, for anything not ok")
    articles: int = 0
    sha256: Optional[str] = None
    reader: Optional[str] = Field(None, description="reader that produced the text: txt, html, docx, pdf")
    bytes: int = 0


__all__ = [
    "Article", "Count", "Evidence", "Level", "ManifestEntry", "Mention", "Outcome",
    "OutcomeType", "Place", "Practice", "Programme", "Record", "RegionRef", "Status",
]
