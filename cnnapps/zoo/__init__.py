"""Every model the app offers, registered once: importing this package fills the registry.

One module per task family; each calls :func:`cnnapps.registry.register` at import.
"""

from cnnapps.zoo import detection, digits, faces, imagenet, sentiment, xray  # noqa: F401  (imported for their registrations)
