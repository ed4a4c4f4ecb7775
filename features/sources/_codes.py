"""Country codes: every provider's code harmonised to ISO 3166-1 alpha-3 (Kosovo as "XKX")."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ISO3", "ISO_NUMERIC", "KOSOVO", "GW_STATES", "GWState", "to_iso3", "gw_state_years"]

#: The one code forewarn uses for Kosovo, which has no ISO 3166-1 code (World Bank usage).
KOSOVO = "XKX"

# ISO 3166-1 as "alpha3:alpha2:numeric", from the Debian iso-codes 4.15 tables (249 entries).
_ISO_TABLE = """
    ABW:AW:533 AFG:AF:004 AGO:AO:024 AIA:AI:660 ALA:AX:248 ALB:AL:008 AND:AD:020 ARE:AE:784
    ARG:AR:032 ARM:AM:051 ASM:AS:016 ATA:AQ:010 ATF:TF:260 ATG:AG:028 AUS:AU:036 AUT:AT:040
    AZE:AZ:031 BDI:BI:108 BEL:BE:056 BEN:BJ:204 BES:BQ:535 BFA:BF:854 BGD:BD:050 BGR:BG:100
    BHR:BH:048 BHS:BS:044 BIH:BA:070 BLM:BL:652 BLR:BY:112 BLZ:BZ:084 BMU:BM:060 BOL:BO:068
    BRA:BR:076 BRB:BB:052 BRN:BN:096 BTN:BT:064 BVT:BV:074 BWA:BW:072 CAF:CF:140 CAN:CA:124
    CCK:CC:166 CHE:CH:756 CHL:CL:152 CHN:CN:156 CIV:CI:384 CMR:CM:120 COD:CD:180 COG:CG:178
    COK:CK:184 COL:CO:170 COM:KM:174 CPV:CV:132 CRI:CR:188 CUB:CU:192 CUW:CW:531 CXR:CX:162
    CYM:KY:136 CYP:CY:196 CZE:CZ:203 DEU:DE:276 DJI:DJ:262 DMA:DM:212 DNK:DK:208 DOM:DO:214
    DZA:DZ:012 ECU:EC:218 EGY:EG:818 ERI:ER:232 ESH:EH:732 ESP:ES:724 EST:EE:233 ETH:ET:231
    FIN:FI:246 FJI:FJ:242 FLK:FK:238 FRA:FR:250 FRO:FO:234 FSM:FM:583 GAB:GA:266 GBR:GB:826
    GEO:GE:268 GGY:GG:831 GHA:GH:288 GIB:GI:292 GIN:GN:324 GLP:GP:312 GMB:GM:270 GNB:GW:624
    GNQ:GQ:226 GRC:GR:300 GRD:GD:308 GRL:GL:304 GTM:GT:320 GUF:GF:254 GUM:GU:316 GUY:GY:328
    HKG:HK:344 HMD:HM:334 HND:HN:340 HRV:HR:191 HTI:HT:332 HUN:HU:348 IDN:ID:360 IMN:IM:833
    IND:IN:356 IOT:IO:086 IRL:IE:372 IRN:IR:364 IRQ:IQ:368 ISL:IS:352 ISR:IL:376 ITA:IT:380
    JAM:JM:388 JEY:JE:832 JOR:JO:400 JPN:JP:392 KAZ:KZ:398 KEN:KE:404 KGZ:KG:417 KHM:KH:116
    KIR:KI:296 KNA:KN:659 KOR:KR:410 KWT:KW:414 LAO:LA:418 LBN:LB:422 LBR:LR:430 LBY:LY:434
    LCA:LC:662 LIE:LI:438 LKA:LK:144 LSO:LS:426 LTU:LT:440 LUX:LU:442 LVA:LV:428 MAC:MO:446
    MAF:MF:663 MAR:MA:504 MCO:MC:492 MDA:MD:498 MDG:MG:450 MDV:MV:462 MEX:MX:484 MHL:MH:584
    MKD:MK:807 MLI:ML:466 MLT:MT:470 MMR:MM:104 MNE:ME:499 MNG:MN:496 MNP:MP:580 MOZ:MZ:508
    MRT:MR:478 MSR:MS:500 MTQ:MQ:474 MUS:MU:480 MWI:MW:454 MYS:MY:458 MYT:YT:175 NAM:NA:516
    NCL:NC:540 NER:NE:562 NFK:NF:574 NGA:NG:566 NIC:NI:558 NIU:NU:570 NLD:NL:528 NOR:NO:578
    NPL:NP:524 NRU:NR:520 NZL:NZ:554 OMN:OM:512 PAK:PK:586 PAN:PA:591 PCN:PN:612 PER:PE:604
    PHL:PH:608 PLW:PW:585 PNG:PG:598 POL:PL:616 PRI:PR:630 PRK:KP:408 PRT:PT:620 PRY:PY:600
    PSE:PS:275 PYF:PF:258 QAT:QA:634 REU:RE:638 ROU:RO:642 RUS:RU:643 RWA:RW:646 SAU:SA:682
    SDN:SD:729 SEN:SN:686 SGP:SG:702 SGS:GS:239 SHN:SH:654 SJM:SJ:744 SLB:SB:090 SLE:SL:694
    SLV:SV:222 SMR:SM:674 SOM:SO:706 SPM:PM:666 SRB:RS:688 SSD:SS:728 STP:ST:678 SUR:SR:740
    SVK:SK:703 SVN:SI:705 SWE:SE:752 SWZ:SZ:748 SXM:SX:534 SYC:SC:690 SYR:SY:760 TCA:TC:796
    TCD:TD:148 TGO:TG:768 THA:TH:764 TJK:TJ:762 TKL:TK:772 TKM:TM:795 TLS:TL:626 TON:TO:776
    TTO:TT:780 TUN:TN:788 TUR:TR:792 TUV:TV:798 TWN:TW:158 TZA:TZ:834 UGA:UG:800 UKR:UA:804
    UMI:UM:581 URY:UY:858 USA:US:840 UZB:UZ:860 VAT:VA:336 VCT:VC:670 VEN:VE:862 VGB:VG:092
    VIR:VI:850 VNM:VN:704 VUT:VU:548 WLF:WF:876 WSM:WS:882 YEM:YE:887 ZAF:ZA:710 ZMB:ZM:894
    ZWE:ZW:716
