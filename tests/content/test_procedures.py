"""content/procedures.py: a procedure no article of its service explains is told so."""

from __future__ import annotations

from content.loader import load_articles
from content.procedures import missing_procedure, procedure_named, procedures, without_procedures

ARTICLES = load_articles()


def test_every_article_names_a_known_procedure():
    known = {p.id for p in procedures()}
    assert {a.procedure for a in ARTICLES if a.procedure} <= known


def test_the_procedure_named_in_colloquial_words():
    assert procedure_named("چطوری تمدیدش کنم؟", procedures()).id == "renewal"
    assert procedure_named("کارت ملیمو گم کردم", procedures()).id == "duplicate"
    assert procedure_named("سامانه کار میکنه؟", procedures()) is None


def test_renewing_a_passport_is_missing_and_the_passport_guides_are_nearest():
    missing = missing_procedure("پاسپورتم تموم شده میخوام تمدید کنم", "passport", ARTICLES, procedures())
    assert missing is not None and missing.procedure.name == "تمدید"
    assert [a.id for a in missing.nearest] == ["passport-new"]


def test_a_procedure_an_article_explains_is_not_missing():
    assert missing_procedure("گواهینامه مو چطوری تمدید کنم", "driving_licence", ARTICLES, procedures()) is None
    assert missing_procedure("کارت ملیمو گم کردم", "smart_card", ARTICLES, procedures()) is None


def test_without_a_service_nothing_is_missing():
    assert missing_procedure("چطوری تمدیدش کنم؟", None, ARTICLES, procedures()) is None


def test_what_is_left_without_the_procedure_words_names_the_topic():
    assert without_procedures("چطوری تمدیدش کنم؟", procedures()) == "چطوری کنم?"  # normalised
    assert without_procedures("رمز عبورمو گم کردم چیکار کنم", procedures()) == "رمز عبورمو چیکار کنم"
