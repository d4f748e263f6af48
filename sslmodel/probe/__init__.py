"""Linear probes of the inpainting encoder: what the app and the library use.

`linear` holds the features, the linear fit and the probes a bundle ships (`Probe`, `load_probes`);
`experiment` the few-label comparison and its report; `python -m sslmodel.probe` runs it (see --help).
Importing this package loads only `linear`.
"""

from .linear import (PROBE_CONFIG, PROBE_WEIGHTS, LinearFit, Probe, ProbeError, encoder_features, load_probes,
                     pixel_features, save_probes)

__all__ = ["PROBE_CONFIG", "PROBE_WEIGHTS", "LinearFit", "Probe", "ProbeError", "encoder_features", "load_probes",
           "pixel_features", "save_probes"]
