"""Every key of every pipeline we train is one its component reads.

Rasa merges a component's configuration with its defaults without complaint about unknown keys:
`transformer_layers: 1` (the key is `number_of_transformer_layers`) once trained DIET with two
layers for months. A typo must fail here instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFEntityExtractorOptions

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [
    ROOT / "nlu" / "config.yml",
    ROOT / "nlu" / "config_stock.yml",
    *sorted((ROOT / "nlu" / "candidates").glob("*.yml")),
]
# Keys Rasa reads for every component, whatever its defaults say.
COMMON_KEYS = {"name"}


def pipeline_of(path: Path) -> List[Dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["pipeline"]


def unknown_keys(component: Dict[str, Any]) -> List[str]:
    clazz = DefaultV1Recipe._from_registry(component["name"]).clazz
    known = set(clazz.get_default_config()) | COMMON_KEYS
    return sorted(set(component) - known)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_key_is_one_the_component_knows(path: Path) -> None:
    wrong = {component["name"]: keys for component in pipeline_of(path) if (keys := unknown_keys(component))}
    assert wrong == {}, f"{path.name}: keys no component reads (Rasa would ignore them)"


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_crf_features_are_ones_the_crf_computes(path: Path) -> None:
    known = {option.value for option in CRFEntityExtractorOptions}
    for component in pipeline_of(path):
        if DefaultV1Recipe._from_registry(component["name"]).clazz is not CRFEntityExtractor:
            continue
        for window in component.get("features", []):
            assert set(window) <= known, f"unknown CRF features {set(window) - known}"


def test_the_check_catches_the_old_typo() -> None:
    assert unknown_keys({"name": "DIETClassifier", "transformer_layers": 1}) == ["transformer_layers"]
    assert unknown_keys({"name": "DIETClassifier", "number_of_transformer_layers": 1}) == []


def test_pipeline_uses_our_components() -> None:
    names = [component["name"] for component in pipeline_of(ROOT / "nlu" / "config.yml")]
    assert names[0] == "phuket_nlu.tokenizer.PhuketTokenizer"
    assert "phuket_nlu.sentence_encoder.SentenceEncoderFeaturizer" in names
