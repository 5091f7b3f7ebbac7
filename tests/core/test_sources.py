def test_short_citation_and_link_read_like_a_reference() -> None:
    from plexms.core.sources import SOURCES

    assert SOURCES["WEINSHENKER_1999"].short() == "Weinshenker BG et al. 1999"
    assert SOURCES["EDSS_CHANGE_2007"].short().endswith("… 2007")  # no author: the title
    assert SOURCES["LOCAL_POLICY"].short() == "Local policy"
    assert SOURCES["NEURO_TPE_COHORT"].link() == SOURCES["NEURO_TPE_COHORT"].url
    assert SOURCES["NADLER_1962"].link() is None
