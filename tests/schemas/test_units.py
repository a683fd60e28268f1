"""schemas.units: the unit registry, its checks, scope by parent, reload on change."""

from pathlib import Path

import pytest

from schemas.units import UnitRegistry, UnitsError, WatchedUnits

REPO = Path(__file__).resolve().parents[2]
TOML = '''
[[units]]
id = "C"
name = "执法办案管理中心"
kind = "中心"

[[units]]
id = "D1"
name = "东城分局"
kind = "分局"
parent = "C"

[[units]]
id = "S1"
name = "东城分局城关派出所"
kind = "派出所"
parent = "D1"

[[units]]
id = "S2"
name = "东城分局刑侦大队"
kind = "大队"
parent = "D1"
'''


def test_names_and_unregistered_units():
    r = UnitRegistry.from_toml(TOML)
    assert r.name("S1") == "东城分局城关派出所"
    assert r.name("U-E2E") == "U-E2E（未登记）"
    assert r.describe("U-E2E")["registered"] is False
    assert r.describe("S2") == {"id": "S2", "name": "东城分局刑侦大队", "kind": "大队",
                                "parent": "D1", "registered": True}


def test_a_parent_covers_its_subtree():
    r = UnitRegistry.from_toml(TOML)
    assert r.ancestors("S1") == ("D1", "C")
    assert r.subtree("D1") == {"D1", "S1", "S2"}
    assert r.covers({"D1"}, "S2") and r.covers({"C"}, "S1") and not r.covers({"S1"}, "S2")
    assert r.covers({"U9"}, "U9") and not r.covers({"D1"}, "U9")  # unregistered: exact id
    assert r.expand({"D1", "U9"}) == {"D1", "S1", "S2", "U9"}


@pytest.mark.parametrize("text, needle", [
    ("[[units]]\nid = 'A'\nname = 'x'\nkind = '省厅'\n", "kind"),
    ("[[units]]\nid = 'A'\nname = 'x'\nkind = '中心'\nparent = 'B'\n", "not registered"),
    ("[[units]]\nid = 'A'\nname = 'x'\nkind = '中心'\n" * 2, "duplicate"),
    ("[[units]]\nid = 'A'\nname = 'x'\nkind = '中心'\nparent = 'B'\n"
     "[[units]]\nid = 'B'\nname = 'y'\nkind = '中心'\nparent = 'A'\n", "cycle"),
    ("[[units]]\nid = '<script>'\nname = 'x'\nkind = '中心'\n", "id"),
    ("[[units]]\nid = 'A'\nname = ''\nkind = '中心'\n", "name"),
    ("[[units]]\nid = 'A'\nname = 'x'\nkind = '中心'\nsecret = 1\n", "secret"),
    ("units = 3", "array"),
    ("not toml [", "Expected"),
])
def test_malformed_registries_are_refused(text, needle):
    with pytest.raises(UnitsError, match=needle):
        UnitRegistry.from_toml(text)


def test_the_shipped_registry_covers_the_demo_units():
    from cli.lifecycles import UNITS

    r = UnitRegistry.load(REPO / "deploy" / "units.toml")
    assert all(r.registered(u) for u in UNITS)
    assert r.of_kind("中心") == ["U3000"]
    assert r.expand({"U3300"}) >= {"U3301", "U3311"}


def test_reloaded_on_change_and_a_bad_edit_keeps_the_previous(tmp_path):
    path = tmp_path / "units.toml"
    path.write_text(TOML, encoding="utf-8")
    clock = [0.0]
    watched = WatchedUnits(path, interval=1.0, clock=lambda: clock[0])
    assert watched.current().name("S1") == "东城分局城关派出所"
    path.write_text(TOML.replace("城关", "北门"), encoding="utf-8")
    clock[0] += 2
    assert watched.current().name("S1") == "东城分局北门派出所"
    path.write_text("[[units]]\nid = 'A'\n", encoding="utf-8")
    clock[0] += 2
    assert watched.current().name("S1") == "东城分局北门派出所"
    assert watched.error and "kind" in watched.error


def test_an_invalid_file_at_start_is_refused(tmp_path):
    with pytest.raises(UnitsError):
        WatchedUnits(tmp_path / "absent.toml")
