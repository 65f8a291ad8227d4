"""From a privacy policy's text to the stated scope: what the app and each listed SDK collect.

``extract(text, kind)`` reads the policy's blocks (analysis.policy.document) and returns a
``PolicyScope``:

* **SDK list.** A table whose header names an SDK column and a data column (SDK名称 /
  第三方名称 / SDK name; 收集的个人信息 / 个人信息类型 / data collected; optionally the
  company and the purpose); a list of entries under an SDK heading ("SDK名称：…；公司：…；
  收集个人信息：…", or an item naming the SDK followed by "使用目的：…", "收集信息：…"
  items); or prose anywhere ("We use the Umeng Analytics SDK, provided by …, which collects
  your OAID"). Each SDK is matched to the catalog by its name, else by its company
  (analysis.policy.vocabulary.sdk_names); an SDK the catalog lacks is kept by its name.
* **The app's statements.** Every other sentence that says something is collected, read,
  requested or used (收集/获取/读取/申请/collect/access/request …), with the heading it stands
  under as its purpose. Definitions ("个人信息是指…") and statements of the user's rights
  ("您可以…") are not statements of collection.
* **Vocabulary.** Each phrase is mapped by analysis/data/policy_terms.yaml. A generic term
  (设备信息, device information) that the statement does not enumerate — no "（IMEI、…）",
  "包括/such as …" after it, no "…等" before it — is expanded to its documented set and
  recorded in ``expanded``. An enumerated one counts for its members only.
* **Negation.** In a clause with "不会收集 / 不获取 / we do not collect / never …" the terms
  after the cue are removed from the actor's stated set (and listed in ``negated``). A
  conditional ("若您拒绝…将不会…", "if you refuse …") is not a negation of collection.
* **Unmapped.** In every data cell and every collection statement, each listed item that
  names no vocabulary term is reported (``unmapped``), with the reason when the vocabulary
  knows it as personal information with no PII type of ours. Nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analysis.policy import document
from analysis.policy import vocabulary as vocab_terms
from analysis.policy.document import Block

COLLECT = re.compile(
    r"收集|获取|读取|采集|访问|调用|申请|上传|记录|识别|查询|使用您的|使用你的|需要您?提供|需要使用|共享|传输|获得|开启|授权|填写|提交"
    r"|\b(collect(s|ed|ing)?|access(es|ed|ing)?|reads?|obtain(s|ed)?|gather(s|ed)?|request(s|ed)?|record(s|ed)?"
    r"|receive(s|d)?|upload(s|ed)?|use(s|d)? your|process(es|ed)? your|share(s|d)?|ask(s|ed)? for|need(s)?)\b", re.I)
NEGATION = re.compile(
    r"(不会|不|绝不|从不|并不|无需|不需要|未|均不|也不)(主动|会|再)?(收集|获取|读取|采集|访问|调用|申请|上传|使用|要求|记录|索取)"
    r"|\b(do not|don't|does not|doesn't|will not|won't|never|shall not|not)\b[^.;]{0,30}?"
    r"\b(collect|access|read|obtain|gather|request|record|upload|use|ask for|receive)", re.I)
CONDITIONAL = re.compile(
    r"(如果|若|如|倘若|一旦)(您|你)?(拒绝|不同意|未同意|关闭|不授权|撤回)|拒绝授权后|关闭.{0,10}权限后"
    r"|\bif you (refuse|decline|deny|withdraw|do not (allow|grant|agree|consent)|turn off)|\bunless you\b", re.I)
NOT_A_STATEMENT = re.compile(r"是指|指的是|^\s*(您|你)(可以|有权)|\b(means|refers to)\b|^\s*you (can|may|have the right)\b",
                             re.I)
RIGHTS_THEN_WE = re.compile(r"^\s*((您|你)(可以|有权)|you (can|may)\b)[^，,。.]*[，,]\s*(?=我们|we\b)", re.I)
CLAUSE_SPLIT = re.compile(r"[；;。！？!?]|[，,]\s*(?:但是|但|然而|而)|[,，]?\s*\b(?:however|but|whereas|while)\b", re.I)
CLAUSE_LIKE = re.compile(r"同意|提供|向您|向第三方|之后|以后|时[，,]|将会|我们将|我们会|您会|可以|能够|影响|用于|需要|进行|请|如果|若|本政策"
                         r"|\b(will|would|can|may|if|when|we|you|this policy)\b", re.I)
SENTENCE_SPLIT = re.compile(r"(?<=[。！？!?；;])|(?<=[a-z0-9)\]])\.\s+(?=[A-Z])")
PURPOSE_CUT = re.compile(r"，?(用于|以便|以|为了|从而|来|目的是)|[,，]?\s*\b(to|for|in order to|so that|which we use)\b|[:：]",
                         re.I)
ITEM_SPLIT = re.compile(r"[、，,;；/|]|\s+(?:and|or|as well as)\s+|和|及|以及|与|或者|或", re.I)
ENUMERATES_AFTER = re.compile(r"^\s*(（|\(|[:：]|[，,]?\s*(包括|包含|例如|比如|如|即|such as|including|e\.g\.|like)\b)", re.I)
ENUMERATED_BEFORE = re.compile(r"(等|and other|or other|等其他|等不可变更的|等常用)\s*\S{0,8}\s*$", re.I)
SDK_HEADING = re.compile(r"SDK|第三方(代码|插件|服务|合作|共享|信息共享)|合作方|third[- ]part(y|ies)|partners|接入的第三方", re.I)
SDK_WORD = re.compile(r"(?<![A-Za-z])SDK(?![A-Za-z])", re.I)
SDK_NAME_IN_PROSE = re.compile(
    r"((?:[A-Z][\w+.\-]*\s){0,3}[A-Z][\w+.\-]*)\s+SDK\b"
    r"|([\u4e00-\u9fffA-Za-z0-9+]{2,12}?)(?:推送|统计|定位|广告|分享|登录|支付)?SDK", re.I)
PROVIDED_BY = re.compile(r"provided by|offered by|operated by|由.{1,30}提供|插件|plug-?in", re.I)
SDK_VERB = re.compile(r"\b(we use|we integrate|integrated|embedded|provided by)\b|接入|集成|嵌入|使用了?", re.I)

# Header words that name a column of an SDK table or a key of an SDK entry.
ROLE_WORDS = {
    "name": re.compile(r"SDK|名称|第三方名称|插件|第三方|name|partner", re.I),
    "company": re.compile(r"公司|主体|提供方|运营方|开发者|所属|第三方名称|company|provider|vendor|operator|developer", re.I),
    "purpose": re.compile(r"目的|用途|功能|场景|业务|purpose|use case|used for|function", re.I),
    "data": re.compile(r"个人信息|信息|字段|数据|权限|data|information|collected|fields|permissions", re.I),
    "link": re.compile(r"链接|隐私政策|官网|网址|link|url|policy|website", re.I),
    "method": re.compile(r"方式|method|how", re.I),
}


@dataclass
class SdkEntry:
    name: str
    catalog_id: str | None = None
    matched_by: str | None = None          # name | company | None (kept by name)
    company: str | None = None
    purpose: str | None = None
    types: set[str] = field(default_factory=set)
    negated: set[str] = field(default_factory=set)
    how: str = ""                          # table | list | prose
    specific: dict[str, set[str]] = field(default_factory=dict)      # type -> specific phrases stating it
    denied: dict[str, set[str]] = field(default_factory=dict)        # type -> phrases denying it

    @property
    def key(self) -> str:
        return self.catalog_id or self.name


@dataclass
class PolicyScope:
    app_types: set[str] = field(default_factory=set)
    app_negated: set[str] = field(default_factory=set)
    app_specific: dict[str, set[str]] = field(default_factory=dict)
    app_denied: dict[str, set[str]] = field(default_factory=dict)
    purposes: dict[str, set[str]] = field(default_factory=dict)
    sdks: dict[str, SdkEntry] = field(default_factory=dict)
    expanded: list[dict] = field(default_factory=list)
    negated: list[dict] = field(default_factory=list)
    unmapped: list[dict] = field(default_factory=list)

    def stated_app(self) -> set[str]:
        return self.app_types - _removed(self.app_negated, self.app_specific, self.app_denied)

    def stated_sdk(self, key: str) -> set[str]:
        entry = self.sdks[key]
        return entry.types - _removed(entry.negated, entry.specific, entry.denied)


def _removed(negated: set[str], specific: dict[str, set[str]], denied: dict[str, set[str]]) -> set[str]:
    """Denied types, except one that a specific phrase other than every denying one states: a denial of
    短信内容 leaves 短信验证码 stated; a denial of IMEI removes the IMEI a generic 设备信息 implied."""
    return {t for t in negated if not (specific.get(t, set()) - denied.get(t, set()))}


# -- one piece of text: types, negations, expansions, unmapped ---------------------------------

@dataclass
class Reading:
    types: set[str] = field(default_factory=set)
    negated: set[str] = field(default_factory=set)
    expanded: list[tuple[str, frozenset[str], str]] = field(default_factory=list)
    negated_terms: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    specific: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    unmapped: list[tuple[str, str | None]] = field(default_factory=list)


def _negation_start(clause: str) -> int | None:
    if CONDITIONAL.search(clause):
        return None
    m = NEGATION.search(clause)
    return m.start() if m else None


def read_clause(clause: str, *, listing: bool) -> Reading:
    """Types a clause names. `listing`: the clause is a data cell or value (every item is data);
    else a sentence, whose items are looked for after the collection verb."""
    out = Reading()
    if CONDITIONAL.search(clause) and NEGATION.search(clause):
        return out      # "若您拒绝，我们将不会收集…": neither a statement of collection nor its denial
    neg_at = _negation_start(clause)
    hits = vocab_terms.terms(clause)
    specific_in_clause = any(not h.term.generic for h in hits)
    for h in hits:
        negated = neg_at is not None and h.start >= neg_at
        types = h.term.types
        if h.term.generic:
            after, before = clause[h.end:], clause[:h.start]
            before = re.split(r"[，,；;。]", before)[-1]
            enumerated = ENUMERATES_AFTER.match(after) or (ENUMERATED_BEFORE.search(before) and specific_in_clause)
            if enumerated and any(not x.term.generic for x in hits if x is not h):
                continue
            if not negated:
                out.expanded.append((h.phrase, types, h.term.basis or ""))
        if negated:
            out.negated |= types
            out.negated_terms.append((h.phrase, types))
        else:
            out.types |= types
            if not h.term.generic:
                out.specific.append((h.phrase, types))
    out.unmapped = _unmapped_items(clause, listing=listing)
    return out


def _unmapped_items(clause: str, *, listing: bool) -> list[tuple[str, str | None]]:
    text = clause
    if not listing:
        m = COLLECT.search(text) or NEGATION.search(text)
        if not m:
            return []
        while m:    # the object list follows the last verb before the purpose ("To record your runs, we collect …")
            text = text[m.end():]
            cut = PURPOSE_CUT.search(text)
            if cut and cut.start() > 0:
                text = text[:cut.start()]
            m = COLLECT.search(text)
    text = re.sub(r"[（(]", "、", re.sub(r"[)）]", "", text))
    out = []
    for item in ITEM_SPLIT.split(text):
        item = (item or "").strip()
        if not item or vocab_terms.terms(item):
            continue
        known = vocab_terms.not_pii(item)
        if known:
            out += [(k.phrase, "no_pii_type") for k in known]
            continue
        bare = vocab_terms.strip_filler(item)
        bare = re.sub(r"^(包括|包含|例如|比如|如|即|such as|including|e\.g\.)\s*", "", bare, flags=re.I).strip()
        if not bare or len(bare) < 2 or re.fullmatch(r"[\W\d_]+", bare) or CLAUSE_LIKE.search(bare):
            continue
        if (len(bare) > 16 and not vocab_terms._is_ascii(bare)) or len(bare.split()) > 5:
            continue   # a clause, not a listed item
        out.append((bare, None))
    return out


# -- the document walk -----------------------------------------------------------------------

def _tally(into: dict[str, set[str]], phrases: list[tuple[str, frozenset[str]]]) -> None:
    for phrase, types in phrases:
        for t in types:
            into.setdefault(t, set()).add(vocab_terms.phrase_key(phrase))


def _roles(header: list[str]) -> dict[str, int]:
    roles: dict[str, int] = {}
    for i, cell in enumerate(header):
        for role in ("link", "company", "purpose", "method", "data", "name"):
            if role not in roles and ROLE_WORDS[role].search(cell):
                roles[role] = i
                break
    if "name" not in roles and "company" in roles and "第三方名称" in header[roles["company"]]:
        roles["name"] = roles.pop("company")      # a table whose only name column is 第三方名称
    return roles


def _key_value(text: str) -> list[tuple[str | None, str]]:
    """'SDK名称：个推；使用目的：推送' -> [('name','个推'), ('purpose','推送')]; (None, text) when no key."""
    parts = [p.strip() for p in re.split(r"[；;]\s*|\s{2,}", text) if p.strip()]
    out: list[tuple[str | None, str]] = []
    for part in parts:
        m = re.match(r"^([^：:]{1,16})[：:]\s*(.*)$", part)
        role = None
        if m:
            key = m.group(1)
            role = next((r for r in ("link", "company", "purpose", "method", "data", "name") if ROLE_WORDS[r].search(key)),
                        None)
        if role and m:
            out.append((role, m.group(2).strip()))
        elif out and out[-1][0] is not None and not m:
            out.append((None, part))
        else:
            out.append((None, part))
    return out


class _Walk:
    def __init__(self) -> None:
        self.result = PolicyScope()
        self.purpose: str | None = None
        self.sdk_section_level: int | None = None
        self.current: SdkEntry | None = None

    # SDK entries ---------------------------------------------------------------------------
    def _sdk(self, name: str, company: str | None = None, how: str = "list") -> SdkEntry:
        name = re.sub(r"\s+", " ", name).strip(" ：:。.,，")
        hits = vocab_terms.sdk_names(name)
        catalog_id, matched_by = (hits[0].value, "name") if hits else (None, None)
        if catalog_id is None and company:
            by_company = vocab_terms.sdk_names(company)
            if by_company:
                catalog_id, matched_by = by_company[0].value, "company"
        key = catalog_id or name
        entry = self.result.sdks.get(key)
        if entry is None:
            entry = SdkEntry(name=name, catalog_id=catalog_id, matched_by=matched_by, company=company, how=how)
            self.result.sdks[key] = entry
        elif company and not entry.company:
            entry.company = company
        return entry

    def _add(self, actor: SdkEntry | None, text: str, *, listing: bool, purpose: str | None = None) -> None:
        for clause in CLAUSE_SPLIT.split(text):
            if not clause or not clause.strip():
                continue
            reading = read_clause(clause, listing=listing)
            who = actor.key if actor else "app"
            if actor is None:
                self.result.app_types |= reading.types
                self.result.app_negated |= reading.negated
                _tally(self.result.app_specific, reading.specific)
                _tally(self.result.app_denied, reading.negated_terms)
                if reading.types and (purpose or self.purpose):
                    self.result.purposes.setdefault(purpose or self.purpose, set()).update(reading.types)
            else:
                actor.types |= reading.types
                actor.negated |= reading.negated
                _tally(actor.specific, reading.specific)
                _tally(actor.denied, reading.negated_terms)
            for phrase, types, basis in reading.expanded:
                row = {"actor": who, "term": phrase, "types": sorted(types), "basis": basis}
                if row not in self.result.expanded:
                    self.result.expanded.append(row)
            for phrase, types in reading.negated_terms:
                row = {"actor": who, "term": phrase, "types": sorted(types)}
                if row not in self.result.negated:
                    self.result.negated.append(row)
            for phrase, reason in reading.unmapped:
                row = {"actor": who, "phrase": phrase}
                if reason:
                    row["reason"] = "personal information with no PII type in piiaudit/data/pii_types.yaml"
                if row not in self.result.unmapped:
                    self.result.unmapped.append(row)

    # blocks --------------------------------------------------------------------------------
    def heading(self, block: Block) -> None:
        self.current = None
        if self.sdk_section_level is not None and block.level <= self.sdk_section_level and not SDK_HEADING.search(block.text):
            self.sdk_section_level = None
        if SDK_HEADING.search(block.text) and self.sdk_section_level is None:
            self.sdk_section_level = block.level
        self.purpose = re.sub(r"^[\s\d.、（）()一二三四五六七八九十第章节]+", "", block.text).strip() or block.text

    def row(self, block: Block) -> None:
        roles = _roles(block.header)
        cells = block.cells
        get = (lambda r: cells[roles[r]] if r in roles and roles[r] < len(cells) else None)
        if "name" in roles and "data" in roles and (SDK_HEADING.search(" ".join(block.header)) or self.sdk_section_level
                                                    is not None):
            entry = self._sdk(get("name") or "", get("company"), how="table")
            entry.purpose = entry.purpose or get("purpose")
            self._add(entry, get("data") or "", listing=True)
        elif "data" in roles:
            purpose = get("purpose") or get("name")
            self._add(None, get("data") or "", listing=True, purpose=purpose)
        else:
            self.text(Block("para", block.text))

    def text(self, block: Block) -> None:
        pairs = _key_value(block.text)
        keyed = [p for p in pairs if p[0] is not None]
        if keyed and (self.sdk_section_level is not None or any(r == "name" for r, _ in keyed)):
            self._entry_pairs(pairs)
            return
        if self.sdk_section_level is not None:
            named = vocab_terms.sdk_names(block.text)
            short = len(block.text) <= 40 and not COLLECT.search(block.text)
            if short and (named or SDK_WORD.search(block.text)):
                self.current = self._sdk(block.text if not named or len(block.text) <= 30 else named[0].phrase)
                return
        for sentence in SENTENCE_SPLIT.split(block.text):
            if sentence and sentence.strip():
                self.sentence(sentence.strip())

    def _entry_pairs(self, pairs: list[tuple[str | None, str]]) -> None:
        name = next((v for r, v in pairs if r == "name"), None)
        company = next((v for r, v in pairs if r == "company"), None)
        if name:
            self.current = self._sdk(name, company)
        elif company and self.current is None:
            self.current = self._sdk(company, company)
        if self.current is None:
            return
        if company and not self.current.company:
            self.current.company = company
        for role, value in pairs:
            if role == "purpose":
                self.current.purpose = self.current.purpose or value
            elif role == "data":
                self._add(self.current, value, listing=True)

    def sentence(self, sentence: str) -> None:
        rights = RIGHTS_THEN_WE.match(sentence)
        if rights:                 # "您可以选择添加紧急联系人，我们会…读取您的通讯录": the statement is what follows
            sentence = sentence[rights.end():]
        if NOT_A_STATEMENT.search(sentence):
            return
        named = vocab_terms.sdk_names(sentence) if (SDK_WORD.search(sentence) or PROVIDED_BY.search(sentence)
                                                     or self.sdk_section_level is not None) else []
        unknown = [] if named else self._unknown_sdks(sentence)
        if named or unknown:
            entries = [self._sdk(h.phrase, how="prose") for h in named] + [self._sdk(n, how="prose") for n in unknown]
            unique = list({id(e): e for e in entries}.values())
            self.current = unique[0] if len(unique) == 1 and self.sdk_section_level is not None else self.current
            for entry in unique:
                company = re.search(r"(?:provided by|offered by|由)\s*([^,，。.;；]+?)(?:提供|,|，|\.|;|$)", sentence)
                if company and not entry.company:
                    entry.company = company.group(1).strip()
                self._add(entry, sentence, listing=False)
            return
        if self.sdk_section_level is not None and self.current is not None:
            self._add(self.current, sentence, listing=False)
            return
        if self.sdk_section_level is not None:
            return       # SDK-section prose not about one SDK: no actor to give it to
        if COLLECT.search(sentence) or NEGATION.search(sentence):
            self._add(None, sentence, listing=False)

    @staticmethod
    def _unknown_sdks(sentence: str) -> list[str]:
        if not SDK_WORD.search(sentence) or not SDK_VERB.search(sentence):
            return []
        out = []
        for m in SDK_NAME_IN_PROSE.finditer(sentence):
            name = (m.group(1) or m.group(2) or "").strip()
            name = re.sub(r"^(the|our|a|an|We|use|uses|using|integrate)\s+", "", name, flags=re.I)
            name = re.split(r"接入了?|集成了?|使用了?|嵌入了?|的|[，,、：:]", name)[-1].strip()
            if len(name) >= 2 and not re.search(r"以下|第三方|上述|这些|如下|相关|各类|^(the|these|third|such)$", name, re.I):
                out.append(name + ("SDK" if not vocab_terms._is_ascii(name) else " SDK"))
        return out


def extract(text: str, kind: str) -> PolicyScope:
    return extract_blocks(document.blocks(text, kind))


def extract_blocks(blocks: list[Block]) -> PolicyScope:
    walk = _Walk()
    for block in blocks:
        if block.kind == "heading":
            walk.heading(block)
        elif block.kind == "row":
            walk.row(block)
        else:
            walk.text(block)
    return walk.result
