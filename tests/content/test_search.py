import pytest

from content.loader import load_articles
from content.search import ContentIndex, decide


@pytest.fixture(scope="module")
def index():
    return ContentIndex(load_articles())


@pytest.mark.parametrize(
    "question, article",
    [
        ("چطور پاسپورت بگیرم", "passport-new"),
        ("مدارک لازم برای گرفتن گذرنامه چیه", "passport-new"),
        ("کارت ملیم گم شده چیکار کنم", "smart-card-duplicate"),
        ("میخوام گواهینامم رو تمدید کنم", "driving-licence-renewal"),
        ("بیمه بیکاری چطوری بگیرم", "unemployment-insurance"),
        ("رمز عبورم را فراموش کردم", "password-reset"),
        ("ساعت کاری دفاتر چنده", "office-hours"),
        ("سابقه بیمم رو از کجا ببینم", "insurance-record"),
        ("شناسنامه المثنی", "birth-certificate-duplicate"),
        ("گواهی عدم سو پیشینه", "clearance-certificate"),
    ],
)
def test_finds_the_article(index, question, article):
    answer = decide(index.search(question))
    found = answer.chosen.id if answer.chosen else [a.id for a in answer.choices]
    assert article == found or (isinstance(found, list) and article in found), found


@pytest.mark.parametrize("question", ["قیمت دلار امروز چنده", "یه جوک بگو", "نتیجه بازی پرسپولیس"])
def test_unrelated_questions_find_nothing(index, question):
    assert decide(index.search(question), accept=0.45).chosen is None


def test_an_article_added_now_is_found(index):
    from content.model import Article

    new = Article(
        id="hajj-registration",
        title="ثبت نام حج",
        questions=["ثبت نام حج تمتع چطوریه", "چطور برای حج ثبت نام کنم"],
        steps=["به دفتر زیارتی بروید."],
    )
    answer = decide(ContentIndex([*index.articles, new]).search("ثبت نام حج"))
    assert answer.chosen is not None and answer.chosen.id == "hajj-registration"
