"""Whether the quotes give what the question's *kind* asks for, beyond sharing its words.

Word overlap lets a sentence on the right subject stand for an answer it does not give:
"Which Chinese company built the railway?" answered by «بمشاركة شركة صينية» (a company
described, not named); "What was the pass rate in Oran?" answered by the national rate;
"How much did the railway cost?" answered by its length. Each check here reads the
question's form and the chosen quotes and says what is missing, so the answerer
(:func:`assistant.extractive.unanswered_kind`) can refuse in words that say so.

The checks are narrow on purpose. A broader value-type check (any number for "how many",
any time for "when") was built and withdrawn on 2026-12-02: on articles nobody tuned on it
refused more answerable questions than unanswerable ones (README, "Checked on the sealed
sets"). What is left asks for things a quote either plainly has or plainly lacks: a name
after the kind noun, a place's name next to a figure, a currency next to a price.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.answer_checks import word_pattern
from assistant.arabic import normalize, words
from assistant.documents import DAY_NAMES

# "Which company / bank …" and "ما اسم الشركة …": the question asks for a name.
_ASKS_NAME_EN = re.compile(
    r"\b(?:which|what)\s+(?!kinds?\b|types?\b|sorts?\b)(?:[A-Za-z-]+\s+){0,2}?"
    r"(?:company|companies|firm|firms|contractor|contractors|bank|banks|lender|lenders)\b"
    r"|\bname of the\s+(?:[A-Za-z-]+\s+)?(?:company|firm|contractor|bank|lender)\b",
    re.IGNORECASE,
)
_KINDS_AR = r"(?:شركه|شركات|مصرف|مصارف|بنك|بنوك)"
_ASKS_NAME_AR = re.compile(r"(?:^|\s)(?:ما اسم|ما اسماء|اي|ما|ما هي|ماهي|ما هو)\s+(?:ال)?" + _KINDS_AR + r"(?:\s|$)")
# An indefinite mention of the kind and the words after it: "شركة صينية", "بمشاركة شركة
# فرنسية", "شركة مقاولات كورية جنوبية".
_MENTION_AR = re.compile(r"(?:^|\s)[وبلف]?(" + _KINDS_AR + r")(?=((?:\s+\S+){0,3}))")
_NISBA = re.compile(r"^[^\W\d_]{2,}(?:يه|يين|يون|ي)$")
_NISBA_END = re.compile(r"(?:يه|يين|يون|ي)$")
# The words between "which" and the kind noun: "Which South Korean contractor" → South Korean.
_ASKED_QUALIFIERS_EN = re.compile(
    r"\b(?:[Ww]hich|[Ww]hat)\s+((?:[A-Z][A-Za-z-]+\s+){1,2})(?:[a-z]+\s+)?"
    r"(?:company|companies|firm|firms|contractor|contractors|bank|banks|lender|lenders)\b"
)
_DEMONYM_ENDS = ("ese", "ish", "ian", "an", "n", "i", "")


def asks_for_name(question: str) -> bool:
    """True for "Which (Chinese) company …?", "Which banks …?", "ما اسم الشركة …؟", "أي شركة …؟".

    >>> asks_for_name("Which Chinese company built it?"), asks_for_name("ما اسم الشركة الصينية؟")
    (True, True)
    >>> asks_for_name("How much did the company pay?"), asks_for_name("كم دفعت الشركة؟")
    (False, False)
    >>> asks_for_name("What kind of company leads the group?")  # a description is the answer
    False
    """
    return _ASKS_NAME_EN.search(question) is not None or _ASKS_NAME_AR.search(normalize(question)) is not None


def generic_name(question: str, quotes: list[str]) -> str | None:
    """For a question asking which company or bank, the generic phrase the quotes give
    instead of a name ("شركة صينية": the kind, at most one more word, and an indefinite
    nationality or sector adjective), when every indefinite mention of the kind in the quotes
    is such a phrase; else None (a name follows the kind somewhere, "شركة "ميديتيرانيا
    إنرجيا"" or "شركة إيرباص", or the quotes do not mention the kind, when the name may be
    given without it). When the question asks for a nationality ("Which South Korean
    contractor"), only the mentions of that nationality count: «شركة "كيو تيرمينالز"» beside
    «شركة مقاولات كورية جنوبية» names the operator, not the Korean contractor.

    >>> generic_name("Which company built the railway?", ["نفذته شركات جزائرية بمشاركة شركة صينية."])
    'شركات جزائرية», «شركة صينية'
    >>> generic_name("Which Chinese company built the railway?", ["نفذته شركات جزائرية بمشاركة شركة صينية."])
    'شركة صينية'
    >>> generic_name("Which company sells the gas?", ["وقعت مع شركة \\"ميديتيرانيا إنرجيا\\" الإيطالية."]) is None
    True
    >>> generic_name("Which Korean firm built it?", ["تديره شركة \\"كيو\\"، وبنته شركة مقاولات كورية."])
    'شركة مقاولات كورية'
    """
    if not asks_for_name(question):
        return None
    mentions = [mention for quote in quotes for mention in _mentions(quote)]
    asked = _nationality_of(question)
    if asked is not None:
        mentions = [m for m in mentions if m[1] is not None and asked(m[1])] or mentions
    if not mentions or any(phrase is None for phrase, _ in mentions):
        return None  # a name follows the kind somewhere
    return "», «".join(dict.fromkeys(phrase for phrase, _ in mentions if phrase is not None))


def _mentions(quote: str) -> list[tuple[str | None, str | None]]:
    """Each mention of a company or bank in ``quote``: (the generic phrase as written, or None
    when a name follows; the normalised nationality adjective that qualifies it, if any).
    Generic: the kind, then an indefinite adjective ("شركة صينية"), or one word without ال or
    quote marks and then one ("شركة مقاولات كورية": a name is definite and would take
    "الكورية")."""
    found: list[tuple[str | None, str | None]] = []
    for match in _MENTION_AR.finditer(normalize(quote)):
        after = [w.strip("،,.:؛") for w in match.group(2).split()]
        nisba_at = next(
            (i for i, w in enumerate(after[:2]) if _NISBA.match(w) and not w.startswith("ال")), None
        )
        generic = nisba_at is not None and (nisba_at == 0 or not ({'"', "«", "“"} & set(match.group(2))))
        if generic and nisba_at == 1 and (after[0].startswith("ال") or not after[0]):
            generic = False
        if generic and nisba_at is not None:
            found.append((_surface(quote, match.group(1), after[: nisba_at + 1]), after[nisba_at]))
        else:  # a name: its nationality, if any, is definite ("ريبسول الإسبانية")
            found.append((None, next((w for w in after if w.startswith("ال") and _NISBA.match(w)), None)))
    return found


def _nationality_of(question: str) -> Callable[[str], bool] | None:
    """A test of whether a normalised Arabic adjective ("كوريه", "الصينيه") is the
    nationality the question asks for ("Which South Korean contractor", "الشركة الصينية"),
    or None when it asks for none. English demonyms are read through CLDR's country names
    (:func:`assistant.countries.english_country`), else by transliteration of their stem."""
    from assistant.countries import arabic_forms, english_country
    from assistant.person_names import english_matches

    english = _ASKED_QUALIFIERS_EN.search(question)
    if english is None:
        written = words(normalize(question))
        stems = {_adjective_stem(w) for w in written if _NISBA.match(w) and w.startswith("ال")}
        return (lambda adjective: _adjective_stem(adjective) in stems) if stems else None
    qualifiers = english.group(1).split()
    codes = [code for code in map(english_country, qualifiers) if code is not None]
    forms = {_adjective_stem(normalize(form)) for code in codes for form in arabic_forms(code)}
    bases = {
        word[: len(word) - len(end)]
        for word in qualifiers
        for end in _DEMONYM_ENDS
        if word.endswith(end) and len(word) - len(end) >= 4
    }

    def asked(adjective: str) -> bool:
        stem = _adjective_stem(adjective)
        return stem in forms or any(english_matches(base, stem) for base in bases)

    return asked


def _adjective_stem(word: str) -> str:
    """"الكوريه" → "كور", "صينيه" → "صين": an adjective without ال and its nisba ending."""
    return _NISBA_END.sub("", word.removeprefix("ال")) or word


def _surface(quote: str, kind: str, after: list[str]) -> str:
    """The phrase "kind [word] adjective" as the quote writes it (its hamzas and ة kept),
    found by matching the normalised words against the quote's own words."""
    written = [w.strip("،,.:؛") for w in quote.split()]
    for i, word in enumerate(written[: len(written) - len(after)]):
        following = written[i + 1 : i + 1 + len(after)]
        if normalize(word).endswith(kind) and [normalize(w) for w in following] == after:
            return " ".join([word[len(word) - len(kind) :] if len(word) > len(kind) else word, *following])
    return " ".join([kind, *after])


# A value asked for one place inside the article's country: "في ولاية وهران", "Gedaref state".
_ASKS_VALUE = re.compile(
    r"\bhow (?:many|much)\b|\bwhat (?:percentage|share|proportion|rate|number)\b|(?:^|\s)(?:كم|ما نسبه|ما عدد|ما قيمه)(?:\s|$)",
    re.IGNORECASE,
)
_ASKS_PERCENT = re.compile(r"\b(?:percentage|share|proportion|rate)\b|نسبه", re.IGNORECASE)
_UNIT_AR = r"(?:ولايه|قطاع|محافظه|مدينه|منطقه|اقليم)"
# "في ولاية وهران", and the unit as the subject or object too: "كم طنا سلمت محافظة درعا؟".
_PLACE_AR = re.compile(r"(?:^|\s)(?:في|ب)?\s*(?:ال)?" + _UNIT_AR + r"\s+([^\s؟?،,]+)")
# Words after a unit noun that are no place's name: "في المحافظة التي …", "في كل منطقة".
_NOT_PLACES_AR = frozenset(
    {"التي", "الذي", "الواحده", "نفسها", "ذاتها", "كلها", "الاولي", "الاخري", "كل", "اي", "ما"}
)
_PLACE_EN = re.compile(
    r"\b([A-Z][a-z]{2,})\s+(?:state|province|governorate|region|district|Strip)\b"
    r"|\b(?:state|province|governorate|region|city|district) of ([A-Z][a-z]{2,})"
)
# Capitalised words before "province" that are no place's name: "Which governorate had …".
_NOT_PLACES = frozenset({"which", "what", "each", "every", "the", "that", "this", "one", "any", "whose", "same", "other"})
_NUMBER = re.compile(r"\d|" + word_pattern("واحد", "اثن", "ثلاث", "اربع", "خمس", "ست", "سبع", "ثمان", "تسع", "عشر", "ميه", "مايه", "الف", "ملي", "مليار"))
_PERCENT = re.compile(r"%|٪|\bper ?cent\b|(?:في\s+|بال)(?:ال)?(?:ميه|مايه)(?:\s|$|[،,.])")
_NUMBER_PERCENT = re.compile(r"[\d.,]+\s*(?:%|٪|per ?cent\b|(?:في\s+|بال)(?:ال)?(?:ميه|مايه))")


_MONTHS = word_pattern(
    "يناير", "فبراير", "مارس", "ابريل", "مايو", "يونيو", "يوليو", "اغسطس", "سبتمبر", "اكتوبر", "نوفمبر", "ديسمبر",
    "كانون", "شباط", "اذار", "نيسان", "ايار", "حزيران", "تموز", "ايلول", "تشرين",
)  # fmt: skip
# A date or a year is no figure of a place: "يوم 20 ديسمبر", "منذ عام 2016", "2023".
_DATE = re.compile(r"\d{1,2}\s*" + _MONTHS + r"|(?<![\d.,])(?:19|20)\d\d(?![\d.,])")


def _has_value(text: str, percent: bool) -> bool:
    """True when normalised ``text`` states a percentage (``percent``) or else a number that
    is neither a percentage nor a date: "How many swarms reached Gedaref?" is not answered
    by "40 في المئة" nor by "منذ أبريل 2023"."""
    if percent:
        return _PERCENT.search(text) is not None
    return _NUMBER.search(_DATE.sub(" ", _NUMBER_PERCENT.sub(" ", text))) is not None


# Where a sentence's clauses part: a semicolon, or a comma before a word that opens a new
# clause (و/ف and a word, "بينما", "في وقت" …). A comma after a fronted place ("وفي ولاية
# سطيف، بلغت النسبة 58 في المئة") does not part it from its figure, nor one before a relative
# pronoun, which goes on about the place ("ولاية القضارف، التي تنتج 40 في المئة من الذرة").
_CLAUSE_OPENERS = r"(?:[وف]\S+|بينما|فيما|في حين|في وقت|حيث|ثم|مقابل|لكن|الا|غير ان)"
_CLAUSE_BREAK = re.compile(r"\s*[؛;]\s*|\s*[،,]\s*(?=" + _CLAUSE_OPENERS + r"(?:\s|$))")


def clauses(text: str) -> list[str]:
    """The normalised clauses of ``text``, so that a figure is tied to the place or unit in
    its own clause, not to one named elsewhere in the sentence.

    >>> clauses("جاءت الحسكة أولا بنحو 480 ألف طن، تلتها حلب، بينما تراجعت الكميات في درعا.")
    ['جاءت الحسكه اولا بنحو 480 الف طن، تلتها حلب', 'بينما تراجعت الكميات في درعا.']
    """
    return [part for part in _CLAUSE_BREAK.split(normalize(text)) if part.strip()]


def asked_place(question: str) -> str | None:
    """The place a value question is asked for, when it names one by its administrative unit:
    "كم بلغت نسبة النجاح في ولاية وهران؟" → "وهران", "How many … reached Gedaref state?" →
    "Gedaref"; None for other questions.

    >>> asked_place("كم بلغت نسبة النجاح في ولاية وهران؟"), asked_place("How many swarms reached Gedaref state?")
    ('وهران', 'Gedaref')
    >>> asked_place("Which province came first?") is None, asked_place("كم بلغت نسبة النجاح؟") is None
    (True, True)
    >>> asked_place("Which governorate had the most candidates, and how many?") is None
    True
    """
    norm = normalize(question)
    if _ASKS_VALUE.search(norm) is None:
        return None
    arabic = _PLACE_AR.search(norm)
    if arabic is not None and arabic.group(1) not in _NOT_PLACES_AR:
        return arabic.group(1)
    for english in _PLACE_EN.finditer(question):
        place = english.group(1) or english.group(2)
        if place.lower() not in _NOT_PLACES:
            return place
    return None


def names_place(place: str, quote: str) -> bool:
    """True when ``quote`` names ``place`` (Arabic as written, clitics and ال aside; English
    by transliteration, as names are matched in :mod:`assistant.person_names`)."""
    from assistant.person_names import arabic_matches, text_names

    if place.isascii():
        return bool(text_names(quote).english((place,)))
    return any(arabic_matches(normalize(place), w) for w in words(quote))


def unplaced_value(question: str, quotes: list[str]) -> str | None:
    """The place of a value question asked for one place (:func:`asked_place`) when no
    quote gives a value of the asked kind (a percentage for "نسبة / percentage / rate", else
    a number, not a date) *and* names that place in the same clause (:func:`clauses`): the
    quotes give the national figure, or another place's ("52.4 في المئة" nationally when
    Oran was asked; "الحسكة … 480 ألف طن، … بينما تراجعت الكميات في درعا" when Daraa was),
    or a share where a count is asked. None otherwise."""
    place = asked_place(question)
    if place is None or not quotes:
        return None
    percent = _ASKS_PERCENT.search(normalize(question)) is not None
    clauses_of_quotes = (part for quote in quotes for part in clauses(quote))
    if any(_has_value(part, percent) and names_place(place, part) for part in clauses_of_quotes):
        return None
    written = (w.strip("؟?،,.") for w in question.split())
    return next((w for w in written if normalize(w) == place), place)


# "How much did it cost / what price / what is it worth", "كم كلفة / ما سعر / ما قيمة": money.
_ASKS_MONEY = re.compile(
    r"\bhow much (?:[\w'’-]+\s+){0,12}?(?:cost|costs|pay|paid|pays|charge|charged|spend|spent|earn|earned|money|"
    r"fee|fees|price|prices|tuition|rent|salary|salaries|wage|wages|fine|fines)\b"
    r"|\b(?:what|which) (?:is the |was the |will be the )?(?:price|cost|fee|value)\b|\bprice per\b|\bworth\b"
    r"|(?:^|\s)(?:كم|ما|ماهي|ما هي)\s+(?:\S+\s+)?(?:كلفه|تكلفه|سعر|ثمن|قيمه|اسعار|رسوم)(?:\s|$)",
    re.IGNORECASE,
)
# A change of a price ("How much did the price of bread rise?") may be answered by a share.
_CHANGE = re.compile(
    r"\b(?:rise|rises|rose|risen|increase\w*|fall|falls|fell|fallen|drop\w*|declin\w*|grow|grew|grown|"
    r"jump\w*|climb\w*|change\w*|rais\w*|lower\w*|(?:gone|went|go|goes) (?:up|down))\b|"
    + word_pattern("ارتفع", "ارتفعت", "ارتفاع", "انخفض", "انخفضت", "انخفاض", "زاد", "زادت", "زياده", "تراجع", "تراجعت"),
    re.IGNORECASE,
)
# Currencies (ISO names and their Arabic forms, singular, plural and dual), symbols, "free".
_CURRENCY = re.compile(
    r"[$€£¥]|\b(?:usd|eur|gbp|dollars?|euros?|pounds? sterling|dinars?|riyals?|rials?|dirhams?|"
    r"fils|francs?|yuan|yen|rupees?|shekels?|free)\b|"
    + word_pattern(
        "دولار", "دولارات", "يورو", "دينار", "دنانير", "ريال", "ريالات", "درهم", "دراهم", "جنيه", "جنيهات",
        "ليره", "ليرات", "فلس", "فلسا", "فلوس", "قرش", "قروش", "سنت", "سنتات", "روبل", "يوان", "روبيه",
        "شيكل", "فرنك", "فرنكات", "بيسه", "مليم", "مجان", "مجانا", "مجانيه", "مجاني",
    ),
    re.IGNORECASE,
)  # fmt: skip


def asks_for_money(question: str) -> bool:
    """True for "How much did the railway cost?", "What price per aircraft …?", "ما قيمة
    الجائزة؟", "كم بلغت كلفة المشروع؟"; False for what someone *said* about prices.

    >>> asks_for_money("How much did the railway cost?"), asks_for_money("كم بلغت كلفة المرحلة الأولى؟")
    (True, True)
    >>> asks_for_money("How many jobs?"), asks_for_money("What did the minister say about the price of fish?")
    (False, False)
    >>> asks_for_money("How much did the price of bread rise?")  # a change: a share may answer it
    False
    """
    from assistant.answer_checks import asks_what_was_said

    norm = normalize(question)
    return _ASKS_MONEY.search(norm) is not None and not _CHANGE.search(norm) and not asks_what_was_said(question)


def unpriced(question: str, quotes: list[str]) -> bool:
    """True when a question asks what something costs (:func:`asks_for_money`) and no quote
    names a currency (or says it is free): the quotes give another figure of the same thing
    (its length, its output), not its price."""
    return asks_for_money(question) and bool(quotes) and not any(_CURRENCY.search(normalize(q)) for q in quotes)


# A price asked for one unit: "price per aircraft", "pay per cubic metre", "سعر الطائرة
# الواحدة", "لكل طن". A rate in time ("each year", "per month") is not one, and neither is
# "each"/"every" X: "How much prize money did each winner get?" asks what a person received,
# which «نال الفائز الأول في كل فئة 8 آلاف دولار» answers with no per-unit marker.
_PER_TIME = r"(?:years?|months?|weeks?|days?|annum|cent|percent|seasons?|quarters?)\b"
_ASKS_PER_UNIT_EN = re.compile(r"\b(?:per|a single)\s+(?!" + _PER_TIME + r")[A-Za-z]", re.IGNORECASE)
_ASKS_PER_UNIT_AR = re.compile(r"(?:^|\s)(?:لكل|للواحد|الواحد|الواحده)(?=[\s؟?،,.]|$)")
# What ties an amount to one unit in a quote: "350 دولارا للطن", "لكل طائرة", "عن الكيلوواط".
_PER_UNIT = re.compile(r"(?:^|\s)(?:لل\S+|لكل|للواحد\S*|الواحده?|عن ال\S+|per|each|a piece)(?:\s|$)|/")


def asks_unit_price(question: str) -> bool:
    """True for a price asked for one unit of something (:func:`asks_for_money` and "per /
    each X", "لكل / الواحدة"), not for a rate in time.

    >>> asks_unit_price("What price per aircraft did the airline pay?"), asks_unit_price("كم سعر الطائرة الواحدة؟")
    (True, True)
    >>> asks_unit_price("How much will the cap cost the reserves each month?"), asks_unit_price("How much did it cost?")
    (False, False)
    """
    if not asks_for_money(question):
        return False
    return _ASKS_PER_UNIT_EN.search(question) is not None or _ASKS_PER_UNIT_AR.search(normalize(question)) is not None


def unit_unpriced(question: str, quotes: list[str]) -> bool:
    """True when a price is asked for one unit (:func:`asks_unit_price`) and no clause of
    the quotes ties an amount of money to a unit ("350 دولارا للطن"): the quotes give the
    whole deal's value ("24 طائرة … بقيمة 6.8 مليارات دولار"), not the price of one."""
    if not quotes or not asks_unit_price(question):
        return False
    unit = _asked_unit_ar(question)
    per_unit = _PER_UNIT if unit is None else re.compile(rf"(?:لل|لكل\s+(?:ال)?|ال){unit}(?:\s|$|[،,.])")
    parts = (part for quote in quotes for part in clauses(quote))
    return not any(_CURRENCY.search(part) and per_unit.search(part) for part in parts)


def _asked_unit_ar(question: str) -> str | None:
    """The unit an Arabic question asks a price for, without ال: "سعر الشاحنة الواحدة" →
    "شاحنه", "لكل طن" → "طن"; None in English (its unit is matched only by a unit marker
    of any unit: a word the lexicon cannot translate must not refuse) and when none is found.

    >>> _asked_unit_ar("كم سعر الشاحنة الواحدة؟"), _asked_unit_ar("كم يدفع المزارع لكل طن؟")
    ('شاحنه', 'طن')
    """
    norm = normalize(question)
    found = re.search(r"(?:^|\s)ال(\S+)\s+الواحده?(?=[\s؟?،,.]|$)|(?:^|\s)لكل\s+(?:ال)?([^\s؟?،,.]+)", norm)
    return None if found is None else re.escape(found.group(1) or found.group(2))


# What stands for a company or a bank in a quote, in any form (الشركة, بالمصارف, مجموعة …).
_COMPANY_WORDS = word_pattern("شركه", "شركات", "مقاول", "مقاولات", "مقاولون", "مجموعه", "مجموعات", "موسسه", "موسسات", "تحالف", "ايتلاف", "كونسورتيوم")
_BANK_WORDS = word_pattern("مصرف", "مصارف", "بنك", "بنوك", "بنكا", "مصرفا", "مقرض", "مقرضين", "مقرضون")
_ASKS_BANK = re.compile(r"\b(?:bank|banks|lender|lenders)\b|مصرف|مصارف|بنك|بنوك", re.IGNORECASE)


def unmentioned_kind(question: str, quotes: list[str]) -> bool:
    """True when a question asks which company or bank (:func:`asks_for_name`) and no quote
    mentions a company (or group, consortium) or a bank at all: the quotes are about the
    project, not about who carries it out or pays for it ("Which company built the power
    station?" answered by the station's breakdown)."""
    if not quotes or not asks_for_name(question):
        return False
    kind = _BANK_WORDS if _ASKS_BANK.search(normalize(question)) else _COMPANY_WORDS
    return not any(re.search(kind, normalize(q)) for q in quotes)


# What a question asks for, when it is a kind of value a sentence plainly carries or lacks:
# used to quote the sentence that carries it (:func:`assistant.extractive.with_asked_value`).
_ASKS_DATE = re.compile(
    r"^\s*(?:by |until |since |from )?when\b|\b(?:what|which) (?:date|day|month|year)\b|\bin what year\b"
    r"|(?:^|\s)(?:متي|في اي (?:عام|سنه|شهر|يوم|تاريخ)|ما تاريخ|ما موعد)(?:\s|$)",
    re.IGNORECASE,
)
# A date in a sentence (not the figure-stripping _DATE above): a month (_MONTHS: Gregorian
# or Levantine; not آب, which is also "father") or a year. "Yesterday", "today" and weekdays
# date what is reported, nearly every news sentence has one («أمس الاثنين»), so they answer
# only a question about the past ("When did …").
_DATE_MENTION = re.compile(r"\b(?:1[89]|20)\d\d\b|" + _MONTHS)
_RELATIVE_DATE = re.compile(word_pattern("امس", "اليوم", *DAY_NAMES))
_ASKS_PAST = re.compile(r"\bwhen (?:did|was|were|had)\b", re.IGNORECASE)


# A price asked per unit ("How much will a cubic metre cost?", "price per tonne", "لكل طن"; a
# period, "each month", is not a unit),
# and a price stated per unit ("350 دولارًا للطن", "3 فلوس فقط عن الكيلوواط", "$5 per ticket",
# "تشتري صهريجًا بسعر 20 دينارًا").
_ASKS_UNIT_PRICE = re.compile(
    r"\bper\b(?! (?:year|month|week|day|hour|season)s?\b)"
    r"|\bhow much (?:will|does|do|did|is|was|would|are|were) an? [\w-]+|(?:^|\s)(?:لكل|للواحد)(?:\s|$)",
    re.IGNORECASE,
)
_RATE = re.compile(
    r"(?:" + _CURRENCY.pattern + r")\S*\s+(?:\S+\s+)?(?:لل\S+|لكل|عن|مقابل|per\b|each\b|a\b|an\b)"
    r"|(?:^|\s)بسعر\s",
    re.IGNORECASE,
)


VALUE_WINDOW = (5, 4)  # a place this many words before a figure, or after it, is the figure's


def _beside_value(place: str, text: str) -> bool:
    """True when ``text`` names ``place`` next to one of its figures: «إقليم الحوز وحده يضم
    52 في المئة», «52 في المئة في وهران»; not «… 48 في المئة من المنازل التي أعيد بناؤها،
    يليه إقليم شيشاوة», where the place only comes after (ranked, not given a figure).

    >>> _beside_value("الحوز", "إن إقليم الحوز وحده يضم 52 في المئة من المنازل.")
    True
    >>> _beside_value("شيشاوة", "يضم 48 في المئة من المنازل التي أعيد بناؤها، يليه إقليم شيشاوة.")
    False
    """
    written = text.split()
    before, after = VALUE_WINDOW
    return any(
        names_place(place, " ".join(written[max(0, i - before) : i + after + 1]))
        for i, word in enumerate(written)
        if any(ch.isdigit() for ch in word)
    )


def asked_value(question: str) -> str | None:
    """The kind of value the question asks for, among those a sentence plainly carries or
    lacks: ``"money"`` (:func:`asks_for_money`), ``"percent"`` (a share or rate asked),
    ``"name"`` (which company or bank, :func:`asks_for_name`), ``"date"`` (when, by when,
    in which year); None for any other question.

    >>> asked_value("How much did the terminal cost?"), asked_value("What share of the homes is in Haouz?")
    ('money', 'percent')
    >>> asked_value("Which company will run the terminal?"), asked_value("By when will the homes be rebuilt?")
    ('name', 'date')
    >>> asked_value("متى تستقبل المحطة أول سفينة؟"), asked_value("How many ships?") is None
    ('date', True)
    """
    norm = normalize(question)
    if asks_for_money(question):
        return "money"
    if _ASKS_VALUE.search(norm) is not None and _ASKS_PERCENT.search(norm) is not None:
        return "percent"
    if asks_for_name(question):
        return "name"
    if _ASKS_DATE.search(norm) is not None:
        return "date"
    return None


def carries_value(kind: str, question: str, text: str) -> bool:
    """True when ``text`` carries a value of the asked ``kind``: an amount with its currency,
    a percentage (naming the asked place, when the question asks for one,
    :func:`unplaced_value`), a company or bank by name (neither a generic «شركة صينية» nor
    no company at all), a date (a month, a year; for "When did …" also "yesterday", a weekday).

    >>> carries_value("money", "How much did it cost?", "بلغت كلفتها نحو 6.2 مليارات ريال قطري.")
    True
    >>> carries_value("money", "How much did it cost?", "ترفع طاقته إلى 11 مليون حاوية.")
    False
    >>> carries_value("date", "When?", "تستقبل أول سفينة في الأول من يناير 2027."), carries_value("date", "When?", "قال إنها مهمة.")
    (True, False)
    """
    norm = normalize(text)
    if kind == "money":
        amount = _CURRENCY.search(norm) is not None and _NUMBER.search(norm) is not None
        return amount and (_ASKS_UNIT_PRICE.search(normalize(question)) is None or _RATE.search(norm) is not None)
    if kind == "percent":
        place = asked_place(question)
        return _PERCENT.search(norm) is not None and (place is None or _beside_value(place, text))
    if kind == "name":
        return bool(_mentions(text)) and generic_name(question, [text]) is None
    if kind == "date":
        past = _ASKS_PAST.search(question) is not None
        return _DATE_MENTION.search(norm) is not None or (past and _RELATIVE_DATE.search(norm) is not None)
    return False
