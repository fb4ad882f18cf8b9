"""Align a face to the ArcFace 112x112 five-point template (Deng et al. 2019, insightface).

A similarity transform (rotation, uniform scale, shift) fitted by least squares to the five
landmarks (Umeyama 1991, "Least-squares estimation of transformation parameters between two
point patterns"), then ``cv2.warpAffine``. Written here in a few lines of numpy rather than
pulling in scikit-image for ``SimilarityTransform`` (the reference pipeline's choice): the
closed form is short and the parity test checks it against the reference matrices.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["ARCFACE_TEMPLATE_112", "align_face", "similarity_transform", "template_for"]

# Landmarks as seen in the image: left eye, right eye, nose tip, left and right mouth corners,
# in pixels of the 112x112 canvas (insightface's arcface_dst).
ARCFACE_TEMPLATE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)


def template_for(size: int) -> np.ndarray:
    """The template scaled to a ``size`` x ``size`` canvas (e.g. 160 for FaceNet)."""
    return ARCFACE_TEMPLATE_112 * (size / 112.0)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 matrix ``M`` minimising ``sum |M @ [src, 1] - dst|^2`` over similarities (Umeyama).

    Args:
        src: ``[K, 2]`` points (x, y), K >= 2.
        dst: ``[K, 2]`` target points.
    Returns:
        ``[2, 3]`` float64 affine matrix for ``cv2.warpAffine``.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or len(src) < 2:
        raise ValueError(f"need two [K, 2] point sets with K >= 2, got {src.shape} and {dst.shape}")
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.ones(2)
    if np.linalg.det(cov) < 0:  # a reflection would fit better: forbid it
        sign[-1] = -1
    rot = u @ np.diag(sign) @ vt
    var_s = (s**2).sum() / len(src)
    scale = (sig * sign).sum() / var_s if var_s > 0 else 1.0
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rot
    matrix[:, 2] = mu_d - scale * rot @ mu_s
    return matrix


def align_face(rgb: np.ndarray, landmarks: np.ndarray, *, size: int = 112) -> np.ndarray:
    """Warp the face with these 5 landmarks onto the ``size`` x ``size`` ArcFace template.

    Args:
        rgb: ``[H, W, 3]`` uint8 image.
        landmarks: ``[5, 2]`` (x, y) pixels in ``rgb``, in the template's order.
    Returns:
        ``[size, size, 3]`` uint8 crop; outside the photo is black (as in the reference).
    """
    matrix = similarity_transform(landmarks, template_for(size))
    return cv2.warpAffine(rgb, matrix, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
