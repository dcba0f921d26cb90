"""The idiomatic surface of issue 21 (items 1 and 2): typed, documented clef.lowlevel;
Params as a mapping; paths as str/bytes/PathLike; IoError an OSError; IntEnums; optional
outputs; classes for weights, EDF writer, spectrogram stream, evaluation, montage, resampling
and DPSS; py.typed and mypy."""

import inspect
import os
import pathlib
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

import clef

ROOT = pathlib.Path(__file__).resolve().parents[3]
BDF = ROOT / "tests" / "data" / "test_generator.bdf"


@pytest.fixture
def ctx():
    with clef.Context() as c:
        yield c


# ---- item 1: types and documentation


def test_lowlevel_has_real_signatures_and_header_docstrings():
    f = clef.lowlevel.clef_session_create
    sig = inspect.signature(f)
    assert list(sig.parameters) == ["ctx", "n_threads"]
    assert sig.parameters["n_threads"].annotation is int
    assert f.__doc__.startswith("Create a session with n_threads threads")
    assert "C: clef_status clef_session_create(clef_session **out, clef_ctx *ctx, " in f.__doc__
    missing = [n for n in clef._ffi.FUNCTIONS
               if not (getattr(clef.lowlevel, n).__doc__ or "").strip()
               or "see clef.h" in getattr(clef.lowlevel, n).__doc__]
    assert missing == []
    # a Python keyword as a C parameter name gets a trailing underscore
    assert "in_" in inspect.signature(clef.lowlevel.clef_montage_bipolar).parameters


def _public_members():
    for name in sorted(dir(clef)):
        obj = getattr(clef, name)
        if name.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if not getattr(obj, "__module__", "").startswith("clef"):
            continue
        yield name, obj
        if inspect.isclass(obj) and not issubclass(obj, (BaseException, int)):
            for m, v in vars(obj).items():
                if m.startswith("_") or not (inspect.isfunction(v) or isinstance(
                        v, (property, classmethod, staticmethod))):
                    continue
                yield f"{name}.{m}", v


def test_every_public_class_and_method_has_a_docstring():
    undocumented = []
    for name, obj in _public_members():
        doc = obj.__doc__ if isinstance(obj, property) else getattr(obj, "__func__",
                                                                         obj).__doc__
        if not (doc or "").strip():
            undocumented.append(name)
    assert undocumented == []


def test_py_typed_is_shipped():
    assert (pathlib.Path(clef.__file__).parent / "py.typed").is_file()


def test_mypy_on_the_package_and_a_typed_example(tmp_path):
    """mypy on the package as installed (a copy without the bundled library, so that nothing
    else in site-packages is checked) and on examples/typed_usage.py."""
    pytest.importorskip("mypy")
    src = tmp_path / "src"
    shutil.copytree(pathlib.Path(clef.__file__).parent, src / "clef",
                    ignore=shutil.ignore_patterns("_lib", "__pycache__"))
    example = ROOT / "bindings" / "python" / "examples" / "typed_usage.py"
    env = dict(os.environ, MYPYPATH=str(src))

    def mypy(*args):
        return subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir",
                               str(tmp_path / "cache"), *args], cwd=str(tmp_path), env=env,
                              capture_output=True, text=True)

    res = mypy("-p", "clef")
    assert res.returncode == 0, res.stdout + res.stderr
    res = mypy(str(example))
    assert res.returncode == 0, res.stdout + res.stderr
    # and mypy catches a misuse through the annotations
    bad = tmp_path / "bad.py"
    bad.write_text("import clef\nclef.lowlevel.clef_session_create(None, 'four')\n")
    res = mypy(str(bad))
    assert res.returncode == 1 and "clef_session_create" in res.stdout, res.stdout
    assert 'expected "int"' in res.stdout, res.stdout


# ---- item 2: the idiomatic surface


def test_params_is_a_mapping(ctx):
    p = clef.Params(ctx, "io")
    keys = list(p)
    assert keys == list(p.keys()) and "io.target_rate" in keys and len(p) == len(keys)
    assert dict(p.items())["io.target_rate"] == p["io.target_rate"]
    assert "io.target_rate" in p and "cohort.seed" not in p and "nope" not in p
    assert p.get("nope", 7) == 7
    assert repr(p).startswith("Params('io', {") and "'io.target_rate': " in repr(p)
    assert p.kind is clef.ParamsKind.IO
    with pytest.raises(KeyError, match="unknown parameter 'io.targte_rate'"):
        p["io.targte_rate"]
    with pytest.raises(clef.ParamKeyError, match="'cohort.seed' belongs to a cohort set, not "
                       "this io set"):
        p["cohort.seed"] = 3
    with pytest.raises(clef.NotFoundError):  # also the library's status class
        p["nope"]
    q = clef.Params(ctx, "cohort", {"cohort.seed": 11})
    assert q["cohort.seed"] == 11 and q.clone()["cohort.seed"] == 11
    assert clef.param_keys("cohort") == list(q)
    with pytest.raises(TypeError):
        del q["cohort.seed"]