"""
_ROWS = [entry.split(":") for entry in _ISO_TABLE.split()]

#: Every region id this module can produce: ISO 3166-1 alpha-3 codes plus Kosovo's "XKX".
ISO3 = frozenset([a3 for a3, _, _ in _ROWS] + [KOSOVO])

# Alpha-3 spellings in use that are not (or no longer) ISO: Kosovo as Natural Earth (KOS) and the
# World Bank's WB_A3 (KSV) write it; withdrawn codes that old World Bank files still carry.
_ALPHA3_ALIASES = {"KOS": KOSOVO, "KSV": KOSOVO, "ROM": "ROU", "ZAR": "COD", "TMP": "TLS",
                   "WBG": "PSE"}
_ALPHA2 = {a2: a3 for a3, a2, _ in _ROWS} | {"XK": KOSOVO}
_NUMERIC = {int(num): a3 for a3, _, num in _ROWS}
#: ISO alpha-3 -> ISO numeric code, as a number (Kosovo has none).
ISO_NUMERIC = {a3: int(num) for a3, _, num in _ROWS}

# UNHCR's own country codes where they differ from ISO, from the countries table of UNHCR's
# `refugees` package (2025.12.1). Several are other countries' ISO codes (ARE is Egypt, AUS is
# Austria, CHI is China, NIG is Nigeria), so a file in UNHCR codes must never be read as ISO.
_UNHCR_TABLE = """
    ALG:DZA ANG:AGO ANT:ATG ARE:EGY AUL:AUS AUS:AUT BAH:BHR BAR:BRB BER:BMU BHU:BTN BKF:BFA BOT:BWA
    BRU:BRN BSN:BIH BUL:BGR BVI:VGB BZE:BLZ CAM:KHM CAR:CAF CAY:CYM CHD:TCD CHI:CHN COB:COG COI:COM
    COS:CRI CVI:CPV DEN:DNK DJB:DJI EGU:GNQ ERT:ERI FGU:GUF FIJ:FJI FNC:NCL FPO:PYF GAM:GMB GAZ:PSE
    GFR:DEU GRE:GRC GRN:GRD GUA:GTM GUI:GIN HAI:HTI HON:HND ICE:ISL ICO:CIV INS:IDN IRE:IRL KRN:PRK
    KUW:KWT LEB:LBN LES:LSO MAD:MDG MAR:MTQ MAU:MRT MCD:MKD MLS:MYS MLW:MWI MOR:MAR MTA:MLT MTS:MUS
    MYA:MMR NEP:NPL NET:NLD NGR:NER NIG:NGA PAR:PRY PHI:PHL POR:PRT PUE:PRI ROM:ROU RSA:ZAF SAL:SLV
    SEY:SYC SIN:SGP SMA:SMR SOL:SLB SPA:ESP SRV:VNM STK:KNA SUD:SDN SWA:SWZ SWI:CHE TAN:TZA TCI:TCA
    TMP:TLS TOG:TGO TRT:TTO UAE:ARE URU:URY VAN:VUT WES:WSM WSH:ESH ZAM:ZMB ZIM:ZWE
