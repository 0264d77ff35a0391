"""The name matcher finds every person the articles of the development sets name, as an
English-language journalist might spell them (``eval/person_spellings.tsv``), and invented
names mostly nowhere: what makes refusing "what did X say" for an absent X safe."""

from __future__ import annotations

from assistant.person_names import name_in_text
from eval.name_recall import INVENTED, articles, name_of, read_spellings


def test_every_spelling_of_a_person_the_articles_name_is_found_in_their_article() -> None:
    texts = articles()
    missed = [english for english, set_name, article in read_spellings() if not name_in_text(name_of(english), texts[(set_name, article)])]
    assert missed == []


def test_most_invented_names_are_found_in_no_article() -> None:
    texts = list(articles().values())
    found = [name for name in INVENTED if any(name_in_text(name_of(name), text) for text in texts)]
    assert len(found) <= len(INVENTED) // 4, found