def test_io_error_is_an_oserror_and_paths_are_str_bytes_or_pathlike(ctx, tmp_path):
    with pytest.raises(OSError) as ei:
        clef.Recording(ctx, tmp_path / "missing.edf")
    assert isinstance(ei.value, clef.IoError) and "missing.edf" in str(ei.value)
    for path in (str(BDF), BDF, os.fsencode(BDF)):
        with clef.Recording(ctx, path) as rec:
            assert rec.n_signals > 0
    with pytest.raises(TypeError, match="str, bytes or os.PathLike"):
        clef.Recording(ctx, 42)


def test_enums_are_intenums():
    assert issubclass(clef.Split, int) and clef.Split.TRAIN == clef._ffi.CLEF_SPLIT_TRAIN
    assert clef.enums.ENUM_CLASSES["clef_split"] is clef.Split
    assert clef.StatusCode(clef._ffi.CLEF_ERR_IO) is clef.StatusCode.ERR_IO
    assert clef.param_info("io.target_rate").kind is clef.ParamsKind.IO
    assert clef.EdfFormat.BDF == clef._ffi.CLEF_EDF_FORMAT_BDF


def test_optional_outputs_can_be_left_out(ctx):
    with clef.Tokenizer(ctx, None) as tok, clef.Session(ctx) as s:
        c, f = 19, 128
        spec = np.zeros((c, f, 10), np.float32)
        ids, latents, needed = clef.lowlevel.clef_tokenizer_encode(tok, s, spec, c, f, 10,
                                                                    tok.n_tokens, 0)
        assert latents is None and needed == tok.n_tokens and ids.shape == (tok.n_tokens,)


