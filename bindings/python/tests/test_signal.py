"""Recording, stream and spectrogram layers: identical numbers to the C library on the same
input, zero-copy paths, and clear errors on bad input."""

import ctypes

import numpy as np
import pytest

import clef

needs = pytest.mark.skipif


def test_spectrogram_identical_to_c(cref):
    ref = cref.txt("dsp")
    n_ch, n_s = int(ref["spec.n_ch"]), int(ref["spec.n_samples"])
    shape = (n_ch, int(ref["spec.n_freqs"]), int(ref["spec.n_frames"]))
    x = cref.array("spec_in.f32", np.float32).reshape(n_ch, n_s)
    want = cref.array("spec_out.f32", np.float32).reshape(shape)
    with clef.Context() as ctx, clef.Spectrogram(ctx) as sg, clef.Session(ctx, 3) as s:
        got = sg.compute(x, s)
        assert got.shape == shape and got.dtype == np.float32
        assert np.array_equal(got, want), f"max abs diff {np.max(np.abs(got - want))}"
        assert s.errmsg == "" and s.scratch_bytes > 0  # scratch kept for the next call
        # a row-strided view goes through the stride, no copy, same numbers
        big = np.zeros((n_ch, n_s + 37), dtype=np.float32)
        big[:, 5:5 + n_s] = x
        assert np.array_equal(sg.compute(big[:, 5:5 + n_s], s), want)
        out = np.empty(shape, dtype=np.float32)
        assert sg.compute(x, s, out=out) is out
        # without a session: a temporary 1-thread one, the same numbers
        assert np.array_equal(sg.compute(x), want)
        with clef.Session(ctx, 1) as s1:
            assert np.array_equal(sg.compute(x, session=s1), want)
        assert sg.freqs[1] - sg.freqs[0] == 0.25 and len(sg.times(n_s)) == shape[2]


def test_spectrogram_bad_input(cref):
    cref.txt("dsp")
    with clef.Context() as ctx:
        sg = clef.Spectrogram(ctx)
        x = np.zeros((2, 2000), dtype=np.float32)
        with pytest.raises(TypeError, match="float32, not float64"):
            sg.compute(x.astype(np.float64))
        with pytest.raises(ValueError, match="2-D"):
            sg.compute(x[0])
        with pytest.raises(ValueError, match="contiguous"):
            sg.compute(np.zeros((2000, 2), dtype=np.float32).T)
        with pytest.raises(TypeError, match="numpy array"):
            sg.compute(None)
        with pytest.raises(ValueError, match="out must be"):
            sg.compute(x, out=np.empty((1, 2, 3), dtype=np.float32))
        with pytest.raises(clef.ShapeError, match="shorter than one window"):
            sg.compute(np.zeros((2, 100), dtype=np.float32))  # temporary session's message
        with pytest.raises(TypeError, match="clef_session handle"):
            sg.compute(x, ctx)
        assert sg.fs == 200.0
        assert sg.compute(x, fs=200).shape[0] == 2
        with pytest.raises(ValueError, match="sampled at 256 Hz, but the spectrogram is built "
                                             "for 200 Hz"):
            sg.compute(x, fs=256)
        sg.close()
        with pytest.raises(ValueError, match="freed"):
            sg.compute(x)


def test_session_records_the_errors_of_its_calls(cref):
    cref.txt("dsp")
    with clef.Context() as ctx, clef.Spectrogram(ctx) as sg, clef.Session(ctx, 2) as s:
        x = np.ones((2, 2000), dtype=np.float32)
        sg.compute(x, s)
        assert s.errmsg == "" and s.errcode == clef._ffi.CLEF_OK
        with pytest.raises(clef.ShapeError) as ei:
            sg.compute(np.zeros((2, 100), dtype=np.float32), s)  # too short: no frame
        assert "shorter than one window" in ei.value.message
        assert ei.value.function == "clef_spectrogram_compute"
        assert "shorter than one window" in s.errmsg
        assert s.errcode == clef._ffi.CLEF_ERR_SHAPE
        assert ctx.errmsg == ""  # on the session, not the ctx
        bad = x.copy()
        bad[1, 7] = np.nan
        with pytest.raises(clef.FormatError):
            sg.compute(bad, s)
        assert s.errcode == clef._ffi.CLEF_ERR_FORMAT and s.errmsg
        sg.compute(x, s)  # a call that succeeds resets the error
        assert s.errmsg == "" and s.errcode == clef._ffi.CLEF_OK
        # the generic layer reads the message from the session too
        with pytest.raises(clef.ShapeError, match="shorter than one window"):
            clef.lowlevel.clef_spectrogram_compute(sg, s, np.zeros(200, dtype=np.float32), 100,
                                                   2, 100, 10)
        s.release_scratch()
        assert s.scratch_bytes == 0


