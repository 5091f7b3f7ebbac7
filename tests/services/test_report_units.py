"""Both PDFs speak the centre's units and its date and time style (issue 16 item 3): a US
centre's course summary and handout show no SI unit, ISO date or 24-hour clock, and an SI
centre's show no US unit or US date."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import update
from tests.interop.conftest import NOW, add_centre, seed_patient

from plexms.services.context import Actor, ServiceContext
from plexms.services.sharing import reports
from plexms.store.database import Database
from plexms.store.migrate import upgrade
from plexms.store.models import Centre

# The cited sources are quoted as published (years, DOIs, a protocol's own "09:00-17:00"):
# only what the document itself states is checked, up to its list of sources.
_SOURCES = re.compile(r"(?:\bSources\b|Where this information comes from).*", re.S)
_ISO_DATE = r"\b20\d\d-\d\d-\d\d\b"
FOREIGN = {
    "us": [r"°C\b", r"\d g/L\b", r"\d kg\b", _ISO_DATE, r"\b(?:1[3-9]|2[0-3]):[0-5]\d\b"],
    "si": [r"°F\b", r"mg/dL\b", r"\d lb\b", _ISO_DATE, r"\b\d{1,2}:\d\d (?:AM|PM)\b"],
}


def _text(pdf: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return _SOURCES.sub("", text)


@pytest.mark.parametrize("units", ["us", "si"])
def test_both_pdfs_in_the_centres_units_and_style(tmp_path, units: str) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    upgrade(url)
    db = Database(url)
    try:
        centre_id = add_centre(db)
        if units == "si":
            with db.write() as s:
                s.execute(
                    update(Centre)
                    .where(Centre.id == centre_id)
                    .values(units="si", time_zone="Europe/Amsterdam", country="NL")
                )
        patient_id = seed_patient(db, centre_id)
        nurse = ServiceContext(db=db, actor=Actor(7, "nurse", "nurse", centre_id), now=NOW)
        for pdf in (
            reports.course_summary_pdf(nurse, patient_id, store=False),
            reports.patient_handout_pdf(nurse, patient_id, store=False),
        ):
            text = _text(pdf)
            found = [m.group(0) for p in FOREIGN[units] for m in re.finditer(p, text)]
            assert not found, f"{units} centre's PDF shows {found[:8]}"
    finally:
        db.dispose()
