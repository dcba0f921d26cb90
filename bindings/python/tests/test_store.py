"""Cohort store layer (when the library has the store API)."""

import pytest

import clef

pytestmark = pytest.mark.skipif(not hasattr(clef, "Store"), reason="no store API in libclef")


def test_store_roundtrip_and_errors(tmp_path):
    with clef.Context() as ctx:
        with clef.Store(ctx, tmp_path / "cohort.db") as st:
            assert st.count("sessions") == 0
            assert st.count(clef._ffi.CLEF_STORE_TASKS) == 0
            assert st.task_names() == []
            with pytest.raises(ValueError, match="unknown clef_store_table"):
                st.count("nope")
            with pytest.raises(clef.NotFoundError):
                st.artifact_get("s1", "embedding", "m")
            with pytest.raises(clef.ClefError) as ei:
                st.import_cohort(tmp_path / "missing_dir")
            assert ei.value.message  # the store's message names the file
        with pytest.raises(ValueError, match="freed"):
            st.count("sessions")
        with pytest.raises(clef.ClefError):
            clef.Store(ctx, tmp_path / "no_dir" / "x.db")


def test_store_open_close_200(tmp_path):
    with clef.Context() as ctx:
        for _ in range(200):
            clef.Store(ctx, tmp_path / "c.db").close()
