"""Classical (non-learned) hole filling, the baselines a trained model has to beat."""

from __future__ import annotations

import numpy as np

CLASSICAL_METHODS = ("mean", "telea", "ns")


def mean_fill(images: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """Fill each image's hole with the mean colour of its known pixels. uint8 (N, H, W, 3), bool (N, H, W)."""
    known = (~holes)[..., None].astype(np.float64)
    mean = (images * known).sum(axis=(1, 2)) / np.maximum(known.sum(axis=(1, 2)), 1)  # (N, 3)
    fill = np.broadcast_to(mean.round().astype(np.uint8)[:, None, None], images.shape)
    return np.where(holes[..., None], fill, images)


def opencv_inpaint(images: np.ndarray, holes: np.ndarray, method: str = "telea", radius: int = 3) -> np.ndarray:
    """OpenCV's cv2.inpaint (Telea or Navier-Stokes) on uint8 images, one image at a time (OpenCV has no batch)."""
    import cv2  # optional dependency: only the baselines need it

    flag = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}[method]
    hidden = np.where(holes[..., None], 0, images).astype(np.uint8)  # cv2 reads pixels under border holes
    out = np.empty_like(images)
    for i, (image, hole) in enumerate(zip(hidden, holes)):
        out[i] = cv2.inpaint(image, hole.astype(np.uint8), radius, flag)
    return np.where(holes[..., None], out, images)


def classical_fill(images: np.ndarray, holes: np.ndarray, method: str) -> np.ndarray:
    if method == "mean":
        return mean_fill(images, holes)
    if method in ("telea", "ns"):
        return opencv_inpaint(images, holes, method)
    raise ValueError(f"unknown classical method {method!r}; choose one of {', '.join(CLASSICAL_METHODS)}")
