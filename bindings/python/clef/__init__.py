"""clef: Python bindings of libclef, a clinical EEG foundation model.

The ctypes layer (``clef._ffi``) is generated from include/clef.h; ``clef.lowlevel`` exposes
every C function with argument checks; the classes here are the Pythonic layer."""

# First, before numpy (which may be linked to the same system OpenBLAS) and libclef load:
# OpenBLAS reads OPENBLAS_CORETYPE only when it loads (clef._blas, docs/NN.md).
from typing import TYPE_CHECKING

from . import _blas

_blas.select()

from . import _ffi
from ._core import (  # noqa: F401
    ERROR_CLASSES,
    LIBRARY_PATH,
    STATUS_NAMES,
    ClefError,
    Handle,
    lowlevel,
    raw,
    strerror,
)
from ._core import *  # noqa: F401,F403  (the ClefError subclasses, e.g. InvalidArgError)
from . import enums  # noqa: F401
from .enums import *  # noqa: F401,F403  (IntEnum classes: Split, ArtifactKind, ...)
from ._api import (  # noqa: F401
    Context,
    Params,
    ParamInfo,
    ParamKeyError,
    ParamValue,
    param_keys,
    Session,
    abi_version,
    blas_coretype,
    blas_kernel,
    build_info,
    cpu_isa,
    param_info,
    source_id,
    version,
    version_number,
)
from ._mne import from_mne  # noqa: F401
from ._dsp import (  # noqa: F401
    EncoderStream,
    SpectrogramStream,
    bipolar,
    bipolar_channels,
    common_average,
    dpss,
    resample,
)
from ._eval import Eval, Probe, TaskResult, auroc, auroc_ci  # noqa: F401
from ._files import EdfWriter, Ehr, Weights, WeightsWriter  # noqa: F401
from ._misc import (  # noqa: F401
    ChannelLabel,
    bandpower,
    cohort_tasks,
    default_model_path,
    deidentify,
    generate_cohort,
    parse_channel,
    report_findings,
    report_section,
)
from ._signal import Canonical, canonical_channels  # noqa: F401

if TYPE_CHECKING:  # the classes below, as type checkers should see them
    from ._aligner import Aligned, Aligner, AlignerTrainer, TextEncoder, align, model_hash
    from ._encoder import Encoder, EncoderTrainer, Pretrained, pretrain
    from ._signal import Recording, Spectrogram, Stream, Tokenizer
    from ._store import Store
    from ._train import TokenizerTrainer, train_tokenizer

# Classes over module APIs exist when the loaded header declares those APIs.
from . import _aligner as _ali, _encoder as _enc, _signal as _sig, _store as _sto, _train as _tra

for _m, _n in ((_sig, "Recording"), (_sig, "Stream"), (_sig, "Spectrogram"), (_sig, "Tokenizer"),
               (_sto, "Store"), (_tra, "TokenizerTrainer"), (_tra, "train_tokenizer"),
               (_enc, "Encoder"), (_enc, "EncoderTrainer"), (_enc, "pretrain"),
               (_enc, "Pretrained"), (_ali, "TextEncoder"), (_ali, "Aligner"),
               (_ali, "AlignerTrainer"), (_ali, "align"), (_ali, "Aligned"), (_ali, "model_hash")):
    if hasattr(_m, _n):
        globals()[_n] = getattr(_m, _n)
del _m, _n

# OpenBLAS loaded before clef (e.g. by a numpy linked to the system OpenBLAS) keeps its kernels.
_blas.warn_if_late(blas_kernel(), blas_coretype())

ABI_VERSION = _ffi.ABI_VERSION
__version__ = "0.1.0"
