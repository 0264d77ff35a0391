"""How well :mod:`assistant.person_names` finds the people the articles name.

Recall: every English spelling in ``eval/person_spellings.tsv`` (people named in the
articles of every question set, spelled as an English-language journalist might) must be
found in its article, else a "what did X say" question about them would be refused.
Specificity: invented names (``INVENTED``) must be found in no article of any set, else a
question about them is answered with someone else's words.

    .venv/bin/python -m eval.name_recall
"""

from __future__ import annotations

from pathlib import Path

from assistant.person_names import english_name_words, name_in_text

ROOT = Path(__file__).resolve().parent.parent
SPELLINGS = ROOT / "eval" / "person_spellings.tsv"
FOLDERS = {
    "main": ROOT / "data" / "articles",
    "heldout": ROOT / "eval" / "heldout" / "articles",
    "calibration": ROOT / "eval" / "calibration" / "articles",
    "heldout2": ROOT / "eval" / "heldout2" / "articles",
    "heldout3": ROOT / "eval" / "heldout3" / "articles",
}
# Names of nobody in these articles (some share a first name or a surname with someone who is).
INVENTED = (
    "Marco Rossi", "Yasmin Khalil", "Ahmed al-Tamimi", "John Smith", "Fatima Zahra", "Omar Suleiman",
    "Layla Nasser", "Karim Haddad", "Samir Kassir", "Nadia Murad", "Khaled Meshaal", "Salma Hayek",
    "George Bush", "Ali Larijani", "Hassan Rouhani", "Mohamed Salah", "Rami Makhlouf", "Sara Netanyahu",
    "Fahd al-Otaibi", "Reem al-Hashimi", "Emad Hamdi", "Laila Saleh", "Mona Zaki", "Isabel Allende",
)  # fmt: skip


def read_spellings(path: Path = SPELLINGS) -> list[tuple[str, str, str]]:
    """``(english, set, article)`` rows of the spellings file (comments and blanks skipped)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            english, set_name, article = line.split("\t")
            rows.append((english, set_name, article))
    return rows


def name_of(english: str) -> tuple[str, ...]:
    """The name words the question parser would take from ``What did <english> say?``."""
    return english_name_words(f"What did {english} say?")


def articles() -> dict[tuple[str, str], str]:
    """Every article's text, keyed by (set, file name)."""
    return {
        (name, path.name): path.read_text(encoding="utf-8")
        for name, folder in FOLDERS.items()
        for path in sorted(folder.glob("*.txt"))
    }


def main() -> None:
    texts = articles()
    rows = read_spellings()
    missed = [(e, a) for e, s, a in rows if not name_in_text(name_of(e), texts[(s, a)])]
    print(f"recall: {len(rows) - len(missed)}/{len(rows)} spellings found in their article")
    for english, article in missed:
        print(f"  missed: {english} ({article})")
    found = [(n, key) for n in INVENTED for key, text in texts.items() if name_in_text(name_of(n), text)]
    wrongly = sorted({n for n, _ in found})
    print(f"specificity: {len(INVENTED) - len(wrongly)}/{len(INVENTED)} invented names found in no article")
    for name, key in found:
        print(f"  found: {name} in {key[0]}/{key[1]}")


if __name__ == "__main__":
    main()
