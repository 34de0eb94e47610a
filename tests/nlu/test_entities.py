import pytest

from nlu.catalog import CatalogFile, expand_env
from nlu.entities import extract_entities
from nlu.persian import normalize


@pytest.fixture(scope="module")
def catalog():
    return CatalogFile().get()


def entities(text, catalog):
    normalised = normalize(text)
    return [(e.entity, e.value, normalised[e.start:e.end]) for e in extract_entities(normalised, catalog)]


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
    assert [(e.entity, e.value) for e in extract_entities(normalize("پلاک ماشینم چی شد"), catalog)] == [("service", "vehicle_plate")]
    assert [(e.entity, e.value) for e in extract_entities(normalize("وضعیت پلاک ماشین"), catalog)] == [("service", "vehicle_plate")]
    assert catalog.service("vehicle_plate").agency_id == "police"


def test_catalogue_is_reread_when_the_file_changes(tmp_path):
    path = tmp_path / "agencies.yml"
    source = CatalogFile().path.read_text(encoding="utf-8")
    path.write_text(source, encoding="utf-8")
    catalog_file = CatalogFile(path)
    assert catalog_file.get().service("vehicle_plate") is None
    path.write_text(source.replace("      - id: clearance_certificate", "      - id: vehicle_plate\n        name: پلاک خودرو\n      - id: clearance_certificate"), encoding="utf-8")
    assert catalog_file.get().service("vehicle_plate") is not None


def test_env_expansion():
    assert expand_env("${A:-x}/y", {}) == "x/y"
    assert expand_env("${A:-x}/y", {"A": "z"}) == "z/y"
