"""The HTTP session an API transport sends through: one per origin.

With `trust_env`, `requests.Session` reads the proxy variables, `no_proxy`, `.netrc` and the CA-bundle variables
again on every request (a fifth of the client's CPU per request, measured by `make bench`). They cannot change
during a run: they are read once here, for the origin the session talks to, with the same rules `requests`
applies. The pool holds a connection for every thread that may use the session at once.
"""

from __future__ import annotations

import os

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies

POOL_SIZE = 64  # connections kept per host: above the applier's most threads (adapters/zoom/limits.MAX_WORKERS)


def new_session(base_url: str, *, pool_size: int = POOL_SIZE) -> requests.Session:
    """A session for requests to `base_url`'s origin: a pool of `pool_size` connections, and the environment's
    proxy and CA-bundle settings for that origin resolved now, once."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.proxies.update(get_environ_proxies(base_url))  # honours no_proxy for this origin
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False  # nothing more to read from the environment per request
    return session
