"""The example country catalogue declares exactly the indicators the source readers produce."""

from pathlib import Path

import pytest

from forewarn.features import load_catalogue
from forewarn.datasets import demo_catalogue
from forewarn.features.sources import _acled, _glotip, _tip, _ucdp, _unhcr, _wdi, _wgi

CATALOGUE = Path(__file__).resolve().parents[3] / "examples" / "countries" / "catalogue.toml"
PRODUCED = {*_wgi.VARIABLE_MAP.values(), *_wdi.VARIABLE_MAP.values(),
            *_unhcr.VARIABLE_MAP.values(), *_unhcr.IDMC_VARIABLE_MAP.values(),
            *_ucdp.GED_VARIABLE_MAP.values(), *_ucdp.ACD_VARIABLE_MAP.values(),
            *_tip.VARIABLE_MAP.values(), *_acled.VARIABLE_MAP.values(),
            *_glotip.VARIABLE_MAP.values()}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(CATALOGUE)


def test_every_produced_indicator_is_declared_and_nothing_else(catalogue):
    assert set(catalogue) == PRODUCED
    assert len(catalogue) == 22


def test_every_entry_names_source_licence_and_caveats(catalogue):
    for ind in catalogue.values():
        assert ind.source and ind.licence and ind.description and ind.dimension, ind.id


def test_shared_ids_mean_what_the_demo_world_means(catalogue):
    demo = demo_catalogue()
    shared = set(catalogue) & set(demo)
    assert shared == {"state_capacity", "rule_of_law", "corruption_control", "population",
                      "refugees_hosted", "displaced", "conflict_deaths", "response_tier"}
    for ind_id in shared:
        assert catalogue[ind_id].direction == demo[ind_id].direction, ind_id
        assert catalogue[ind_id].dimension == demo[ind_id].dimension, ind_id


def test_tip_tiers_are_described_as_response_not_prevalence(catalogue):
    tier = catalogue["response_tier"]
    assert "not how much trafficking there is" in tier.description
    assert (tier.valid_min, tier.valid_max, tier.direction, tier.lever) == (1, 3, 1, True)
