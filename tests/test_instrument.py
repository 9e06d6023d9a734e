import pytest
import yaml

from semtrust.errors import InputError
from semtrust.model.instrument import bundled_instruments, load_instrument

TRUST_ROLES = {"driver": ["CA", "ID", "AG", "SR", "AT"], "trust": ["HT", "CT", "PT", "ST"],
               "mediator": ["PR", "PV", "EA"], "outcome": ["PI", "RI", "RC"]}


def test_bundled():
    assert bundled_instruments() == ["sor_live_commerce", "trust_mechanism"]


def test_trust_mechanism_structure():
    inst = load_instrument("trust_mechanism")
    for role, ids in TRUST_ROLES.items():
        assert [c.id for c in inst.constructs if c.role == role] == ids
    for c in inst.constructs:
        assert 3 <= len(c.items) <= 5, c.id
        for item in c.items:
            assert item.text["zh"] and item.text["en"] and item.source
    assert inst.reverse_items == ["HT4", "PV4", "RI3"]
    assert {i.facet for i in inst.construct("HT").items} >= {"professional", "service"}
    signs = {(h.source, h.target): h.sign for h in inst.hypotheses}
    assert signs[("HT", "PR")] == "-" and signs[("PR", "PI")] == "-" and signs[("PV", "PI")] == "+"
    assert [h.id for h in inst.hypotheses] == [f"H{i}" for i in range(1, len(inst.hypotheses) + 1)]
    assert sorted(inst.scale.anchors) == list(range(1, 8))


def test_unvalidated_constructs_are_flagged_as_new():
    inst = load_instrument("trust_mechanism")
    for cid in ("CA", "AG", "SR", "AT", "PR"):
        assert all("new item" in i.source for i in inst.construct(cid).items), cid


def test_model_syntax_is_derived_from_hypotheses():
    inst = load_instrument("sor_live_commerce")
    syntax = inst.model_syntax()
    assert "IM ~ IA + IF + EN" in syntax
    assert syntax.count("=~") == len(inst.constructs)
    assert [c.role for c in inst.constructs][:3] == ["stimulus"] * 3


def _write(tmp_path, data, name="broken.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def valid(tmp_path):
    data = load_instrument("sor_live_commerce").to_dict()
    data["id"] = "broken"
    data["response_scale"]["anchors"] = {int(k): v for k, v in data["response_scale"]["anchors"].items()}
    for c in data["constructs"]:
        for item in c["items"]:
            if item["facet"] is None:
                del item["facet"]
    return data


def test_valid_copy_loads(tmp_path, valid):
    assert load_instrument(_write(tmp_path, valid)).id == "broken"


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["constructs"][0].pop("role"), r"constructs\[0\] \(IA\)\.role: missing"),
    (lambda d: d["constructs"][0].update(role="cause"), r"'cause' is not one of"),
    (lambda d: d["constructs"][1]["items"][0].update(id="IA1"), r"'IA1' is used twice"),
    (lambda d: d["constructs"][0]["items"][0].update(reverse="yes"), r"reverse: expected bool"),
    (lambda d: d["constructs"][0]["items"][0]["text"].pop("zh"), r"text: needs a non-empty 'zh'"),
    (lambda d: d["hypotheses"][0].update(to="XX"), r"hypotheses\[0\] \(H1\)\.to: 'XX' is not a construct"),
    (lambda d: d["hypotheses"][0].update(sign="positive"), r"must be '\+' or '-'"),
    (lambda d: d["response_scale"]["anchors"].pop(4), r"no label for point 4"),
    (lambda d: d.update(id="other"), r"must equal the file name"),
    (lambda d: d["hypotheses"].append({"id": "H99", "from": "PI", "to": "IA", "sign": "+",
                                       "rationale": {"zh": "x", "en": "x"}}), r"loop"),
])
def test_malformed_instrument_names_file_and_key(tmp_path, valid, mutate, message):
    mutate(valid)
    path = _write(tmp_path, valid)
    with pytest.raises(InputError, match=message) as error:
        load_instrument(path)
    assert str(path) in str(error.value)


def test_invalid_yaml_and_unknown_id(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.yaml: line \d+, column \d+: not valid YAML"):
        load_instrument(path)
    with pytest.raises(InputError, match="no instrument 'nope'"):
        load_instrument("nope")
