import pytest

from agencies.catalog import CatalogFile, expand_env
from nlu.entities import extract_entities
from nlu.persian import normalize


@pytest.fixture(scope="module")
def catalog():
    return CatalogFile().get()


def entities(text, catalog):
    normalised = normalize(text)
    return [(e.entity, e.value, normalised[e.start : e.end]) for e in extract_entities(normalised, catalog)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("پرونده ۷۱۴۰۵۰۸۲۱۳۴۵۷ چی شد", [("tracking_code", "7140508213457")]),
        ("کد ۸۱۴۰۵۰۸۳۰۶۲۷۱۸ ثبت احوال", [("tracking_code", "81405083062718"), ("agency", "sabt")]),
        ("کد رهگیری 914050821406375", [("tracking_code", "914050821406375")]),
        ("کد ملیم ٠٠١٦٣٨٣٢٣٠ هست", [("national_id", "0016383230")]),
        ("شماره ام ۰۹۱۲ ۱۰۰ ۰۱۰۱", [("phone_number", "09121000101")]),
        ("+98 912 100 0101", [("phone_number", "09121000101")]),
        ("0016383230 7140508213457", [("national_id", "0016383230"), ("tracking_code", "7140508213457")]),
        ("پاسپورتم کی آماده میشه", [("service", "passport")]),
        ("گواهینامم تمدید نشده", [("service", "driving_licence")]),
        ("تامینی نیست", []),
        ("سامانه تامین اجتماعی قطعه", [("agency", "tamin")]),
        ("کارت ملی هوشمند", [("service", "smart_card")]),
        ("شناسه فراگیرم 104812763590", [("national_id", "104812763590")]),
    ],
)
def test_extracts(text, expected, catalog):
    assert [(e, v) for e, v, _ in entities(text, catalog)] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # A mistyped number is what the citizen calls it, so the answer says which one is wrong.
        ("کد رهگیری ۱۴۰۳۱۲۳۴۵۶ چی شد", [("tracking_code", "1403123456")]),
        ("code peygiri 1403123456", [("tracking_code", "1403123456")]),
        ("کد پیگیریم 71405082134 هست", [("tracking_code", "71405082134")]),
        ("شماره پرونده 714050821345", [("tracking_code", "714050821345")]),
        ("کد ملیم ۰۰۱۲۳۴۵۶", [("national_id", "00123456")]),
        ("کد ملی ۹۱۲۳۴۵۶۷۸۹", [("national_id", "9123456789")]),
        ("شماره موبایلم ۰۹۱۲۳۴۵۶۷۸", [("phone_number", "0912345678")]),
        # The nearest word counts; a number's certain shape wins over a word.
        ("کد پیگیری پرونده من با کد ملی 0016383230", [("national_id", "0016383230")]),
        ("کد رهگیری 0016383230", [("national_id", "0016383230")]),
        ("کد ملی 7140508213457", [("tracking_code", "7140508213457")]),
        ("موبایلم 09121000101 کد ملیم 0016383230", [("phone_number", "09121000101"), ("national_id", "0016383230")]),
        # Counts and times are not codes, and a word far before the number says nothing of it.
        ("پرونده‌م ۳ روزه مونده", []),
        ("پرونده 12345", []),
        ("کد ملی رو دادم ولی بعد از دو روز 12345678", []),
        ("کد رهگیری ندارم، کارتم 6037990000000006", []),
    ],
)
def test_the_word_before_a_number_says_what_its_shape_leaves_open(text, expected, catalog):
    assert [(e, v) for e, v, _ in entities(text, catalog)] == expected


@pytest.mark.parametrize("text", ["کارتم 6037990000000006", "شبا IR820540102680020817909002", "سلام", "12345"])
def test_cards_sheba_and_short_numbers_are_not_codes(text, catalog):
    assert [e for e, _, _ in entities(text, catalog)] == []


def test_a_new_service_needs_no_code_change(tmp_path):
    source = CatalogFile().path.read_text(encoding="utf-8")
    added = source.replace(
        "      - id: clearance_certificate",
        "      - id: vehicle_plate\n        name: پلاک خودرو\n        synonyms: [پلاک ماشین, شماره پلاک]\n      - id: clearance_certificate",
    )
    path = tmp_path / "agencies.yml"
    path.write_text(added, encoding="utf-8")
    catalog = CatalogFile(path).get()
    assert [(e.entity, e.value) for e in extract_entities(normalize("پلاک ماشینم چی شد"), catalog)] == [
        ("service", "vehicle_plate")
    ]
    assert [(e.entity, e.value) for e in extract_entities(normalize("وضعیت پلاک ماشین"), catalog)] == [
        ("service", "vehicle_plate")
    ]
    assert catalog.service("vehicle_plate").agency_id == "police"


def test_catalogue_is_reread_when_the_file_changes(tmp_path):
    path = tmp_path / "agencies.yml"
    source = CatalogFile().path.read_text(encoding="utf-8")
    path.write_text(source, encoding="utf-8")
    catalog_file = CatalogFile(path)
    assert catalog_file.get().service("vehicle_plate") is None
    path.write_text(
        source.replace(
            "      - id: clearance_certificate",
            "      - id: vehicle_plate\n        name: پلاک خودرو\n      - id: clearance_certificate",
        ),
        encoding="utf-8",
    )
    assert catalog_file.get().service("vehicle_plate") is not None


def test_env_expansion():
    assert expand_env("${A:-x}/y", {}) == "x/y"
    assert expand_env("${A:-x}/y", {"A": "z"}) == "z/y"