def test_from_mne_warns_when_it_drops_bad_channels():
    mne = pytest.importorskip("mne")
    info = mne.create_info(["Fp1", "T3", "O2"], 256.0, "eeg")
    raw = mne.io.RawArray(np.zeros((3, 2560)) + 1e-6, info, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clef.from_mne(raw)  # nothing bad: no warning
    raw.info["bads"] = ["T3"]
    with pytest.warns(UserWarning, match="dropped 1 bad channel.*T3"):
        sig = clef.from_mne(raw)
    assert bin(sig.present_mask).count("1") == 2
    sig = clef.from_mne(raw, picks=[0, 1, 2])  # kept when picked
    assert bin(sig.present_mask).count("1") == 3


def test_weights_writer_and_reader_roundtrip(ctx, tmp_path):
    path = tmp_path / "w.safetensors"
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    with clef.WeightsWriter(ctx) as wr:
        wr.add("a", a)
        wr.add("b", np.ones((4,)), "F16")
        wr.meta["clef.note"] = "hello"
        wr.write(path)
    with clef.Weights(ctx, path) as w:
        assert sorted(w) == ["a", "b"] and len(w) == 2 and "a" in w and "z" not in w
        np.testing.assert_array_equal(w["a"], a)
        assert w.shape("b") == (4,) and w.dtype("b") is clef.Dtype.F16
        assert w.meta["clef.note"] == "hello"
        assert len(w.raw("b")) == 8
        with pytest.raises(KeyError, match="no tensor 'z'"):
            w["z"]
    with clef.Weights(ctx, path.read_bytes(), memory=True) as w:
        np.testing.assert_array_equal(w["a"], a)


def test_edf_writer_roundtrip(ctx, tmp_path):
    path = tmp_path / "out.edf"
    x = (np.sin(np.arange(2 * 2560) / 10.0) * 100).astype(np.float32).reshape(2, 2560)
    with clef.EdfWriter(ctx, path, "edfplus") as w:
        w.set_patient("MRN1", "F", (1980, 5, 17), "Jane Doe")
        assert w.add_signal("Fp1", "uV", 256, -500, 500) == 0
        w.add_signal("Fp2", "uV", 256, -500, 500)
        w.write(x)
        w.add_annotation(1.0, -1, "eyes closed")
        with pytest.raises(ValueError, match=r"must be \(2, n\)"):
            w.write(x[:1])
    with clef.Recording(ctx, path) as rec:
        assert rec.labels[:2] == ["Fp1", "Fp2"] and rec.duration == 10.0
        assert [a[2] for a in rec.annotations] == ["eyes closed"]
        np.testing.assert_allclose(rec.read_physical(0), x[0], atol=0.02)


def test_spectrogram_stream_equals_compute(ctx):
    x = np.random.RandomState(1).randn(3, 200 * 30).astype(np.float32)
    with clef.Spectrogram(ctx) as sg, clef.Session(ctx) as s:
        whole = sg.compute(x, s)
        with clef.SpectrogramStream(s, sg, 3) as st:
            parts = [st.push(np.ascontiguousarray(x[:, i:i + 1000]))
                     for i in range(0, x.shape[1], 1000)]
            parts.append(st.finish())
            assert st.frames == whole.shape[2]
        got = np.concatenate(parts, axis=2)
        assert got.shape == whole.shape
        np.testing.assert_allclose(got, whole, rtol=1e-5, atol=1e-4)
        with clef.SpectrogramStream(s, sg, 3) as st, pytest.raises(ValueError, match="rows"):
            st.push(x[:2])


def test_montage_resample_and_dpss(ctx):
    n = 400
    x = np.random.RandomState(2).randn(19, n).astype(np.float32)
    mask = (1 << 19) - 1
    y, bmask = clef.bipolar(x, mask)
    names = clef.bipolar_channels()
    assert y.shape == (len(names), n) and bmask == (1 << len(names)) - 1
    ch = clef.canonical_channels()
    a, b = names[0].split("-")
    np.testing.assert_allclose(y[0], x[ch.index(a)] - x[ch.index(b)], atol=1e-6)
    car = clef.common_average(x.copy(), mask)
    np.testing.assert_allclose(car.mean(axis=0), 0, atol=1e-5)
    with pytest.raises(ValueError, match="19 canonical channels"):
        clef.bipolar(x[:5], mask)
    r = clef.resample(ctx, x, 200, 256)
    assert r.shape == (19, clef.lowlevel.clef_resample_length(n, 200, 256))
    with pytest.raises(TypeError, match="float32"):
        clef.resample(ctx, np.zeros(10), 1, 2)
    tapers, ratios = clef.dpss(ctx, 256, 2.0, 3, ratios=True)
    assert tapers.shape == (3, 256) and ratios.shape == (3,)
    np.testing.assert_allclose((tapers ** 2).sum(axis=1), 1.0, rtol=1e-9)


def test_auroc_probe_and_eval(ctx):
    assert clef.auroc(ctx, [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    lo, hi = clef.auroc_ci(ctx, [0.1, 0.4, 0.35, 0.8] * 5, [0, 0, 1, 1] * 5, 200, 3)
    assert lo <= 0.75 <= hi
    with pytest.raises(ValueError, match="one length"):
        clef.auroc(ctx, [0.1, 0.2], [0])
    rs = np.random.RandomState(3)
    x = rs.randn(60, 4)
    y = (x[:, 0] + 0.3 * rs.randn(60) > 0).astype(np.int32)
    with clef.Probe(ctx, x, y, c=1.0) as p:
        prob = p.predict(x)
        assert prob.shape == (60,) and clef.auroc(ctx, prob, y) > 0.9
        with pytest.raises(ValueError, match="features"):
            p.predict(x[:, :3])
    with clef.Probe(ctx, x, np.stack([y, 1 - y])) as p:
        assert p.n_tasks == 2 and p.predict(x).shape == (2, 60)
    with clef.Probe.select(ctx, x[:40], y[:40], x[40:], y[40:], [0.1, 1.0]) as p:
        assert p.c in (0.1, 1.0)
    xf = x.astype(np.float32)
    with clef.Eval(ctx, c_grid=[0.1, 1.0], n_boot=100) as ev:
        ev.add_task("t", (xf[:30], y[:30]), (xf[30:45], y[30:45]), (xf[45:], y[45:]))
        (r,) = ev.results()
        assert r.name == "t" and r.status == 0 and r.n_test == 15 and r.ci_lo <= r.auroc
        assert ev.mean_auroc == r.auroc
        m, lo, hi, n = ev.mean_ci()
        assert m == r.auroc and lo <= m <= hi and n == 1
        assert ev.compare(ev, "t") == (0.0, 0.0, 0.0, 1)
        with pytest.raises(clef.ClefError, match="xyz"):
            ev.mean_ci("xyz")
        with pytest.raises(ValueError, match="y_val"):
            ev.add_task("u", (xf[:30], y[:30]), (xf[30:45], y[:3]), (xf[45:], y[45:]))


def test_store_jobs_and_shaped_artifacts(ctx, tmp_path):
    with clef.Store(ctx, tmp_path / "c.db") as st:
        st.job_add_item("embed", "s1")
        st.job_add_item("embed", "s2")
        assert st.job_count("embed", "pending") == 2
        first = st.job_claim("embed")
        assert first in ("s1", "s2") and st.job_count("embed", "claimed") == 1
        st.job_fail("embed", first, "broken file")
        assert st.job_count("embed", clef.JobState.FAILED) == 1
        assert st.job_requeue("embed", 0.0, include_failed=True) >= 1
        assert st.job_count("embed", "pending") == 2


def test_store_jobs_on_a_cohort_and_shaped_artifacts(ctx, tmp_path):
    with clef.Session(ctx) as s, clef.Params(ctx, "cohort", {
            "cohort.n_patients": 2, "cohort.duration_s": 60.0, "cohort.max_sessions": 1}) as p:
        clef.lowlevel.clef_cohort_generate(s, p, tmp_path / "cohort")
    with clef.Store(ctx, tmp_path / "c.db") as st:
        st.import_cohort(tmp_path / "cohort")
        assert st.job_add_sessions("spec") == 2
        item = st.job_claim("spec")
        spec = np.arange(19 * 4 * 3, dtype=np.float32).reshape(19, 4, 3)
        st.job_complete("spec", item, "spectrogram", "m", spec)
        assert st.job_count("spec", "done") == 1
        got = st.artifact_get(item, "spectrogram", "m", np.float32, shape=(19, 4, -1))
        np.testing.assert_array_equal(got, spec)
        assert st.artifact_get(item, clef.ArtifactKind.SPECTROGRAM, "m", np.float32).shape == (
            spec.size,)
        assert st.job_claim("spec") is not None and st.job_claim("spec") is None


def test_compute_calls_check_the_sample_rate(ctx, tmp_path):
    x = (np.random.RandomState(4).randn(3, 256 * 30) * 20).astype(np.float32)
    with clef.EdfWriter(ctx, tmp_path / "r.edf") as w:
        for label in ("Fp1", "Fp2", "O1"):
            w.add_signal(label, "uV", 256, -500, 500)
        w.write(x)
    p = clef.Params(ctx, "io", {"io.target_rate": 256.0})
    with clef.Recording(ctx, tmp_path / "r.edf", p) as rec, clef.Spectrogram(ctx) as sg, \
            clef.Session(ctx) as s, clef.Tokenizer(ctx, None) as tok:
        sig = rec.read_canonical(0.0, 30.0)
        assert sig.rate == 256.0
        for call in (lambda: sg.compute(sig, s), lambda: sg.compute(sig.data, s, fs=256),
                     lambda: tok.tokenize_signal(s, sg, sig),
                     lambda: clef.SpectrogramStream(s, sg, 19).push(sig)):
            with pytest.raises(ValueError, match="sampled at 256 Hz, but the spectrogram is "
                               "built for 200 Hz"):
                call()
        at200 = clef.Canonical(clef.resample(ctx, sig.data, 200, 256), sig.present_mask, 200.0,
                               sig.channels)
        spec = sg.compute(at200, s)
        assert spec.shape == (19, sg.n_freqs, sg.n_frames(at200.data.shape[1]))
        with clef.SpectrogramStream(s, sg, 19) as st:
            st.push(at200)
        with pytest.raises(ValueError, match="2-D"):
            sg.compute(at200.data[0], s)


def test_ehr_records(ctx):
    data = ROOT / "tests" / "data" / "ehr"
    with clef.Ehr(ctx, data / "patient_fhir.xml") as e:
        assert e.format is clef.EhrFormat.FHIR and e.patient["sex"] in ("F", "M")
        conds = e.items("condition")
        assert len(conds) == e.count(clef.EhrKind.CONDITION) > 0 and conds[0]["code"]
        with pytest.raises(ValueError, match="unknown item kind"):
            e.items("allergy")
    text = (data / "patient_cda.xml").read_text(encoding="utf-8")
    with clef.Ehr.parse_xml(ctx, text, "cda") as e:
        assert e.format is clef.EhrFormat.CDA
    with pytest.raises(clef.FormatError):
        clef.Ehr.parse_xml(ctx, b"<nope/>")


def test_encoder_stream_equals_embed_signal(ctx):
    with clef.Tokenizer(ctx, None) as tok, clef.Encoder(ctx, None, tok) as enc, \
            tok.spectrogram(ctx) as sg, clef.Session(ctx, 2) as s:
        x = (np.random.RandomState(5).randn(19, int(sg.fs) * 40) * 20).astype(np.float32)
        whole = enc.embed_signal(s, tok, sg, x, fs=sg.fs)
        with clef.EncoderStream(s, enc, tok, sg) as st:
            for i in range(0, x.shape[1], 3000):
                st.push(np.ascontiguousarray(x[:, i:i + 3000]), fs=sg.fs)
            st.finish()
            assert st.tokens(s).shape == (tok.n_tokens,)
            np.testing.assert_allclose(st.embed(s), whole, rtol=1e-4, atol=1e-5)
            with pytest.raises(ValueError, match="19 canonical channels"):
                st.push(x[:3])


def test_free_function_groups(ctx, tmp_path):
    lab = clef.parse_channel("EEG T3-REF")
    assert lab.name == "T7" and lab.klass is clef.ChannelClass.EEG and lab.canonical == \
        clef.canonical_channels().index("T7") and lab.map is clef.ChannelMap.ALIASED
    assert clef.parse_channel("ECG").canonical is None
    assert clef.default_model_path("tokenizer", ctx).endswith(".safetensors")
    assert clef.default_model_path("encoder_pretrained", ctx).endswith(
        "/encoder-pretrained.safetensors")
    with pytest.raises(ValueError, match="unknown model"):
        clef.default_model_path("vocoder")
    assert "focal_slowing" in clef.report_findings() and len(clef.cohort_tasks()) > 3
    text = "Seen 03/04/2021, MRN 12345678.\nIMPRESSION: Normal awake EEG.\n"
    clean = clef.deidentify(ctx, text)
    assert "[DATE]" in clean and "12345678" not in clean
    assert clef.report_section(ctx, text, "interpretation").strip() == "Normal awake EEG."
    with pytest.raises(LookupError):
        clef.report_section(ctx, text, "history")
    bp = clef.bandpower(ctx, np.random.RandomState(6).randn(3, 2000).astype(np.float32), 200.0)
    assert bp.shape == (3, 4) and bp.dtype == np.float32
    with clef.Session(ctx) as s, clef.Params(ctx, "cohort", {
            "cohort.n_patients": 2, "cohort.duration_s": 60.0, "cohort.max_sessions": 1}) as p:
        clef.generate_cohort(s, tmp_path / "cohort", p)
    with clef.Store(ctx, tmp_path / "c.db") as st:
        st.import_cohort(tmp_path / "cohort")
        sid = st.sessions("train") + st.sessions("val") + st.sessions("test")
        assert os.path.isfile(st.recording_path(sid[0]))
        assert len(st.task_balance(st.task_names()[0])) == 4


def test_recording_metadata_and_tokenizer_decode(ctx, tmp_path):
    x = (np.random.RandomState(7).randn(2, 200 * 20) * 20).astype(np.float32)
    with clef.EdfWriter(ctx, tmp_path / "m.edf") as w:
        w.add_signal("EEG Fp1-REF", "uV", 200, -500, 500)
        w.add_signal("ECG", "uV", 200, -500, 500)
        w.write(x)
    with clef.Recording(ctx, tmp_path / "m.edf") as rec:
        assert rec.file_type is clef.FileType.EDFPLUS_C and rec.n_records == 20
        assert rec.record_duration == 1.0 and rec.header["version"] == "0"
        assert rec.present_mask == 1 << clef.canonical_channels().index("Fp1")
        (l0, c0, i0, m0), (l1, c1, i1, m1) = rec.channel_map
        assert (c0, i0) == (clef.ChannelClass.EEG, 0) and m0 in (clef.ChannelMap.EXACT,
                                                                clef.ChannelMap.ALIASED)
        assert (c1, i1, m1) == (clef.ChannelClass.ECG, None, clef.ChannelMap.DROPPED_NON_EEG)
        assert rec.read_digital(0).dtype == np.int32 and rec.read_digital(0).size == x.shape[1]
        with clef.Tokenizer(ctx, None) as tok, tok.spectrogram(ctx) as sg, \
                clef.Session(ctx) as s:
            ids = tok.tokenize_signal(s, sg, rec.read_canonical())
            spec = tok.decode(s, ids)
            assert spec.shape == tok.shape[:3] and tok.session_frames > 0
            assert 0 < tok.valid_columns(20) <= tok.shape[4]
            with pytest.raises(ValueError, match="ids"):
                tok.decode(s, ids[:10])
