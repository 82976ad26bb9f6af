"""The codebook: themes, their cues and exclusions, framing cues and the coding rules, validated.

``codebook/themes.yaml`` documents the format in its header. Loading turns every cue into a compiled
regular expression with a weight and a human-readable label, so the coding can say *why* a passage
was coded. Every problem is a CodebookError naming the file, the theme or field, and what to fix.
"""
from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import prefilter
from .errors import CodebookError

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "codebook" / "themes.yaml"
SCHEMA_VERSION = 1
TOP_KEYS = {"schema_version", "rules", "themes", "framing"}
THEME_KEYS = {"label", "description", "cues", "exclusions", "actors", "rules"}
CUE_KEYS = {"term", "pattern", "weight", "label"}
# Defaults keep a codebook without a rules block usable; themes.yaml states its own values.
RULE_DEFAULTS = {"assign_threshold": 2.0, "min_coverage": 0.3, "dense_threshold": 3.0, "heading_threshold": 1.0}
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: the prefilter's sets of cues stay cheap
class Cue:
    """One thing that, found in a sentence, counts towards a theme (or a framing category)."""

    label: str
    regex: re.Pattern[str]
    weight: float = 1.0
    # The pattern's top-level alternatives, each searched on its own where its needles are (prefilter.py).
    parts: tuple[Alternative, ...] = field(default=(), init=False, compare=False, repr=False)
    looks_back: bool = field(default=False, init=False, compare=False, repr=False)  # must be searched in a slice

    def __post_init__(self) -> None:
        split = prefilter.alternatives(self.regex) or [self.regex]
        object.__setattr__(self, "parts", tuple(Alternative(self, regex) for regex in split))
        object.__setattr__(self, "looks_back", any(a.looks_back for a in self.parts))

    def spans(self, text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Where the cue matches ``text[start:end]``, as offsets into ``text``."""
        if not self.looks_back:
            return (m.span() for m in self.regex.finditer(text, start, end))
        return ((m.start() + start, m.end() + start) for m in self.regex.finditer(text[start:end]))


@dataclass(frozen=True, eq=False)
class Alternative:
    """One way a cue can match ("EAEU" or "Eurasian Economic Union"): the cue matches where one of its does."""

    cue: Cue
    regex: re.Pattern[str]
    needles: prefilter.Needles | None = field(default=None, init=False, repr=False)
    looks_back: bool = field(default=False, init=False, repr=False)  # must be searched in a slice
    # Needles one of which each match begins with (prefilter.anchors); None for a pattern that looks back, whose
    # search must begin at the slice's start.
    anchors: frozenset[str] | None = field(default=None, init=False, repr=False)
    # search(text, start, end): a match in ``text[start:end]``, or None. The regex's own method where it needs no
    # slice, so coding's hot loop calls C directly (a Python frame per search was a tenth of coding).
    search: Callable[[str, int, int], object] = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "needles", prefilter.needles(self.regex))
        object.__setattr__(self, "looks_back", prefilter.looks_back(self.regex))
        object.__setattr__(self, "anchors", None if self.looks_back else prefilter.anchors(self.regex, self.needles))
        object.__setattr__(self, "search", functools.partial(_search_slice, self.regex) if self.looks_back else self.regex.search)

    def found(self, text: str, start: int = 0, end: int | None = None, low: str | None = None) -> bool:
        """Whether it matches ``text[start:end]`` (without copying the slice unless the pattern looks back).

        ``low``, the text's ``Scanner.lowered`` form, lets it try only where an anchor stands, since a match begins
        at one: a case-insensitive search cannot skip ahead, and tries every place in the text.
        """
        end = len(text) if end is None else end
        if low is None or self.anchors is None:
            return self.search(text, start, end) is not None
        for anchor in self.anchors:
            at = low.find(anchor, start, end)
            while at >= 0:
                if self.regex.match(text, at, end):
                    return True
                at = low.find(anchor, at + 1, end)
        return False


def _search_slice(regex: re.Pattern[str], text: str, start: int, end: int) -> re.Match[str] | None:
    return regex.search(text[start:end])


@dataclass(frozen=True)
class Rules:
    """When a theme's cue score makes a paragraph 'coded' (see coding.py for how they combine)."""

    assign_threshold: float
    min_coverage: float
    dense_threshold: float
    heading_threshold: float


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    description: str
    cues: tuple[Cue, ...]
    exclusions: tuple[Cue, ...]
    actors: tuple[str, ...]
    rules: Rules


@dataclass(frozen=True)
class FramingCues:
    """Cues saying who a passage speaks of (subjects) and in what tone (tones)."""

    subjects: dict[str, tuple[Cue, ...]]
    tones: dict[str, tuple[Cue, ...]]


@dataclass(frozen=True)
class Codebook:
    path: Path
    digest: str  # sha256 of the file's bytes: part of every cache key that depends on coding
    schema_version: int
    themes: dict[str, Theme]  # in file order
    framing: FramingCues
    rules: Rules = field(repr=False)

    @property
    def theme_ids(self) -> tuple[str, ...]:
        return tuple(self.themes)

    def label(self, theme_id: str) -> str:
        """The human-readable name of a theme; raises KeyError for an unknown id."""
        return self.themes[theme_id].label

    def theme(self, theme_id: str) -> Theme:
        return self.themes[theme_id]

    def __getstate__(self) -> dict[str, Any]:
        # Scanner and plans are rebuilt on first use: pickled, they would weigh on every cached context.
        return {k: v for k, v in self.__dict__.items() if k not in ("scanner", "_plans", "_ranks", "plan_needles")}

    @functools.cached_property
    def scanner(self) -> prefilter.Scanner:
        """Which cue alternatives can match a text (prefilter.py); made on first use, since only coding needs it."""
        cues = [c for t in self.themes.values() for c in (*t.cues, *t.exclusions)]
        cues += [c for group in (self.framing.subjects, self.framing.tones) for cs in group.values() for c in cs]
        return prefilter.Scanner({a: a.needles for c in cues for a in c.parts})

    @functools.cached_property
    def plan_needles(self) -> tuple[frozenset[int], frozenset[int]]:
        """The scanner's needles that coding's cues use, and those framing's use (``Scanner.needles_of``): a plan
        depends on no other, and without framing's tone words a corpus's sentences make a fifth fewer combinations,
        its paragraphs half as many."""
        return self.scanner.needles_of(self._ranks["coding"]), self.scanner.needles_of(self._ranks["framing"])

    def coding_plan(self, possible: frozenset[Alternative] | None) -> CodingPlan:
        """What coding must try in a sentence whose possible alternatives are ``possible`` (None: all of them).

        Per theme with a cue among them, in file order: (cue, whether it is an exclusion, its possible
        alternatives), the theme's exclusions first, so they are known before its cues are counted.
        """
        return self._plan("coding", possible)

    def framing_plan(self, possible: frozenset[Alternative] | None) -> FramingPlan:
        """Per framing list (``FRAMING_LISTS``): its cues with a possible alternative, in file order, each with
        those alternatives (all of them when ``possible`` is None)."""
        return self._plan("framing", possible)

    def _plan(self, kind: str, possible: frozenset[Alternative] | None):
        # Remembered per set: the prefilter hands out the same few sets again and again (Scanner.keys_for).
        plans = self._plans[kind]
        plan = plans.get(possible)
        if plan is None:
            if len(plans) >= prefilter.MEMO_SIZE:
                plans.clear()
            groups = _grouped(self._ranks[kind], possible)
            if kind == "coding":
                plan = tuple((theme_id, tuple(steps)) for theme_id, steps in groups.items() if not all(x for _, x, _ in steps))
            else:
                plan = tuple(tuple((cue, alternatives) for cue, _, alternatives in groups.get(i, ()))
                             for i in range(len(FRAMING_LISTS)))
            plans[possible] = plan
        return plan

    @functools.cached_property
    def _plans(self) -> dict[str, dict]:
        return {"coding": {}, "framing": {}}

    @functools.cached_property
    def _ranks(self) -> dict[str, dict[Alternative, tuple[int, str | int, bool]]]:
        """For coding and for framing: each alternative -> (rank in file order, its group, a flag). Coding groups
        by theme id and flags exclusions, which rank before the theme's cues; framing groups by list."""
        coding = [(t.id, x, c) for t in self.themes.values() for x, cs in ((True, t.exclusions), (False, t.cues)) for c in cs]
        framing = [(i, False, c) for i, (part, name) in enumerate(FRAMING_LISTS) for c in getattr(self.framing, part)[name]]
        return {kind: {a: (rank, group, flag) for rank, (group, flag, a) in
                       enumerate((group, flag, a) for group, flag, c in cues for a in c.parts)}
                for kind, cues in (("coding", coding), ("framing", framing))}


# Plans: per theme id (coding) or framing list, the cues to try, each with its alternatives that can match. Tuples
# throughout: ``_plan`` remembers each plan and hands the same one to every sentence that asks.
CodingPlan = tuple[tuple[str, tuple[tuple[Cue, bool, tuple[Alternative, ...]], ...]], ...]
FramingPlan = tuple[tuple[tuple[Cue, tuple[Alternative, ...]], ...], ...]
FRAMING_LISTS = (("subjects", "russia"), ("subjects", "china"), ("tones", "cooperation"), ("tones", "tension"))


def _grouped(ranks: dict[Alternative, tuple[int, str | int, bool]], possible: frozenset[Alternative] | None) -> dict:
    """The possible alternatives in rank order, by group, then by cue: {group: [(cue, flag, alternatives)]}."""
    alternatives = list(ranks) if possible is None else sorted((a for a in possible if a in ranks), key=ranks.__getitem__)
    groups: dict[str | int, list[tuple[Cue, bool, tuple[Alternative, ...]]]] = {}
    for a in alternatives:
        _, group, flag = ranks[a]
        steps = groups.setdefault(group, [])
        if steps and steps[-1][0] is a.cue:
            steps[-1] = (a.cue, flag, (*steps[-1][2], a))
        else:
            steps.append((a.cue, flag, (a,)))
    return groups


class YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: each kernel reads the codebook; pure Python took 0.15 s
    """SafeLoader for the codebook and labels files: refuses duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: YamlLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (line {key_node.start_mark.line + 1})", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


YamlLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def term_pattern(term: str) -> str:
    """Regex for a plain term: case-insensitive whole words, space/hyphen interchangeable, simple variants.

    English terms also match a plural (-s/-es) and a possessive ('s); Cyrillic terms take up to three
    inflectional letters (Синьцзян matches Синьцзяне), since Russian declines nouns.
    """
    words = [re.escape(w) for w in re.split(r"[\s\-]+", term.strip()) if w]
    body = r"[\s\-]+".join(words)
    suffix = r"\w{0,3}" if _CYRILLIC.search(term) else r"(?:e?s)?(?:'s?)?"
    return rf"(?<!\w){body}{suffix}(?!\w)"


def _compile(where: str, pattern: str, path: Path) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise CodebookError(f"{path}: {where}: invalid regular expression {pattern!r} ({exc}): fix the pattern") from None


def _cue(raw: Any, where: str, path: Path) -> Cue:
    """Parse one cue entry: a plain term, or {term|pattern, weight, label}."""
    if isinstance(raw, str) and raw.strip():
        return Cue(raw.strip(), _compile(where, term_pattern(raw), path))
    if not isinstance(raw, dict):
        raise CodebookError(f"{path}: {where}: a cue is a term (text) or a mapping with pattern:, weight:, label:; got {raw!r}")
    unknown = sorted(set(raw) - CUE_KEYS)
    if unknown:
        raise CodebookError(f"{path}: {where}: unknown key(s) {', '.join(map(str, unknown))}; allowed: {', '.join(sorted(CUE_KEYS))}")
    if ("term" in raw) == ("pattern" in raw):
        raise CodebookError(f"{path}: {where}: give exactly one of 'term' (plain words) or 'pattern' (a regex)")
    text = raw.get("term") or raw.get("pattern")
    if not isinstance(text, str) or not text.strip():
        raise CodebookError(f"{path}: {where}: the term/pattern must be non-empty text")
    weight = raw.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise CodebookError(f"{path}: {where}, field 'weight': {weight!r} is not a number: write e.g. weight: 1.5")
    label = raw.get("label", raw.get("term"))
    if not isinstance(label, str) or not label.strip():
        raise CodebookError(f"{path}: {where}: a pattern cue needs a 'label' (the name shown when explaining a coding)")
    pattern = term_pattern(text) if "term" in raw else text
    where_pattern = f"{where} (label '{label}')"
    return Cue(label.strip(), _compile(where_pattern, pattern, path), float(weight))


def _cues(raw: Any, where: str, path: Path, *, required: bool) -> tuple[Cue, ...]:
    if raw is None and not required:
        return ()
    if not isinstance(raw, list) or (required and not raw):
        raise CodebookError(f"{path}: {where}: expected a non-empty list of cues" if required else f"{path}: {where}: expected a list")
    return tuple(_cue(item, f"{where}[{i}]", path) for i, item in enumerate(raw))


def _rules(raw: Any, where: str, path: Path, base: dict[str, float]) -> Rules:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise CodebookError(f"{path}: {where}: expected a mapping of {', '.join(RULE_DEFAULTS)}")
    unknown = sorted(set(raw) - set(RULE_DEFAULTS))
    if unknown:
        raise CodebookError(f"{path}: {where}: unknown key(s) {', '.join(map(str, unknown))}; allowed: {', '.join(RULE_DEFAULTS)}")
    values = dict(base)
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CodebookError(f"{path}: {where}, field '{key}': {value!r} is not a number")
        values[key] = float(value)
    return Rules(**values)


def _theme(theme_id: str, raw: Any, path: Path, base: dict[str, float]) -> Theme:
    where = f"theme '{theme_id}'"
    if not isinstance(raw, dict):
        raise CodebookError(f"{path}: {where}: expected a mapping with label:, description:, cues:")
    unknown = sorted(set(raw) - THEME_KEYS)
    if unknown:
        raise CodebookError(f"{path}: {where}: unknown key(s) {', '.join(map(str, unknown))}; allowed: {', '.join(sorted(THEME_KEYS))}")
    for key in ("label", "description"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise CodebookError(f"{path}: {where}, field '{key}': missing or empty: add it")
    if "cues" not in raw:
        raise CodebookError(f"{path}: {where}, field 'cues': missing: add a list of cues")
    actors = raw.get("actors") or []
    if not isinstance(actors, list) or not all(isinstance(a, str) for a in actors):
        raise CodebookError(f"{path}: {where}, field 'actors': expected a list of actor ids")
    return Theme(theme_id, raw["label"].strip(), " ".join(raw["description"].split()),
                 _cues(raw["cues"], f"{where}, field 'cues'", path, required=True),
                 _cues(raw.get("exclusions"), f"{where}, field 'exclusions'", path, required=False),
                 tuple(actors), _rules(raw.get("rules"), f"{where}, field 'rules'", path, base))


def _framing(raw: Any, path: Path) -> FramingCues:
    if not isinstance(raw, dict) or set(raw) - {"subjects", "tones"}:
        raise CodebookError(f"{path}: field 'framing': expected a mapping with only subjects: and tones:")
    parts: dict[str, dict[str, tuple[Cue, ...]]] = {}
    for part, needed in (("subjects", ("russia", "china")), ("tones", ("cooperation", "tension"))):
        block = raw.get(part)
        if not isinstance(block, dict):
            raise CodebookError(f"{path}: field 'framing.{part}': expected a mapping of {' and '.join(needed)} to cue lists")
        missing = [k for k in needed if k not in block]
        if missing:
            raise CodebookError(f"{path}: field 'framing.{part}': missing '{missing[0]}': add its cue list")
        parts[part] = {str(k): _cues(v, f"field 'framing.{part}.{k}'", path, required=True) for k, v in block.items()}
    return FramingCues(parts["subjects"], parts["tones"])


def load_codebook(path: str | Path = DEFAULT_PATH) -> Codebook:
    """Load and validate a codebook YAML file. Raises CodebookError on any problem."""
    path = Path(path)
    try:
        data_bytes = path.read_bytes()
    except OSError as exc:
        raise CodebookError(f"{path}: cannot read the codebook ({exc.strerror}): check the path") from None
    try:
        data = yaml.load(data_bytes.decode("utf-8-sig"), Loader=YamlLoader)  # noqa: S506 - a SafeLoader subclass
    except UnicodeDecodeError:
        raise CodebookError(f"{path}: is not UTF-8 text: save it as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        if "duplicate key" in str(getattr(exc, "problem", "")):
            raise CodebookError(f"{path}{where}: {exc.problem}: each theme id (and each key) may appear only once") from None
        raise CodebookError(f"{path}{where}: YAML does not parse ({getattr(exc, 'problem', None) or exc}): fix it") from None
    if not isinstance(data, dict):
        raise CodebookError(f"{path}: expected a mapping with schema_version:, themes:, framing:")
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise CodebookError(f"{path}: unknown top-level key(s) {', '.join(map(str, unknown))}; allowed: {', '.join(sorted(TOP_KEYS))}")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise CodebookError(f"{path}: field 'schema_version': {data.get('schema_version')!r} is not supported; write schema_version: {SCHEMA_VERSION}")
    rules = _rules(data.get("rules"), "field 'rules'", path, RULE_DEFAULTS)
    raw_themes = data.get("themes")
    if not isinstance(raw_themes, dict) or not raw_themes:
        raise CodebookError(f"{path}: field 'themes': expected a non-empty mapping of theme id to theme")
    themes = {}
    for theme_id, raw in raw_themes.items():
        if not isinstance(theme_id, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", theme_id):
            raise CodebookError(f"{path}: theme id {theme_id!r}: use lower-case letters, digits and underscores")
        themes[theme_id] = _theme(theme_id, raw, path, vars(rules))
    if "framing" not in data:
        raise CodebookError(f"{path}: field 'framing': missing: add subjects: and tones: cue lists")
    return Codebook(path, hashlib.sha256(data_bytes).hexdigest(), SCHEMA_VERSION, themes, _framing(data["framing"], path), rules)
