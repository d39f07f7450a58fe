"""Access tokens: user-service signs (EdDSA) and publishes a JWKS; every other service
verifies locally against it, algorithm pinned, exp / iss / aud checked. API keys (for
bots): user-service checks them, every service caches its answers a few seconds.

* :mod:`signing` - key pairs, token issuing, the JWKS document (user-service only);
* :mod:`verify` - :class:`TokenVerifier`, caching the JWKS by ``kid``;
* :mod:`api_keys` - :class:`KeyVerifier`, user-service's answers about keys, cached 5 s;
* :mod:`scopes` - the one scope rule: a ``read`` key may only GET / HEAD;
* :mod:`deps` - FastAPI dependencies: ``CurrentUser``, ``TokenUser``, ``require_role``;
* :mod:`websocket` - feeds authenticated by a token or a key, closed when either lapses.
"""

from bourse.auth.principal import Principal
from bourse.auth.verify import InvalidTokenError, TokenVerifier

__all__ = ["InvalidTokenError", "Principal", "TokenVerifier"]
