"""Real-data sources: one reader (``read_<source>(path)``) and fetcher per publisher.

Readers take the file as the publisher ships it and return forewarn's observations
(``region_id`` ISO3, ``indicator``, ``period``, ``value``, ``published``) or regions; provider
column names stop here. Fetchers download into a cache folder and record the download date,
which readers use as ``published`` when the publisher gives no date. :data:`SOURCES` lists
every source for ``forewarn fetch``.
"""

from forewarn.features.sources._acled import fetch_acled, read_acled
from forewarn.features.sources._boundaries import (
    fetch_natural_earth,
    read_admin1,
    read_natural_earth,
)
from forewarn.features.sources._codes import ISO3, KOSOVO, gw_state_years, to_iso3
from forewarn.features.sources._glotip import (
    fetch_glotip,
    glotip_outcome,
    read_glotip,
    read_glotip_table,
)
from forewarn.features.sources._registry import SOURCES, Source, cached, fetch
from forewarn.features.sources._tip import fetch_tip_tiers, read_factbook_tip, read_tip_tiers
from forewarn.features.sources._ucdp import (
    fetch_ucdp_acd,
    fetch_ucdp_ged,
    read_ucdp_acd,
    read_ucdp_ged,
)
from forewarn.features.sources._unhcr import fetch_idmc, fetch_unhcr, read_idmc, read_unhcr
from forewarn.features.sources._wdi import fetch_wdi, read_wdi
from forewarn.features.sources._wgi import fetch_wgi, read_wgi

__all__ = [
    "SOURCES",
    "Source",
    "fetch",
    "cached",
    "to_iso3",
    "gw_state_years",
    "ISO3",
    "KOSOVO",
    "read_wgi",
    "fetch_wgi",
    "read_wdi",
    "fetch_wdi",
    "read_unhcr",
    "fetch_unhcr",
    "read_idmc",
    "fetch_idmc",
    "read_ucdp_ged",
    "fetch_ucdp_ged",
    "read_ucdp_acd",
    "fetch_ucdp_acd",
    "read_tip_tiers",
    "read_factbook_tip",
    "fetch_tip_tiers",
    "read_natural_earth",
    "read_admin1",
    "fetch_natural_earth",
    "read_acled",
    "fetch_acled",
    "read_glotip",
    "read_glotip_table",
    "glotip_outcome",
    "fetch_glotip",
]
