"""sslmodel: self-supervised inpainting for CIFAR-10.

Hole convention, everywhere: a bool array or tensor, True where a pixel is missing.
"""

from .bundle import BundleError, load_bundle, push_bundle, save_bundle, shipped_models
from .holes import EVAL_FAMILIES, FAMILIES, make_holes
from .inpainter import Inpainter
from .models import DEFAULT_ARCH, MODELS, build_model
from .preprocess import ImageError, prepare_holes, prepare_image

__all__ = ["BundleError", "DEFAULT_ARCH", "EVAL_FAMILIES", "FAMILIES", "ImageError", "Inpainter", "MODELS",
           "build_model", "load_bundle", "make_holes", "prepare_holes", "prepare_image", "push_bundle",
           "save_bundle", "shipped_models"]