"""
_UNHCR = dict(entry.split(":") for entry in _UNHCR_TABLE.split())


@dataclass(frozen=True)
class GWState:
    """One Gleditsch-Ward state and the ISO code of the country it is today.

    Parameters
    ----------
    gwcode : int
        Gleditsch-Ward state number.
    iso3 : str
        ISO 3166-1 alpha-3 code of the country (Kosovo "XKX").
    first_year, last_year : int
        Years the state is in the system (its latest spell); ``last_year`` is None while it
        exists. [year]
    """

    gwcode: int
    iso3: str
    first_year: int
    last_year: int | None = None


# "gwcode:ISO3:first[-last]". Built from the Gleditsch-Ward list shipped with peacesciencer 1.2.9
# (its 2017 end dates mean "still exists") and the COW-to-ISO pairs of Kelley & Heiss's TIP
# table, plus the GW microstates (Dominica ... Samoa) that list leaves out. Yugoslavia (345, to
# 2006) maps to Serbia, its continuing state; German Federal Republic (260) to Germany; Yemen
# (678) to Yemen. States with no successor code today (GDR, Czechoslovakia, South Yemen, South
# Vietnam, Zanzibar, Tibet) are left out, so their events get no ISO region.
_GW_TABLE = """
    2:USA:1816 20:CAN:1867 31:BHS:1973 40:CUB:1902 41:HTI:1934 42:DOM:1844 51:JAM:1962 52:TTO:1962
    53:BRB:1966 54:DMA:1978 55:GRD:1974 56:LCA:1979 57:VCT:1979 58:ATG:1981 60:KNA:1983 70:MEX:1821
    80:BLZ:1981 90:GTM:1840 91:HND:1840 92:SLV:1840 93:NIC:1840 94:CRI:1840 95:PAN:1903 100:COL:1830
    101:VEN:1829 110:GUY:1966 115:SUR:1975 130:ECU:1830 135:PER:1824 140:BRA:1822 145:BOL:1825
    150:PRY:1816 155:CHL:1818 160:ARG:1816 165:URY:1830 200:GBR:1816 205:IRL:1921 210:NLD:1816
    211:BEL:1830 212:LUX:1867 220:FRA:1816 221:MCO:1816 223:LIE:1816 225:CHE:1816 230:ESP:1816
    232:AND:1816 235:PRT:1816 260:DEU:1949 290:POL:1918 305:AUT:1918 310:HUN:1918 316:CZE:1993
    317:SVK:1993 325:ITA:1816 331:SMR:1816 338:MLT:1964 339:ALB:1913 340:SRB:2006 341:MNE:2006
    343:MKD:1991 344:HRV:1992 345:SRB:1918-2006 346:BIH:1992 347:XKX:2008 349:SVN:1992 350:GRC:1828
    352:CYP:1960 355:BGR:1878 359:MDA:1991 360:ROU:1878 365:RUS:1816 366:EST:1991 367:LVA:1991
    368:LTU:1991 369:UKR:1991 370:BLR:1991 371:ARM:1991 372:GEO:1991 373:AZE:1991 375:FIN:1917
    380:SWE:1816 385:NOR:1905 390:DNK:1816 395:ISL:1944 402:CPV:1975 403:STP:1975 404:GNB:1974
    411:GNQ:1968 420:GMB:1965 432:MLI:1960 433:SEN:1960 434:BEN:1960 435:MRT:1960 436:NER:1960
    437:CIV:1960 438:GIN:1958 439:BFA:1960 450:LBR:1847 451:SLE:1961 452:GHA:1957 461:TGO:1960
    471:CMR:1960 475:NGA:1960 481:GAB:1960 482:CAF:1960 483:TCD:1960 484:COG:1960 490:COD:1960
    500:UGA:1962 501:KEN:1963 510:TZA:1961 516:BDI:1962 517:RWA:1962 520:SOM:1960 522:DJI:1977
    530:ETH:1855 531:ERI:1993 540:AGO:1975 541:MOZ:1975 551:ZMB:1964 552:ZWE:1965 553:MWI:1964
    560:ZAF:1910 565:NAM:1990 570:LSO:1966 571:BWA:1966 572:SWZ:1968 580:MDG:1960 581:COM:1975
    590:MUS:1968 591:SYC:1976 600:MAR:1956 615:DZA:1962 616:TUN:1956 620:LBY:1951 625:SDN:1956
    626:SSD:2011 630:IRN:1816 640:TUR:1816 645:IRQ:1932 651:EGY:1922 652:SYR:1946 660:LBN:1944
    663:JOR:1946 666:ISR:1948 670:SAU:1932 678:YEM:1918 690:KWT:1961 692:BHR:1971 694:QAT:1971
    696:ARE:1971 698:OMN:1816 700:AFG:1919 701:TKM:1991 702:TJK:1991 703:KGZ:1991 704:UZB:1991
    705:KAZ:1991 710:CHN:1816 712:MNG:1921 713:TWN:1949 731:PRK:1948 732:KOR:1948 740:JPN:1816
    750:IND:1947 760:BTN:1949 770:PAK:1947 771:BGD:1971 775:MMR:1948 780:LKA:1948 781:MDV:1965
    790:NPL:1816 800:THA:1816 811:KHM:1953 812:LAO:1954 816:VNM:1954 820:MYS:1957 830:SGP:1965
    835:BRN:1984 840:PHL:1946 850:IDN:1945 860:TLS:2002 900:AUS:1901 910:PNG:1975 920:NZL:1907
    935:VUT:1980 940:SLB:1978 946:KIR:1979 947:TUV:1978 950:FJI:1970 955:TON:1970 970:NRU:1968
    983:MHL:1986 986:PLW:1994 987:FSM:1986 990:WSM:1962
