from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = ROOT / "tests" / "conformance"


@pytest.fixture(scope="session")
def example_csv() -> Path:
    return ROOT / "example_data" / "trust_survey.csv"