def test_one_spectrogram_many_sessions_threads(cref):
    import threading

    cref.txt("dsp")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 200 * 40)).astype(np.float32)
    with clef.Context() as ctx, clef.Spectrogram(ctx) as sg:
        with clef.Session(ctx) as s:
            want = sg.compute(x, s)
        got = [None] * 4

        def work(i):
            with clef.Session(ctx, 1 + i) as si:  # one session per thread
                got[i] = sg.compute(x, si)

        ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert all(np.array_equal(g, want) for g in got)  # bit-identical, any thread count


def test_stream_identical_to_c(cref):
    ref = cref.txt("io")
    x = cref.array("stream_in.f32", np.float32).reshape(4, -1)
    n_out = int(ref["stream.n_out"])
    want = cref.array("stream_out.f32", np.float32).reshape(19, n_out)
    with clef.Context() as ctx:
        st = clef.Stream(ctx, ["EEG Fp1-REF", "T3", "O2", "ECG"], rates=256,
                         units=["uV", "mV", "uV", "uV"])
        half = x.shape[1] // 2
        st.push(x[:, :half])  # strided views: no copy
        st.push(x[:, half:])
        st.finish()
        got = st.pull()
        assert st.present_mask == int(ref["stream.mask"])
        assert np.array_equal(got, want)
        with pytest.raises(ValueError, match="4 channels"):
            st.push(np.zeros((3, 10), dtype=np.float32))
        with pytest.raises(clef.StateError):
            st.push(np.zeros((4, 10), dtype=np.float32))  # after finish
        st.close()
        with pytest.raises(ValueError, match="units are required"):
            clef.Stream(ctx, ["Fp1"], rates=256, units=None)
        with pytest.raises(clef.ClefError, match="unit"):
            clef.Stream(ctx, ["Fp1"], rates=256, units="furlongs")


def test_recording_identical_to_c(cref):
    ref = cref.txt("io")
    with clef.Context() as ctx:
        with clef.Recording(ctx, ref["path"]) as rec:
            assert rec.n_signals == int(ref["n_signals"])
            assert rec.labels[0] == ref["label0"]
            assert np.array_equal(rec.read_physical(0), cref.array("phys0.f64", np.float64))
            with pytest.raises(clef.NotFoundError, match="canonical"):
                rec.read_canonical()  # the generator file has no 10-20 labels
        with pytest.raises(clef.IoError, match="no_such_file"):
            clef.Recording(ctx, "/nonexistent/no_such_file.edf")


def test_generic_layer_on_module_apis(cref):
    cref.txt("io")
    ll = clef.lowlevel
    assert ll.clef_canonical_n_channels() == 19 == len(clef.canonical_channels())
    name, cls, canon, mapping = ll.clef_channel_parse("EEG T3-REF", 16)
    assert (name, canon) == ("T7", clef.canonical_channels().index("T7"))
    with pytest.raises(clef.BufferTooSmallError):
        ll.clef_channel_parse("EEG T3-REF", 1)
    # in-place montage: the generic layer allocates from the annotated size and checks it
    data = np.arange(19 * 8, dtype=np.float32)
    with clef.Context() as ctx:
        del ctx
    res = ll.clef_montage_common_average(data.copy(), 8, 8, (1 << 19) - 1)
    assert np.allclose(res.reshape(19, 8).mean(axis=0), 0, atol=1e-4)
    with pytest.raises(ValueError, match="needs"):
        ll.clef_montage_common_average(np.zeros(10, dtype=np.float32), 8, 8, 1)


def test_from_mne_matches_stream(cref):
    mne = pytest.importorskip("mne")
    ref = cref.txt("io")
    x = cref.array("stream_in.f32", np.float32).reshape(4, -1).astype(np.float64)
    volts = x * np.array([1e-6, 1e-3, 1e-6, 1e-6])[:, None]
    info = mne.create_info(["Fp1", "T3", "O2", "ECG"], 256.0, ["eeg", "eeg", "eeg", "ecg"])
    raw = mne.io.RawArray(volts, info, verbose=False)
    sig = clef.from_mne(raw)
    want = cref.array("stream_out.f32", np.float32).reshape(19, int(ref["stream.n_out"]))
    assert sig.present_mask == int(ref["stream.mask"])
    assert sig.data.shape == want.shape and sig.rate == 200.0
    np.testing.assert_allclose(sig.data, want, rtol=1e-5, atol=1e-4 * np.abs(want).max())
    with pytest.raises(TypeError, match="mne.io.Raw"):
        clef.from_mne(np.zeros((2, 2)))


def test_ctypes_types_guard_handles(cref):
    cref.txt("dsp")
    with clef.Context() as ctx, clef.Spectrogram(ctx) as sg:
        with pytest.raises(ctypes.ArgumentError):
            clef.raw["clef_spectrogram_n_freqs"](ctx)  # a clef_ctx where a spectrogram goes
        assert clef.raw["clef_spectrogram_n_freqs"](sg) == sg.n_freqs