"""


def _gw_state(entry: str) -> GWState:
    code, iso3, years = entry.split(":")
    first, _, last = years.partition("-")
    return GWState(int(code), iso3, int(first), int(last) if last else None)


#: Gleditsch-Ward states with an ISO successor, by GW code.
GW_STATES = {s.gwcode: s for s in map(_gw_state, _GW_TABLE.split())}
_GW = {code: s.iso3 for code, s in GW_STATES.items()}

_SCHEMES = ("iso3", "iso2", "numeric", "unhcr", "gw")


def to_iso3(codes, scheme: str = "iso3") -> pd.Series:
    """Harmonise country codes to ISO 3166-1 alpha-3, Kosovo as "XKX".

    Parameters
    ----------
    codes : array-like
        Codes as a provider writes them. Text is stripped and upper-cased first, so Gapminder's
        lower-case ``"afg"`` works.
    scheme : {"iso3", "iso2", "numeric", "unhcr", "gw"}
        ``"iso3"``: ISO alpha-3 and the alpha-3 codes of the World Bank and Natural Earth
        (``KOS``/``KSV`` for Kosovo, withdrawn ``ROM``, ``ZAR``, ``TMP``, ``WBG``); ``"iso2"``:
        ISO alpha-2 (``XK`` for Kosovo); ``"numeric"``: ISO numeric, e.g. ACLED's ``iso``;
        ``"unhcr"``: UNHCR's own codes (``GFR`` for Germany); ``"gw"``: Gleditsch-Ward numbers
        (UCDP).

    Returns
    -------
    pandas.Series
        ISO3 code per input (same index when ``codes`` is a Series); missing where the code
        names no country, e.g. a World Bank aggregate (``WLD``), UNHCR's ``UNK`` (unknown) or
        Natural Earth's ``-99``.

    Raises
    ------
    ValueError
        ``scheme`` is not one of the above.

    Examples
    --------
    >>> to_iso3(["afg", "KOS", "WLD"]).tolist()
    ['AFG', 'XKX', nan]
    >>> to_iso3(["GFR"], scheme="unhcr").tolist()
    ['DEU']
    """
    if scheme not in _SCHEMES:
        raise ValueError(f"The 'scheme' parameter of to_iso3 must be one of {_SCHEMES}. "
                         f"Got {scheme!r} instead.")
    index = codes.index if isinstance(codes, pd.Series) else None
    raw = pd.Series(np.asarray(codes, dtype=object), index=index)
    if scheme in ("numeric", "gw"):
        number = pd.to_numeric(raw, errors="coerce")
        # A float key finds its int twin in a dict (hash(4.0) == hash(4)); fractions find none.
        return number.map(_NUMERIC if scheme == "numeric" else _GW).astype(object)
    text = raw.where(raw.notna(), "").astype(str).str.strip().str.upper()
    if scheme == "iso2":
        return text.map(_ALPHA2).astype(object)
    if scheme == "unhcr":
        text = text.map(_UNHCR).fillna(text)
    text = text.map(_ALPHA3_ALIASES).fillna(text)
    return text.where(text.isin(ISO3)).astype(object)


def gw_state_years(first_year: int, last_year: int) -> pd.DataFrame:
    """Every (country, year) in which a Gleditsch-Ward state existed, for zero-filling.

    UCDP records conflicts for the whole state system, so a state-year without a UCDP row had no
    recorded conflict: its value is 0, not unknown.

    Parameters
    ----------
    first_year, last_year : int
        Inclusive range. [year]

    Returns
    -------
    pandas.DataFrame
        Columns ``region_id`` (ISO3) and ``year`` (int), one row per country-year.
    """
    rows = [(s.iso3, year) for s in GW_STATES.values()
            for year in range(max(first_year, s.first_year),
                              min(last_year, s.last_year or last_year) + 1)]
    frame = pd.DataFrame(rows, columns=["region_id", "year"])
    return frame.drop_duplicates().reset_index(drop=True)
