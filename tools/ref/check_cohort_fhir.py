#!/usr/bin/env python3
"""Validate synthetic-cohort FHIR bundles with fhir.resources (pydantic models of FHIR R4B,
schema-aware: element order, cardinality, datatypes, id patterns, zones on dateTimes).

usage: check_cohort_fhir.py FILE_OR_DIR...   e.g. tests/data/golden/cohort or COHORT/fhir.
Dev-only (needs `pip install fhir.resources lxml`). Exit 1 on the first invalid bundle."""
import pathlib
import sys

from fhir.resources.R4B.bundle import Bundle


def check(path):
    b = Bundle.model_validate_xml(path.read_bytes())
    kinds = sorted({e.resource.__resource_type__ for e in b.entry})
    assert b.type == "collection", b.type
    assert "Patient" in kinds and "Encounter" in kinds, kinds
    for e in b.entry:
        r = e.resource
        if r.__resource_type__ == "Condition":
            assert r.code.coding[0].system == "http://hl7.org/fhir/sid/icd-10-cm"
        if r.__resource_type__ == "MedicationStatement":
            assert r.medicationCodeableConcept.coding[0].system == "http://www.whocc.no/atc"
    print(f"ok {path} ({len(b.entry)} entries: {', '.join(kinds)})")


def main():
    for arg in sys.argv[1:]:
        p = pathlib.Path(arg)
        for f in sorted(p.glob("*.xml")) if p.is_dir() else [p]:
            check(f)


if __name__ == "__main__":
    main()
