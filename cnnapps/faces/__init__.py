"""Face recognition (issue 9): detection with landmarks, alignment, embeddings, galleries.

Import the building blocks from their modules; the public names are re-exported lazily by
``cnnapps`` (``cnnapps.detect_faces``, ``cnnapps.verify``, ``cnnapps.FaceGallery``...).
"""
