"""Access tokens: user-service signs (EdDSA) and publishes a JWKS; every other service
verifies locally against it, algorithm pinned, exp / iss / aud checked.

* :mod:`signing` - key pairs, token issuing, the JWKS document (user-service only);
* :mod:`verify` - :class:`TokenVerifier`, caching the JWKS by ``kid``;
* :mod:`deps` - FastAPI dependencies: ``CurrentUser``, ``require_role``.
"""

from bourse.auth.principal import Principal
from bourse.auth.verify import InvalidTokenError, TokenVerifier

__all__ = ["InvalidTokenError", "Principal", "TokenVerifier"]
