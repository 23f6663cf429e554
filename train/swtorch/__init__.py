"""swtorch — the PyTorch mirror of libstatewave (dsp/): layers in parallel (training) form with
reference recurrent steps, Net built from a dsp/FORMAT.md config, model-file export/import.

    from swtorch.net import Net
    from swtorch.export import save_model, load_model
"""
from . import safetensors_io, layers, net, export  # noqa: F401
from .net import Net, ConfigError, normalize_config  # noqa: F401
from .export import save_model, load_model  # noqa: F401
