"""Every model the app offers, registered once: importing this package fills the registry.

One module per task family; each calls :func:`cnnapps.registry.register` at import.
"""

import cnnapps.zoo.digits  # noqa: F401  (explorer, issue 11: LeNet-5)
from cnnapps.zoo import imagenet, sentiment  # noqa: F401  (imported for their registrations)
