"""The bootstrap of ``semtrust fit`` on a Dask cluster (``--scheduler``, ``st.fit(scheduler=)``,
the study-file key): the same executor as the power analysis, the same numbers as local
worker processes."""
import json

import pytest

import semtrust as st
from semtrust.cli import main
from semtrust.cluster import localhost_cluster
from semtrust.errors import InputError

MODEL = "HT =~ HT1 + HT2 + HT3\nPR =~ PR1 + PR2 + PR3\nPI =~ PI1 + PI2 + PI3\nPR ~ HT\nPI ~ PR + HT\n"
OPTIONS = {"bootstrap": 100, "measurement_bootstrap": 50, "ci": "bca", "seed": 5, "screen": False}


@pytest.mark.cluster      # most of its time is starting the cluster
def test_bootstrap_on_a_dask_scheduler_gives_the_local_numbers(example_csv, tmp_path):
    """A real `dask scheduler` with two `dask worker` processes on 127.0.0.1: the effects'
    BCa bootstrap (resamples and jackknife) and the CR/AVE/HTMT bootstrap run there, and
    results.json's numbers are those of local worker processes."""
    import pandas as pd

    data = tmp_path / "survey.csv"
    pd.read_csv(example_csv).head(150).to_csv(data, index=False)   # 150 jackknife refits, not 600
    model = tmp_path / "m.lav"
    model.write_text(MODEL)
    local = st.fit(data, model=model, workers=2, **OPTIONS)
    out = tmp_path / "out"
    with localhost_cluster(workers=2) as (address, _):
        assert main(["fit", str(data), "--model", str(model), "--bootstrap", "100", "--measurement-bootstrap", "50",
                     "--ci", "bca", "--seed", "5", "--no-screen", "--scheduler", address, "--out", str(out),
                     "--quiet"]) == 0
    written = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert written["bootstrap"]["successful"] == 100 and written["measurement_bootstrap"]["successful"] == 50
    assert "scheduler" not in written["config"]        # where a run goes is not part of its results
    expected = json.loads(local.to_json())
    for key in ("parameters", "indirect_effects", "reliability", "htmt_ci", "bootstrap", "measurement_bootstrap"):
        assert json.dumps(written[key]) == json.dumps(expected[key]), key
    assert json.dumps({k: v for k, v in written.items() if k != "config"}) == \
        json.dumps({k: v for k, v in expected.items() if k != "config"})


def test_scheduler_must_be_an_address(example_csv, tmp_path, capsys):
    with pytest.raises(InputError, match="'scheduler: localhost:8786' must be a Dask scheduler's address"):
        st.fit(example_csv, scheduler="localhost:8786", bootstrap=10)
    with pytest.raises(InputError, match="--scheduler: the PLS-SEM bootstrap runs on local processes"):
        st.fit(example_csv, method="pls", scheduler="tcp://127.0.0.1:9", bootstrap=10)
    study = tmp_path / "study.yaml"
    study.write_text(f"data: {example_csv}\nscheduler: 8786\n")
    assert main(["fit", str(study), "--out", str(tmp_path / "out")]) == 2
    assert "'scheduler' must be a text" in capsys.readouterr().err


def test_unreachable_scheduler_stops_with_one_line(example_csv, tmp_path, capsys):
    code = main(["fit", str(example_csv), "--bootstrap", "20", "--measurement-bootstrap", "0", "--no-screen",
                 "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 2 and "cannot reach the Dask scheduler" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
