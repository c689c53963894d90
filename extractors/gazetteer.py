"""Gazetteer of the administrative divisions of mainland China, five levels.

Source: jionlp's data files, read straight from the installed package (jionlp itself is
never imported: its import loads a segmentation model):
`dictionary/china_location.zip` (province, city and county lines `name<TAB>adcode<TAB>alias`;
township and village lines are names only, indented three and four tabs) and
`dictionary/china_location_change.txt` (renamed units, old => new), plus this package's
`data/places_changes.txt` (renames missing there) and `data/places.yaml` (suffixes, the
ethnic names that give 怒江州 for 怒江傈僳族自治州, generic aliases to leave out).
Taiwan, Hong Kong and Macau are left out: places are units of mainland China.

The index is built once (about 3 s) and cached under `pipeline.segment.cache_dir()`, keyed
by the size and mtime of the source files, the word lists the build reads and
`CODE_VERSION`; loading it from the cache takes 15-30 ms and ~7 MB. Province, city and
county names with their short and old forms sit in an Aho-Corasick automaton
(ahocorasick-rs, built from them in a few ms on first use); township names and forms in a
dict probed at each 镇/乡/街道/苏木 of a text; the ~620K villages stay as one UTF-8 blob
per county in a second cache file, mapped and decoded only for the counties a document is
about.

Units have integer ids: provinces, cities and counties first, then townships. Villages have
no id; `villages(county)` maps their names to the ids of their townships.

    >>> from extractors import gazetteer
    >>> gazetteer.resolve("慈溪市")
    RegionRef(name='慈溪市', adcode='330282', level='county', path=['浙江省', '宁波市', '慈溪市'])
    >>> gazetteer.resolve("怒江州").name, gazetteer.resolve("奉化市").adcode
    ('怒江傈僳族自治州', '330213')
    >>> gazetteer.resolve("鼓楼区") is None, gazetteer.resolve("鼓楼区", within="福州市").adcode
    (True, '350102')
    >>> gazetteer.resolve("知子罗村", within="福贡县").path
    ['云南省', '怒江傈僳族自治州', '福贡县', '匹河怒族乡', '知子罗村']

Public API: `load()` (the process-wide `Gazetteer`), `resolve(name, within=None)`, and the
`Gazetteer` methods `lookup`, `matches`, `region`, `path`, `ancestors`, `is_within`,
`villages`, `townships`, `children`. For the finest place named near an offset of a
document, see `extractors.places.place_near`.
"""
from __future__ import annotations

import functools
import gc
import hashlib
import importlib.util
import mmap
import os
import pickle
import re
import zipfile
from array import array
from importlib import resources
from pathlib import Path
from typing import Optional, Union

import ahocorasick_rs

from pipeline.datafiles import load_yaml
from schemas import RegionRef

CODE_VERSION = "10"
LEVELS = ("province", "city", "county", "township", "village")
PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE = range(5)

# kinds of written forms
FULL = 0      # the official name: 贡山独龙族怒族自治县
SHORT = 1     # a short form that keeps a unit suffix: 贡山县, 怒江州, 匹河乡
OLD = 2       # a former official name: 奉化市, 襄樊市
BARE = 3      # a short form without suffix, or an official name that is a common phrase: 贡山, 城区
OLD_BARE = 4  # a former short name: 襄樊
# (a smaller number is the stronger evidence that the text names the unit)
KIND_BITS = 8

_EXCLUDED_PROVINCES = ("71", "81", "82")  # Taiwan, Hong Kong, Macau: not mainland units


@functools.lru_cache(maxsize=1)
def vocabulary() -> dict:
    """The word lists of `data/places.yaml` (read once per process)."""
    return load_yaml("extractors", "data/places.yaml")


def _source_dir() -> Path:
    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("jionlp is not installed: its gazetteer files are needed")
    return Path(list(spec.submodule_search_locations)[0]) / "dictionary"


