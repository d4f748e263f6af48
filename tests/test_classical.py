import numpy as np
import pytest

from conftest import smooth_images
from sslmodel.classical import classical_fill


@pytest.mark.parametrize("method", ["mean", "telea", "ns"])
def test_classical_fills_only_the_hole_and_never_reads_it(method):
    images = smooth_images(3)
    holes = np.zeros((3, 32, 32), bool)
    holes[:, :6, :6] = True  # touches the border, where cv2.inpaint would otherwise read hidden pixels
    secret = images.copy()
    secret[holes] = 255 - secret[holes]
    filled, filled_secret = classical_fill(images, holes, method), classical_fill(secret, holes, method)
    assert np.array_equal(filled[~holes], images[~holes])
    assert np.array_equal(filled, np.where(holes[..., None], filled_secret, images))


def test_mean_fill_uses_the_known_mean():
    images = np.zeros((1, 4, 4, 3), np.uint8)
    images[0, :2] = 100
    holes = np.zeros((1, 4, 4), bool)
    holes[0, 3] = True  # known: 8 pixels of 100, 4 of 0 -> mean 66.7
    assert (classical_fill(images, holes, "mean")[0, 3] == 67).all()
    with pytest.raises(ValueError, match="unknown classical method"):
        classical_fill(images, holes, "magic")