def _data_bytes(name: str) -> bytes:
    return resources.files("extractors").joinpath(f"data/{name}").read_bytes()


def _cache_key() -> str:
    src = _source_dir()
    h = hashlib.sha1(CODE_VERSION.encode())
    for name in ("china_location.zip", "china_location_change.txt"):
        st = (src / name).stat()
        h.update(f"{name}|{st.st_size}|{st.st_mtime_ns}".encode())
    voc = vocabulary()
    for key in _BUILD_LISTS:   # only the word lists the build reads
        h.update(repr((key, voc.get(key))).encode())
    h.update(_data_bytes("places_changes.txt"))
    return h.hexdigest()[:16]


_BUILD_LISTS = ("township_suffixes", "ethnic_groups", "generic_aliases", "generic_names")


# ---------------------------------------------------------------------------- building

def _autonomous_stem(name: str, ethnic: re.Pattern) -> Optional[tuple[str, str]]:
    """(stem, type) of an autonomous unit's name: 贡山独龙族怒族自治县 -> (贡山, 县)."""
    m = re.search(r"自治(州|县|旗)$", name)
    if not m:
        return None
    for i in range(1, m.start()):
        if ethnic.fullmatch(name[i:m.start()]):
            return name[:i], m.group(1)
    return None


class _Builder:
    def __init__(self) -> None:
        voc = vocabulary()
        groups = sorted(voc["ethnic_groups"], key=len, reverse=True)
        alt = "|".join(map(re.escape, groups))
        # ethnic part of an autonomous name: 独龙族怒族, 哈萨克 (伊犁哈萨克自治州), 各族
        self.ethnic = re.compile(rf"(?:(?:{alt})族?|各族)+")
        self.ethnic_township = re.compile(rf"(?:(?:{alt})族)+")
        self.township_suffixes = tuple(voc["township_suffixes"])
        self.generic_aliases = set(voc["generic_aliases"])
        self.generic_names = set(voc["generic_names"])
        self.names: list[str] = []
        self.codes: list[Optional[str]] = []
        self.levels = bytearray()
        self.parents = array("i")
        self.aliases: dict[int, str] = {}
        self.child: dict[tuple[int, str], int] = {}
        self.tnames: list[str] = []
        self.tparents = array("i")
        self.tvillages: list[list[str]] = []
        self.forms: dict[str, list[int]] = {}

    def unit(self, name: str, code: Optional[str], level: int, parent: int, alias: str) -> int:
        uid = len(self.names)
        self.names.append(name)
        self.codes.append(code)
        self.levels.append(level)
        self.parents.append(parent)
        if alias:
            self.aliases[uid] = alias
        self.child[(parent, name)] = uid
        return uid

    def read(self, text: str) -> None:
        cur = [-1] * 4
        skip_depth = None
        current_t = -1
        for raw in text.splitlines():
            line = raw.rstrip("\r\n ")
            if not line.strip():
                continue
            depth = len(line) - len(line.lstrip("\t"))
            parts = line.strip().split("\t")
            name = parts[0].strip()
            if skip_depth is not None:
                if depth > skip_depth:
                    continue
                skip_depth = None
            code = parts[1].strip() if len(parts) > 1 else None
            alias = parts[2].strip() if len(parts) > 2 else ""
            if depth == 0:
                if code and code[:2] in _EXCLUDED_PROVINCES:
                    skip_depth = 0
                    continue
                cur[0] = self.unit(name, code, PROVINCE, -1, alias)
            elif depth == 1:
                if name == "省直辖行政区划" or name == self.names[cur[0]]:
                    cur[1] = cur[0]   # 北京市 under 北京市; 仙桃市 directly under 湖北省
                else:
                    cur[1] = self.unit(name, code, CITY, cur[0], alias)
            elif depth == 2:
                if name == "市直辖行政区划":
                    cur[2] = cur[1]   # towns directly under 东莞市, 中山市 …
                else:
                    cur[2] = self.unit(name, code, COUNTY, cur[1], alias)
            elif depth == 3:
                current_t = len(self.tnames)
                self.tnames.append(name)
                self.tparents.append(cur[2])
                self.tvillages.append([])
            elif depth == 4 and current_t >= 0:
                self.tvillages[current_t].append(name)

    def add_form(self, form: str, uid: int, kind: int) -> None:
        if len(form) < 2:
            return
        packed = uid * KIND_BITS + kind
        lst = self.forms.setdefault(form, [])
        for p in lst:
            if p // KIND_BITS == uid:   # keep the strongest kind per unit
                if kind < p % KIND_BITS:
                    lst[lst.index(p)] = packed
                return
        lst.append(packed)

    def unit_forms(self) -> None:
        for uid, name in enumerate(self.names):
            level = self.levels[uid]
            dev_zone = self.codes[uid] is None
            self.add_form(name, uid, BARE if name in self.generic_names else FULL)
            if dev_zone:
                continue
            alias = self.aliases.get(uid, "")
            if alias and alias != name and alias not in self.generic_aliases:
                # 科右中旗 keeps the suffix of 科尔沁右翼中旗; 贵州 (贵州省) and 红旗 (红旗区) do not
                self.add_form(alias, uid, SHORT if alias[-1] == name[-1] else BARE)
            auto = _autonomous_stem(name, self.ethnic)
            if auto:
                stem, kind = auto
                if len(stem) >= 2:
                    for form in (stem + kind, stem + "自治" + kind):
                        self.add_form(form, uid, SHORT)
                    self.add_form(stem, uid, BARE)
            if level == PROVINCE and name.endswith("自治区") and alias:
                self.add_form(alias + "自治区", uid, SHORT)

    def township_forms(self, n_units: int) -> None:
        for k, name in enumerate(self.tnames):
            suffix = next((x for x in self.township_suffixes if name.endswith(x)), None)
            if suffix is None or len(name) - len(suffix) < 1:
                continue
            tid = n_units + k
            self.add_form(name, tid, FULL)
            parent = self.tparents[k]
            pname = self.names[parent] if parent >= 0 else ""
            if pname and name.startswith(pname) and len(name) - len(pname) >= 3:
                self.add_form(name[len(pname):], tid, SHORT)   # 济源市下冶镇 -> 下冶镇
            if name.endswith("办事处街道") and len(name) >= 7:   # 北街办事处街道 -> 北街街道
                stem = name[:-5]
                self.add_form(stem + "街道", tid, SHORT)
                self.add_form(stem + "办事处", tid, SHORT)
            for suf in ("乡", "镇"):
                if name.endswith(suf):
                    body = name[:-1]
                    for i in range(2, len(body)):
                        if self.ethnic_township.fullmatch(body[i:]):
                            self.add_form(body[:i] + suf, tid, SHORT)   # 匹河怒族乡 -> 匹河乡
                            break

    def find_path(self, path: list[str]) -> int:
        uid = -1
        for name in path:
            uid = self.child.get((uid, name), -2)
            if uid == -2:
                return -1
        return uid

    def change_forms(self, change_text: str, extra_text: str) -> None:
        official = set(self.names)
        for line in change_text.splitlines():
            if "=>" not in line:
                continue
            left, right = line.split("=>", 1)
            old = [x.strip() for x in left.split("\t")[2:] if x.strip()]
            new = [x.strip() for x in right.split("\t") if x.strip()]
            if len(old) < 2:
                continue
            old_full, old_alias = old[-2], old[-1]
            self._add_old(old_full, old_alias, new, official)
        for line in extra_text.splitlines():
            line = line.split("#", 1)[0].strip()
            if not line or "\t" not in line:
                continue
            old_full, target = line.split("\t", 1)
            self._add_old(old_full.strip(), "", target.strip().split("/"), official)

    def _add_old(self, old_full: str, old_alias: str, new_path: list[str], official: set) -> None:
        uid = self.find_path(new_path)
        if uid < 0:
            return
        if old_full not in official and old_full not in self.generic_names:
            self.add_form(old_full, uid, OLD)
        if (old_alias and old_alias != old_full and old_alias not in self.generic_aliases
                and old_alias not in official and old_alias not in self.forms):
            self.add_form(old_alias, uid, OLD_BARE)

    def build(self) -> dict:
        src = _source_dir()
        with zipfile.ZipFile(src / "china_location.zip") as z:
            member = next(n for n in z.namelist() if n.endswith(".txt"))
            text = z.read(member).decode("utf-8")
        self.read(text)
        # development zones and other non-GB/T 2260 county codes (xxxx71-xxxx80) have no code
        for uid, code in enumerate(self.codes):
            if code and self.levels[uid] == COUNTY and 71 <= int(code[4:6]) <= 80:
                self.codes[uid] = None
        n_units = len(self.names)
        self.unit_forms()
        self.township_forms(n_units)
        change = (src / "china_location_change.txt").read_text(encoding="utf-8")
        self.change_forms(change, _data_bytes("places_changes.txt").decode("utf-8"))

        # forms of provinces, cities and counties go into the automaton; township forms
        # (40K, all ending in a township suffix) into a dict probed at each suffix (with the
        # automaton used before, pyahocorasick, one of 6K forms scanned text twice as fast as
        # one of 45K)
        unit_forms: dict[str, int] = {}
        town_forms: dict[str, int] = {}
        form_off, form_tgt = array("i", [0]), array("i")
        for fid, (form, targets) in enumerate(self.forms.items()):
            if all(p // KIND_BITS >= n_units for p in targets):
                town_forms[form] = fid
            else:
                unit_forms[form] = fid
            form_tgt.extend(targets)
            form_off.append(len(form_tgt))
        town_tails = sorted({f[-1] for f in town_forms})
        town_max = max(map(len, town_forms))
        town_tails2 = "".join(sorted({f[-2:] for f in town_forms}))   # 2-char endings, concatenated

        # townships of one parent are contiguous in the file: keep their id range, and
        # their villages as one blob: one line per township, names separated by tabs;
        # the blobs go to a file of their own, read (mmap) only for the counties asked for
        t_first, t_end = array("i", [0]) * n_units, array("i", [0]) * n_units
        v_off, v_len = array("q", [0]) * n_units, array("i", [0]) * n_units
        villages = bytearray()
        k = 0
        while k < len(self.tnames):
            parent, start = self.tparents[k], k
            while k < len(self.tnames) and self.tparents[k] == parent:
                k += 1
            if t_end[parent]:   # not contiguous (never seen in the data): keep the first run
                continue
            t_first[parent], t_end[parent] = n_units + start, n_units + k
            blob = "\n".join("\t".join(v) for v in self.tvillages[start:k]).encode("utf-8")
            v_off[parent], v_len[parent] = len(villages), len(blob)
            villages += blob
        t_off = array("i", [0])
        for name in self.tnames:
            t_off.append(t_off[-1] + len(name))
        parents = array("i", self.parents)
        parents.extend(self.tparents)
        levels = bytes(self.levels) + bytes([TOWNSHIP]) * len(self.tnames)
        return {
            "names": self.names, "codes": self.codes, "n_units": n_units,
            "tnames": "".join(self.tnames), "t_off": t_off.tobytes(),
            "levels": levels, "parents": parents.tobytes(),
            "t_first": t_first.tobytes(), "t_end": t_end.tobytes(),
            "v_off": v_off.tobytes(), "v_len": v_len.tobytes(), "villages": bytes(villages),
            "unit_forms": unit_forms, "form_off": form_off.tobytes(), "form_tgt": form_tgt.tobytes(),
            "town_forms": town_forms, "town_tails": "".join(town_tails),
            "town_max": town_max, "town_tails2": town_tails2,
        }


def _by_end(m: tuple[int, int, int]) -> tuple[int, int]:
    return m[1], m[0]


def _ints(code: str, raw: bytes) -> array:
    out = array(code)
    out.frombytes(raw)
    return out


# ---------------------------------------------------------------------------- the index

class Gazetteer:
    """The loaded index: names, codes, levels and parents of units, written forms, villages."""

    def __init__(self, data: dict, village_file: Optional[Path] = None) -> None:
        self._names: list[str] = data["names"]
        self._codes: list[Optional[str]] = data["codes"]
        self.n_units: int = data["n_units"]
        self._tnames: str = data["tnames"]
        self._t_off = _ints("i", data["t_off"])
        self._levels: bytes = data["levels"]
        self._parents = _ints("i", data["parents"])
        self._t_first = _ints("i", data["t_first"])
        self._t_end = _ints("i", data["t_end"])
        self._v_off = _ints("q", data["v_off"])
        self._v_len = _ints("i", data["v_len"])
        self._village_bytes = data.get("villages")      # in memory right after a build
        self._village_file = village_file                # else mapped from here on first use
        self._unit_forms: dict[str, int] = data["unit_forms"]
        self._automaton: Optional[tuple[ahocorasick_rs.AhoCorasick, list[int]]] = None
        self._form_off = _ints("i", data["form_off"])
        self._form_tgt = _ints("i", data["form_tgt"])
        self._town_forms: dict[str, int] = data["town_forms"]
        self._town_tail = re.compile("[%s]" % re.escape(data["town_tails"]))
        self._town_max: int = data["town_max"]
        t2 = data["town_tails2"]
        self._town_tails2 = {t2[i:i + 2] for i in range(0, len(t2), 2)}
        self._children: Optional[dict[int, list[int]]] = None
        self._village_cache: dict[int, dict[str, list[int]]] = {}
        self._stem_cache: dict[int, dict[str, list[int]]] = {}

    # -- units
    def name(self, uid: int) -> str:
        """Official name of unit `uid`."""
        if uid < self.n_units:
            return self._names[uid]
        k = uid - self.n_units
        return self._tnames[self._t_off[k]:self._t_off[k + 1]]

    def level(self, uid: int) -> int:
        """Level of `uid`: PROVINCE, CITY, COUNTY or TOWNSHIP."""
        return self._levels[uid]

    def adcode(self, uid: int) -> Optional[str]:
        """6-digit code of a province, city or county; None for townships and development zones."""
        return self._codes[uid] if uid < self.n_units else None

    def parent(self, uid: int) -> int:
        """Id of the unit above `uid`, -1 for a province."""
        return self._parents[uid]

    def ancestors(self, uid: int) -> list[int]:
        """Ids of the units above `uid`, nearest first."""
        out, p = [], self._parents[uid]
        while p >= 0:
            out.append(p)
            p = self._parents[p]
        return out

    def is_within(self, uid: int, other: int) -> bool:
        """Is `uid` the unit `other` or below it?"""
        while uid >= 0:
            if uid == other:
                return True
            uid = self._parents[uid]
        return False

    def path(self, uid: int) -> list[str]:
        """Official names from the province down to `uid`."""
        return [self.name(u) for u in reversed(self.ancestors(uid))] + [self.name(uid)]

    def region(self, uid: int) -> RegionRef:
        """`uid` as a `schemas.RegionRef`."""
        return RegionRef(name=self.name(uid), adcode=self.adcode(uid),
                         level=LEVELS[self._levels[uid]], path=self.path(uid))

    def children(self, uid: int) -> list[int]:
        """Ids of the provinces (uid -1), cities or counties directly under `uid`."""
        if self._children is None:
            kids: dict[int, list[int]] = {}
            for u in range(self.n_units):
                kids.setdefault(self._parents[u], []).append(u)
            self._children = kids
        return self._children.get(uid, [])

    def townships(self, parent: int) -> range:
        """Ids of the townships directly under county (or city) `parent`."""
        if not 0 <= parent < self.n_units:
            return range(0)
        return range(self._t_first[parent], self._t_end[parent])

    def villages(self, parent: int) -> dict[str, list[int]]:
        """Village name -> ids of the townships holding it, for the villages of county
        `parent` (decoded on first use, then kept)."""
        got = self._village_cache.get(parent)
        if got is None:
            got = {}
            blob = self._village_blob(parent)
            if blob:
                start = self._t_first[parent]
                for k, line in enumerate(blob.decode("utf-8").split("\n")):
                    if line:
                        for v in line.split("\t"):
                            got.setdefault(v, []).append(start + k)
            if len(self._village_cache) > 512:
                self._village_cache.clear()
            self._village_cache[parent] = got
        return got

    def _village_blob(self, parent: int) -> bytes:
        if not 0 <= parent < self.n_units or not self._v_len[parent]:
            return b""
        if self._village_bytes is None:
            try:
                with open(self._village_file, "rb") as f:
                    self._village_bytes = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError, TypeError):   # cache removed under us: rebuild it
                self._village_bytes = _Builder().build()["villages"]
        a = self._v_off[parent]
        return bytes(self._village_bytes[a:a + self._v_len[parent]])

    def township_stems(self, parent: int) -> dict[str, list[int]]:
        """Township name without its suffix -> ids, for the townships of `parent`
        (溪洛渡镇 is found as 溪洛渡 when a page writes the newer 溪洛渡街道)."""
        got = self._stem_cache.get(parent)
        if got is None:
            got = {}
            suffixes = tuple(vocabulary()["township_suffixes"])
            for tid in self.townships(parent):
                name = self.name(tid)
                for suf in suffixes:
                    if name.endswith(suf) and len(name) > len(suf) + 1:
                        got.setdefault(name[: -len(suf)], []).append(tid)
                        break
            if len(self._stem_cache) > 512:
                self._stem_cache.clear()
            self._stem_cache[parent] = got
        return got

    # -- written forms
    def targets(self, fid: int) -> list[tuple[int, int]]:
        """(unit id, kind) pairs a written form stands for."""
        a, b = self._form_off[fid], self._form_off[fid + 1]
        return [(p // KIND_BITS, p % KIND_BITS) for p in self._form_tgt[a:b]]

    def lookup(self, form: str) -> list[tuple[int, int]]:
        """(unit id, kind) pairs for an exact written form: "贡山" -> [(id of 贡山…自治县, BARE)]."""
        fid = self._unit_forms.get(form)
        if fid is None:
            fid = self._town_forms.get(form)
        return [] if fid is None else self.targets(fid)

    def matches(self, text: str) -> list[tuple[int, int, int]]:
        """Every (start, end, form id) where a known form occurs in `text`, overlaps included."""
        if self._automaton is None:   # not picklable; 6K forms build in a few ms
            forms = list(self._unit_forms)
            self._automaton = (ahocorasick_rs.AhoCorasick(forms, matchkind=ahocorasick_rs.MatchKind.Standard),
                               [self._unit_forms[f] for f in forms])
        ac, fids = self._automaton
        # by end, the longest first at one end (the order the extractors were written against)
        out = sorted(((s, e, fids[i]) for i, s, e in ac.find_matches_as_indexes(text, overlapping=True)),
                     key=_by_end)
        forms, longest, tails2 = self._town_forms, self._town_max, self._town_tails2
        for m in self._town_tail.finditer(text):
            q = m.end()
            if text[q - 2:q] not in tails2:   # 乡村, 城镇: no township name ends here
                continue
            for s in range(max(0, q - longest), q - 1):
                fid = forms.get(text[s:q])
                if fid is not None:
                    out.append((s, q, fid))
        return out

    def counties_under(self, uid: int) -> list[int]:
        """Ids of the units holding townships at or below `uid` (its counties; itself for a
        county or for a city whose towns sit directly under it)."""
        out, todo = [], [uid]
        while todo:
            u = todo.pop()
            if self._t_end[u]:
                out.append(u)
            todo.extend(self.children(u))
        return out

    # -- resolution
    def resolve_id(self, name: str, within: Optional[int] = None) -> Optional[int]:
        """Id of the unit written `name` (official, short or old form), or None when unknown
        or ambiguous; `within` (an id) keeps only units at or below it."""
        cands = self.lookup(name)
        if within is not None:
            cands = [(u, k) for u, k in cands if self.is_within(u, within)]
        if cands:
            best = min(k if k != OLD else FULL for _, k in cands)
            ids = sorted({u for u, k in cands if (k if k != OLD else FULL) == best})
            if len(ids) == 1:
                return ids[0]
            top = [u for u in ids if all(o == u or self.is_within(o, u) for o in ids)]
            return top[0] if top else None
        return None

    def find_village(self, name: str, within: int) -> Optional[int]:
        """Id of the township holding the village `name`, searched at or below unit
        `within`; None unless exactly one village matches."""
        if within >= self.n_units:
            tids = [t for t in self.villages(self.parent(within)).get(name, []) if t == within]
        else:
            tids = [t for c in self.counties_under(within) for t in self.villages(c).get(name, [])]
        return tids[0] if len(tids) == 1 else None


def _cache_path() -> Path:
    from pipeline.segment import cache_dir   # the segment stage owns the cache folder
    return cache_dir() / f"gazetteer-{_cache_key()}.pickle"


@functools.lru_cache(maxsize=1)
def load() -> Gazetteer:
    """The process-wide gazetteer: from the cache, else built (a few seconds) and cached.
    The cache is two files: the index (pickle) and the village blobs (mapped on demand)."""
    path = _cache_path()
    vpath = path.with_suffix(".villages")
    try:
        blob = path.read_bytes()
        if not vpath.is_file():
            raise OSError("village blobs missing")
        gc_was_on = gc.isenabled()
        gc.disable()   # unpickling lists and strings: no cycles to look for meanwhile
        try:
            data = pickle.loads(blob)
        finally:
            if gc_was_on:
                gc.enable()
        return Gazetteer(data, vpath)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, KeyError):
        pass
    data = _Builder().build()
    villages = data.pop("villages")
    try:
        for target, payload in ((vpath, villages), (path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))):
            tmp = target.with_suffix(f"{target.suffix}.{os.getpid()}.tmp")
            tmp.write_bytes(payload)
            os.replace(tmp, target)   # the villages first: an index on disk has its villages
        for old in path.parent.glob("gazetteer-*"):   # caches of other versions
            if old.stem != path.stem and not old.name.endswith(".tmp"):
                old.unlink(missing_ok=True)
    except OSError:
        pass
    data["villages"] = villages
    return Gazetteer(data)


def resolve(name: str, within: Union[str, RegionRef, None] = None) -> Optional[RegionRef]:
    """The unit written `name` as a RegionRef: official, short or old forms (慈溪市, 怒江州,
    奉化市 -> 奉化区), and villages when `within` is given. None when unknown or ambiguous;
    `within` (a name or RegionRef of a unit above) picks among units of the same name."""
    g = load()
    scope = None
    if within is not None:
        wname = within.name if isinstance(within, RegionRef) else within
        wpath = within.path if isinstance(within, RegionRef) else []
        scope = g.resolve_id(wname)
        if scope is None and wpath:
            for parent_name in wpath[:-1]:
                p = g.resolve_id(parent_name, scope)
                scope = p if p is not None else scope
            scope = g.resolve_id(wname, scope)
        if scope is None:
            return None
    uid = g.resolve_id(name, scope)
    if uid is not None:
        return g.region(uid)
    if scope is not None:
        tid = g.find_village(name, scope)
        if tid is not None:
            return RegionRef(name=name, adcode=None, level="village", path=g.path(tid) + [name])
    return None
